"""Change history: the audit trail of every stored change, with who made it and when, newest first.

Viewers read it too. Filters and the page sit in the URL (``?person=ann@example.com&area=Uploads&page=2``),
so a link to "everything Ann changed" can be shared. The changes are a static table, 25 a page, whose long
text wraps (a grid would cut it with "…"); one picked by its label shows in full below. Stored text (names,
file names, the detail in words) is escaped in the table and plain text in the select box and code block,
never Markdown or HTML.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from lib.core.downloads import safe_csv
from lib.store import history
from lib.ui import history_view
from lib.ui.cache import by_data_version
from lib.ui.page import link_choices, setup_page

ctx = setup_page("Change history", ":material/history:")


# Every recorded change bumps the data version, so the cached log is read again after each one.
recorded_changes = by_data_version(history.changes)

st.title("Change history", anchor=False)
st.caption(
    "Every change to the stored data (uploads, rollbacks, restores, demo removal, settings, form mapping, "
    "workgroup and OKR edits) with who made it and when, newest first. Times are UTC."
)
everything = recorded_changes(ctx)
if everything.empty:
    st.info("No change has been recorded yet.", icon=":material/history:")
    st.stop()

area_column, action_column, person_column = st.columns([2, 2, 2], vertical_alignment="bottom")
for parameter, column in (("area", "Area"), ("action", "Action"), ("person", "Who")):
    link_choices(parameter, history.choices(everything, column))
areas = area_column.pills(
    "Area",
    history.choices(everything, "Area"),
    selection_mode="multi",
    key="area",
    bind="query-params",
    on_change=history_view.first_page,
)
actions = action_column.multiselect(
    "Action",
    history.choices(everything, "Action"),
    key="action",
    bind="query-params",
    on_change=history_view.first_page,
    placeholder="All actions",
)
people = person_column.multiselect(
    "Person",
    history.choices(everything, "Who"),
    key="person",
    bind="query-params",
    on_change=history_view.first_page,
    placeholder="Everyone",
)
shown = history.filter_changes(everything, areas=areas, actions=actions, people=people)

if not ctx.presentation:  # a download is for the desk, not the room
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(f"{len(shown):,} of {len(everything):,} changes", width="content")
        st.download_button(
            "Download CSV",
            safe_csv(shown),
            file_name=f"floorline-change-history-{dt.date.today().isoformat()}.csv",
            mime="text/csv",
            icon=":material/download:",
            help="The changes shown, as a CSV; no cell can run as a spreadsheet formula.",
            on_click="ignore",
        )

# A static table in pages, at the desk too: a grid ends a long subject or detail in "…" beside the sidebar.
history_view.paged_table(shown)
