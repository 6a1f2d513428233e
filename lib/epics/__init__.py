"""The team's GitLab epics: master epics by area, their DRIs, flags, and who is working on what.

The handbook: "The Support Team uses Epics to track and coordinate ongoing projects. For the
master epics [found by searching ``area:``], a Support manager will be assigned as a Directly
Responsible Individual (DRI): you will see their name in parentheses after the Epic title."

Epics arrive as a *snapshot*: one JSON file saved from GitLab (the epics REST API, several
pages concatenated, or the Work Items API that replaces it), or a direct fetch
(``lib.epics.fetch``) that goes through the same import. The newest snapshot is the one
shown; an import never edits an older one, so any earlier snapshot can be restored. Each
import or restore is one transaction under ``store.WRITE_LOCK`` with a change-log row and a
data-version bump, like every other write. A file that cannot be read is refused whole,
naming the file, the item and the field, and nothing is stored.

The rules (each with a worked example in DECISIONS.md §21):

- **Master epic:** its title matches the ``epic_master_pattern`` setting (a regular
  expression, case-insensitive; default ``area:``). Its *area* is the title text after the
  match, up to the DRI's parentheses.
- **DRI:** the text inside the *last* top-level parentheses of the title, with any nested
  parentheses inside it left out ("(Priya Nair (interim))" names Priya Nair). It is matched
  to the OKR page's manager roster ignoring case, accents and repeated spaces.
- **Flags** (open master epics only, except the DRI flags): no DRI; DRI not on the roster;
  overdue (due date before today); stale (no update for ``epic_stale_after_days`` days or
  more, counting the master epic's own update and those of its child epics).
- **Who is working on what:** per manager, the open master epics they are DRI of, their
  manager objectives this fiscal quarter and the open workgroups they sit on (member or
  facilitator). Zero of all three is "no visible work"; at least twice the median of all
  managers and at least 3 more than it is "far more than the rest".
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lib.core import auth
from lib.core.errors import RefusedFile
from lib.core.settings import Settings
from lib.store import database as store
from lib.workgroups.repository import write as audited  # one audited transaction: change-log row, version bump

if TYPE_CHECKING:
    import pandas as pd


ACTIVE = "active"
REPLACED = "replaced"

REST_SHAPE = "GitLab epics REST API"
GRAPHQL_SHAPE = "GitLab Work Items API (GraphQL)"
WORK_ITEMS_REST_SHAPE = "GitLab Work Items API (REST)"
FETCH_SHAPE = "GitLab epics REST API (fetched)"

EXPECTED_FILE = (
    "the JSON GitLab returns for GET /groups/:id/epics (one page or several concatenated), "
    "or for the Work Items API (GraphQL data.group.workItems, or REST /groups/:id/-/work_items)"
)

NO_DRI = "No DRI"
NOT_ON_ROSTER = "DRI not on roster"
OVERDUE = "Overdue"
STALE = "Stale"
# Symbols every font draws (emoji are missing on many presentation machines); the words say the rest.
FLAG_SYMBOLS = {NO_DRI: "⚠", NOT_ON_ROSTER: "⚠", OVERDUE: "▲", STALE: "◐"}

NO_VISIBLE_WORK = "No visible work"
FAR_MORE = "Far more than the rest"
FAR_MORE_FACTOR = 2  # at least twice the median ...
FAR_MORE_MARGIN = 3  # ... and at least this many items more than it


# ---------------------------------------------------------------------------------------
# Reading a file: any of the shapes, liberally


@dataclass(frozen=True)
class Epic:
    group_path: str
    iid: int
    title: str
    state: str  # open or closed
    web_url: str | None = None
    labels: tuple[str, ...] = ()
    parent_group_path: str | None = None
    parent_iid: int | None = None
    author: str | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.group_path, self.iid)

    @property
    def parent_key(self) -> tuple[str, int] | None:
        return None if self.parent_iid is None else (self.parent_group_path or "", self.parent_iid)

    @property
    def reference(self) -> str:
        """GitLab's own reference: 'gitlab-com/support&12', or '&12' without a group."""
        return f"{self.group_path}&{self.iid}"


@dataclass
class ParsedFile:
    shape: str
    epics: list[Epic]
    ignored: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


OUTSIDE_FILE = "(outside this file)"  # the group of a parent epic the file does not hold
URL_PATTERN = re.compile(r"/groups/(?P<group>[^?#]+?)/-/(?:epics|work_items)/(?P<iid>\d+)")
REFERENCE_PATTERN = re.compile(r"(?P<group>[\w.\-]+(?:/[\w.\-]+)*)?&(?P<iid>\d+)")


def json_values(text: str, file_name: str) -> list:
    """Every JSON value in the text: one document, or several written one after another.

    Saving page after page from the API gives ``[...][...]`` or one array per line; both read.
    """
    decoder = json.JSONDecoder()
    values, position = [], 0
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text):
            return values
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise RefusedFile(
                file_name,
                f"not readable as JSON at line {error.lineno}, column {error.colno}: {error.msg}",
                expected=EXPECTED_FILE,
            ) from None
        values.append(value)


