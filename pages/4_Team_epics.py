"""Team epics: the master epics by area with their DRIs and flags, and who is working on what.

Named so that it sorts right after ``4_OKRs.py`` in Streamlit's page order (number, then name),
as the meeting takes them. Everything is computed in ``lib.epics``; this page lays it out and
hands imports, fetches, restores and settings back to ``lib``.
"""

import tempfile
from pathlib import Path

import streamlit as st

from lib.core.downloads import safe_csv
from lib.core.errors import RefusedFile
from lib.core.settings import database_path
from lib.epics import imports as epic_imports
from lib.epics import masters as epic_masters
from lib.epics import model as epic_model
from lib.epics import repository as epic_repository
from lib.epics import views as epic_views
from lib.epics import workload
from lib.epics.fetch import FetchFailed, GitLabSource, fetch_and_import
from lib.metrics import fiscal
from lib.okrs import views
from lib.store import database as store
from lib.ui.page import escape_markdown, setup_page

ctx = setup_page("Team epics", ":material/account_tree:")
DATABASE = str(database_path())
TODAY = fiscal.today()
ROW_PIXELS = 35  # a dataframe row's height in Streamlit


@st.cache_data(show_spinner=False)
def page_data(_con, _settings, database: str, data_version: int, today):
    """Everything the page shows; any stored change (settings included) bumps the version."""
    del database, data_version
    view = epic_views.epics_view(_con, _settings, today)
    quarter = views.quarter_view(_con, _settings, fiscal.quarter_of(today), today)
    rows, median = workload.who_works_on_what(_con, view.masters, quarter)
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


def import_section() -> None:
    generation = st.session_state.get("epics_upload_generation", 0)
    uploaded = st.file_uploader(
        "Epics JSON saved from GitLab",
        type=["json"],
        key=f"epics-upload-{generation}",
        max_upload_size=ctx.settings.max_upload_mb,
        help="GET /groups/:id/epics (several pages may be concatenated), or the Work Items API's JSON.",
    )
    if uploaded is not None:
        with tempfile.TemporaryDirectory(prefix="floorline-epics-") as folder:
            path = Path(folder) / "upload.json"
            path.write_bytes(uploaded.getvalue())
            try:
                parsed = epic_imports.parse_epics(path.read_bytes(), uploaded.name)
            except RefusedFile as error:
                st.error(f"Nothing was stored. {escape_markdown(error.message)}", icon=":material/block:")
            else:
                left_out = "".join(f"; leaves out {n} {why}" for why, n in parsed.ignored.items())
                st.info(
                    f"{escape_markdown(uploaded.name)}: {len(parsed.epics)} epics read as the "
                    f"{escape_markdown(parsed.shape)}{escape_markdown(left_out)}.",
                    icon=":material/task_alt:",
                )
                if st.button("Import as the newest snapshot", type="primary", icon=":material/upload:"):
                    try:
                        result = epic_repository.import_epics_file(ctx.con, path, ctx.user, file_name=uploaded.name)
                    except RefusedFile as error:
                        st.error(f"Nothing was stored. {escape_markdown(error.message)}", icon=":material/block:")
                    else:
                        remember(result, uploaded.name)
                        st.rerun()
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
            message = error.message if isinstance(error, RefusedFile) else str(error)
            st.error(f"Nothing was stored. {escape_markdown(message)}", icon=":material/block:")
        else:
            remember(result, "Fetched from GitLab")
            st.rerun()


def snapshots_section() -> None:
    found = epic_repository.snapshots(ctx.con)
    if not found:
        return
    st.markdown("**Snapshots**, newest first: the active one is shown; restore an earlier one to show it again.")
    st.dataframe(
        [
            {
                "Snapshot": s["id"],
                "Status": s["status"] + (" (demo)" if s["is_demo"] else ""),
                "Imported (UTC)": s["imported_at"],
                "By": s["imported_by"],
                "From": s["source"],
                "Shape": s["shape"],
                "Epics": s["epic_count"],
            }
            for s in found
        ],
        hide_index=True,
        width="stretch",
    )
    earlier = [s["id"] for s in found if s["status"] != epic_model.ACTIVE]
    if ctx.can_edit and earlier:
        columns = st.columns([1, 3], vertical_alignment="bottom")
        chosen = columns[0].selectbox("Snapshot to restore", earlier)
        if columns[1].button("Restore it", icon=":material/restore:"):
            epic_repository.restore_snapshot(ctx.con, chosen, ctx.user)
            st.session_state["epics_report"] = f"Snapshot {chosen} restored."
            st.rerun()


