"""What every page shares (lib/ui/page.py): the sidebar's navigation and presentation mode, page by page.

The pages are walked from ``lib.ui.navigation.PAGES``, the one list the sidebar draws: a page added
there is smoke-tested here without a change to this file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.ui.navigation import PAGES

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [entry.script for entry in PAGES]


def open_page(script: str, query: dict | None = None) -> AppTest:
    """The page as the app serves it: the landing page first, then a switch (page links need the app around them)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params = dict(query or {})
    at.run()
    if script != "app.py":
        at.switch_page(script).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def link_labels(block) -> list[str]:
    return [link.proto.label for link in block.get("page_link")]


def test_every_page_file_is_in_the_navigation_once():
    on_disk = {"app.py", *(f"pages/{path.name}" for path in (ROOT / "pages").glob("*.py"))}
    assert sorted(SCRIPTS) == sorted(on_disk)
    assert PAGES[0].label == "Weekly review", "the landing page goes by its name, not 'app'"


def test_url_paths_are_the_ones_streamlit_gives_the_files():
    paths = {entry.script: entry.url_path for entry in PAGES}
    assert paths["app.py"] == "/"
    assert paths["pages/1_KPI_trends.py"] == "/KPI_trends"


def test_built_in_navigation_is_hidden_so_only_the_named_links_show():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "showSidebarNavigation = false" in config


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_page_runs_and_links_every_page_in_meeting_order(demo_db, script):
    at = open_page(script)

    assert link_labels(at.sidebar) == [entry.label for entry in PAGES]
    assert at.sidebar.toggle[0].label == "Presentation mode"
    assert not _has_key(at, "floorline_exit_presentation"), "the exit control shows only in presentation mode"


@pytest.mark.parametrize("script", SCRIPTS)
def test_presentation_mode_keeps_a_page_switcher_and_a_way_out_on_screen(demo_db, script):
    at = open_page(script, {"present": "1"})

    switcher = [link.proto for link in at.main.get("page_link") if link.proto.query_string == "present=1"]
    # The switcher comes first; a page may link on to others in its own content too.
    assert [link.label for link in switcher][: len(PAGES)] == [entry.label for entry in PAGES]
    assert {link.proto.query_string for link in at.sidebar.get("page_link")} == {"present=1"}

    at.button(key="floorline_exit_presentation").click().run()

    assert not at.exception
    assert "present" not in at.query_params
    assert not _has_key(at, "floorline_exit_presentation")
    assert {link.proto.query_string for link in at.sidebar.get("page_link")} == {""}


def _has_key(at: AppTest, key: str) -> bool:
    return any(button.key == key for button in at.button)
