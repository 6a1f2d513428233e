"""The Change history table's pages, its cells and the label a change is picked by (lib/ui/tables.py,
lib/ui/history_view.py), on the rows lib/store/history.py reads from a real database."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lib.store import database as store
from lib.store import history
from lib.ui import history_view
from lib.ui.tables import ROWS_A_PAGE, date_time_cell, page_count, page_range_text, rows_on_page


@pytest.mark.parametrize(("rows", "pages"), [(0, 1), (1, 1), (25, 1), (26, 2), (60, 3)])
def test_the_pages_a_log_takes_at_25_a_page(rows, pages):
    assert ROWS_A_PAGE == 25
    assert page_count(rows) == pages


def test_page_two_of_sixty_holds_the_26th_to_the_50th_and_the_last_page_the_rest():
    frame = pd.DataFrame({"Change": range(60, 0, -1)})  # newest first
    assert rows_on_page(frame, 2)["Change"].tolist() == list(range(35, 10, -1))
    assert rows_on_page(frame, 3)["Change"].tolist() == list(range(10, 0, -1))


@pytest.mark.parametrize(("asked", "given"), [(0, 1), (-3, 1), (9, 3)])
def test_a_page_past_either_end_gives_the_nearest_page(asked, given):
    frame = pd.DataFrame({"Change": range(60, 0, -1)})
    assert rows_on_page(frame, asked).equals(rows_on_page(frame, given))


def test_a_moment_is_written_as_every_page_writes_a_date_then_the_time():
    assert date_time_cell(pd.Timestamp("2026-11-16 14:05:59.123")) == "16 Nov 2026, 14:05"
    assert date_time_cell(dt.datetime(2026, 11, 6, 9, 3)) == "06 Nov 2026, 09:03"
    assert date_time_cell(None) == date_time_cell(pd.NaT) == "—"


def test_the_range_a_page_holds_is_said_in_words():
    assert page_range_text(2, 60, "changes") == "Page 2 of 3: changes 26–50 of 60, newest first"
    assert page_range_text(3, 60, "changes") == "Page 3 of 3: changes 51–60 of 60, newest first"
    assert page_range_text(1, 1_200, "changes") == "Page 1 of 48: changes 1–25 of 1,200, newest first"


@pytest.fixture
def logged(con) -> pd.DataFrame:
    """A real change log: a setting, and a change whose subject and detail were never written."""
    store.save_setting(con, "stale_after_days", 9, actor="ann@example.com")
    con.execute(
        "INSERT INTO change_log VALUES (nextval('change_ids'), TIMESTAMP '2026-11-16 14:05:07', 'bob', 'upload', "
        "NULL, NULL)"
    )
    return history.changes(con)


def test_a_change_is_offered_by_its_number_action_and_subject(logged):
    newest, setting = logged.iloc[0], logged.iloc[1]
    assert history_view.change_label(setting) == f"Change {setting['Change']} · setting · stale_after_days"
    assert history_view.change_label(newest) == f"Change {newest['Change']} · upload · —"


def test_the_table_writes_each_change_with_a_dash_for_what_is_missing_never_none(logged):
    rows = history_view.table_rows(logged)
    assert rows.columns.tolist() == ["Change", "When (UTC)", "Who", "Action", "Subject", "Detail"]  # no area
    assert rows.iloc[0].tolist() == [str(logged.iloc[0]["Change"]), "16 Nov 2026, 14:05", "bob", "upload", "—", "—"]
    assert rows.iloc[1][["Who", "Subject", "Detail"]].tolist() == ["ann@example.com", "stale_after_days", "value: 9"]
    assert not rows.isin(["None", "nan", "NaT", ""]).any().any()
