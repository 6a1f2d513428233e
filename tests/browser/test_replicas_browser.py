"""Two replicas of the app (two `streamlit run` processes) on one PostgreSQL store, driven in a real Chromium.

The replicas share the database (FLOORLINE_DATABASE_URL) and the folder of archived originals
(FLOORLINE_DB names it), as two replicas behind a load balancer would.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from export_builders import DEMO_END, complete_weeks_csv
from playwright.sync_api import expect
from streamlit_process import running_streamlit

from lib.demo.load import load_demo
from lib.store import database as store

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]

OCT_26 = dt.date(2026, 10, 26)
NOV_02 = dt.date(2026, 11, 2)
NOV_09 = dt.date(2026, 11, 9)
NOV_16 = dt.date(2026, 11, 16)
NO_EXCEPTION = "[data-testid='stException']"


def explore_export(path: Path, weeks: dict, first_ticket: int) -> Path:
    path.write_text(complete_weeks_csv(weeks, first_ticket=first_ticket), encoding="utf-8")
    return path


def settle(page) -> None:
    page.wait_for_timeout(250)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)


def open_page(chromium, url: str):
    page = chromium.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(url)
    settle(page)
    return page


def staged(page, export: Path) -> None:
    """The export dropped on the Upload page, previewed and ready to store."""
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").click()
    chooser.value.set_files([str(export)])
    settle(page)
    expect(page.get_by_role("button", name="Store 1 file")).to_be_enabled()


@pytest.fixture
def replicas(postgres_server, tmp_path, monkeypatch):
    """(replica A's URL, replica B's URL) on one PostgreSQL database holding the demo year."""
    url = postgres_server.new_database()
    database = tmp_path / "shared" / "floorline.duckdb"  # names the archive folder the replicas share
    database.parent.mkdir()
    con = store.connect_postgres(url, database)
    load_demo(con, end=DEMO_END)
    con.close()
    monkeypatch.setenv("FLOORLINE_DATABASE_URL", url)
    with (
        running_streamlit(database, tmp_path / "a.log") as replica_a,
        running_streamlit(database, tmp_path / "b.log") as replica_b,
    ):
        yield replica_a, replica_b


def test_an_upload_through_one_replica_is_seen_on_the_other_and_two_at_once_both_land(chromium, replicas, tmp_path):
    replica_a, replica_b = replicas
    viewer = open_page(chromium, replica_b + "/")
    expect(viewer.get_by_test_id("stMetricValue")).to_have_count(3)
    assert viewer.get_by_test_id("stMetricValue").filter(has_text="98.0").count() == 0

    editor = open_page(chromium, replica_a + "/Upload")
    staged(editor, explore_export(tmp_path / "frt-weeks-46-47.csv", {NOV_09: (97, 3), NOV_16: (98, 2)}, 600000))
    editor.get_by_role("button", name="Store 1 file").click()
    settle(editor)
    expect(editor.get_by_text(re.compile(r"Stored frt-weeks-46-47\.csv as upload \d+"))).to_be_visible()

    viewer.reload()  # the viewer's next rerun, on the other replica
    settle(viewer)
    expect(viewer.get_by_test_id("stMetricValue").filter(has_text="98.0")).to_have_count(1)
    assert viewer.locator(NO_EXCEPTION).count() == 0

    # Two editors store at the same moment, one through each replica.
    other_editor = open_page(chromium, replica_b + "/Upload")
    staged(editor, explore_export(tmp_path / "frt-week-45.csv", {NOV_02: (91, 9)}, 700000))
    staged(other_editor, explore_export(tmp_path / "frt-week-44.csv", {OCT_26: (89, 11)}, 800000))
    editor.get_by_role("button", name="Store 1 file").click()
    other_editor.get_by_role("button", name="Store 1 file").click()
    settle(editor)
    settle(other_editor)
    # Whichever commits second may find the other's upload already stored, after its preview was made: then it is
    # told so, its preview is redone, and pressing Store again stores it, as the notice says.
    if other_editor.get_by_text("The stored figures changed while you were looking").count():
        other_editor.get_by_role("button", name="Store 1 file").click()
        settle(other_editor)
    expect(editor.get_by_text(re.compile(r"Stored frt-week-45\.csv as upload \d+"))).to_be_visible()
    expect(other_editor.get_by_text(re.compile(r"Stored frt-week-44\.csv as upload \d+"))).to_be_visible()

    history = open_page(chromium, replica_a + "/Upload")
    history.get_by_role("combobox", name="Choose an upload to download or undo").click()
    listed = " ".join(history.get_by_role("option").all_inner_texts())
    for name in ("frt-weeks-46-47.csv", "frt-week-45.csv", "frt-week-44.csv"):
        assert name in listed
    status = subprocess.run(
        [sys.executable, "-m", "lib", "status", "--json"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    weekly = json.loads(status.stdout)["kpis"]["FRT"]["weekly"]
    assert [weekly[str(week)] for week in (OCT_26, NOV_02, NOV_09, NOV_16)] == [89.0, 91.0, 97.0, 98.0]
