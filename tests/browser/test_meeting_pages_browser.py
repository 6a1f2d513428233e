"""The meeting pages in a real Chromium against `streamlit run`, on the demo year (ends Thu 26 Nov 2026)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NO_EXCEPTION = "[data-testid='stException']"


def plot_texts(page) -> list[str]:
    """Every text plotly drew into its SVG (annotations: floor and target labels, episode labels)."""
    page.wait_for_selector(".js-plotly-plot .annotation-text")
    return page.locator(".js-plotly-plot .annotation-text").all_text_contents()


def test_weekly_review_shows_the_sustained_breach_and_its_floor_lines(open_app):
    page = open_app("/")

    assert page.locator(NO_EXCEPTION).count() == 0
    expect(page.get_by_role("heading", name="Weekly review · week of 16 Nov 2026")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"Sustained breach$"))).to_be_visible()
    assert {"floor 93 %", "floor 83 %"} <= set(plot_texts(page))
    link = page.get_by_role("link", name="Form a metrics workgroup for FRT")
    query = parse_qs(urlparse(link.get_attribute("href")).query)
    assert query == {"kpi": ["FRT"], "start": ["2026-11-02"], "end": ["2026-11-16"]}


def test_meeting_notes_download_is_the_weeks_markdown(open_app):
    page = open_app("/")

    with page.expect_download() as download:
        page.get_by_role("button", name="Meeting notes").click()
    notes = download.value.path().read_text(encoding="utf-8")

    assert download.value.suggested_filename == "kpi-review-2026-11-16.md"
    assert notes.startswith("# Support KPI review — week of 16 Nov 2026")
    assert "Sustained breach" in notes


def test_trends_page_draws_each_floor_as_a_labelled_line(open_app):
    page = open_app("/KPI_trends")

    assert page.locator(NO_EXCEPTION).count() == 0
    expect(page.locator(".js-plotly-plot")).to_have_count(3, timeout=30_000)
    texts = plot_texts(page)
    assert texts.count("floor 93 % — at or below is a breach") == 2  # FRT and SSAT
    assert "floor 83 % — at or below is a breach" in texts
    # Shapes (floor, target, episode shading) are drawn as SVG paths in each chart's shape layer.
    assert page.locator(".js-plotly-plot .shapelayer path").count() >= 6


def test_changing_a_control_puts_it_in_the_url_and_the_url_brings_it_back(open_app, streamlit_server):
    page = open_app("/KPI_trends")

    page.get_by_role("button", name="Change the view").click()  # the controls' menu
    page.get_by_text("Sisense only").click()
    page.wait_for_url(re.compile(r"source=Sisense"))
    shared_link = page.url.removeprefix(streamlit_server.url)

    open_app("/")  # somewhere else, then the pasted link
    page = open_app(shared_link)
    expect(page.get_by_text("· Every region · Sisense only")).to_be_visible()  # said beside the closed menu
    page.get_by_role("button", name="Change the view").click()
    expect(page.get_by_role("radio", name="Sisense only")).to_be_checked()
    assert page.locator(NO_EXCEPTION).count() == 0


def test_a_link_with_segments_draws_them(open_app):
    page = open_app("/KPI_trends?segments=L%26R&segments=Other")

    page.wait_for_selector(".js-plotly-plot .legendtext")
    legend = page.locator(".js-plotly-plot").first.locator(".legendtext").all_text_contents()
    assert {"Combined", "L&R", "Other"} <= set(legend)


def test_presentation_mode_collapses_the_sidebar_but_keeps_the_button_that_reopens_it(open_app):
    for path in ("/?present=1", "/KPI_trends?present=1"):
        page = open_app(path)

        assert page.locator(NO_EXCEPTION).count() == 0
        expect(page.locator("[data-testid='stSidebar']")).to_have_attribute("data-collapsed", "true")
        expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()
        page.wait_for_selector(".js-plotly-plot .annotation-text")


def test_weeks_in_a_link_as_the_page_shows_them_are_rewritten_as_iso_and_picking_one_writes_iso(open_app):
    page = open_app("/KPI_trends?weeks=02+Mar+2026&weeks=07+Sep+2026")
    page.wait_for_url(re.compile(r"weeks=2026-03-02&weeks=2026-09-07"))
    assert page.locator(NO_EXCEPTION).count() == 0

    page = open_app("/")
    page.get_by_role("combobox", name="Week").click()
    page.get_by_role("option", name="26 Oct 2026").click()
    page.wait_for_url(re.compile(r"[?&]week=2026-10-26"))
    expect(page.get_by_role("heading", name="Weekly review · week of 26 Oct 2026")).to_be_visible()
