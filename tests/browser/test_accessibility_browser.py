"""axe-core over every page, light and dark, against a bare Streamlit page with the same kinds of elements.

A violation the bare page (``bare_streamlit_page.py``, same theme settings) has too is Streamlit's own
and is let through, matched by axe rule and the kind of Streamlit element it is on (its ``data-testid``);
any other fails the test, naming the rule, the element and its HTML. axe-core comes with the PyPI
package axe-playwright-python (pinned in requirements-dev.txt; axe-core is MPL-2.0).
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import VIEWPORT, wait_for_elements
from streamlit_process import running_streamlit

from lib.ui.navigation import PAGES

pytestmark = pytest.mark.browser

AXE = Axe()
BARE_PAGE = "tests/browser/bare_streamlit_page.py"
# The Streamlit element a violation sits in: what "the same kind of element" means here.
ELEMENT_KIND = """(selector) => {
  const element = document.querySelector(selector);
  const owner = element && element.closest('[data-testid]');
  return owner ? owner.dataset.testid : 'page';
}"""


@pytest.fixture(scope="module")
def bare_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bare-page")
    with running_streamlit(folder / "unused.duckdb", folder / "streamlit.log", script=BARE_PAGE) as url:
        yield url


def violations(page) -> dict[tuple[str, str], str]:
    """(axe rule, Streamlit element kind) -> the first offending element's HTML and axe's summary."""
    found = {}
    for violation in AXE.run(page).response["violations"]:
        for node in violation["nodes"]:
            kind = page.evaluate(ELEMENT_KIND, node["target"][0])
            summary = " ".join((node.get("failureSummary") or "").split())
            found.setdefault((violation["id"], kind), f"{node['html'][:160]} — {summary[:200]}")
    return found


def opened(page, url: str):
    page.goto(url)
    wait_for_elements(page)
    page.wait_for_timeout(500)  # charts drawn
    return page


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_page_has_an_accessibility_violation_a_bare_streamlit_page_does_not_have(
    chromium, streamlit_server, bare_url, theme
):
    context = chromium.new_context(viewport=VIEWPORT, color_scheme=theme)
    page = context.new_page()
    try:
        streamlit_own = violations(opened(page, bare_url))
        new = {}
        for path in [entry.url_path for entry in PAGES] + ["/?present=1", "/Change_history?present=1"]:
            for (rule, kind), example in violations(opened(page, streamlit_server.url + path)).items():
                # Text must be readable everywhere, even where Streamlit's own styling falls short.
                if (rule, kind) not in streamlit_own or rule == "color-contrast":
                    new[f"{path} {rule} in {kind}"] = example
    finally:
        context.close()
    assert not new, "\n".join(f"{where}: {example}" for where, example in new.items())


def test_streamlits_own_caption_grey_fails_contrast_so_floorlines_captions_do_not_use_it(chromium, bare_url):
    # Why Floorline sets its captions' colour (lib/ui/page.py LAYOUT_CSS): Streamlit's caption grey is under
    # 4.5:1 on white, and the comparison above would let that through on every page.
    context = chromium.new_context(viewport=VIEWPORT, color_scheme="light")
    try:
        found = violations(opened(context.new_page(), bare_url))
    finally:
        context.close()
    assert ("color-contrast", "stCaptionContainer") in found
