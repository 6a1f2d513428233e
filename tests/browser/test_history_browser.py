"""A real Chromium against `streamlit run`: the audit trail, and the sign-in screen of a served app.

The module's server (tests/browser/conftest.py) runs with sign-in not configured, on a database
where ann uploaded an export and bob rolled it back (written through lib before the server
starts: DuckDB lets one process write the file). A second server, with an [auth] table in its
secrets, shows a visitor without a session nothing but the sign-in screen.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from export_builders import DEMO_END
from playwright.sync_api import expect
from select_boxes import choose
from streamlit_process import free_port, running_streamlit

from lib.core.text import WORD_JOINER
from lib.demo.load import load_demo
from lib.store import database as store
from lib.uploads import ingest
from lib.uploads import status as upload_status

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOV_16 = dt.date(2026, 11, 16)
UPLOADER = "ann@example.com"
ROLLER = "bob@example.com"
HOSTILE_ACTOR = '=HYPERLINK("http://evil.example")'
EXPORT_NAME = "frt-week-47.csv"
NO_EXCEPTION = "[data-testid='stException']"
EXPLORE_HEADER = [
    "Ticket ID",
    "Ticket form",
    "SLA metric",
    "SLA metric status",
    "SLA target status",
    "Time - SLA status update - Date",
]
SECRETS = """
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-browser-test-cookie-secret"
client_id = "floorline"
client_secret = "test-client-secret"
server_metadata_url = "https://id.example.com/.well-known/openid-configuration"

[floorline]
allowed_domains = ["example.com"]
editors = ["ann@example.com"]
"""


def explore_export(path: Path) -> Path:
    """A week of first reply time targets: 97 achieved, 3 breached, dated the week's Monday and Sunday."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPLORE_HEADER)
    for index in range(100):
        day = NOV_16 + dt.timedelta(days=6 if index % 2 else 0)
        outcome = "Achieved" if index < 97 else "Breached"
        writer.writerow([700000 + index, "SaaS", "First reply time", "Completed", outcome, day.isoformat()])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def streamlit_database(tmp_path_factory) -> Path:
    """The demo year, then ann's upload, bob's rollback of it, and a setting saved under a formula-like name."""
    folder = tmp_path_factory.mktemp("history-db")
    path = folder / "floorline.duckdb"
    con = store.connect(path)
    load_demo(con, end=DEMO_END)
    upload = ingest.ingest_file(con, explore_export(folder / EXPORT_NAME), uploaded_by=UPLOADER)
    upload_status.rollback(con, upload.upload_id, actor=ROLLER)
    store.save_setting(con, "stale_after_days", 9, actor=HOSTILE_ACTOR)
    con.close()
    return path


def settle(page) -> None:
    page.wait_for_timeout(250)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)


def downloaded_rows(page) -> list[dict]:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert re.fullmatch(r"floorline-change-history-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_change_history_shows_the_upload_and_the_rollback_with_their_authors(open_app):
    page = open_app("/Change_history")
    expect(page.get_by_role("heading", name="Change history")).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Sign-in is not configured")
    expect(page.get_by_text(re.compile(r"^\d+ of \d+ changes$"))).to_be_visible()

    rows = downloaded_rows(page)
    newest = [(row["Who"], row["Action"], row["Subject"]) for row in rows[:3]]
    assert newest == [
        ("'" + HOSTILE_ACTOR, "setting", "stale_after_days"),  # newest first; the formula is neutralised
        (ROLLER, "rollback", EXPORT_NAME),
        (UPLOADER, "upload", EXPORT_NAME),
    ]
    assert all(row["When (UTC)"] for row in rows)

    # The table, newest first, whose text wraps: the hostile actor is text, the rollback below it.
    table = page.get_by_test_id("stTable")
    newest, rollback = table.locator("tbody tr").first, table.locator("tbody tr").nth(1)
    # As text, with a word joiner where an autolink would start; no link.
    expect(newest.locator("td").nth(2)).to_have_text(HOSTILE_ACTOR.replace("http:", "http:" + WORD_JOINER))
    expect(table.locator("a")).to_have_count(0)
    expect(rollback.locator("td").nth(3)).to_have_text("rollback")
    expect(rollback.locator("td").nth(4)).to_have_text(EXPORT_NAME)

    # Pick the rollback (the second change) by its label: its detail appears as text below the table.
    label = re.compile(rf"^Change \d+ · rollback · {re.escape(EXPORT_NAME)}$")
    choose(page, "Read a change in full", "· rollback ·", label)
    settle(page)
    expect(page.get_by_text(re.compile(rf"Change \d+: rollback · {re.escape(EXPORT_NAME)}"))).to_be_visible()
    # A word joiner after the @ keeps Markdown from making the address a mailto link.
    expect(page.get_by_text(f"by {ROLLER.replace('@', '@' + WORD_JOINER)}")).to_be_visible()
    expect(page.get_by_test_id("stCode")).to_contain_text("was: active")  # the detail in words, not JSON
    assert page.locator(NO_EXCEPTION).count() == 0


def test_the_history_filters_by_person_from_the_link(open_app):
    page = open_app(f"/Change_history?person={UPLOADER}")
    caption = page.get_by_text(re.compile(r"^\d+ of \d+ changes$"))
    expect(caption).to_be_visible()
    shown, total = (int(n) for n in re.findall(r"\d+", caption.inner_text()))
    assert 0 < shown < total
    rows = downloaded_rows(page)
    assert len(rows) == shown
    assert {row["Who"] for row in rows} == {UPLOADER}
    assert ("upload", EXPORT_NAME) in [(row["Action"], row["Subject"]) for row in rows]
    assert page.locator(NO_EXCEPTION).count() == 0


# --- with sign-in configured --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signed_in_server(tmp_path_factory):
    """The app with an [auth] table in its secrets, on a database path nothing may open before sign-in."""
    folder = tmp_path_factory.mktemp("signed-in")
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(SECRETS.format(port=port), encoding="utf-8")
    database = folder / "never-opened.duckdb"
    with running_streamlit(
        database,
        folder / "streamlit.log",
        port=port,
        # only this file: the working tree's own secrets.toml stays out of it
        extra_args=[f"--secrets.files={secrets}"],
    ) as served:
        yield served, database


@pytest.mark.parametrize("path", ["/", "/Upload", "/Change_history"])
def test_a_visitor_without_a_session_sees_only_the_sign_in_screen(signed_in_server, browser_page, path):
    url, database = signed_in_server
    page = browser_page
    page.goto(url + path)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Floorline")).to_be_visible()
    expect(main.get_by_role("button")).to_have_count(1)
    for figure_or_control in ("stMetric", "stDataFrame", "stPlotlyChart", "stFileUploader", "stAlert"):
        expect(page.get_by_test_id(figure_or_control)).to_have_count(0)
    # Nothing of the app's in the sidebar: no page list, no freshness, no toggle.
    expect(page.get_by_test_id("stSidebarUserContent").get_by_test_id("stElementContainer")).to_have_count(0)
    assert page.locator(NO_EXCEPTION).count() == 0
    assert not database.exists(), "nothing was read before sign-in"