def decode(data: bytes, file_name: str) -> str:
    """UTF-8 (with or without a byte-order mark), or UTF-16 when it starts with one."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RefusedFile(file_name, "the file is not UTF-8 text", expected=EXPECTED_FILE) from None


def looks_like_item(value) -> bool:
    signs = ("title", "state", "web_url", "webUrl", "workItemType", "work_item_type", "widgets")
    return isinstance(value, dict) and "iid" in value and any(sign in value for sign in signs)


def collect_items(value, found: list, shapes: Counter) -> None:
    """Walk pages, lists of pages, GraphQL responses and their connections down to the items."""
    if isinstance(value, list):
        for element in value:
            collect_items(element, found, shapes)
    elif looks_like_item(value):
        if "widgets" in value or "workItemType" in value or "webUrl" in value:
            shapes[GRAPHQL_SHAPE] += 1
        elif "features" in value or "work_item_type" in value:
            shapes[WORK_ITEMS_REST_SHAPE] += 1
        else:
            shapes[REST_SHAPE] += 1
        found.append(value)
    elif isinstance(value, dict):
        if "errors" in value and "data" not in value:
            raise ValueError("a GraphQL error response: " + json.dumps(value["errors"])[:200])
        for key in ("data", "group", "namespace", "project", "workItems", "epics", "nodes", "items", "work_items"):
            if key in value and value[key] is not None:
                collect_items(value[key], found, shapes)
        if "edges" in value:
            collect_items([edge.get("node") for edge in value["edges"] if isinstance(edge, dict)], found, shapes)


def pick(item: dict, *names):
    """The first of several spellings present (REST snake_case, GraphQL camelCase)."""
    for name in names:
        if name in item and item[name] is not None:
            return item[name]
    return None


def widget_values(item: dict) -> dict:
    """A work item's widgets (GraphQL) or features (REST) flattened into one dict of fields."""
    values: dict = {}
    widgets = item.get("widgets") or []
    if isinstance(widgets, dict):
        widgets = list(widgets.values())
    features = item.get("features")
    if isinstance(features, dict):
        widgets = [*widgets, *(v for v in features.values() if isinstance(v, dict))]
    for widget in widgets:
        if isinstance(widget, dict):
            for key, value in widget.items():
                if key not in ("type", "__typename") and value is not None:
                    values.setdefault(key, value)
    return values


def group_of_url(url: str | None) -> tuple[str, int] | None:
    match = URL_PATTERN.search(url or "")
    return (match.group("group"), int(match.group("iid"))) if match else None


