"""The page list: every page once, and a viewer is not offered the pages that only change data."""

from __future__ import annotations

from lib.core.settings import PROJECT_ROOT
from lib.ui import navigation


def test_the_list_names_every_page_of_the_app_once():
    on_disk = {navigation.ENTRY_SCRIPT} | {f"pages/{path.name}" for path in (PROJECT_ROOT / "pages").glob("*.py")}
    listed = [page.script for page in navigation.PAGES]
    assert sorted(listed) == sorted(on_disk)
    assert listed[0] == navigation.ENTRY_SCRIPT
    assert navigation.PAGES[0].label == "Weekly review"


def test_a_viewer_is_offered_every_page_but_upload_and_an_editor_every_page():
    assert [page.label for page in navigation.pages_for(can_edit=False)] == [
        "Weekly review",
        "KPI trends",
        "Workgroups",
        "OKRs",
        "Team epics",
        "Data trust",
        "Change history",
    ]
    assert navigation.pages_for(can_edit=True) == navigation.PAGES


def test_the_page_files_are_numbered_in_the_order_the_meeting_uses_them():
    # The file names sort as the sidebar lists the pages, so pages/ reads in the meeting's order too.
    numbers = [int(page.script.removeprefix("pages/").split("_")[0]) for page in navigation.PAGES[1:]]
    assert numbers == list(range(1, len(navigation.PAGES)))
