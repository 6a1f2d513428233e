"""Reading a saved GitLab API response (epics REST, Work Items GraphQL or REST) into epics.

Liberal in the shapes it accepts (one page or several, REST or GraphQL), strict in the values:
every field must have the type GitLab sends, ids must fit the store's BIGINT column, dates must be
ISO dates, links must be http(s), and a file that shows it is incomplete (an error reply among the
pages, GraphQL errors, a next page not saved) is refused. The limits are in DECISIONS.md §21.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from urllib.parse import urlsplit

from lib.core.errors import RefusedFile
from lib.epics.model import (
    EXPECTED_FILE,
    GRAPHQL_SHAPE,
    OUTSIDE_FILE,
    REFERENCE_PATTERN,
    REST_SHAPE,
    URL_PATTERN,
    WORK_ITEMS_REST_SHAPE,
    Epic,
    ParsedFile,
)

MAX_FILE_MB = 32  # about 12,000 full REST epics; a support group holds hundreds
MAX_ITEMS = 25_000  # epics and other work items, across all pages (a 20,000-epic parent ring still reads)
MAX_NESTING = 32  # levels from a page down to an item (GraphQL needs about 6)
MAX_ID = 2**63 - 1  # the store's BIGINT column
MAX_TEXT = 1_000  # characters in a title, label, author or group (GitLab allows 255 in a title)
MAX_URL = 2_048
FIRST_YEAR, LAST_YEAR = 1990, 2100
SHOWN = 60  # characters of a refused value quoted in the message

DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIME_PATTERN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
ID_PATTERN = re.compile(r"[0-9]{1,19}")
SURROGATE = re.compile(r"[\ud800-\udfff]")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Keys followed from a page down to its items: REST pages are lists, GraphQL nests connections.
WALKED_KEYS = ("data", "group", "namespace", "project", "workItems", "epics", "nodes", "items", "work_items")


def shown(value) -> str:
    """A value as a refusal quotes it: short, one line, and printable whatever the file held."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)  # an integer from JSON has at most 4,300 digits (json_values refuses longer ones)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    text = text if len(text) <= SHOWN else text[:SHOWN] + "…"
    return f"'{text}'" if isinstance(value, str) else text


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
        except RecursionError:
            raise RefusedFile(
                file_name, "its JSON is nested too deep to be a GitLab reply", expected=EXPECTED_FILE
            ) from None
        except ValueError:  # Python refuses to convert an integer of more than 4,300 digits
            raise RefusedFile(file_name, "it holds a number thousands of digits long", expected=EXPECTED_FILE) from None
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


class Collected:
    """What walking the file's JSON values finds: the items, their shapes, and the pages' pageInfo."""

    def __init__(self, file_name: str):
        self.file_name = file_name
        self.items: list[dict] = []
        self.shapes: Counter = Counter()
        self.more_pages: list[bool] = []  # pageInfo.hasNextPage of each GraphQL page

    def refuse(self, reason: str):
        raise RefusedFile(self.file_name, reason, expected=EXPECTED_FILE)

    def walk(self, value, where: str, depth: int = 0) -> None:
        """Walk pages, lists of pages, GraphQL responses and their connections down to the items."""
        if depth > MAX_NESTING:
            self.refuse(f"{where} nests pages more than {MAX_NESTING} levels deep")
        if isinstance(value, list):
            for element in value:
                self.walk(element, where, depth + 1)
        elif looks_like_item(value):
            if len(self.items) >= MAX_ITEMS:
                self.refuse(f"it holds more than {MAX_ITEMS:,} items; at most {MAX_ITEMS:,} are read")
            if "widgets" in value or "workItemType" in value or "webUrl" in value:
                self.shapes[GRAPHQL_SHAPE] += 1
            elif "features" in value or "work_item_type" in value:
                self.shapes[WORK_ITEMS_REST_SHAPE] += 1
            else:
                self.shapes[REST_SHAPE] += 1
            self.items.append(value)
        elif isinstance(value, dict):
            self.walk_page(value, where, depth)

    def walk_page(self, page: dict, where: str, depth: int) -> None:
        if page.get("errors"):
            said = graphql_errors(page["errors"])
            if page.get("data") is not None:
                self.refuse(
                    f"{where} is a GraphQL reply that reports errors beside its data, so epics may be missing: {said}"
                )
            self.refuse(f"{where} is a GraphQL error response: {said}")
        walked = [key for key in WALKED_KEYS if page.get(key) is not None]
        if not walked and "edges" not in page and ("message" in page or "error" in page):
            said = shown(page.get("message") or page.get("error"))
            if depth == 0 and where == "it":
                self.refuse(f"it is GitLab's error reply, not epics: {said}")
            self.refuse(f"{where} holds GitLab's error reply among its pages, so epics are missing: {said}")
        page_info = page.get("pageInfo")
        if isinstance(page_info, dict) and "hasNextPage" in page_info:
            self.more_pages.append(page_info["hasNextPage"] is not False)
        for key in walked:
            self.walk(page[key], where, depth + 1)
        edges = page.get("edges")
        if edges is not None:
            if not isinstance(edges, list):
                self.refuse(f"{where} has 'edges' that are {shown(edges)}, not a list")
            self.walk([edge.get("node") for edge in edges if isinstance(edge, dict)], where, depth + 1)


