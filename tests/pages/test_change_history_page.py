"""The Change history page, driven by AppTest on the demo year and 40 more real changes: the log as a static
table, 25 changes a page, newest first, in presentation mode and at the desk; the page in the address beside the
filters; a change picked by its label read in full; nothing written "None"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.core.text import WORD_JOINER
from lib.store import database as store
from lib.store import history

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "7_Change_history.py")
SETTINGS_SAVED = 40
ANN = "ann@example.com"


@pytest.fixture
def logged(demo_db) -> list[int]:
    """The demo year's changes, then ann saves a setting 40 times; the change numbers, newest first."""
    connection = store.connect(demo_db)
    for value in range(SETTINGS_SAVED):
        store.save_setting(connection, "stale_after_days", value, actor=ANN)
    numbers = history.changes(connection)["Change"].tolist()
    connection.close()
    return numbers


def open_page(query: dict) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def as_read(cell: str) -> str:
    """Text as the screen shows it: without the backslashes and word joiners that keep it from being Markdown."""
    return re.sub(r"\\(.)", r"\1", cell).replace(WORD_JOINER, "")


def table(at: AppTest) -> list[dict]:
    (shown,) = at.table
    frame = shown.value.map(as_read)
    frame.columns = [as_read(column) for column in frame.columns]
    return frame.to_dict("records")


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def captions(at: AppTest) -> list[str]:
    return [caption.value for caption in at.caption]


def every_text(at: AppTest) -> list[str]:
    texts = [m.value for m in at.markdown] + captions(at) + [c.value for c in at.code] + [i.value for i in at.info]
    texts += [str(cell) for shown in at.table for cell in shown.value.to_numpy().ravel()]
    return texts + [str(option) for box in at.selectbox for option in box.options]


def test_presentation_mode_shows_the_newest_25_changes_as_a_table(logged):
    at = open_page({"present": "1"})
    rows = table(at)
    assert [int(row["Change"]) for row in rows] == logged[:25]
    assert list(rows[0]) == ["Change", "When (UTC)", "Who", "Action", "Subject", "Detail"]
    assert rows[0]["Who"] == ANN and rows[0]["Detail"] == f"value: {SETTINGS_SAVED - 1}"
    assert re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d", rows[0]["When (UTC)"])  # 16 Nov 2026, 14:05
    pages = -(-len(logged) // 25)
    assert f"Page 1 of {pages}: changes 1–25 of {len(logged)}, newest first" in captions(at)
    assert button(at, "Newer").disabled and not button(at, "Older").disabled
    assert not at.dataframe  # no grid, whose canvas cuts long text in "…"
    assert not [b for b in at.get("download_button")]  # downloads are for the desk


def test_older_and_newer_page_through_the_log_keeping_presentation_mode_in_the_address(logged):
    at = open_page({"present": "1"})
    button(at, "Older").click().run()
    assert [int(row["Change"]) for row in table(at)] == logged[25:50]
    assert at.query_params["page"] == "2" and at.query_params["present"] == "1"
    assert at.selectbox(key="page").value == 2
    button(at, "Newer").click().run()
    assert [int(row["Change"]) for row in table(at)] == logged[:25]
    assert "page" not in at.query_params  # the first page is the default, left out of the address


def test_a_link_opens_the_page_of_the_filtered_changes_it_names(logged):
    at = open_page({"present": "1", "person": ANN, "page": "2"})
    assert [int(row["Change"]) for row in table(at)] == logged[25:SETTINGS_SAVED]  # ann's changes 26 to 40
    assert {row["Who"] for row in table(at)} == {ANN}
    assert f"Page 2 of 2: changes 26–{SETTINGS_SAVED} of {SETTINGS_SAVED}, newest first" in captions(at)
    assert button(at, "Older").disabled


def test_a_changed_filter_starts_again_at_its_newest_changes(logged):
    at = open_page({"present": "1", "page": "2"})
    at.pills(key="area").set_value(["Uploads"]).run()
    assert at.selectbox(key="page").value == 1
    assert all(row["Action"] == "upload" for row in table(at))
    assert "page" not in at.query_params


def test_picking_a_change_shows_it_in_full(logged):
    at = open_page({"present": "1"})
    picker = at.selectbox(key="change_on_page_1")
    assert picker.value is None and "Pick a change to read its detail in full." in captions(at)
    third = logged[2]
    assert picker.options[2] == f"Change {third} · setting · stale_after_days"
    picker.select_index(2).run()
    heading = next(as_read(m.value) for m in at.markdown if m.value.startswith(f"**Change {third}:"))
    assert heading.startswith(f"**Change {third}: setting · stale_after_days**")
    assert re.search(rf"by {ANN}, \d\d [A-Z][a-z]{{2}} \d{{4}}, \d\d:\d\d UTC$", heading)
    assert [c.value for c in at.code] == [f"value: {SETTINGS_SAVED - 3}"]


def test_a_picked_change_stays_picked_when_a_new_change_moves_the_rows(logged, demo_db):
    # Another editor saves a setting while the room reads change N: the rows shift down by one, and the
    # detail shown must still be change N's, not whichever change now sits where N was.
    at = open_page({"present": "1"})
    third = logged[2]
    at.selectbox(key="change_on_page_1").select_index(2).run()
    connection = store.connect(demo_db)
    store.save_setting(connection, "stale_after_days", 99, actor=ANN)
    connection.close()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    headings = [as_read(m.value) for m in at.markdown if m.value.startswith("**Change ")]
    assert len(headings) == 1 and headings[0].startswith(f"**Change {third}: setting")
    assert [c.value for c in at.code] == [f"value: {SETTINGS_SAVED - 3}"]


def test_an_upload_read_in_full_at_the_desk_has_its_detail_one_part_a_line(logged):
    at = open_page({"area": "Epics"})
    assert at.get("download_button")  # the desk keeps the CSV
    at.selectbox(key="change_on_page_1").select_index(0).run()
    assert [c.value for c in at.code] == ["snapshot id: 1\nepics: 21\nshape: GitLab epics REST API"]


@pytest.mark.parametrize("query", [{"present": "1"}, {}, {"present": "1", "page": "2"}])
def test_nothing_on_the_page_is_written_none(logged, query):
    at = open_page(query)
    at.selectbox(key=f"change_on_page_{query.get('page', '1')}").select_index(0).run()
    assert not [text for text in every_text(at) if re.search(r"\b(None|nan|NaT)\b", text)]


def test_a_filter_that_matches_nothing_says_so(logged):
    at = open_page({"present": "1", "person": ANN})
    at.pills(key="area").set_value(["Epics"]).run()
    assert "No change matches these filters." in [i.value for i in at.info]
    assert not at.table
