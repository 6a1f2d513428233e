"""Data trust in a real Chromium on the demo year: what is built on demand opens when it is asked for."""

from __future__ import annotations

import re

import pytest
from conftest import wait_for_script
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SIDES = "Explore (primary): the figure the pages show"


def test_picking_a_disagreement_opens_both_sources_explanations(open_app):
    page = open_app("/Data_trust")
    expect(page.get_by_text(SIDES)).to_have_count(0)  # below the fold: not built until asked for

    # The summary per KPI above it is a static table, so the disagreements are the page's first grid.
    disagreements = page.get_by_test_id("stDataFrame").first
    disagreements.scroll_into_view_if_needed()
    box = disagreements.bounding_box()
    page.mouse.click(box["x"] + 20, box["y"] + 53)  # the first row's selection box
    page.wait_for_url(re.compile(r"kpi=\w+&week=\d{4}-\d{2}-\d{2}&scope="))
    wait_for_script(page)

    expect(page.get_by_text(SIDES)).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
