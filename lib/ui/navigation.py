"""The app's pages, in the order the sidebar lists them, and which of them a viewer is offered.

Streamlit's own page list (from the ``pages/`` folder) is switched off in
``.streamlit/config.toml``: it would name the landing page "app" and offer every page to
everyone. Upload is there to store and undo uploads, so a viewer's list leaves it out; its
address still shows a viewer the upload history read only (Change history lists every upload too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

ENTRY_SCRIPT = "app.py"


@dataclass(frozen=True)
class PageEntry:
    script: str  # relative to the app's folder, as st.page_link takes it
    label: str
    icon: str
    for_changing_data: bool = False  # its purpose is to change stored data: not offered to viewers

    @property
    def url_path(self) -> str:
        """The page's address under the app's root, as Streamlit derives it from the file name."""
        if "/" not in self.script:
            return "/"
        return "/" + re.sub(r"^\d+_", "", PurePosixPath(self.script).stem)


# Every page, in the order the weekly meeting goes through them. The sidebar and the presentation
# switcher draw this list, and the page tests and the browser benchmark walk it: a new page is added here only.
PAGES = (
    PageEntry(ENTRY_SCRIPT, "Weekly review", ":material/event_note:"),
    PageEntry("pages/1_KPI_trends.py", "KPI trends", ":material/trending_up:"),
    PageEntry("pages/2_Workgroups.py", "Workgroups", ":material/groups:"),
    PageEntry("pages/3_OKRs.py", "OKRs", ":material/flag:"),
    PageEntry("pages/4_Team_epics.py", "Team epics", ":material/account_tree:"),
    PageEntry("pages/5_Data_trust.py", "Data trust", ":material/fact_check:"),
    PageEntry("pages/6_Upload.py", "Upload", ":material/upload_file:", for_changing_data=True),
    PageEntry("pages/7_Change_history.py", "Change history", ":material/history:"),
)


def pages_for(can_edit: bool) -> tuple[PageEntry, ...]:
    """The pages the navigation offers: all of them to an editor, the ones that show data to a viewer."""
    return tuple(page for page in PAGES if can_edit or not page.for_changing_data)
