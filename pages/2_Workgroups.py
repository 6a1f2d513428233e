"""Metrics workgroups: formed on a sustained breach, they test hypotheses and ship actions until recovery.

The meeting's order: which breach has nobody working on it, form a workgroup on it, then the workgroups
with their recovery, and the hypothesis library. One workgroup opens on its tabs: overview, details and
people, hypotheses, actions, export. The sections are drawn by lib/ui/workgroups_view.py and
lib/ui/workgroup_detail_view.py; the rules live in lib/workgroups/. What is typed stays a draft until it
is saved (lib/ui/drafts.py). A viewer sees everything read only, with no control that changes data.
"""

from __future__ import annotations

import streamlit as st

from lib.core import links
from lib.ui import workgroups_view as view
from lib.ui.page import escape_markdown, link_choices, link_parameter, setup_page
from lib.ui.workgroup_detail_view import DETAIL_TABS
from lib.workgroups import model, repository

ctx = setup_page("Workgroups", ":material/groups:")


def list_view() -> None:
    st.title("Metrics workgroups", anchor=False)
    st.caption(
        f"When a combined KPI is at or below its floor for {ctx.settings.sustained_weeks} sustained weeks, a small "
        "workgroup writes testable statements about the cause, gathers data that could falsify them and ships "
        f"temporary or permanent changes. It has recovered after {ctx.settings.recovery_weeks} consecutive complete "
        "weeks above the floor."
    )
    link_kpi, link_start, link_end = view.incoming_link()
    view.apply_incoming_link(link_kpi, link_start, link_end)
    unattended = view.unattended_warnings(ctx)
    if ctx.can_edit:
        view.form_section(ctx, link_kpi, link_start, link_end, unattended)
    else:
        st.info(view.READ_ONLY_NOTE, icon=":material/visibility:")

    workgroups = repository.list_workgroups(ctx.con)
    st.header(f"Workgroups ({len(workgroups)})", anchor=False)
    if not workgroups:
        st.caption("No workgroups yet.")
    for workgroup in workgroups:
        view.workgroup_card(ctx, workgroup)
    view.library_section(ctx, None)
    view.deleted_section(ctx)


def detail_view(workgroup: dict) -> None:
    recovery = view.recovery_for(ctx, workgroup)
    st.button("All workgroups", key="back", icon=":material/arrow_back:", on_click=view.select_workgroup, args=(None,))
    st.title(f"Workgroup #{workgroup['id']}", anchor=False)
    st.subheader(escape_markdown(workgroup["title"]), anchor=False)
    view.status_badges(workgroup, recovery)
    if warning := model.member_count_warning(len(workgroup["members"])):
        st.warning(warning, icon=":material/group:")
    # The chosen tab is kept across reruns (a save does not jump back to the first tab) and sits in the URL.
    link_choices("tab", DETAIL_TABS)
    tabs = st.tabs(list(DETAIL_TABS), key="tab", on_change="rerun", bind="query-params")
    for tab, render in zip(tabs, DETAIL_TABS.values(), strict=True):
        if tab.open is not False:  # only the chosen tab runs; drafts keep what the others had typed
            with tab:
                render(ctx, workgroup, recovery)


view.DRAFTS.show_flash()
view.DRAFTS.show_undo(ctx.con)
selected = link_parameter("wg", links.read_id, "a workgroup number")
chosen = repository.get_workgroup(ctx.con, selected) if selected is not None else None
if selected is not None and chosen is None:
    st.warning(f"There is no workgroup #{selected}; showing all of them.", icon=":material/warning:")
if chosen:
    detail_view(chosen)
else:
    list_view()
