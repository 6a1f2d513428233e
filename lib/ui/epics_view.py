"""The Team epics page's widgets: the tables, and the import, fetch, restore and settings controls.

Everything shown is computed in ``lib.epics`` (and the roster's OKRs in ``lib.okrs``); these helpers lay
it out and hand imports, fetches, restores and settings back.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from lib.core.downloads import safe_csv
from lib.core.errors import RefusedFile
from lib.core.links import web_link
from lib.core.text import escape_table_cells
from lib.epics import imports as epic_imports
from lib.epics import overview as epic_overview
from lib.epics import repository as epic_repository
from lib.epics import workload
from lib.epics.fetch import FetchFailed, GitLabSource, fetch_and_import, gitlab_host
from lib.metrics import fiscal
from lib.okrs import quarters as okr_quarters
from lib.store import database as store
from lib.ui.cache import by_data_version
from lib.ui.page import PageContext, escape_markdown
from lib.ui.staging import show_refusal, staged_upload
from lib.ui.tables import wrapping_table

ROW_PIXELS = 35  # a dataframe row's height in Streamlit
REFUSED_ICON = ":material/block:"


@by_data_version
def page_data(con, today: dt.date):
    """Everything the page shows; any stored change (settings included) bumps the version this is cached on."""
    settings = store.load_settings(con)
    view = epic_overview.epics_view(con, settings, today)
    quarter = okr_quarters.quarter_view(con, settings, fiscal.quarter_of(today), today)
    rows, median = workload.who_works_on_what(con, view.masters, quarter)
    return view, rows, median, quarter.quarter.label


def highlight_standing_out(row) -> list[str]:
    tint = "background-color: #FFF3CD; color: #111111" if row["Stands out"] else ""
    return [tint] * len(row)


def show_report() -> None:
    report = st.session_state.pop("epics_report", None)
    if report:
        st.success(escape_markdown(report), icon=":material/check_circle:")


def remember(result: epic_repository.ImportResult, what: str) -> None:
    text = f"{what}: {result.summary()}."
    for warning in result.warnings:
        text += f" Note: {warning}."
    st.session_state["epics_report"] = text
    st.session_state["epics_upload_generation"] = st.session_state.get("epics_upload_generation", 0) + 1


def headline_metrics(view: epic_overview.EpicsView, work: list[workload.ManagerWork]) -> None:
    numbers = epic_overview.headline(view.masters, work)
    metrics = st.columns(4)
    metrics[0].metric("Open master epics", numbers.open_masters)
    metrics[1].metric("Flagged", numbers.flagged)
    metrics[2].metric("Without a DRI on the roster", numbers.without_roster_dri)
    metrics[3].metric("Managers with no visible work", numbers.no_visible_work)


# On a shared screen the table keeps what the meeting reads: what, who, the flags, the link and the due date;
# the rest (state too: the open epics come first) stays in the CSV and in the normal view. It is a static
# table there, whose long cells wrap instead of ending in "…".
PRESENTATION_COLUMNS = ("Area", "DRI", "Flags", "Epic", "Due")


def masters_table(view: epic_overview.EpicsView, presentation: bool = False) -> None:
    masters = epic_overview.masters_frame(view.masters)
    # A link opens whatever its cell holds: on screen, only an http(s) address on the GitLab host is kept.
    gitlab = (gitlab_host(st.secrets),)
    shown = masters.assign(Epic=masters["Epic"].map(lambda url: web_link(url, gitlab)))
    if presentation:
        wrapping_table(shown[list(PRESENTATION_COLUMNS)], links={"Epic": "open in GitLab"})
    else:
        every_master_table(shown)
    st.download_button(
        "Master epics (CSV)",
        data=safe_csv(masters),
        file_name="master-epics.csv",
        mime="text/csv",
        icon=":material/download:",
    )


def every_master_table(shown: pd.DataFrame) -> None:
    """Every column but the region and "Named in" (listed whole further down), in widths that fit beside the open
    sidebar at 1400 px."""
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        placeholder="—",  # a missing due date, not Streamlit's "None"
        height=ROW_PIXELS * (len(shown) + 1) + 3,  # every master epic in view, no inner scrolling
        column_order=[column for column in shown.columns if column not in ("Region", "Named in")],
        column_config={
            "Area": st.column_config.TextColumn("Area", width=140),
            "DRI": st.column_config.TextColumn("DRI", width=100),
            "Epic": st.column_config.LinkColumn("Epic", display_text="open in GitLab", width=95),
            "Flags": st.column_config.TextColumn("Flags", width=190),
            "State": st.column_config.TextColumn("State", width=55),
            "Child epics": st.column_config.TextColumn("Child epics", width=105),
            "Start": st.column_config.DateColumn("Start", format="DD MMM YYYY", width=80),
            "Due": st.column_config.DateColumn("Due", format="DD MMM YYYY", width=80),
            "Last update": st.column_config.DateColumn("Last update", format="DD MMM YYYY", width=85),
        },
        key="master-epics",
    )


def work_table(work: list[workload.ManagerWork]) -> None:
    # A static table wraps long cells (a dataframe would cut them); rows that stand out get a marker and a tint.
    # Its cells are Markdown: names, areas and OKR titles come from files, so every one is escaped.
    cells = escape_table_cells(epic_overview.work_frame(work))
    st.table(cells.style.apply(highlight_standing_out, axis=1).hide(axis="index"))


def links_table(linked: pd.DataFrame, presentation: bool = False) -> None:
    if linked.empty:
        st.caption(
            "No key result or workgroup action names an epic yet: put the epic's URL or reference "
            "(e.g. gitlab-com/support&12) in its text."
        )
        return
    st.caption("Key results and workgroup actions whose text names a master epic or one of its child epics.")
    if presentation:  # long items wrap; the address is Floorline's own page, written by lib.epics.overview
        wrapping_table(linked, links={"Open": "open in Floorline"})
        return
    st.dataframe(
        linked,
        hide_index=True,
        width="stretch",
        key="epic-links",
        column_config={"Open": st.column_config.LinkColumn("Open", display_text="open in Floorline")},
    )


def upload_section(ctx: PageContext) -> None:
    generation = st.session_state.get("epics_upload_generation", 0)
    with staged_upload(
        "Epics JSON saved from GitLab",
        types=["json"],
        key=f"epics-upload-{generation}",
        max_mb=ctx.settings.max_upload_mb,
        help="GET /groups/:id/epics (several pages may be concatenated), or the Work Items API's JSON.",
    ) as staged:
        if staged is None:
            return
        path, file_name = staged
        try:
            epic_imports.check_size(path.stat().st_size, file_name)
            parsed = epic_imports.parse_epics(path.read_bytes(), file_name)
        except RefusedFile as error:
            show_refusal(error)
            return
        st.info(
            f"{escape_markdown(file_name)}: {len(parsed.epics)} epics read as the "
            f"{escape_markdown(parsed.shape)}{escape_markdown(parsed.left_out())}.",
            icon=":material/task_alt:",
        )
        if st.button("Import as the newest snapshot", type="primary", icon=":material/upload:"):
            try:
                result = epic_repository.import_epics_file(ctx.con, path, ctx.user, file_name=file_name)
            except RefusedFile as error:
                show_refusal(error)
            else:
                remember(result, file_name)
                st.rerun()


def fetch_section(ctx: PageContext) -> None:
    try:
        source = GitLabSource.from_secrets(st.secrets)
    except FileNotFoundError:
        source = None
    if source is None:
        st.caption(
            "To fetch straight from GitLab, put `url`, `group` and `token` (read\\_api) under `[gitlab]` in "
            "`.streamlit/secrets.toml`."
        )
    elif st.button(f"Fetch from {escape_markdown(source.description)}", icon=":material/cloud_download:"):
        bar = st.progress(0.0, text="asking GitLab")
        try:
            result = fetch_and_import(
                ctx.con, source, ctx.user, lambda fraction, text: bar.progress(fraction, text=text)
            )
        except (FetchFailed, RefusedFile) as error:
            bar.empty()
            show_refusal(error)
        else:
            remember(result, "Fetched from GitLab")
            st.rerun()


def snapshots_section(ctx: PageContext) -> None:
    found = epic_repository.snapshots(ctx.con)
    if not found:
        return
    st.markdown("**Snapshots**, newest first: the active one is shown; restore an earlier one to show it again.")
    st.dataframe(epic_overview.snapshots_frame(found), hide_index=True, width="stretch")
    earlier = epic_overview.restorable(found)
    if ctx.can_edit and earlier:
        columns = st.columns([1, 3], vertical_alignment="bottom")
        chosen = columns[0].selectbox("Snapshot to restore", earlier)
        if columns[1].button("Restore it", icon=":material/restore:"):
            epic_repository.restore_snapshot(ctx.con, chosen, ctx.user)
            st.session_state["epics_report"] = f"Snapshot {chosen} restored."
            st.rerun()


def settings_section(ctx: PageContext) -> None:
    columns = st.columns([2, 1, 1], vertical_alignment="bottom")
    pattern = columns[0].text_input(
        "Master epic title pattern",
        value=ctx.settings.epic_master_pattern,
        help="A regular expression, any case; the handbook searches for 'area:'.",
    )
    stale_days = columns[1].number_input(
        "Stale after days", min_value=1, max_value=365, value=ctx.settings.epic_stale_after_days
    )
    if columns[2].button("Save settings", icon=":material/save:"):
        try:
            epic_repository.save_page_settings(ctx.con, ctx.settings, pattern, int(stale_days), ctx.user)
        except ValueError as error:
            st.error(escape_markdown(error), icon=REFUSED_ICON)
            return
        st.rerun()
