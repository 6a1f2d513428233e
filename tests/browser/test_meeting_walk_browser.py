"""The weekly meeting driven end to end on a 1280x720 projector in presentation mode, light and dark.

Review → the breach → why did it change (the breach weeks against the weeks before) → the workgroup →
a hypothesis with its falsifier → back to the review, clicking only what is on the screen. At every
step presentation mode is still on, the page raised nothing and no text is cut off; a screenshot of
each step goes to ``$FLOORLINE_SCREENSHOTS`` (or the test's temporary folder) to be looked at. The
Change history, whose subjects and details run long, is read page by page and in full at 1280x720 and
1920x1080, light and dark, and at a desk beside the open sidebar.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import wait_for_elements, wait_for_script
from playwright.sync_api import Page, expect
from select_boxes import choose
from streamlit_process import running_streamlit

from lib.core.kpis import kpi_keys
from lib.core.text import WORD_JOINER
from lib.store import database as store
from lib.ui.navigation import PAGES

pytestmark = pytest.mark.browser

PROJECTOR = {"width": 1280, "height": 720}
NO_EXCEPTION = "[data-testid='stException']"

# Text cut off by its own box: wider than it is shown and not allowed to spill (hidden, clipped or "…").
# Static tables (st.table: the long-text tables in presentation mode) are text like any other. Plotly's SVG is
# measured by its own tests; a dataframe's canvas below.
CLIPPED_TEXT = """() => [...document.querySelectorAll(
      '[data-testid="stMain"] *, .st-key-floorline_presentation_bar *, [role="dialog"] *')]
  .filter(e => !e.closest('svg, canvas, [data-testid="stDataFrame"]'))
  .filter(e => (e.innerText || '').trim() && e.getClientRects().length && e.clientWidth > 0)
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .filter(e => { const s = getComputedStyle(e); return s.overflowX !== 'visible' || s.textOverflow === 'ellipsis'; })
  .map(e => e.innerText.trim().slice(0, 60))"""


# A dataframe draws its cells on a canvas, so its text cannot be measured; what can: whether its columns are wider
# than the grid shows (a sideways scroll hides whole columns). Read-only tables with long text are static tables
# in presentation mode, measured above.
GRIDS_RUNNING_OVER = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
  .filter(grid => grid.offsetParent !== null)
  .map(grid => {
    const scroller = grid.querySelector('.dvn-scroller');
    const sideways = scroller ? scroller.scrollWidth - scroller.clientWidth : 0;
    return {header: (grid.querySelector('th') || {}).innerText, sideways};
  })
  .filter(grid => grid.sideways > 1)"""


