"""Data trust in a real Chromium on the demo year: what is built on demand opens when it is asked for."""

from __future__ import annotations

import re

import pytest
from conftest import wait_for_script
from playwright.sync_api import expect
from select_boxes import choose

pytestmark = pytest.mark.browser

SIDES = "Explore (primary): the figure the pages show"


def test_picking_a_disagreement_opens_both_sources_explanations(open_app):
    page = open_app("/Data_trust")
    expect(page.get_by_text(SIDES)).to_have_count(0)  # below the fold: not built until asked for
    # Every disagreement is a static table (no grid for the page to load and draw) ...
    assert page.get_by_test_id("stDataFrame").count() == 0
    expect(page.get_by_role("table").nth(1)).to_contain_text("GitLab SM")

    # ... and one of them is picked to be explained below.
    choose(page, "Explain a disagreement", "GitLab SM", re.compile(r"^NRT · .* · GitLab SM: "))
    page.wait_for_url(re.compile(r"kpi=NRT&week=\d{4}-\d{2}-\d{2}&scope=GitLab\+SM"))
    wait_for_script(page)

    expect(page.get_by_text(SIDES)).to_be_visible()
    expect(page.get_by_role("combobox", name="Segment")).to_have_value("GitLab SM")
    assert page.locator("[data-testid='stException']").count() == 0
