"""Text from a file, a URL or another user is shown as text on every page: never a link, an image, a colour or HTML.

Every kind of stored text is a Markdown, HTML, link, autolink or ``javascript:`` payload
(tests/hostile_payloads.py: an export and its file name, an OKR workbook, an epics JSON with
links of other schemes and hosts, a workgroup, who uploaded). Then every page of the app (the page
files themselves, not a list typed here) is run, with payloads in the address where a page reads
one, the hostile workgroup opened on every tab, and each "where does this number come from"
opened. Every string Streamlit renders as Markdown (bodies, labels, help, headings, alerts,
captions, and ``st.table`` cells) is checked for a live link, image, autolink, colour directive or
HTML tag; every chart's text for HTML plotly would draw; every link column for a link that is not
http(s), or leads outside. The same database is walked in Chromium by tests/browser/test_hostile_text_browser.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hostile_payloads import HOSTILE_NAME, IMAGE, OUTSIDE, PAYLOADS, fill, hostile_export
from streamlit.testing.v1 import AppTest

from lib.core.kpis import kpi_keys
from lib.store import database as store
from lib.uploads import flow as uploads

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["app.py", *sorted(str(path.relative_to(ROOT)) for path in (ROOT / "pages").glob("*.py"))]
WORKGROUP_TABS = ("Overview", "Details and people", "Hypotheses", "Actions", "Export")

# What Markdown would turn into something live, where no backslash escapes it and no word joiner breaks it.
LIVE = {
    "link or image": re.compile(r"(?<!\\)\[(?:[^\]\\]|\\.)*(?<!\\)\]\((?<!\\\()"),
    "autolink": re.compile(r"(?i)(?<![\\\w])(?:https?://|www\.)|<https?:"),
    "e-mail autolink": re.compile(r"[\w.+-]@(?!\u2060)[\w-]+\.\w"),
    "colour directive": re.compile(r"(?<!\\):red\[ALERT"),
    "HTML tag": re.compile(r"(?<!\\)<(?:img|b|a)\b"),
}
MARKDOWN_FIELDS = {"body", "label", "help", "caption"}  # a placeholder is plain text


@pytest.fixture
def hostile_file(tmp_path) -> Path:
    folder = tmp_path / "previewed"
    folder.mkdir()
    return hostile_export(folder / HOSTILE_NAME)


@pytest.fixture
def hostile_db(db_path, tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "staging_dir", lambda: tmp_path / "staging")
    connection = store.connect(db_path)
    assert fill(connection, tmp_path, dt.date.today()) == 1  # the walk opens workgroup 1
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


def markdown_problems(where: str, text: str) -> list[str]:
    return [f"{where}: live {kind} in {text!r}" for kind, pattern in LIVE.items() if pattern.search(text)]


def link_problems(node) -> list[str]:
    """A link column's cells: only http(s), and never to the outside host the payloads name."""
    columns = json.loads(node.proto.columns or "{}")
    links = [name for name, config in columns.items() if config.get("type_config", {}).get("type") == "link"]
    found = []
    for name in links:
        for url in node.value[name].dropna():
            if not re.match(r"(?i)(https?://|\./)", url) or url.startswith(OUTSIDE) or "127.0.0.1:9" in url:
                found.append(f"link column {name} opens {url!r}")
    return found


def live_markup(at: AppTest) -> list[str]:
    found = []
    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        if node.type == "table":  # st.table renders every cell as Markdown
            cells = node.value.astype(str).to_numpy().ravel().tolist() + [str(c) for c in node.value.columns]
            for cell in cells:
                found += markdown_problems("table cell", cell)
            continue
        if node.type == "arrow_data_frame" and hasattr(proto, "columns"):
            found += link_problems(node)
            continue
        for name, text in proto_strings(proto):
            if name == "spec":  # a plotly figure: its own HTML subset renders <a href>, <img> and <b>
                for kind in ("<a ", "<img", "<b>html"):
                    if kind in text:
                        found.append(f"chart text holds {kind!r}: {text[:200]}")
                continue
            if name in MARKDOWN_FIELDS:
                found += markdown_problems(f"{type(node).__name__}.{name}", text)
    return found


def run_page(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if page != "app.py":
        at.switch_page(page)
    at.query_params.update(query or {})
    for kpi in kpi_keys():  # KPI trends: every "<KPI>: explain a week" menu open, so its contents are walked
        at.session_state[f"explain_menu_{kpi}"] = True
    at.run()
    assert not at.exception, (page, [e.message for e in at.exception])
    return at


# Every parameter a page reads from its address (tests/pages/test_hostile_links.py lists them page by page).
ADDRESS_PARAMETERS = ("week", "weeks", "start", "end", "kpi", "quarter", "manager", "person", "scope", "chart", "wg")


def address_views(page: str) -> list[tuple[str, dict]]:
    views = [(f"region {payload}", {"region": payload}) for payload in PAYLOADS]
    views += [(f"address {payload}", dict.fromkeys(ADDRESS_PARAMETERS, payload)) for payload in PAYLOADS]
    if page == "pages/2_Workgroups.py":  # the hostile workgroup, every tab
        views += [(f"workgroup tab {tab}", {"wg": "1", "tab": tab}) for tab in WORKGROUP_TABS]
    if page == "pages/3_OKRs.py":  # a manager's own view, named by a payload
        views += [(f"manager {payload}", {"manager": f"{payload} {index}"}) for index, payload in enumerate(PAYLOADS)]
    if page == "pages/7_Change_history.py":  # the static table of a shared screen
        views += [("presentation", {"present": "1"})]
    return views


@pytest.mark.parametrize("page", PAGES)
def test_no_text_from_a_file_renders_as_markdown_on_any_page(hostile_db, hostile_file, page):
    views = [("default", run_page(page))]
    views += [(view, run_page(page, query)) for view, query in address_views(page)]
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
        for picker in [box for box in at.selectbox if (box.key or "").startswith("change_on_page_")]:
            for index in range(len(picker.options)):  # each change on the page read in full
                at.selectbox(key=picker.key).select_index(index).run()
                problems += [f"{page} ({view}, change {index} in full): {problem}" for problem in live_markup(at)]
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
    at = run_page("pages/6_Upload.py")
    next(iter(at.file_uploader)).set_value((HOSTILE_NAME, another_export(hostile_file), "text/csv")).run()
    protos = [node.proto for node in nodes(at._tree) if hasattr(getattr(node, "proto", None), "ListFields")]
    shown = " ".join(text for proto in protos for _, text in proto_strings(proto))
    # The preview names the payload forms (six of them, then "and 2 more"): escaped, so checked above.
    assert sum(escape_markdown(payload) in shown for payload in PAYLOADS) >= 6
