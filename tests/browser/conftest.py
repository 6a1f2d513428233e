"""Browser-test fixtures: a real `streamlit run` of the app on a free port, and a Chromium page.

- ``streamlit_database`` (module): the database the server starts with, the demo year ending
  Thu 26 Nov 2026. Override it in a test module to start from something else.
- ``streamlit_server`` (module): starts the app on its own port with ``FLOORLINE_DB`` pointing at
  that database, waits for ``/_stcore/health``, yields ``StreamlitServer(url, db_path)`` and stops
  the server afterwards. The test process never holds the database open while the server runs
  (DuckDB lets one process write a file): change data through the app, or in the override.
- ``browser_page`` (function): a fresh Chromium page at 1400x900.
- ``open_app`` (function): ``open_app("/KPI_trends?present=1")`` loads a page and waits until its
  script has finished running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from chromium_location import ChromiumNotFound, find_chromium, may_skip_browser_tests
from export_builders import DEMO_END
from playwright.sync_api import Page, sync_playwright
from streamlit_process import running_streamlit

from lib.demo.load import load_demo
from lib.store import database as store

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1400, "height": 900}
STARTUP_SECONDS = 60


class StreamlitServer(NamedTuple):
    url: str
    db_path: Path


@pytest.fixture(scope="module")
def streamlit_database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("browser-db") / "floorline.duckdb"
    con = store.connect(path)
    load_demo(con, end=DEMO_END)
    con.close()
    return path


@pytest.fixture(scope="module")
def streamlit_server(streamlit_database, tmp_path_factory) -> Iterator[StreamlitServer]:
    log = tmp_path_factory.mktemp("streamlit-log") / "streamlit.log"
    with running_streamlit(streamlit_database, log) as url:
        yield StreamlitServer(url, streamlit_database)


def pytest_collection_modifyitems(config, items):
    """Without a browser a developer's run skips the browser tests, saying why; CI's run, or one
    that named a browser, fails instead."""
    try:
        find_chromium()
    except ChromiumNotFound as missing:
        if not any(item.get_closest_marker("browser") for item in items):
            return
        if not may_skip_browser_tests():
            raise pytest.UsageError(f"the browser tests must run, but {missing}") from missing
        skip = pytest.mark.skip(reason=str(missing))
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium) -> Iterator[Page]:
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def wait_for_script(page: Page, timeout_ms: int = 60_000) -> None:
    """Until the page's script has run to the end (the first paint shows an idle app before it starts)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    page.wait_for_selector(
        "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']", timeout=timeout_ms
    )
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)


def wait_for_elements(page: Page, timeout_ms: int = 60_000) -> None:
    """Until the script has run and every element is drawn: Streamlit loads some elements' code on first
    use (charts, tables, inputs) and shows a grey placeholder until then."""
    wait_for_script(page, timeout_ms)
    page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')", timeout=timeout_ms)


@pytest.fixture
def open_app(browser_page, streamlit_server) -> Callable[[str], Page]:
    def open_path(path: str = "/") -> Page:
        browser_page.goto(streamlit_server.url + path)
        wait_for_script(browser_page)
        return browser_page

    return open_path
