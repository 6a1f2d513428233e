"""A real Chromium against `streamlit run` (tests/browser/conftest.py): exports dropped on the Upload page.

Both tests share the module's server and its demo database, so each compares what it sees
before and after its own upload rather than assuming what an earlier test left behind.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from pathlib import Path

import pytest
from export_builders import complete_weeks_csv
from playwright.sync_api import expect
from streamlit_process import running_streamlit

pytestmark = pytest.mark.browser

NOV_09 = dt.date(2026, 11, 9)
NOV_16 = dt.date(2026, 11, 16)
NO_EXCEPTION = "[data-testid='stException']"


def explore_export(path: Path, weeks: dict) -> Path:
    path.write_text(complete_weeks_csv(weeks, first_ticket=600000), encoding="utf-8")
    return path


def settle(page) -> None:
    """Wait until the script run the last action started has finished."""
    page.wait_for_timeout(250)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)


def drop_files(page, *paths: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").click()
    chooser.value.set_files([str(path) for path in paths])
    settle(page)


def history_choices(page) -> list[str]:
    """Every upload in the history, as its chooser lists them ("Upload 3 · file · status")."""
    page.get_by_role("combobox", name="Choose an upload to download or undo").click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return options


def weekly_review_headline(open_app) -> list[str]:
    """The three KPI cards' values on the weekly review."""
    page = open_app("/")
    values = page.get_by_test_id("stMetricValue")
    expect(values).to_have_count(3)
    return values.all_inner_texts()


def test_an_export_dropped_in_the_browser_is_previewed_stored_and_shown_on_the_weekly_review(open_app, tmp_path):
    export = explore_export(tmp_path / "frt-weeks-46-47.csv", {NOV_09: (97, 3), NOV_16: (98, 2)})
    page = open_app("/Upload")

    drop_files(page, export)

    expect(page.get_by_text("What storing it changes")).to_be_visible()
    page.get_by_role("button", name="Store 1 file").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"Stored frt-weeks-46-47\.csv as upload \d+"))).to_be_visible()
    expect(page.get_by_test_id("stFileUploaderFile")).to_have_count(0)  # the uploader is empty again
    assert page.locator(NO_EXCEPTION).count() == 0
    with page.expect_download() as download:  # the history opens on the newest upload: this one
        page.get_by_role("button", name="Download the original file").click()
    assert download.value.suggested_filename == "frt-weeks-46-47.csv"
    assert Path(download.value.path()).read_bytes() == export.read_bytes()

    page = open_app("/")  # the weekly review
    expect(page.get_by_role("heading", name="Weekly review · week of 16 Nov 2026")).to_be_visible()
    # The upload replaced the demo data: FRT, the only KPI left with figures, shows the file's 98.0 %.
    expect(page.get_by_test_id("stMetricValue").filter(has_text="98.0")).to_have_count(1)
    assert page.locator(NO_EXCEPTION).count() == 0


def test_a_bad_file_shows_its_error_in_the_browser_and_changes_nothing(open_app, tmp_path):
    review_before = weekly_review_headline(open_app)
    page = open_app("/Upload")
    history_before = history_choices(page)
    assert len(history_before) >= 3
    bad = explore_export(tmp_path / "frt-broken.csv", {NOV_16: (98, 2)})
    bad.write_text(bad.read_text().replace("2026-11-22", "22/13/2026", 1), encoding="utf-8")

    drop_files(page, bad)

    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("Will not be stored. frt-broken.csv: row 3, column 'Time - SLA status update - Date'")
    expect(error).to_contain_text("'22/13/2026' is not a date")
    expect(page.get_by_role("button", name="Store 0 files")).to_be_disabled()
    assert page.locator(NO_EXCEPTION).count() == 0
    assert history_choices(open_app("/Upload")) == history_before
    assert weekly_review_headline(open_app) == review_before


def test_a_file_left_staged_when_the_browser_goes_away_is_deleted_once_the_session_ends(
    chromium, streamlit_database, tmp_path, monkeypatch
):
    """A server of its own (on a copy of the demo: the module's server holds the file), with its own
    temporary folder and a one-second reconnect window."""
    database = shutil.copy(streamlit_database, tmp_path / "own.duckdb")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    staging = tmp_path / "floorline-staging"
    export = explore_export(tmp_path / "left-behind.csv", {NOV_09: (97, 3)})
    server_log = tmp_path / "streamlit.log"
    with running_streamlit(database, server_log, extra_args=["--server.disconnectedSessionTTL=1"]) as url:
        context = chromium.new_context()
        page = context.new_page()
        page.goto(url + "/Upload")
        drop_files(page, export)
        expect(page.get_by_role("button", name=re.compile("^Store"))).to_be_visible()
        assert len(list(staging.glob("upload-*"))) == 1  # staged, waiting for Store
        context.close()  # the manager closes the tab without storing

        # Streamlit lets go of a session whose reconnect window has passed when its session
        # store is next touched: another visitor coming and going.
        time.sleep(2)
        for _ in range(2):
            visitor = chromium.new_context()
            other = visitor.new_page()
            other.goto(url + "/")
            expect(other.get_by_role("heading", name=re.compile("^Weekly review"))).to_be_visible(timeout=60_000)
            visitor.close()
            time.sleep(2)
        deadline = time.monotonic() + 30
        while list(staging.glob("upload-*")) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert list(staging.glob("upload-*")) == []
