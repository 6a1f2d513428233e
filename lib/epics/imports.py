"""Reading a saved GitLab API response (epics REST, Work Items GraphQL or REST) into epics, liberally."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

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
