"""Team epics: the master epics by area with their DRIs and flags, and who is working on what.

Named so that it sorts right after ``3_OKRs.py`` in Streamlit's page order (number, then name),
as the meeting takes them. Everything is computed in ``lib.epics``; ``lib.ui.epics_view`` draws it
and hands imports, fetches, restores and settings back to ``lib``.
"""

import streamlit as st

from lib.epics import model as epic_model
from lib.epics import overview as epic_overview
from lib.epics import repository as epic_repository
from lib.metrics import fiscal
from lib.ui import epics_view
from lib.ui.page import escape_markdown, setup_page

ctx = setup_page("Team epics", ":material/account_tree:")
TODAY = fiscal.today()

st.title("Team epics")
st.caption(
    "The handbook: the Support team tracks ongoing projects in GitLab epics; for the master epics (found by "
    "searching “area:”) a Support manager is the DRI, their name in parentheses after the title. Here a master "
    f"epic's title matches **{escape_markdown(ctx.settings.epic_master_pattern)}** (a setting). Flags: no DRI, "
    "DRI not on the manager roster (OKRs page), overdue, and stale (no update on the epic or its child epics "
    f"for {ctx.settings.epic_stale_after_days} days or more)."
)
epics_view.show_report()

try:
    view, work, median, quarter_label = epics_view.page_data(ctx, TODAY)
except ValueError as error:  # a master-epic pattern that is not a valid regular expression
    st.error(f"No figures shown: {escape_markdown(error)}", icon=epics_view.REFUSED_ICON)
    view = None

if view is not None and view.snapshot is None:
    st.info("No epics yet. An editor imports the JSON saved from GitLab, or fetches it, below.", icon=":material/info:")
elif view is not None:
    snapshot = view.snapshot
    if snapshot["is_demo"]:
        st.info(
            "Demo epics: generated to match the demo managers, not real. Import your group's epics below to "
            "replace them.",
            icon=":material/science:",
        )
    st.caption(
        f"Snapshot {snapshot['id']}: {view.epic_count} epics from {escape_markdown(snapshot['source'])}, "
        f"imported {snapshot['imported_at']:%d %b %Y %H:%M} UTC by {escape_markdown(snapshot['imported_by'])}."
    )
    epics_view.headline_metrics(view, work)

    st.header("Master epics by area")
    epics_view.masters_table(view, presentation=ctx.presentation)

    st.header("Who is working on what")
    st.caption(
        f"One row per manager on the roster, {quarter_label}. The handbook's order comes first: **1. KPIs** "
        "(a sustained breach in their region or segment, and the workgroups they sit on), **2. team growth** "
        "(hiring and development), then **3. OKRs**; master epics beside them. *Items* counts open master "
        "epics they are DRI of, their OKR objectives this quarter and the open workgroups they sit on. "
        f"▲ marks no visible work (0 items) and far more than the rest (at least twice the median, {median:g}, "
        f"and {epic_model.FAR_MORE_MARGIN} or more above it)."
    )
    epics_view.work_table(work)

    st.header("Named in OKRs and workgroups")
    epics_view.links_table(epic_overview.links_frame(view.masters), ctx.presentation)

st.header("Import, fetch and restore")
if ctx.can_edit:
    epics_view.upload_section(ctx)
    epics_view.fetch_section(ctx)
    epics_view.snapshots_section(ctx)
    with st.expander("Settings for this page"):
        epics_view.settings_section(ctx)
    if any(s["is_demo"] for s in epic_repository.snapshots(ctx.con)) and st.button(
        "Remove the demo epics", icon=":material/delete:"
    ):
        epic_repository.remove_demo_epics(ctx.con, ctx.user)
        st.rerun()
else:
    epics_view.snapshots_section(ctx)
    st.info("You can view epics; an editor imports, fetches and restores them.", icon=":material/visibility:")
