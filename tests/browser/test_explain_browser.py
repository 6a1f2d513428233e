"""Why a KPI changed, this week so far and a hypothesis check, in a real Chromium (demo year to Thu 26 Nov 2026)."""

from __future__ import annotations

import pytest
from export_builders import DEMO_END
from playwright.sync_api import expect

from lib.demo.load import load_demo
from lib.store import database as store
from lib.workgroups import library, repository

pytestmark = pytest.mark.browser

NO_EXCEPTION = "[data-testid='stException']"


@pytest.fixture(scope="module")
def streamlit_database(tmp_path_factory):
    """The demo year with the FRT workgroup formed and the library's single-portion hypothesis copied in."""
    path = tmp_path_factory.mktemp("explain-db") / "floorline.duckdb"
    con = store.connect(path)
    load_demo(con, end=DEMO_END)
    formed = repository.form_workgroup(con, "ann@example.com", store.load_settings(con), "FRT")
    library.copy_from_library(con, "ann@example.com", formed.workgroup_id, 6)
    con.close()
    return path


def test_why_did_it_change_draws_the_waterfall_in_a_dialog(open_app):
    page = open_app("/KPI_trends")

    page.get_by_role("button", name="FRT: explain a week").click()  # the menu holding the week and both questions
    page.get_by_role("button", name="Why did it change?").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Compare with")).to_be_visible(timeout=30_000)
    expect(dialog.locator(".js-plotly-plot")).to_have_count(2, timeout=30_000)  # the waterfall and the volume
    expect(dialog.get_by_text("Volume.", exact=False)).to_be_visible()
    assert dialog.locator(".js-plotly-plot").first.locator("g.trace").count() == 1
    assert page.locator(NO_EXCEPTION).count() == 0


def test_why_did_it_change_splits_by_ticket_group(open_app):
    page = open_app("/KPI_trends")

    page.get_by_role("button", name="FRT: explain a week").click()  # the menu holding the week and both questions
    page.get_by_role("button", name="Why did it change?").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Compare with")).to_be_visible(timeout=30_000)
    dialog.get_by_text("Ticket group", exact=True).click()
    expect(dialog.get_by_text("by ticket group", exact=False)).to_be_visible(timeout=30_000)
    expect(dialog.locator(".js-plotly-plot").first.get_by_text("Support AMER")).to_be_visible()
    assert page.locator(NO_EXCEPTION).count() == 0


def test_the_weekly_review_shows_this_week_so_far(open_app):
    page = open_app("/")

    expect(page.get_by_role("heading", name="This week so far")).to_be_visible()
    expect(page.get_by_text("FRT", exact=False).filter(has_text="so far (Mon–Thu")).to_be_visible()
    assert page.locator(NO_EXCEPTION).count() == 0


def test_a_library_hypothesis_is_checked_and_attached_as_evidence(open_app):
    page = open_app("/Workgroups?wg=1&tab=Hypotheses")

    page.get_by_text("A single portion of tickets").first.click()
    page.get_by_role("button", name="Check against the data").click()
    expect(page.get_by_text("Suggested verdict", exact=False)).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Attach as evidence").click()
    expect(page.get_by_text("Attached as evidence, dated.")).to_be_visible(timeout=30_000)
    assert page.locator(NO_EXCEPTION).count() == 0
