"""Change history: the audit trail of every stored change, with who made it and when, newest first.

Viewers read it too. Filters sit in the URL (``?person=ann@example.com&area=Uploads``), so a
link to "everything Ann changed" can be shared. Stored text (names, file names, the detail
in words) is shown as text in the table and in a code block, never as Markdown or HTML.
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
)
actions = action_column.multiselect(
    "Action",
    history.choices(everything, "Action"),
    key="action",
    bind="query-params",
    placeholder="All actions",
)
people = person_column.multiselect(
    "Person",
    history.choices(everything, "Who"),
    key="person",
    bind="query-params",
    placeholder="Everyone",
)
shown = history.filter_changes(everything, areas=areas, actions=actions, people=people)

if ctx.presentation:  # a static table in pages: a grid would end long subjects and details in "…" there
    history_view.paged_table(shown)
    st.stop()

# Left-aligned, so the table's own toolbar (top right, on hover) never covers the button.
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

selection = st.dataframe(
    shown,
    hide_index=True,
    key="changes",
    on_select="rerun",
    selection_mode="single-row",
    # The area is a filter above; leaving it out of the table keeps the detail readable beside the sidebar.
    column_order=[column for column in history.COLUMNS if column != "Area"],
    column_config={
        # Widths add up to what fits beside the open sidebar at 1400 px; a selected row's detail shows in full.
        "Change": st.column_config.NumberColumn(width=62, format="%d"),
        "When (UTC)": st.column_config.DatetimeColumn(format="DD MMM YYYY, HH:mm:ss", width=150),
        "Who": st.column_config.TextColumn(width=160),
        "Action": st.column_config.TextColumn(width=140),
        "Subject": st.column_config.TextColumn(width=175),
        "Detail": st.column_config.TextColumn(width=200),
    },
)
chosen_rows = [row for row in selection.selection.rows if row < len(shown)]
if chosen_rows:
    history_view.show_change(shown.iloc[chosen_rows[0]])
else:
    st.caption("Select a row to read its detail in full.")