def graphql_errors(errors) -> str:
    """The messages of a GraphQL ``errors`` list, quoted briefly."""
    if not isinstance(errors, list):
        return shown(errors)
    messages = [shown(e.get("message")) if isinstance(e, dict) else shown(e) for e in errors[:3]]
    return "; ".join(messages) + (f" (and {len(errors) - 3} more)" if len(errors) > 3 else "")


def pick(item: dict, *names):
    """The first of several spellings present (REST snake_case, GraphQL camelCase)."""
    for name in names:
        if name in item and item[name] is not None:
            return item[name]
    return None


class ItemReader:
    """One item's fields, each of the type GitLab sends, or a refusal naming the file, the item and the field."""

    def __init__(self, file_name: str, number: int):
        self.file_name = file_name
        self.where = f"item {number}"

    def refuse(self, field: str, reason: str, expected: str | None = None):
        raise RefusedFile(self.file_name, reason, column=f"{self.where} {field}", expected=expected)

    def text(self, value, field: str, *, limit: int = MAX_TEXT) -> str:
        if not isinstance(value, str):
            self.refuse(field, f"{shown(value)} is not text", "a JSON string")
        if SURROGATE.search(value):
            self.refuse(
                field, f"{shown(value)} holds a lone UTF-16 surrogate, which is no character", "valid Unicode text"
            )
        if len(value) > limit:
            self.refuse(field, f"the text is {len(value):,} characters long", f"at most {limit:,}")
        return value

    def identifier(self, value, field: str) -> int:
        """An iid: a whole number from 1 to the store's limit, as a JSON number or (GraphQL) a string of digits."""
        expected = f"a whole number from 1 to {MAX_ID}"
        if isinstance(value, str) and ID_PATTERN.fullmatch(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.refuse(field, f"{shown(value)} is not an epic number", expected)
        if not 1 <= value <= MAX_ID:
            self.refuse(field, f"{shown(value)} is outside the numbers an epic can have", expected)
        return value

    def global_id(self, value, field: str) -> int | str:
        """GitLab's global id: a number (REST) or a 'gid://…' string (GraphQL)."""
        if isinstance(value, str):
            return self.text(value, field, limit=200)
        return self.identifier(value, field)

    def web_url(self, value, field: str) -> str:
        url = self.text(value, field, limit=MAX_URL)
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or CONTROL.search(url):
            self.refuse(field, f"{shown(url)} is not a web address", "an http or https address of the epic")
        return url

    def group_of_url(self, value, field: str) -> tuple[str, int] | None:
        match = URL_PATTERN.search(self.web_url(value, field))
        return (match.group("group"), self.identifier(match.group("iid"), field)) if match else None

    def year_in_range(self, day: dt.date, value, field: str) -> None:
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.refuse(field, f"{shown(value)} is outside {FIRST_YEAR}–{LAST_YEAR}", "a date in that range")

    def day(self, value, field: str) -> dt.date | None:
        """A date as GitLab writes one (2026-11-30), or the date of a full ISO time."""
        if value is None or value == "":
            return None
        text = value if isinstance(value, str) else ""
        try:
            if DATE_PATTERN.fullmatch(text):
                day = dt.date.fromisoformat(text)
            elif TIME_PATTERN.fullmatch(text):
                day = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
            else:
                raise ValueError
        except ValueError:
            self.refuse(field, f"{shown(value)} is not a date", "2026-11-30")
        self.year_in_range(day, value, field)
        return day

    def moment(self, value, field: str) -> dt.datetime | None:
        """A time as GitLab writes one (2026-11-30T09:15:00.000Z), kept in UTC without a zone."""
        if value is None or value == "":
            return None
        try:
            if not isinstance(value, str) or not TIME_PATTERN.fullmatch(value):
                raise ValueError
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.refuse(field, f"{shown(value)} is not a time", "2026-11-30T09:15:00Z")
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        self.year_in_range(moment, value, field)
        return moment

    def labels(self, value) -> tuple[str, ...]:
        """A list of label names, or of label objects (REST with details, GraphQL nodes)."""
        if isinstance(value, dict):
            value = pick(value, "nodes", "labels") or []
        if value is None:
            return ()
        if not isinstance(value, list):
            self.refuse("labels", f"{shown(value)} is not a list of labels", '["Support Team", "Hiring"]')
        names = []
        for label in value:
            name = pick(label, "title", "name") if isinstance(label, dict) else label
            names.append(self.text(name, "labels"))
        return tuple(names)

    def author(self, value) -> str | None:
        if isinstance(value, dict):
            value = pick(value, "name", "username")
        return None if value is None else self.text(value, "author")

    def kind(self, item: dict) -> str | None:
        kind = pick(item, "workItemType", "work_item_type", "type")
        if isinstance(kind, dict):
            kind = kind.get("name")
        return None if kind is None else self.text(kind, "type")

    def widgets(self, item: dict) -> dict:
        """A work item's widgets (GraphQL) or features (REST) flattened into one dict of fields."""
        widgets = item.get("widgets") or []
        if isinstance(widgets, dict):
            widgets = list(widgets.values())
        if not isinstance(widgets, list):
            self.refuse("widgets", f"{shown(widgets)} is not a list of widgets")
        features = item.get("features")
        if isinstance(features, dict):
            widgets = [*widgets, *(v for v in features.values() if isinstance(v, dict))]
        values: dict = {}
        for widget in widgets:
            if isinstance(widget, dict):
                for key, value in widget.items():
                    if key not in ("type", "__typename") and value is not None:
                        values.setdefault(key, value)
        return values


def epic_from_item(item: dict, reader: ItemReader, ids: dict) -> Epic:
    """One epic from one item of any shape."""
    iid = reader.identifier(pick(item, "iid"), "iid")
    where = f"(iid {iid})"
    title = pick(item, "title")
    if title is None or (isinstance(title, str) and not title.strip()):
        reader.refuse(f"{where} title", "the epic has no title", "the epic's title")
    title = reader.text(title, f"{where} title").strip()
    widgets = reader.widgets(item)
    web_url = pick(item, "web_url", "webUrl")
    from_url = None if web_url is None else reader.group_of_url(web_url, f"{where} web_url")
    references = item.get("references") if isinstance(item.get("references"), dict) else {}
    written = pick(references, "full") or pick(item, "reference") or ""
    reference = REFERENCE_PATTERN.fullmatch(reader.text(written, f"{where} references"))
    from_reference = reference.group("group") if reference else None
    group_path = from_url[0] if from_url else (from_reference or "")
    state_text = reader.text(pick(item, "state") or "", f"{where} state").lower()
    closed_at = reader.moment(pick(item, "closed_at", "closedAt"), "closed_at")
    if state_text in ("opened", "open"):
        state = "open"
    elif state_text in ("closed", "close"):
        state = "closed"
    elif state_text == "":
        state = "closed" if closed_at else "open"
    else:
        reader.refuse(f"{where} state", f"{shown(state_text)} is not an epic state", "opened or closed")
    parent_group, parent_iid = parent_of(item, widgets, reader, ids, group_path)
    return Epic(
        group_path=group_path,
        iid=iid,
        title=title,
        state=state,
        web_url=web_url,
        labels=reader.labels(pick(item, "labels") or pick(widgets, "labels")),
        parent_group_path=parent_group,
        parent_iid=parent_iid,
        author=reader.author(pick(item, "author")),
        start_date=reader.day(
            pick(item, "start_date", "startDate") or pick(widgets, "startDate", "start_date"), "start_date"
        ),
        due_date=reader.day(
            pick(item, "due_date", "dueDate", "end_date") or pick(widgets, "dueDate", "due_date"), "due_date"
        ),
        created_at=reader.moment(pick(item, "created_at", "createdAt"), "created_at"),
        updated_at=reader.moment(pick(item, "updated_at", "updatedAt"), "updated_at"),
        closed_at=closed_at,
    )


def parent_of(
    item: dict, widgets: dict, reader: ItemReader, ids: dict, group_path: str
) -> tuple[str | None, int | None]:
    """The parent epic's (group, iid): GraphQL names it in a widget, REST by global id or iid."""
    parent = pick(widgets, "parent") or pick(item, "parent")
    if parent is not None:
        if not isinstance(parent, dict):
            reader.refuse("parent", f"{shown(parent)} is not a parent epic", "an object with the parent's iid")
        url = pick(parent, "webUrl", "web_url")
        located = None if url is None else reader.group_of_url(url, "parent webUrl")
        if located:
            return located
        if pick(parent, "iid") is not None:
            return group_path, reader.identifier(parent["iid"], "parent iid")
        return None, None
    if pick(item, "parent_id") is not None:
        # REST names the parent by its global id; one outside the file (another group) matches none of its epics.
        parent_id = reader.global_id(item["parent_id"], "parent_id")
        outside_iid = pick(item, "parent_iid")
        outside = (OUTSIDE_FILE, None if outside_iid is None else reader.identifier(outside_iid, "parent_iid"))
        return ids.get(parent_id, outside)
    if pick(item, "parent_iid") is not None:
        return group_path, reader.identifier(pick(item, "parent_iid"), "parent_iid")
    return None, None


def global_ids(items: list, file_name: str) -> dict:
    """Each global id's (group, iid), so REST parent_ids can be resolved; one id given to two epics is refused."""
    ids: dict = {}
    numbers: dict = {}
    for number, item in enumerate(items, start=1):
        if pick(item, "id") is None or pick(item, "iid") is None:
            continue
        reader = ItemReader(file_name, number)
        global_id = reader.global_id(item["id"], "id")
        iid = reader.identifier(item["iid"], "iid")
        url = pick(item, "web_url", "webUrl")
        located = None if url is None else reader.group_of_url(url, f"(iid {iid}) web_url")
        key = (located[0] if located else "", iid)
        if global_id in ids and ids[global_id] != key:
            reader.refuse(
                "id",
                f"id {shown(global_id)} is also the id of item {numbers[global_id]} (iid {ids[global_id][1]}), "
                "so the children that name it have no single parent",
                "each id once",
            )
        ids[global_id], numbers[global_id] = key, number
    return ids


def check_size(size: int, file_name: str) -> None:
    """Refuse a file over the epics size limit before reading it."""
    if size > MAX_FILE_MB * 1024 * 1024:
        raise RefusedFile(
            file_name,
            f"the file is {size / 1024**2:,.1f} MB, over the {MAX_FILE_MB} MB an epics file may have",
            expected=f"at most {MAX_ITEMS:,} epics",
        )


def parse_epics(data: bytes, file_name: str) -> ParsedFile:
    """Every epic in a saved API response (any shape), or RefusedFile naming what is wrong."""
    check_size(len(data), file_name)
    text = decode(data, file_name)
    if not text.strip():
        raise RefusedFile(file_name, "the file is empty", expected=EXPECTED_FILE)
    # Counted before parsing, so a file of a million tiny items is refused in a blink: each item has an
    # "iid", and at most one more names its parent's.
    if text.count('"iid"') > 2 * MAX_ITEMS:
        raise RefusedFile(file_name, f"it holds more than {MAX_ITEMS:,} items; at most {MAX_ITEMS:,} are read")
    values = json_values(text, file_name)
    collected = Collected(file_name)
    for number, value in enumerate(values, start=1):
        collected.walk(value, "it" if len(values) == 1 else f"JSON value {number} of the file")
    if collected.more_pages and all(collected.more_pages):
        collected.refuse(
            "it was saved while GitLab said more pages followed (pageInfo.hasNextPage is true), so epics are "
            "missing; save every page, the last one included"
        )
    items = collected.items
    if not items:
        raise RefusedFile(file_name, "no epics found in it (no item with an iid and a title)", expected=EXPECTED_FILE)
    try:
        return epics_of(items, collected.shapes, file_name)
    except RecursionError:  # a field nested hundreds of levels deep, in an item
        raise RefusedFile(
            file_name, "its JSON is nested too deep to be a GitLab reply", expected=EXPECTED_FILE
        ) from None


def epics_of(items: list, shapes: Counter, file_name: str) -> ParsedFile:
    ids = global_ids(items, file_name)
    ignored: Counter = Counter()
    by_key: dict[tuple[str, int], tuple[Epic, int]] = {}
    duplicates = 0
    for number, item in enumerate(items, start=1):
        reader = ItemReader(file_name, number)
        kind = reader.kind(item)
        if kind is not None and kind.lower() != "epic":
            ignored[f"not an epic ({shown(kind)[1:-1]})"] += 1
            continue
        epic = epic_from_item(item, reader, ids)
        if epic.key in by_key:
            kept, kept_number = by_key[epic.key]
            if epic == kept:
                duplicates += 1
                continue
            if epic.updated_at == kept.updated_at:
                reader.refuse(
                    "updated_at",
                    f"items {kept_number} and {number} are both epic {shown(epic.reference)} with the same "
                    f"update time ({epic.updated_at or 'none'}) but different content, so neither can be "
                    "called the newer",
                    "one version of each epic, or a later updated_at on the newer one",
                )
            duplicates += 1
            if epic.updated_at is None or (kept.updated_at is not None and epic.updated_at < kept.updated_at):
                continue
        by_key[epic.key] = (epic, number)
    if not by_key:
        raise RefusedFile(file_name, "it holds work items but no epics: " + ", ".join(ignored), expected=EXPECTED_FILE)
    warnings = []
    if duplicates:
        warnings.append(f"{duplicates} epic(s) appeared on more than one page; the newest update of each was kept")
    shape = shapes.most_common(1)[0][0]
    return ParsedFile(shape, [epic for epic, _ in by_key.values()], dict(ignored), warnings)
