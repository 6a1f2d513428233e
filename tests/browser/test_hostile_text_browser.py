"""What Chromium draws from hostile text: no link out, no image from outside, no HTML in chart text.

The AppTest walk (tests/pages/test_file_text_is_never_markdown.py) checks the strings Streamlit is
given; this checks what the browser makes of them. Floorline is served on a database whose every
stored text is a payload (tests/hostile_payloads.py: export, OKR workbook, epics JSON, workgroup,
who uploaded), and every page is opened, with payloads in the address too. On each: no ``<a>``
leads anywhere but Floorline itself, no ``<img>`` comes from another host, plotly's SVG holds no
link, and the browser never asked the payloads' host for anything (a tracking pixel would).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import wait_for_script
from hostile_payloads import AUTOLINK, EMAIL, HOSTILE_NAME, HTML, IMAGE, LINK, OUTSIDE, WWW, fill
from playwright.sync_api import Page
from select_boxes import choose

from lib.core.text import WORD_JOINER
from lib.store import database as store

pytestmark = pytest.mark.browser

OUTSIDE_HOST = urlsplit(OUTSIDE).netloc
ADDRESS_PAYLOADS = (AUTOLINK, LINK, HTML, WWW, EMAIL)
PATHS = [
    "/",
    "/KPI_trends",
    "/Upload",
    "/Workgroups",
    *(f"/Workgroups?wg=1&tab={quote(tab)}" for tab in ("Overview", "Details and people", "Hypotheses", "Actions")),
    "/OKRs",
    f"/OKRs?manager={quote(IMAGE + ' 0')}",
    "/OKRs?section=Alignment",
    "/Team_epics",
    "/Team_epics?present=1",  # the static tables of a shared screen: links only to GitLab's own host
    "/OKRs?present=1",
    "/Data_trust",
    "/Change_history",
    "/Change_history?present=1",  # the log as a static table, its uploader and file name payloads
    *(f"/?week={quote(payload)}" for payload in ADDRESS_PAYLOADS),
    *(f"/Workgroups?kpi=FRT&start={quote(payload)}&end={quote(payload)}" for payload in ADDRESS_PAYLOADS),
    f"/KPI_trends?region={quote(AUTOLINK)}",
    f"/OKRs?quarter={quote(LINK)}",
]


@pytest.fixture(scope="module")
def streamlit_database(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-db")
    con = store.connect(folder / "floorline.duckdb")
    assert fill(con, folder, dt.date.today()) == 1
    con.close()
    return folder / "floorline.duckdb"


def outside_links(page: Page, app_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    return [href for href in hrefs if not href.startswith(app_url + "/") and href != app_url]


def outside_images(page: Page, app_url: str) -> list[str]:
    sources = page.eval_on_selector_all("img[src]", "images => images.map(i => i.src)")
    return [src for src in sources if not src.startswith((app_url + "/", "data:image/"))]


@pytest.mark.parametrize("path", PATHS)
def test_no_hostile_text_becomes_a_link_an_image_or_chart_html_in_the_browser(streamlit_server, browser_page, path):
    page, app_url = browser_page, streamlit_server.url
    asked_outside = []
    page.on("request", lambda request: asked_outside.append(request.url) if OUTSIDE_HOST in request.url else None)
    page.goto(app_url + path)
    wait_for_script(page)
    page.wait_for_timeout(1500)  # charts draw after the script has finished
    assert page.get_by_test_id("stException").count() == 0, path
    assert outside_links(page, app_url) == [], path
    assert outside_images(page, app_url) == [], path
    assert page.locator(".js-plotly-plot svg a").count() == 0, path
    assert page.locator("[data-testid='stTable'] img").count() == 0, path
    # A static table links only to Floorline's own pages (Team epics' "Named in"): a payload's address never.
    table_links = page.eval_on_selector_all("[data-testid='stTable'] a", "links => links.map(a => a.href)")
    assert all(href.startswith(app_url + "/") for href in table_links), (path, table_links)
    assert asked_outside == [], path


def test_the_payloads_are_on_screen_as_text(streamlit_server, browser_page):
    """The check above sees the payloads: they are drawn, as the characters they are."""
    page = browser_page
    page.goto(streamlit_server.url + "/Team_epics")
    wait_for_script(page)
    table = page.get_by_test_id("stTable")
    assert "<img src=http:" in table.inner_text()  # the HTML payload, as text
    assert "[click me](http:" in table.inner_text()
    page.goto(streamlit_server.url + "/OKRs?section=Alignment")
    wait_for_script(page)
    page.wait_for_timeout(1500)
    page.wait_for_selector(".js-plotly-plot svg text")
    texts = page.eval_on_selector_all(".js-plotly-plot svg text", "texts => texts.map(t => t.textContent)")
    assert any("<img src=http:" in text for text in texts), texts[:20]  # the alignment chart's titles, as text


def test_the_change_history_shows_who_uploaded_and_the_file_name_as_text_in_its_table_and_in_full(
    streamlit_server, browser_page
):
    page, app_url = browser_page, streamlit_server.url
    page.goto(app_url + "/Change_history?present=1")
    wait_for_script(page)
    upload = page.get_by_test_id("stTable").locator("tbody tr").filter(has_text=HOSTILE_NAME).first
    shown = upload.inner_text().replace(WORD_JOINER, "")  # the joiner that keeps an address from becoming a link
    assert LINK in shown and HOSTILE_NAME in shown  # as the characters they are
    choose(page, "Read a change in full", "· upload ·", f"· upload · {HOSTILE_NAME}")
    wait_for_script(page)
    assert LINK in page.get_by_test_id("stMain").inner_text().replace(WORD_JOINER, "")  # "by [click me](…)", no link
    assert outside_links(page, app_url) == [] and page.locator("[data-testid='stMain'] a").count() == 0