def parse_day(value, file_name: str, where: str, column: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise RefusedFile(
            file_name, f"'{value}' is not a date", column=f"{where} {column}", expected="2026-11-30"
        ) from None


def parse_time(value, file_name: str, where: str, column: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RefusedFile(
            file_name, f"'{value}' is not a time", column=f"{where} {column}", expected="2026-11-30T09:15:00Z"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def item_type(item: dict) -> str | None:
    kind = pick(item, "workItemType", "work_item_type", "type")
    if isinstance(kind, dict):
        kind = kind.get("name")
    return None if kind is None else str(kind)


def label_names(value) -> tuple[str, ...]:
    if isinstance(value, dict):
        value = value.get("nodes") or value.get("labels") or []
    names = []
    for label in value or []:
        name = label.get("title") or label.get("name") if isinstance(label, dict) else label
        if name:
            names.append(str(name))
    return tuple(names)


def author_name(value) -> str | None:
    if isinstance(value, dict):
        return value.get("name") or value.get("username")
    return None if value is None else str(value)


def epic_from_item(item: dict, number: int, file_name: str, ids: dict) -> Epic:
    """One epic from one item of any shape; ``number`` counts items from 1 across all pages."""
    where = f"item {number}"
    iid_value = pick(item, "iid")
    try:
        iid = int(str(iid_value))
    except ValueError:
        raise RefusedFile(file_name, f"'{iid_value}' is not an epic number", column=f"{where} iid") from None
    title = pick(item, "title")
    if not isinstance(title, str) or not title.strip():
        raise RefusedFile(
            file_name, "the epic has no title", column=f"{where} (iid {iid}) title", expected="the epic's title"
        )
    widgets = widget_values(item)
    web_url = pick(item, "web_url", "webUrl")
    from_url = group_of_url(web_url)
    references = item.get("references") if isinstance(item.get("references"), dict) else {}
    reference = REFERENCE_PATTERN.fullmatch(str(references.get("full") or item.get("reference") or ""))
    from_reference = reference.group("group") if reference else None
    group_path = from_url[0] if from_url else (from_reference or "")
    state_text = str(pick(item, "state") or "").lower()
    closed_at = parse_time(pick(item, "closed_at", "closedAt"), file_name, where, "closed_at")
    if state_text in ("opened", "open"):
        state = "open"
    elif state_text in ("closed", "close"):
        state = "closed"
    elif state_text == "":
        state = "closed" if closed_at else "open"
    else:
        raise RefusedFile(
            file_name,
            f"'{state_text}' is not an epic state",
            column=f"{where} (iid {iid}) state",
            expected="opened or closed",
        )
    parent_group, parent_iid = None, None
    parent = pick(widgets, "parent") or pick(item, "parent")
    if isinstance(parent, dict):
        located = group_of_url(pick(parent, "webUrl", "web_url"))
        if located:
            parent_group, parent_iid = located
        elif pick(parent, "iid") is not None:
            parent_group, parent_iid = group_path, int(str(parent["iid"]))
    elif pick(item, "parent_id") is not None:
        # REST names the parent by its global id; one outside the file (another group) matches none of its epics.
        outside_iid = pick(item, "parent_iid")
        outside = (OUTSIDE_FILE, None if outside_iid is None else int(str(outside_iid)))
        parent_group, parent_iid = ids.get(item["parent_id"], outside)
    elif pick(item, "parent_iid") is not None:
        parent_group, parent_iid = group_path, int(str(pick(item, "parent_iid")))
    return Epic(
        group_path=group_path,
        iid=iid,
        title=title.strip(),
        state=state,
        web_url=str(web_url) if web_url else None,
        labels=label_names(pick(item, "labels") or pick(widgets, "labels")),
        parent_group_path=parent_group,
        parent_iid=parent_iid,
        author=author_name(pick(item, "author")),
        start_date=parse_day(
            pick(item, "start_date", "startDate") or pick(widgets, "startDate", "start_date"),
            file_name,
            where,
            "start_date",
        ),
        due_date=parse_day(
            pick(item, "due_date", "dueDate", "end_date") or pick(widgets, "dueDate", "due_date"),
            file_name,
            where,
            "due_date",
        ),
        created_at=parse_time(pick(item, "created_at", "createdAt"), file_name, where, "created_at"),
        updated_at=parse_time(pick(item, "updated_at", "updatedAt"), file_name, where, "updated_at"),
        closed_at=closed_at,
    )


def parse_epics(data: bytes, file_name: str) -> ParsedFile:
    """Every epic in a saved API response (any shape), or RefusedFile naming what is wrong."""
    text = decode(data, file_name)
    if not text.strip():
        raise RefusedFile(file_name, "the file is empty", expected=EXPECTED_FILE)
    values = json_values(text, file_name)
    items: list = []
    shapes: Counter = Counter()
    try:
        collect_items(values, items, shapes)
    except ValueError as error:
        raise RefusedFile(file_name, str(error), expected=EXPECTED_FILE) from None
    if not items:
        reply = next((v for v in values if isinstance(v, dict) and ("message" in v or "error" in v)), None)
        if reply is not None:
            said = str(reply.get("message") or reply.get("error"))[:200]
            raise RefusedFile(file_name, f"it is GitLab's error reply, not epics: '{said}'", expected=EXPECTED_FILE)
        raise RefusedFile(file_name, "no epics found in it (no item with an iid and a title)", expected=EXPECTED_FILE)
    # REST names a parent by its global id (parent_id); map ids to (group, iid) first.
    ids = {}
    for item in items:
        located = group_of_url(pick(item, "web_url", "webUrl"))
        if pick(item, "id") is not None and pick(item, "iid") is not None:
            ids[item["id"]] = (located[0] if located else "", int(str(item["iid"])))
    ignored: Counter = Counter()
    by_key: dict[tuple[str, int], Epic] = {}
    duplicates = 0
    for number, item in enumerate(items, start=1):
        kind = item_type(item)
        if kind is not None and kind.lower() != "epic":
            ignored[f"not an epic ({kind})"] += 1
            continue
        epic = epic_from_item(item, number, file_name, ids)
        if epic.key in by_key:
            duplicates += 1
            kept = by_key[epic.key]
            if (epic.updated_at or dt.datetime.min) < (kept.updated_at or dt.datetime.min):
                continue
        by_key[epic.key] = epic
    if not by_key:
        raise RefusedFile(file_name, "it holds work items but no epics: " + ", ".join(ignored), expected=EXPECTED_FILE)
    warnings = []
    if duplicates:
        warnings.append(f"{duplicates} epic(s) appeared on more than one page; the newest update of each was kept")
    shape = shapes.most_common(1)[0][0]
    return ParsedFile(shape, list(by_key.values()), dict(ignored), warnings)


# ---------------------------------------------------------------------------------------
# Storing snapshots


@dataclass
class ImportResult:
    snapshot_id: int
    epic_count: int
    shape: str
    ignored: dict[str, int]
    warnings: list[str]
    replaced_demo: bool = False

    def summary(self) -> str:
        text = f"snapshot {self.snapshot_id}: {self.epic_count} epics from the {self.shape}"
        if self.ignored:
            text += "; left out " + ", ".join(f"{n} {why}" for why, n in self.ignored.items())
        if self.replaced_demo:
            text += "; the demo epics were removed"
        return text


def import_epics_file(
    con,
    path: Path | str,
    actor: str | None = None,
    *,
    file_name: str | None = None,
    is_demo: bool = False,
    shape: str | None = None,
    source: str | None = None,
) -> ImportResult:
    """Store a saved API response as the newest snapshot, or raise RefusedFile and store nothing."""
    if not is_demo:
        auth.require_editor("import epics")
    actor = actor or auth.actor()
    path = Path(path)
    file_name = file_name or path.name
    settings = store.load_settings(con)
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        raise RefusedFile(
            file_name, f"the file is {size / 1024**2:,.1f} MB, over the {settings.max_upload_mb} MB limit"
        )
    parsed = parse_epics(path.read_bytes(), file_name)
    digest = store.sha256_of(path)
    archive = store.archive_original(con, path, digest, "json")
    return write_snapshot(
        con,
        parsed,
        actor,
        source=source or file_name,
        shape=shape or parsed.shape,
        digest=digest,
        archive=str(archive),
        is_demo=is_demo,
    )


def write_snapshot(
    con,
    parsed: ParsedFile,
    actor: str,
    *,
    source: str,
    shape: str,
    digest: str | None,
    archive: str | None,
    is_demo: bool,
) -> ImportResult:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    snapshot_id = con.execute("SELECT nextval('epic_snapshot_ids')").fetchone()[0]
    action = "epics demo" if is_demo else "epics import"
    detail = {"snapshot_id": snapshot_id, "epics": len(parsed.epics), "shape": shape, "ignored": parsed.ignored}
    with audited(con, actor, action, source, detail):
        demo_snapshots = con.execute("SELECT count(*) FROM epic_snapshots WHERE is_demo").fetchone()[0]
        replaced_demo = bool(demo_snapshots) and not is_demo
        if replaced_demo:
            con.execute("DELETE FROM epics WHERE snapshot_id IN (SELECT id FROM epic_snapshots WHERE is_demo)")
            con.execute("DELETE FROM epic_snapshots WHERE is_demo")
        con.execute("UPDATE epic_snapshots SET status = ? WHERE status = ?", [REPLACED, ACTIVE])
        con.execute(
            "INSERT INTO epic_snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [snapshot_id, source, shape, digest, archive, len(parsed.epics), json.dumps(parsed.ignored), now, actor]
            + [ACTIVE, is_demo],
        )
        rows = [
            (snapshot_id, e.group_path, e.iid, e.title, e.state, e.web_url, json.dumps(list(e.labels)))
            + (e.parent_group_path, e.parent_iid, e.author, e.start_date, e.due_date)
            + (e.created_at, e.updated_at, e.closed_at)
            for e in parsed.epics
        ]
        insert_rows(con, rows)
    return ImportResult(snapshot_id, len(parsed.epics), shape, parsed.ignored, parsed.warnings, replaced_demo)


EPIC_COLUMNS = (
    "snapshot_id",
    "group_path",
    "iid",
    "title",
    "state",
    "web_url",
    "labels",
    "parent_group_path",
    "parent_iid",
    "author",
    "start_date",
    "due_date",
    "created_at",
    "updated_at",
    "closed_at",
)


def insert_rows(con, rows: list[tuple]) -> None:
    """All epics in one statement from a data frame: DuckDB binds each executemany row on its own (3,000
    epics took 11 s that way, a fraction of a second this way)."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(EPIC_COLUMNS)).astype(object)
    con.register("epics_batch", frame)
    try:
        con.execute(
            """INSERT INTO epics SELECT snapshot_id::BIGINT, group_path::VARCHAR, iid::BIGINT, title::VARCHAR,
                   state::VARCHAR, web_url::VARCHAR, labels::VARCHAR, parent_group_path::VARCHAR,
                   parent_iid::BIGINT, author::VARCHAR, start_date::DATE, due_date::DATE,
                   created_at::TIMESTAMP, updated_at::TIMESTAMP, closed_at::TIMESTAMP
               FROM epics_batch"""
        )
    finally:
        con.unregister("epics_batch")


def restore_snapshot(con, snapshot_id: int, actor: str | None = None) -> None:
    """Show an earlier snapshot again (the one shown until now becomes 'replaced', restorable in turn)."""
    auth.require_editor("restore epics")
    actor = actor or auth.actor()
    found = con.execute("SELECT source, status FROM epic_snapshots WHERE id = ?", [snapshot_id]).fetchone()
    if found is None:
        raise LookupError(f"there is no epics snapshot {snapshot_id}")
    if found[1] == ACTIVE:
        return
    with audited(con, actor, "epics restore", found[0], {"snapshot_id": snapshot_id}):
        con.execute("UPDATE epic_snapshots SET status = ? WHERE status = ?", [REPLACED, ACTIVE])
        con.execute("UPDATE epic_snapshots SET status = ? WHERE id = ?", [ACTIVE, snapshot_id])


def remove_demo_epics(con, actor: str | None = None) -> None:
    """Take the demo epics out (the page then waits for a real import)."""
    auth.require_editor("remove the demo epics")
    actor = actor or auth.actor()
    with audited(con, actor, "epics demo removed", "demo epics"):
        con.execute("DELETE FROM epics WHERE snapshot_id IN (SELECT id FROM epic_snapshots WHERE is_demo)")
        con.execute("DELETE FROM epic_snapshots WHERE is_demo")


def snapshots(con) -> list[dict]:
    """Every snapshot, newest first."""
    cursor = con.execute(
        """SELECT id, source, shape, epic_count, imported_at, imported_by, status, is_demo
           FROM epic_snapshots ORDER BY imported_at DESC, id DESC"""
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def active_snapshot(con) -> dict | None:
    return next((s for s in snapshots(con) if s["status"] == ACTIVE), None)


def stored_epics(con, snapshot_id: int) -> list[Epic]:
    rows = con.execute(
        """SELECT group_path, iid, title, state, web_url, labels, parent_group_path, parent_iid, author,
                  start_date, due_date, created_at, updated_at, closed_at
           FROM epics WHERE snapshot_id = ? ORDER BY group_path, iid""",
        [snapshot_id],
    ).fetchall()
    return [
        Epic(g, iid, t, s, url, tuple(json.loads(labels or "[]")), pg, piid, a, sd, dd, ca, ua, cl)
        for g, iid, t, s, url, labels, pg, piid, a, sd, dd, ca, ua, cl in rows
    ]


# ---------------------------------------------------------------------------------------
# Master epics, DRIs and flags


def name_key(name: str) -> str:
    """Case-, accent- and spacing-insensitive form of a name: 'JOSÉ  Núñez' and 'jose nunez' agree."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def last_parentheses(title: str) -> tuple[str, int] | None:
    """The text inside the last top-level balanced parentheses, and where they open; None without any."""
    depth, opened, found = 0, 0, None
    for position, char in enumerate(title):
        if char == "(":
            if depth == 0:
                opened = position
            depth += 1
        elif char == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                found = (title[opened + 1 : position], opened)
    return found


def dri_text(inside: str) -> str:
    """The name in a DRI's parentheses: nested parentheses and a leading 'DRI:' or '@' left out."""
    previous = None
    while previous != inside:
        previous, inside = inside, re.sub(r"\([^()]*\)", " ", inside)
    inside = re.sub(r"^\s*(?:DRI\s*[:\-]?\s*)", "", inside, flags=re.IGNORECASE).strip().lstrip("@")
    return " ".join(inside.split())


def master_pattern(settings: Settings) -> re.Pattern:
    try:
        return re.compile(settings.epic_master_pattern, re.IGNORECASE)
    except re.error as error:
        raise ValueError(
            f"the setting epic_master_pattern '{settings.epic_master_pattern}' is not a valid pattern: {error}"
        ) from None


@dataclass(frozen=True)
class TitleParts:
    area: str
    dri: str | None  # as written in the title


def split_title(title: str, match: re.Match) -> TitleParts:
    """'area: Hiring and onboarding (Priya Nair)' → area 'Hiring and onboarding', DRI 'Priya Nair'."""
    found = last_parentheses(title)
    rest_start = match.end()
    if found is None or found[1] < rest_start:
        return TitleParts(title[rest_start:].strip(" -–—:|") or title, None)
    inside, opened = found
    area = title[rest_start:opened].strip(" -–—:|") or title[:opened].strip() or title
    return TitleParts(area, dri_text(inside) or None)


@dataclass
class Link:
    kind: str  # "Key result" or "Workgroup action"
    item: str
    owner: str
    url: str  # where it lives in this app: the OKRs page at its quarter, or the workgroup's actions


@dataclass
class MasterEpic:
    epic: Epic
    area: str
    dri_written: str | None
    dri: str | None  # the roster's spelling when on the roster
    region: str | None
    children_open: int
    children_closed: int
    last_update: dt.date | None
    days_since_update: int | None
    flags: list[str]
    links: list[Link]

    @property
    def on_roster(self) -> bool:
        return self.dri is not None


def child_map(epics: list[Epic]) -> dict[tuple[str, int], list[Epic]]:
    children = defaultdict(list)
    for epic in epics:
        if epic.parent_key is not None:
            children[epic.parent_key].append(epic)
    return children


def master_epics(
    epics: list[Epic],
    roster: dict[str, str],
    settings: Settings,
    today: dt.date,
    links: dict[tuple[str, int], list[Link]] | None = None,
) -> list[MasterEpic]:
    """Every master epic with its area, DRI, child counts and flags, ordered by area.

    ``roster`` maps each manager's name to their region; ``links`` the key results and
    workgroup actions naming an epic (a master epic shows its own and its children's).
    """
    pattern = master_pattern(settings)
    by_name = {name_key(name): name for name in roster}
    children = child_map(epics)
    links = links or {}
    found = []
    for epic in epics:
        match = pattern.search(epic.title)
        if not match:
            continue
        parts = split_title(epic.title, match)
        dri = by_name.get(name_key(parts.dri)) if parts.dri else None
        kids = children.get(epic.key, [])
        updates = [e.updated_at for e in (epic, *kids) if e.updated_at is not None]
        last = max(updates).date() if updates else None
        days = (today - last).days if last else None
        flags = []
        if parts.dri is None:
            flags.append(NO_DRI)
        elif dri is None:
            flags.append(NOT_ON_ROSTER)
        if epic.state == "open":
            if epic.due_date is not None and epic.due_date < today:
                flags.append(OVERDUE)
            if days is None or days >= settings.epic_stale_after_days:
                flags.append(STALE)
        named = list(links.get(epic.key, []))
        for kid in kids:
            named += links.get(kid.key, [])
        found.append(
            MasterEpic(
                epic,
                parts.area,
                parts.dri,
                dri,
                roster.get(dri) if dri else None,
                sum(k.state == "open" for k in kids),
                sum(k.state == "closed" for k in kids),
                last,
                days,
                flags,
                named,
            )
        )
    found.sort(key=lambda m: (m.epic.state != "open", m.area.casefold(), m.epic.iid))
    return found


def flag_text(flags: list[str], master: MasterEpic | None = None) -> str:
    parts = []
    for flag in flags:
        text = f"{FLAG_SYMBOLS[flag]} {flag}"
        if master is not None and flag == NOT_ON_ROSTER:
            text += f" ({master.dri_written})"
        if master is not None and flag == STALE and master.days_since_update is not None:
            text += f" ({master.days_since_update} days)"
        if master is not None and flag == OVERDUE:
            text += f" (due {master.epic.due_date.isoformat()})"
        parts.append(text)
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------
# Links from key results and workgroup actions


def references_in(text: str, default_group: str | None) -> set[tuple[str, int]]:
    """Epics a piece of text names, by URL ('…/groups/g/-/epics/12') or reference ('g&12', '&12')."""
    found = set()
    text = text or ""
    for match in URL_PATTERN.finditer(text):
        found.add((match.group("group"), int(match.group("iid"))))
    without_urls = URL_PATTERN.sub(" ", text)
    for match in REFERENCE_PATTERN.finditer(without_urls):
        group = match.group("group")
        if group is None and default_group is None:
            continue
        found.add((group or default_group, int(match.group("iid"))))
    return found


def epic_links(con, epics: list[Epic]) -> dict[tuple[str, int], list[Link]]:
    """Key results and workgroup actions whose text names an epic of the snapshot.

    A bare '&12' means the group most of the snapshot's epics belong to.
    """
    known = {e.key for e in epics}
    groups = Counter(e.group_path for e in epics)
    default_group = groups.most_common(1)[0][0] if groups else None
    links: dict[tuple[str, int], list[Link]] = defaultdict(list)
    key_results = con.execute(
        """SELECT k.id, k.title, k.owner, o.quarter FROM okr_key_results k
           JOIN okr_objectives o ON o.id = k.objective_id ORDER BY k.id"""
    ).fetchall()
    for kr_id, title, owner, quarter in key_results:
        for key in references_in(title, default_group) & known:
            links[key].append(Link("Key result", f"{kr_id}: {title}", owner, f"./OKRs?quarter={quarter}"))
    actions = con.execute(
        """SELECT a.workgroup_id, a.change, a.owner, w.title FROM workgroup_actions a
           JOIN workgroups w ON w.id = a.workgroup_id
           WHERE a.deleted_at IS NULL AND w.deleted_at IS NULL ORDER BY a.id"""
    ).fetchall()
    for workgroup_id, change, owner, workgroup_title in actions:
        for key in references_in(change, default_group) & known:
            links[key].append(
                Link(
                    "Workgroup action",
                    f"Workgroup #{workgroup_id} ({workgroup_title}): {change}",
                    owner or "",
                    f"./Workgroups?wg={workgroup_id}&tab=Actions",
                )
            )
    return dict(links)


# ---------------------------------------------------------------------------------------
# Who is working on what


@dataclass
class ManagerWork:
    name: str
    region: str
    kpis: str  # 1. KPIs: sustained breaches in their region or segment
    workgroups: list[str]
    okrs: list[str]  # 3. manager objectives this quarter
    okr_note: str  # e.g. exempt as a new manager
    epics: list[str]  # open master epics they are DRI of
    load: int = 0
    stands_out: str = ""


def work_load(epics: int, okrs: int, workgroups: int) -> int:
    return epics + okrs + workgroups


def mark_outliers(rows: list[ManagerWork]) -> float:
    """Set ``stands_out`` on each row; returns the median load it was judged against."""
    if not rows:
        return 0.0
    median = statistics.median(r.load for r in rows)
    for row in rows:
        if row.load == 0:
            row.stands_out = NO_VISIBLE_WORK
        elif row.load >= FAR_MORE_FACTOR * median and row.load - median >= FAR_MORE_MARGIN:
            row.stands_out = FAR_MORE
    return median


def open_workgroups_by_person(con) -> dict[str, list[str]]:
    """Open workgroups each person sits on (member or facilitator), by name key."""
    rows = con.execute(
        """SELECT w.id, w.title, m.name FROM workgroups w JOIN workgroup_members m ON m.workgroup_id = w.id
           WHERE w.status = 'open' AND w.deleted_at IS NULL AND m.deleted_at IS NULL
           UNION
           SELECT id, title, facilitator FROM workgroups
           WHERE status = 'open' AND deleted_at IS NULL AND coalesce(facilitator, '') <> ''
           ORDER BY 1"""
    ).fetchall()
    found: dict[str, list[str]] = defaultdict(list)
    for workgroup_id, title, name in rows:
        label = f"#{workgroup_id} {title}"
        if label not in found[name_key(name)]:
            found[name_key(name)].append(label)
    return found


def who_works_on_what(con, masters: list[MasterEpic], quarter_view) -> tuple[list[ManagerWork], float]:
    """One row per manager on the roster of ``quarter_view`` (lib.okrs.QuarterView), priority order kept."""
    workgroups = open_workgroups_by_person(con)
    rows = []
    for manager in quarter_view.managers:
        led = [m.area for m in masters if m.dri == manager.name and m.epic.state == "open"]
        objectives = [o.title for o in manager.objectives]
        note = ""
        if not objectives and manager.exemption.exempt:
            note = f"new manager: OKR expected from {manager.exemption.expected_from.label}"
        sits_on = workgroups.get(name_key(manager.name), [])
        row = ManagerWork(
            manager.name,
            manager.region,
            "; ".join(b.short for b in manager.kpi_breaches) or "No sustained breach",
            sits_on,
            objectives,
            note,
            led,
        )
        row.load = work_load(len(led), len(objectives), len(sits_on))
        rows.append(row)
    median = mark_outliers(rows)
    rows.sort(key=lambda r: (r.stands_out == "", r.region, r.name))
    return rows, median


# ---------------------------------------------------------------------------------------
# Tables for the page, and the command line's JSON


MASTER_COLUMNS = (
    "Area",
    "DRI",
    "Flags",
    "Epic",
    "State",
    "Child epics",
    "Due",
    "Last update",
    "Start",
    "Region",
    "Named in",
)
WORK_COLUMNS = (
    "Manager",
    "Stands out",
    "Region",
    "1. KPIs now",
    "Workgroups",
    "2. Team growth",
    "3. OKRs this quarter",
    "Master epics (DRI)",
    "Items",
)


def masters_frame(masters: list[MasterEpic]) -> pd.DataFrame:
    """Flags and the link come right after the DRI, so they stay in view on a shared screen."""
    import pandas as pd

    rows = [
        (
            m.area,
            m.dri or (m.dri_written or "—"),
            flag_text(m.flags, m) or "—",
            m.epic.web_url or m.epic.reference,
            m.epic.state,
            f"{m.children_open} open · {m.children_closed} closed",
            m.epic.due_date,
            m.last_update,
            m.epic.start_date,
            m.region or "",
            "; ".join(link.item for link in m.links),
        )
        for m in masters
    ]
    return pd.DataFrame(rows, columns=list(MASTER_COLUMNS))


def work_frame(rows: list[ManagerWork]) -> pd.DataFrame:
    import pandas as pd

    cells = [
        (
            r.name,
            ("▲ " + r.stands_out) if r.stands_out else "",
            r.region,
            r.kpis,
            "; ".join(r.workgroups) or "—",
            "Hiring, development",
            "; ".join(r.okrs) or (r.okr_note or "No OKR"),
            "; ".join(r.epics) or "—",
            r.load,
        )
        for r in rows
    ]
    return pd.DataFrame(cells, columns=list(WORK_COLUMNS))


def links_frame(masters: list[MasterEpic]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "Epic": f"{m.area} ({m.epic.reference})",
                "Named by": link.kind,
                "Item": link.item,
                "Owner": link.owner,
                "Open": link.url,
            }
            for m in masters
            for link in m.links
        ],
        columns=["Epic", "Named by", "Item", "Owner", "Open"],
    )


def roster(con) -> dict[str, str]:
    """The OKR page's manager roster: name → region."""
    return dict(con.execute("SELECT name, region FROM okr_managers ORDER BY name").fetchall())


@dataclass
class EpicsView:
    snapshot: dict | None
    masters: list[MasterEpic]
    epic_count: int


def epics_view(con, settings: Settings, today: dt.date) -> EpicsView:
    snapshot = active_snapshot(con)
    if snapshot is None:
        return EpicsView(None, [], 0)
    epics = stored_epics(con, snapshot["id"])
    masters = master_epics(epics, roster(con), settings, today, epic_links(con, epics))
    return EpicsView(snapshot, masters, len(epics))


def report(view: EpicsView) -> dict:
    """What ``python -m lib epics --json`` prints: each master epic with its DRI, state, dates and flags."""
    snapshot = view.snapshot
    return {
        "snapshot": None
        if snapshot is None
        else {
            "id": snapshot["id"],
            "source": snapshot["source"],
            "imported_at": str(snapshot["imported_at"]),
            "imported_by": snapshot["imported_by"],
            "is_demo": snapshot["is_demo"],
            "epics": view.epic_count,
        },
        "master_epics": [
            {
                "reference": m.epic.reference,
                "title": m.epic.title,
                "area": m.area,
                "dri": m.dri or m.dri_written,
                "dri_on_roster": m.on_roster,
                "region": m.region,
                "state": m.epic.state,
                "start_date": str(m.epic.start_date) if m.epic.start_date else None,
                "due_date": str(m.epic.due_date) if m.epic.due_date else None,
                "last_update": str(m.last_update) if m.last_update else None,
                "children_open": m.children_open,
                "children_closed": m.children_closed,
                "flags": m.flags,
                "web_url": m.epic.web_url,
                "named_in": [link.item for link in m.links],
            }
            for m in view.masters
        ],
    }


# ---------------------------------------------------------------------------------------
# Demo epics: consistent with the demo roster in lib.okrs, written as the REST API would return them

DEMO_GROUP = "gitlab-com/support"
DEMO_GROUP_ID = 2573
DEMO_URL = "https://gitlab.com/groups/gitlab-com/support/-/epics"
# iid, title, state, days since last update, due in days (None: no due date), parent iid
DEMO_EPICS = (
    (1, "area: GitLab SM first replies (Alex Rivera)", "opened", 3, 60, None),
    (2, "area: Ticket routing and triage (alex rivera)", "opened", 5, 45, None),
    (3, "area: Support tooling (Zendesk (Explore) dashboards) (Alex Rivera)", "opened", 9, -10, None),
    (4, "area: Self-managed upgrade playbooks (Alex Rivera)", "opened", 12, 90, None),
    (5, "area: Hiring and onboarding (Priya Nair)", "opened", 2, 75, None),
    (6, "area: Manager onboarding (Sam Carter)", "opened", 6, 30, None),
    (7, "area: L&R licensing workflows (Chioma Okafor)", "opened", 4, 50, None),
    (8, "area: EMEA on-call and weekend coverage (Lukas Becker)", "opened", 45, 20, None),
    (9, "area: Engineer growth plans (Sofía Rossi)", "opened", 8, 100, None),
    (10, "area: Knowledge base and docs", "opened", 15, None, None),
    (11, "area: Customer emergencies runbook (Dana Whitfield)", "opened", 20, 40, None),
    (12, "area: FY27-Q2 support readiness (Jordan Lee)", "closed", 120, -130, None),
    (21, "SM first-reply rota for AMER mornings", "opened", 3, 20, 1),
    (22, "SM ticket backlog review", "closed", 30, -20, 1),
    (23, "Routing rules for SM and SaaS forms", "opened", 5, 25, 2),
    (24, "Explore SLA dashboard for managers", "closed", 40, -30, 3),
    (25, "Interview loop for APAC hires", "opened", 2, 40, 5),
    (26, "Onboarding buddy programme", "opened", 10, 60, 5),
    (27, "Onboarding checklist for new hires", "closed", 50, -40, 5),
    (28, "License key renewals runbook", "opened", 4, 30, 7),
    (29, "Weekend rota tooling", "opened", 45, 10, 8),
)


def demo_epics_json(today: dt.date) -> list[dict]:
    """The demo epics in the shape of GET /groups/:id/epics (REST), dated relative to ``today``."""
    noon = dt.datetime.combine(today, dt.time(12, 0))
    items = []
    for iid, title, state, days_since_update, due_in, parent_iid in DEMO_EPICS:
        updated = noon - dt.timedelta(days=days_since_update)
        created = min(updated, noon - dt.timedelta(days=200 - iid))
        items.append(
            {
                "id": DEMO_GROUP_ID * 1000 + iid,
                "iid": iid,
                "group_id": DEMO_GROUP_ID,
                "parent_id": None if parent_iid is None else DEMO_GROUP_ID * 1000 + parent_iid,
                "parent_iid": parent_iid,
                "title": title,
                "state": state,
                "web_url": f"{DEMO_URL}/{iid}",
                "references": {"short": f"&{iid}", "full": f"{DEMO_GROUP}&{iid}"},
                "author": {"name": "Morgan Hayes", "username": "mhayes"},
                "labels": ["Support Team", "demo"],
                "start_date": (created.date()).isoformat(),
                "due_date": None if due_in is None else (today + dt.timedelta(days=due_in)).isoformat(),
                "created_at": created.isoformat() + "Z",
                "updated_at": updated.isoformat() + "Z",
                "closed_at": updated.isoformat() + "Z" if state == "closed" else None,
            }
        )
    return items


def load_demo_epics(con, today: dt.date, actor: str = "demo generator") -> bool:
    """Seed the demo epics as a demo snapshot; nothing if any epics snapshot exists."""
    if con.execute("SELECT count(*) FROM epic_snapshots").fetchone()[0]:
        return False
    import tempfile

    with tempfile.TemporaryDirectory(prefix="floorline-demo-epics-") as folder:
        path = Path(folder) / "demo-epics.json"
        path.write_text(json.dumps(demo_epics_json(today), indent=1), encoding="utf-8")
        import_epics_file(con, path, actor, is_demo=True, source="demo epics")
    return True
