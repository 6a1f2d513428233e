"""The Team epics page in a real Chromium against `streamlit run`, on the demo data (ends Thu 26 Nov 2026)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NO_EXCEPTION = "[data-testid='stException']"


def test_the_page_sits_after_okrs_in_the_sidebar_and_shows_master_epics_with_links(open_app):
    page = open_app("/Team_epics")

    assert page.locator(NO_EXCEPTION).count() == 0
    links = page.get_by_test_id("stSidebar").get_by_test_id("stPageLink")
    expect(links.first).to_be_visible()
    navigation = [text.rpartition("\n")[2].strip() for text in links.all_inner_texts()]  # after the icon
    assert navigation.index("Team epics") == navigation.index("OKRs") + 1
    expect(page.get_by_role("heading", name="Master epics by area")).to_be_visible()
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_contain_text("Hiring and onboarding")
    expect(grid).to_contain_text("⚠ No DRI")
    expect(grid).to_contain_text("▲ Overdue")
    # The link column is in view beside the flags (the grid's accessible text carries each link's URL).
    expect(grid).to_contain_text(
        "Hiring and onboardingPriya Nair—https://gitlab.com/groups/gitlab-com/support/-/epics/5"
    )


def test_who_works_on_what_marks_the_outliers_in_presentation_mode(open_app):
    page = open_app("/Team_epics?present=1")

    assert page.locator(NO_EXCEPTION).count() == 0
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    # Presentation mode draws every long-text table static; this one is the table of who works on what.
    who = page.get_by_test_id("stTable").filter(has_text="KPIs now")
    who.scroll_into_view_if_needed()
    first_row = who.locator("tbody tr").first
    expect(first_row).to_contain_text("Alex Rivera")
    expect(first_row).to_contain_text("▲ Far more than the rest")
    expect(who.locator("tbody tr").nth(1)).to_contain_text("▲ No visible work")
    headers = who.locator("thead th").all_inner_texts()
    positions = [next(i for i, h in enumerate(headers) if key in h) for key in ("KPIs now", "Team growth", "OKRs")]
    assert positions == sorted(positions)


def test_an_uploaded_epics_file_replaces_the_demo_epics(open_app, tmp_path):
    page = open_app("/Team_epics")
    pages = [
        [{"iid": 1, "title": "area: Hiring (Priya Nair)", "state": "opened", "updated_at": "2026-11-25T00:00:00Z"}],
        [{"iid": 2, "title": "area: Loose ends", "state": "opened", "updated_at": "2026-11-25T00:00:00Z"}],
    ]
    path = tmp_path / "epics-pages.json"
    path.write_text("".join(json.dumps(p) for p in pages), encoding="utf-8")  # two pages, concatenated

    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").click()
    chooser.value.set_files(str(path))
    expect(page.get_by_text("2 epics read as the GitLab epics REST API")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Import as the newest snapshot").click()

    expect(page.get_by_text("epics-pages.json: snapshot 2: 2 epics")).to_be_visible(timeout=30_000)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_contain_text("Loose ends")
    expect(grid).not_to_contain_text("Hiring and onboarding")
    assert page.locator(NO_EXCEPTION).count() == 0
