"""The Team epics page, driven through Streamlit's AppTest on the demo year, demo OKRs and demo epics."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from gitlab_server import GOOD_TOKEN, GROUP, running_gitlab
from streamlit.testing.v1 import AppTest
from test_access import SECRETS, signed_in

from lib.epics import overview as epic_overview
from lib.epics import repository as epic_repository
from lib.metrics import fiscal
from lib.store import database as store

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "4_Team_epics.py")
DEMO_END = dt.date(2026, 11, 26)


@pytest.fixture
def db(demo_db, monkeypatch):
    """This test's own copy of the demo database, with 'today' pinned to the demo's last day."""
    monkeypatch.setattr(fiscal, "today", lambda: DEMO_END)
    return demo_db


def page(secrets: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    if secrets:
        at.secrets = secrets
    if user:
        at.user = user
    return ok(at.run())


def plain(markdown: str) -> str:
    """Text as the reader sees it: the page escapes file names and messages for Markdown."""
    return re.sub(r"\\(.)", r"\1", markdown)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, first_column: str):
    return next(frame.value for frame in at.dataframe if frame.value.columns[0] == first_column)


def stored(db: Path):
    connection = store.connect(db)
    try:
        return epic_repository.snapshots(connection)
    finally:
        connection.close()


def test_the_demo_epics_show_by_area_with_dris_flags_and_links(db):
    at = page()

    assert [m.label for m in at.metric] == [
        "Open master epics",
        "Flagged",
        "Without a DRI on the roster",
        "Managers with no visible work",
    ]
    assert [m.value for m in at.metric] == ["11", "4", "2", "1"]
    assert any("Demo epics" in plain(info.value) for info in at.info)
    masters = table(at, "Area").set_index("Area")
    assert masters.loc["Hiring and onboarding", "DRI"] == "Priya Nair"
    assert masters.loc["Engineer growth plans", "DRI"] == "Sofia Rossi"  # "Sofía Rossi" in the title
    assert masters.loc["Knowledge base and docs", "Flags"] == "⚠ No DRI"
    assert masters.loc["Customer emergencies runbook", "Flags"] == "⚠ DRI not on roster (Dana Whitfield)"
    assert masters.loc["EMEA on-call and weekend coverage", "Flags"] == "◐ Stale (45 days)"
    assert masters.loc["Support tooling (Zendesk (Explore) dashboards)", "Flags"] == "▲ Overdue (due 16 Nov 2026)"
    assert masters.loc["GitLab SM first replies", "Child epics"] == "1 open · 1 closed"
    assert masters.loc["Hiring and onboarding", "Epic"] == "https://gitlab.com/groups/gitlab-com/support/-/epics/5"
    assert masters.loc["Ticket routing and triage", "Named in"] == "FY27-Q4-M1-KR2: SM routing review done (epic &2)"
    assert list(masters.index[-1:]) == ["FY27-Q2 support readiness"]  # closed master epics last
    links = table(at, "Epic")
    assert links.to_dict("records") == [
        {
            "Epic": "Ticket routing and triage (gitlab-com/support&2)",
            "Named by": "Key result",
            "Item": "FY27-Q4-M1-KR2: SM routing review done (epic &2)",
            "Owner": "Alex Rivera",
            "Open": "./OKRs?quarter=FY27-Q4",
        }
    ]


def test_on_a_shared_screen_the_master_epics_wrap_and_keep_their_gitlab_links(db):
    """Presentation mode: a static table (long areas and flags wrap, not "…"), each epic a link to GitLab only,
    due dates as every page writes them and a dash for none."""
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params["present"] = "1"
    ok(at.run())
    masters = at.table[0].value
    assert list(masters.columns) == ["Area", "DRI", "Flags", "Epic", "Due"]
    rows = {plain(row.Area): row for row in masters.itertuples(index=False)}
    tooling = rows["Support tooling (Zendesk (Explore) dashboards)"]
    assert plain(tooling.Flags) == "▲ Overdue (due 16 Nov 2026)"
    assert tooling.Due == "16 Nov 2026"
    assert rows["Hiring and onboarding"].Epic == (
        "[open in GitLab](https://gitlab.com/groups/gitlab-com/support/-/epics/5)"
    )
    assert rows["Knowledge base and docs"].Due == "—"
    assert "None" not in masters.to_string()
    named_in = at.table[2].value  # after who works on what
    assert named_in.loc[0, "Open"] == "[open in Floorline](./OKRs?quarter=FY27-Q4)"
    assert [frame.value.columns[0] for frame in at.dataframe] == ["Snapshot"]  # no grid cuts text here


def test_who_is_working_on_what_keeps_the_priority_order_and_marks_who_stands_out(db):
    at = page()

    work = at.table[0].value
    assert list(work.columns) == list(epic_overview.WORK_COLUMNS)
    assert work.iloc[0]["Manager"] == "Alex Rivera" and work.iloc[0]["Stands out"] == "▲ Far more than the rest"
    assert work.iloc[1]["Manager"] == "Kenji Watanabe" and work.iloc[1]["Stands out"] == "▲ No visible work"
    assert set(work["Manager"]) == {
        "Alex Rivera",
        "Jordan Lee",
        "Sam Carter",
        "Priya Nair",
        "Kenji Watanabe",
        "Chioma Okafor",
        "Lukas Becker",
        "Sofia Rossi",
    }
    # The demo's sustained FRT breach; the table's cells are Markdown, so they come escaped.
    assert "FRT in GitLab SM (3 weeks)" in plain(work.iloc[0]["1. KPIs now"])
    assert any("at least twice the median, 2" in plain(caption.value) for caption in at.caption)


def test_an_editor_imports_a_file_then_restores_the_earlier_snapshot(db):
    at = page()
    content = json.dumps(
        [
            {"iid": 1, "title": "area: Hiring (priya nair)", "state": "opened", "updated_at": "2026-11-25T00:00:00Z"},
            {"iid": 2, "title": "area: Stranger things (Nobody Known)", "state": "opened"},
        ]
    )
    [uploader] = at.get("file_uploader")
    at.file_uploader(key=uploader.key).set_value(("epics-page1.json", content.encode(), "application/json"))
    ok(at.run())
    assert any("epics-page1.json: 2 epics read as the GitLab epics REST API" in plain(info.value) for info in at.info)
    ok(next(b for b in at.button if b.label.startswith("Import")).click().run())

    assert any("epics-page1.json: snapshot 2: 2 epics" in plain(success.value) for success in at.success)
    masters = table(at, "Area").set_index("Area")
    assert list(masters.index) == ["Hiring", "Stranger things"]
    assert masters.loc["Hiring", "DRI"] == "Priya Nair"
    assert [(s["id"], s["status"]) for s in stored(db)] == [(2, "active")]  # the demo epics are gone

    second = json.dumps([{"iid": 9, "title": "area: Docs", "state": "opened"}])
    [uploader] = at.get("file_uploader")
    at.file_uploader(key=uploader.key).set_value(("epics-page2.json", second.encode(), "application/json"))
    ok(at.run())
    ok(next(b for b in at.button if b.label.startswith("Import")).click().run())
    assert list(table(at, "Area")["Area"]) == ["Docs"]

    at.selectbox[0].set_value(2)
    ok(next(b for b in at.button if b.label == "Restore it").click().run())
    assert list(table(at, "Area")["Area"]) == ["Hiring", "Stranger things"]
    assert [(s["id"], s["status"]) for s in stored(db)] == [(3, "replaced"), (2, "active")]


def test_a_bad_file_is_refused_with_its_name_and_nothing_changes(db):
    at = page()
    [uploader] = at.get("file_uploader")
    at.file_uploader(key=uploader.key).set_value(("explore.csv.json", b"Ticket ID,SLA\n1,2\n", "application/json"))
    ok(at.run())

    [error] = at.error
    assert plain(error.value).startswith("Nothing was stored. explore.csv.json: not readable as JSON at line 1")
    assert not any(b.label.startswith("Import") for b in at.button)
    assert [s["is_demo"] for s in stored(db)] == [True]


def test_fetch_is_offered_when_configured_and_stores_every_page(db):
    with running_gitlab() as url:
        at = page(secrets={"gitlab": {"url": url, "group": GROUP, "token": GOOD_TOKEN}})
        button = next(b for b in at.button if b.label.startswith("Fetch from"))
        assert "groups/gitlab\\-com/support" in button.label  # escaped: labels are Markdown
        ok(button.click().run())

    assert any("Fetched from GitLab: snapshot 2: 5 epics" in plain(success.value) for success in at.success)
    assert set(table(at, "Area")["Area"]) == {"Hiring and onboarding", "Tooling", "Docs"}


def test_a_refused_token_says_so_and_stores_nothing(db):
    with running_gitlab() as url:
        at = page(secrets={"gitlab": {"url": url, "group": GROUP, "token": "glpat-wrong"}})
        ok(next(b for b in at.button if b.label.startswith("Fetch from")).click().run())

    [error] = at.error
    assert "GitLab refused the token" in plain(error.value) and "glpat-wrong" not in plain(error.value)
    assert [s["is_demo"] for s in stored(db)] == [True]


def test_a_viewer_sees_everything_but_no_control_that_changes_data(db):
    at = page(SECRETS, signed_in("bob@example.com"))

    assert table(at, "Area").shape[0] == 12
    assert at.get("file_uploader") == []
    assert [b.label for b in at.button if b.label.startswith(("Import", "Fetch", "Restore", "Save", "Remove"))] == []
    assert any("an editor imports, fetches and restores them" in plain(info.value) for info in at.info)


def test_an_editor_removes_the_demo_epics(db):
    at = page()

    ok(next(b for b in at.button if b.label == "Remove the demo epics").click().run())

    assert any("No epics yet" in plain(info.value) for info in at.info)
    assert stored(db) == []
    assert not any(b.label == "Remove the demo epics" for b in at.button)


def test_settings_change_the_pattern_and_the_stale_days(db):
    at = page()
    at.text_input[0].set_value(r"^area:|^theme:")
    at.number_input[0].set_value(60)
    ok(next(b for b in at.button if b.label == "Save settings").click().run())

    connection = store.connect(db)
    try:
        settings = store.load_settings(connection)
    finally:
        connection.close()
    assert (settings.epic_master_pattern, settings.epic_stale_after_days) == (r"^area:|^theme:", 60)
    masters = table(at, "Area").set_index("Area")
    assert masters.loc["EMEA on-call and weekend coverage", "Flags"] == "—"  # 45 days: not stale at 60

    at.text_input[0].set_value("(")
    ok(next(b for b in at.button if b.label == "Save settings").click().run())
    assert any("is not a valid pattern" in plain(error.value) for error in at.error)