@pytest.fixture
def meeting_url(streamlit_database, tmp_path) -> str:
    """A server of its own on a copy of the demo year: each walk forms the workgroup afresh."""
    database = tmp_path / "floorline.duckdb"
    shutil.copy(streamlit_database, database)
    with running_streamlit(database, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture(params=["light", "dark"])
def projector(request, chromium) -> Page:
    context = chromium.new_context(viewport=PROJECTOR, color_scheme=request.param)
    yield context.new_page()
    context.close()


@pytest.fixture
def shoot(request, tmp_path):
    """``shoot(page, "1-review")``: checks the step and keeps a screenshot named after the test and the step."""
    folder = Path(os.environ.get("FLOORLINE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.replace("[", "-").replace("]", "")
    return lambda page, name: step(page, folder / f"{prefix}-{name}.png", name)


def step(page: Page, screenshot: Path, name: str) -> None:
    """After a click: the script has run, presentation mode is on, nothing raised or is cut off; a screenshot."""
    wait_for_elements(page)
    page.wait_for_timeout(400)  # charts and the dialog's animation settle
    page.screenshot(path=str(screenshot))
    assert "present=1" in page.url, f"{name}: presentation mode dropped ({page.url})"
    assert page.locator(NO_EXCEPTION).count() == 0, name
    assert page.evaluate(CLIPPED_TEXT) == [], f"{name}: text cut off"
    assert page.evaluate(GRIDS_RUNNING_OVER) == [], f"{name}: a table's columns run past it"


def test_the_meeting_runs_from_review_to_hypothesis_without_leaving_presentation_mode(projector, meeting_url, shoot):
    page = projector
    page.goto(meeting_url + "/?present=1")
    shoot(page, "1-review")
    # The first screen: each KPI's status, value and floor, and the breach's workgroup link.
    for kpi in kpi_keys():
        expect(page.get_by_text(f"{kpi}", exact=True).first).to_be_in_viewport()
    expect(page.get_by_text("floor 93 %").first).to_be_in_viewport()
    form = page.get_by_role("link", name="Form a metrics workgroup for FRT")
    expect(form).to_be_in_viewport()

    # Why did FRT drop into breach? The FRT card (first: a sustained breach leads the agenda).
    why = page.get_by_role("button", name="Why did it change?").first
    why.scroll_into_view_if_needed()
    why.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("radio", name="the breach against the four weeks before it")).to_be_checked()
    expect(dialog.get_by_text("in the 3 weeks 02 Nov–16 Nov 2026", exact=False)).to_be_visible()
    shoot(page, "2-why")
    # The week before stays one click away.
    dialog.get_by_text("the week before", exact=True).click()
    expect(dialog.get_by_text("in the week of 09 Nov 2026", exact=False).first).to_be_visible()
    shoot(page, "3-why-week-before")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    form.click()
    shoot(page, "4-form-workgroup")
    submit = page.get_by_role("button", name="Form workgroup")
    submit.scroll_into_view_if_needed()
    submit.click()
    shoot(page, "5-workgroup")
    expect(page.get_by_role("heading", name="Workgroup #1")).to_be_visible()

    page.get_by_role("tab", name="Hypotheses").click()
    shoot(page, "6-hypotheses")
    statement = page.get_by_label("Testable statement")
    statement.scroll_into_view_if_needed()
    statement.fill("FRT fell because many people took time off")
    page.get_by_label("What result would falsify it").fill("PTO coverage steady at 90 %, like other years")
    page.keyboard.press("Tab")  # the text area hands its value to the app
    wait_for_script(page)
    page.get_by_role("button", name="Add hypothesis").click()
    shoot(page, "7-hypothesis-added")
    # Confirmed on screen wherever the page is scrolled, and shown open with its statement and falsifier.
    expect(page.get_by_text("Added.", exact=True)).to_be_in_viewport()
    added = page.get_by_label("What result would falsify it").first
    expect(added).to_have_value("PTO coverage steady at 90 %, like other years")
    expect(added).to_be_in_viewport()
    expect(page.get_by_label("Testable statement").first).to_be_in_viewport()
    expect(page.get_by_text("Evidence gathered")).to_be_in_viewport()

    expect(page.get_by_test_id("stToast")).to_have_count(0, timeout=15_000)  # it covers the switcher a moment
    page.get_by_test_id("stPopover").get_by_role("button", name="Workgroups").click()  # the page switcher
    page.get_by_test_id("stPopoverBody").get_by_role("link", name="Weekly review").click()
    shoot(page, "8-back-to-review")
    expect(page.get_by_role("link", name="Open workgroup #1")).to_be_in_viewport()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_no_text_is_cut_off_on_any_page_in_presentation_mode(chromium, streamlit_server, size, shoot):
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    try:
        for entry in PAGES:
            page.goto(streamlit_server.url + entry.url_path + "?present=1")
            shoot(page, entry.url_path.strip("/") or "review")
    finally:
        context.close()


# --- the change history on a projector ---------------------------------------------------------------------

LONG_ACTOR = "someone.with.a.rather.long.address@support-operations.example.com"
LONG_FILE = "explore_sla_events_for_the_emea_and_amer_leadership_review_2026-11-30_final_v3.csv"
LONG_DETAIL = {
    "upload_id": 12,
    "rows": 48213,
    "forms": ["GitLab SaaS support", "GitLab self-managed support", "Licensing and renewals", "US Federal"],
    "note": "replaces the export of 23 Nov 2026, whose last two days were missing the EMEA night shift",
}


@pytest.fixture(scope="module")
def long_history_url(streamlit_database, tmp_path_factory) -> str:
    """The demo year, then 30 uploads recorded with a long file name, a long address and a long detail."""
    folder = tmp_path_factory.mktemp("long-history")
    database = folder / "floorline.duckdb"
    shutil.copy(streamlit_database, database)
    con = store.connect(database)
    for _ in range(30):
        store.record_change(con, LONG_ACTOR, "upload", LONG_FILE, LONG_DETAIL)
    con.close()
    with running_streamlit(database, folder / "streamlit.log") as url:
        yield url


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_change_history_reads_in_full_on_a_projector(chromium, long_history_url, size, theme, shoot):
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, color_scheme=theme)
    page = context.new_page()
    try:
        page.goto(long_history_url + "/Change_history?present=1")
        shoot(page, "1-newest")
        table = page.get_by_test_id("stTable")
        newest = table.locator("tbody tr").first
        expect(newest).to_be_in_viewport()
        shown = newest.inner_text().replace(WORD_JOINER, "")
        for whole in (LONG_ACTOR, LONG_FILE, "note: " + LONG_DETAIL["note"]):
            assert whole in shown, whole
        assert "…" not in page.get_by_test_id("stMain").inner_text()
        expect(table.locator("tbody tr")).to_have_count(25)

        page.get_by_role("button", name="Older").click()
        shoot(page, "2-older")
        assert "page=2" in page.url
        expect(page.get_by_text("Page 2 of 2")).to_be_visible()
        expect(table.locator("tbody tr").last).to_contain_text("explore_sla_events_demo.csv")  # the first upload

        choose(page, "Read a change in full", "· upload ·", f"· upload · {LONG_FILE}")
        shoot(page, "3-read-in-full")
        expect(page.get_by_test_id("stCode")).to_contain_text("note: " + LONG_DETAIL["note"])
        assert "page=2" in page.url
    finally:
        context.close()


def test_the_change_history_reads_in_full_at_a_desk_beside_the_open_sidebar(chromium, long_history_url):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(long_history_url + "/Change_history")
        wait_for_elements(page)
        expect(page.get_by_test_id("stSidebar")).to_be_visible()
        shown = page.get_by_test_id("stTable").locator("tbody tr").first.inner_text().replace(WORD_JOINER, "")
        for whole in (LONG_ACTOR, LONG_FILE, "note: " + LONG_DETAIL["note"]):
            assert whole in shown, whole
        assert "…" not in page.get_by_test_id("stMain").inner_text()
        assert page.evaluate(CLIPPED_TEXT) == []
    finally:
        context.close()
