"""Text that came from a file is shown as text on every page: never a link, an image, a colour or HTML.

An export whose forms, regions, groups and priorities (and a file name) carry Markdown and
HTML payloads is stored; then every page of the app (the page files themselves, not a list
typed here) is run, with those regions chosen where a page takes one and each "where does this
number come from" opened. Every string Streamlit renders as Markdown (bodies, labels, help,
headings, alerts, captions) and every chart's text is checked for a live link, image, colour
directive or HTML tag. Tables show cells as data, so they are not checked.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from export_builders import SLA_HEADER, csv_text, weeks_from
from streamlit.testing.v1 import AppTest

from lib.store import database as store
from lib.store import uploads

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["app.py", *sorted(str(path.relative_to(ROOT)) for path in (ROOT / "pages").glob("*.py"))]
IMAGE = "![x](http://127.0.0.1:9/x.png)"
LINK = "[click me](http://127.0.0.1:9/phish)"
COLOUR = ":red[ALERT] **loud**"
HTML = "<img src=http://127.0.0.1:9/h.png><b>html</b>"
AUTOLINK = "see http://127.0.0.1:9/auto"
PAYLOADS = [IMAGE, LINK, COLOUR, HTML, AUTOLINK]
HEADER = [*SLA_HEADER, "Ticket group", "Ticket priority"]
FIRST_WEEK = dt.date(2026, 10, 5)

# What Markdown would turn into something live, where no backslash escapes it.
LIVE = {
    "link or image": re.compile(r"(?<!\\)\[(?:[^\]\\]|\\.)*(?<!\\)\]\((?<!\\\()"),
    "autolink": re.compile(r"(?<![\\\w])(?:https?://|www\.)|<https?:"),
    "colour directive": re.compile(r"(?<!\\):red\[ALERT"),
    "HTML tag": re.compile(r"(?<!\\)<(?:img|b)\b"),
}
MARKDOWN_FIELDS = {"body", "label", "help", "caption"}  # a placeholder is plain text


def hostile_export(path: Path) -> Path:
    rows, ticket = [], 5000
    last = FIRST_WEEK + dt.timedelta(weeks=6, days=-1)
    for week in weeks_from(FIRST_WEEK, 6):
        for index, payload in enumerate(PAYLOADS):
            for day, outcome in ((0, "Achieved"), (6, "Achieved"), (2, "Breached")):
                date = (week + dt.timedelta(days=day)).isoformat()
                for form, metric in (("SaaS", "First reply time"), (payload, "Next reply time")):
                    rows.append(
                        [ticket, form, metric, "Completed", outcome, date, payload, payload, PAYLOADS[index - 1]]
                    )
                    ticket += 1
    rows.append([ticket, "SaaS", "Requester wait time", "Completed", "Achieved", last.isoformat(), "", "", ""])
    path.write_text(csv_text(HEADER, rows), encoding="utf-8")
    return path


HOSTILE_NAME = ":red[ALERT] [file](x.csv).csv"


@pytest.fixture
def hostile_file(tmp_path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return hostile_export(folder / HOSTILE_NAME)


@pytest.fixture
def hostile_db(db_path, hostile_file, tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "staging_dir", lambda: tmp_path / "staging")
    connection = store.connect(db_path)
    store.ingest_file(connection, hostile_file, uploaded_by=LINK)
    connection.close()
    return db_path


def another_export(path: Path) -> bytes:
    """The same payloads in a file of other bytes, so a preview is not just "a duplicate of upload 1"."""
    return path.read_bytes().replace(b"\n5000,", b"\n4999,")


def proto_strings(message, field_name: str = ""):
    """(field name, text) for every string in a protobuf message, nested messages included."""
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        for item in values:
            if isinstance(item, str):
                yield field.name, item
            elif hasattr(item, "ListFields"):
                yield from proto_strings(item, field.name)


def nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from nodes(child)


def live_markup(at: AppTest) -> list[str]:
    found = []
    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        for name, text in proto_strings(proto):
            if name == "spec":  # a plotly figure: its own HTML subset renders <a href> and <b>
                for kind in ("<a ", "<img", "<b>html"):
                    if kind in text:
                        found.append(f"chart text holds {kind!r}: {text[:200]}")
                continue
            if name not in MARKDOWN_FIELDS:
                continue
            for kind, pattern in LIVE.items():
                if pattern.search(text):
                    found.append(f"{type(node).__name__}.{name}: live {kind} in {text!r}")
    return found


def run_page(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if page != "app.py":
        at.switch_page(page)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, (page, [e.message for e in at.exception])
    return at


@pytest.mark.parametrize("page", PAGES)
def test_no_text_from_a_file_renders_as_markdown_on_any_page(hostile_db, hostile_file, page):
    views = [("default", run_page(page))]
    views += [(f"region {payload}", run_page(page, {"region": payload})) for payload in PAYLOADS]
    for uploader in views[0][1].file_uploader:  # a page that takes files previews another hostile one
        uploader.set_value((HOSTILE_NAME, another_export(hostile_file), "text/csv")).run()
        views.append(("file previewed", views[0][1]))
    problems = []
    for view, at in views:
        problems += [f"{page} ({view}): {problem}" for problem in live_markup(at)]
        for button in [b for b in at.button if b.label.startswith("Where does this number come from")][:1]:
            button.click().run()
            assert not at.exception, (page, view, [e.message for e in at.exception])
            problems += [f"{page} ({view}, provenance): {problem}" for problem in live_markup(at)]
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_walk_covers_every_page_and_sees_the_payloads(hostile_db, hostile_file):
    assert PAGES[0] == "app.py" and len(PAGES) == 1 + len(list((ROOT / "pages").glob("*.py")))
    # The detector itself: an unescaped payload is caught, an escaped one is not.
    from lib.ui.page import escape_markdown

    for payload in PAYLOADS:
        assert any(pattern.search(payload) for pattern in LIVE.values()), payload
        assert not any(pattern.search(escape_markdown(payload)) for pattern in LIVE.values()), payload
    at = run_page("pages/1_KPI_trends.py", {"region": IMAGE})
    assert at.selectbox(key="region").value == IMAGE  # the payload region really was chosen
    next(b for b in at.button if b.label.startswith("Where does this number come from")).click().run()
    assert any(m.value.startswith("#### FRT") for m in at.markdown)  # the walk sees inside the dialog
    at = run_page("pages/2_Upload.py")
    next(iter(at.file_uploader)).set_value((HOSTILE_NAME, another_export(hostile_file), "text/csv")).run()
    protos = [node.proto for node in nodes(at._tree) if hasattr(getattr(node, "proto", None), "ListFields")]
    shown = " ".join(text for proto in protos for _, text in proto_strings(proto))
    assert escape_markdown(IMAGE) in shown  # the preview names the payload forms: escaped, so checked above