def settings_section() -> None:
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
            epic_masters.master_pattern(ctx.settings.with_overrides({"epic_master_pattern": pattern}))
        except ValueError as error:
            st.error(escape_markdown(error), icon=":material/block:")
            return
        if pattern != ctx.settings.epic_master_pattern:
            store.save_setting(ctx.con, "epic_master_pattern", pattern, ctx.user)
        if int(stale_days) != ctx.settings.epic_stale_after_days:
            store.save_setting(ctx.con, "epic_stale_after_days", int(stale_days), ctx.user)
        st.rerun()


st.title("Team epics")
st.caption(
    "The handbook: the Support team tracks ongoing projects in GitLab epics; for the master epics (found by "
    "searching `area:`) a Support manager is the DRI, their name in parentheses after the title. Here a master "
    f"epic's title matches **{escape_markdown(ctx.settings.epic_master_pattern)}** (a setting). Flags: no DRI, "
    "DRI not on the manager roster (OKRs page), overdue, and stale (no update on the epic or its child epics "
    f"for {ctx.settings.epic_stale_after_days} days or more)."
)
show_report()

try:
    view, work, median, quarter_label = page_data(ctx.con, ctx.settings, DATABASE, ctx.data_version, TODAY)
except ValueError as error:  # a master-epic pattern that is not a valid regular expression
    st.error(f"No figures shown: {escape_markdown(error)}", icon=":material/block:")
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
    open_masters = [m for m in view.masters if m.epic.state == "open"]
    flagged = [m for m in view.masters if m.flags]
    metrics = st.columns(4)
    metrics[0].metric("Open master epics", len(open_masters))
    metrics[1].metric("Flagged", len(flagged))
    metrics[2].metric("Without a DRI on the roster", sum(1 for m in view.masters if not m.on_roster))
    metrics[3].metric(
        "Managers with no visible work", sum(1 for r in work if r.stands_out == epic_model.NO_VISIBLE_WORK)
    )

    st.subheader("Master epics by area")
    masters = epic_views.masters_frame(view.masters)
    st.dataframe(
        masters,
        hide_index=True,
        width="stretch",
        height=ROW_PIXELS * (len(masters) + 1) + 3,  # every master epic in view, no inner scrolling
        # Sized to fit beside the open sidebar at 1400 px; "Named in" is listed whole further down.
        column_order=[column for column in masters.columns if column not in ("Region", "Named in")],
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
    st.download_button(
        "Master epics (CSV)",
        data=safe_csv(masters),
        file_name="master-epics.csv",
        mime="text/csv",
        icon=":material/download:",
    )

    st.subheader("Who is working on what")
    st.caption(
        f"One row per manager on the roster, {quarter_label}. The handbook's order comes first: **1. KPIs** "
        "(a sustained breach in their region or segment, and the workgroups they sit on), **2. team growth** "
        "(hiring and development), then **3. OKRs**; master epics beside them. *Items* counts open master "
        "epics they are DRI of, their OKR objectives this quarter and the open workgroups they sit on. "
        f"▲ marks no visible work (0 items) and far more than the rest (at least twice the median, {median:g}, "
        f"and {epic_model.FAR_MORE_MARGIN} or more above it)."
    )
    # A static table wraps long cells (a dataframe would cut them); rows that stand out get a marker and a tint.
    st.table(epic_views.work_frame(work).style.apply(highlight_standing_out, axis=1).hide(axis="index"))

    linked = epic_views.links_frame(view.masters)
    st.subheader("Named in OKRs and workgroups")
    if linked.empty:
        st.caption(
            "No key result or workgroup action names an epic yet: put the epic's URL or reference "
            "(e.g. gitlab-com/support&12) in its text."
        )
    else:
        st.caption("Key results and workgroup actions whose text names a master epic or one of its child epics.")
        st.dataframe(
            linked,
            hide_index=True,
            width="stretch",
            key="epic-links",
            column_config={"Open": st.column_config.LinkColumn("Open", display_text="open in Floorline")},
        )

st.subheader("Import, fetch and restore")
if ctx.can_edit:
    import_section()
    snapshots_section()
    with st.expander("Settings for this page"):
        settings_section()
    if any(s["is_demo"] for s in epic_repository.snapshots(ctx.con)) and st.button(
        "Remove the demo epics", icon=":material/delete:"
    ):
        epic_repository.remove_demo_epics(ctx.con, ctx.user)
        st.rerun()
else:
    snapshots_section()
    st.info("You can view epics; an editor imports, fetches and restores them.", icon=":material/visibility:")
