"""The Upload page's sections (pages/6_Upload.py): the uploader with one preview per file, the commit,
the upload history with rollback and restore, saved column mappings, and ticket forms outside the mapping.

Widgets and the page's session state only: staging, previews and writes are ``lib.uploads``'s,
what a change does to the figures ``lib.uploads.changes``'s. Every write bumps the data version, so no
cache is cleared here.

Tables here show file names and headers people typed, and a table's toolbar can save it as
CSV: text a spreadsheet would run as a formula is neutralised on screen too.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import notify
from lib.core.downloads import neutralise
from lib.core.errors import NothingToChange, PermissionDenied, RefusedFile
from lib.core.labels import SOURCE_NAMES
from lib.core.settings import SEGMENTS
from lib.reading.decisions import ReadOptions
from lib.reading.shapes import SHAPES_BY_NAME, SOURCES
from lib.store import database as store
from lib.store import forms, notifications
from lib.ui.drafts import Drafts
from lib.ui.page import escape_markdown
from lib.ui.tables import wrapping_table
from lib.uploads import changes, status
from lib.uploads import flow as uploads

state = st.session_state


def start_session_state() -> None:
    """What the page keeps between runs, created on a session's first run."""
    state.setdefault("upload_generation", 0)
    state.setdefault("upload_files", {})  # uploader file id -> {"staged", "header", "detected", "refusal"}
    state.setdefault("upload_staging", uploads.SessionStaging())  # deletes what is left staged when the session ends
    state.setdefault("upload_previews", {})  # (file id, choice, data version) -> FileOutcome
    state.setdefault("upload_remap", set())  # file ids whose columns the user is mapping by hand


def commit_message(outcome: uploads.FileOutcome) -> tuple[str, str]:
    """(kind, sentence) telling the manager what a commit did: the wording is the page's, the outcome lib.uploads'."""
    if outcome.refusal:
        return "error", f"Not stored: {outcome.refusal}"
    result = outcome.result
    if result.status == "duplicate":
        return "info", f"{result.file_name} was already stored as upload {result.upload_id}; nothing changed."
    if result.status == "restored":
        return "success", f"{result.file_name} had been rolled back; upload {result.upload_id} is active again."
    return (
        "success",
        f"Stored {result.file_name} as upload {result.upload_id}: {uploads.describe_rows_and_weeks(result)}.",
    )


def show_messages(messages: list[tuple[str, str]]) -> None:
    icons = {
        "success": ":material/check_circle:",
        "info": ":material/info:",
        "warning": ":material/notifications_off:",
        "error": ":material/block:",
    }
    for kind, text in messages:
        getattr(st, kind)(escape_markdown(text), icon=icons[kind])


def stage_files(ctx, files) -> dict:
    """Save new files to disk at once; forget the ones taken out of the uploader."""
    entries = state["upload_files"]
    current = {file.file_id: file for file in files}
    for file_id in list(entries):
        if file_id not in current:
            uploads.discard(entries.pop(file_id)["staged"])
    for file_id, file in current.items():
        if file_id in entries:
            continue
        staged = state["upload_staging"].add(uploads.stage_upload(file, file.name))
        entry = {"staged": staged, "header": None, "detected": None, "refusal": None}
        try:
            inspection = uploads.inspect_file(ctx.con, staged)
            entry["header"], entry["detected"] = inspection.header, inspection.detected_shape
        except RefusedFile as refused:
            entry["refusal"] = refused.message
        entries[file_id] = entry
    return entries


def cached_preview(ctx, file_id: str, staged: uploads.StagedFile, choice: uploads.Choice) -> uploads.FileOutcome:
    previews = state["upload_previews"]
    key = (file_id, choice, ctx.data_version)
    if key not in previews:
        for old in [k for k in previews if k[0] == file_id and k[2] != ctx.data_version]:
            del previews[old]
        label = f"Checking {escape_markdown(staged.file_name)}"  # progress text is Markdown
        bar = st.progress(0.0, text=label)
        previews[key] = changes.preview_file(
            ctx.con,
            staged,
            choice,
            uploaded_by=ctx.user,
            on_progress=lambda fraction, text: bar.progress(fraction, text=f"{label}: {text}"),
        )
        bar.empty()
    return previews[key]


def show_mapping_form(ctx, file_id, staged, header, shape_name, source, defaults) -> None:
    shape = SHAPES_BY_NAME[shape_name]
    columns = [i for i, cell in enumerate(header) if cell.strip()]
    st.markdown(f"**Which column holds what?** Say where this file keeps each {escape_markdown(shape.title)} field.")
    with st.form(f"mapping-{file_id}", border=False):
        picks = {}
        grid = st.columns(3)
        for position, spec in enumerate(shape.fields):
            options = columns if spec.required else [*columns, None]
            default = defaults.get(spec.name)
            if default in header:
                index = options.index(header.index(default))
            else:  # nothing suggested: a required field waits for a choice, an optional one stays out
                index = None if spec.required else len(options) - 1
            picks[spec.name] = grid[position % 3].selectbox(
                spec.label or spec.name if spec.required else f"{spec.label or spec.name} (optional)",
                options,
                index=index,
                format_func=lambda i: "(not in this file)" if i is None else f"{header[i]}  ·  column {i + 1}",
                placeholder="Choose a column",
                key=f"map-{file_id}-{spec.name}",
            )
        name = st.text_input(
            "Name this mapping",
            value=f"{shape.title} columns of {staged.file_name}",
            key=f"map-name-{file_id}",
            help="Saved: the next file with the same column headers is read with this mapping automatically.",
        )
        submitted = st.form_submit_button("Save mapping and preview", type="primary", icon=":material/save:")
    if submitted:
        column_map = {field_name: header[i] for field_name, i in picks.items() if i is not None}
        try:
            uploads.save_profile(
                ctx.con, header, name=name, shape=shape_name, source=source, column_map=column_map, actor=ctx.user
            )
        except ValueError as problems:
            st.error(f"This mapping cannot be used yet: {escape_markdown(problems)}.", icon=":material/error:")
        else:
            state["upload_remap"].discard(file_id)
            st.rerun()


def show_preview(outcome: uploads.FileOutcome, top) -> None:
    """The preview of one file; a refusal goes in ``top``, above the export type it was read as."""
    if outcome.refusal:
        with top:
            st.error(f"Will not be stored. {escape_markdown(outcome.refusal)}", icon=":material/block:")
            st.caption("Nothing from this file is stored. Correct the export and drop it again.")
        return
    result = outcome.result
    earlier = outcome.earlier_upload
    if result.status == "duplicate":
        st.info(
            f"This exact file is already stored (upload {result.upload_id}); storing it again changes nothing.",
            icon=":material/content_copy:",
        )
        return
    if earlier and earlier["status"] != "active":
        st.info(
            f"This exact file was stored before as upload {earlier['id']} and rolled back; storing it brings "
            "that upload back.",
            icon=":material/history:",
        )
    read, counted, ignored, weeks = st.columns(4)
    read.metric("Rows read", f"{result.rows_read:,}")
    counted.metric("Rows counted", f"{result.rows_used:,}")
    ignored.metric("Rows ignored", f"{sum(result.ignored.values()):,}")
    weeks.metric("Weeks", len(result.weeks))
    if result.weeks:
        st.caption(
            f"Weeks starting {result.weeks[0]:%d %b %Y} to {result.weeks[-1]:%d %b %Y} · dates "
            f"{result.first_date:%d %b %Y} to {result.last_date:%d %b %Y} · {escape_markdown(result.encoding)}"
        )
    for warning in result.warnings:
        st.warning(escape_markdown(warning), icon=":material/warning:")
    if result.replaced_demo:
        st.info(
            "Storing this replaces the demo data: from then on every figure comes from your uploads.",
            icon=":material/science:",
        )
    show_changes(result.changes, "What storing it changes")
    shape = SHAPES_BY_NAME[result.shape]
    used, skipped = st.columns([3, 2])
    with used:
        st.markdown("**Columns used**")
        st.dataframe(
            [
                {"Floorline reads": shape.field(name).label or name, "From your column": neutralise(header)}
                for name, header in result.columns_used.items()
            ],
            hide_index=True,
        )
        if result.columns_ignored:
            st.caption("Not used: " + ", ".join(escape_markdown(h) for h in result.columns_ignored))
    with skipped:
        st.markdown("**Rows ignored, by reason**")
        if result.ignored:
            st.dataframe([{"Reason": r, "Rows": n} for r, n in result.ignored.items()], hide_index=True)
        else:
            st.caption("None: every row counts.")


def show_changes(moved: list[dict], title: str) -> None:
    st.markdown(f"**{title}**: {changes.changes_summary(moved)}")
    if moved:
        st.dataframe(
            changes.changes_table(moved),
            hide_index=True,
            height=min(38 + 35 * len(moved), 320),
            column_config={
                "KPI": st.column_config.TextColumn(width="small"),
                "Breach flag": st.column_config.TextColumn(width="medium"),
            },
        )


def show_file(ctx, file_id: str, entry: dict):
    """One file's preview; returns (file id, staged, choice) when it can be stored."""
    staged = entry["staged"]
    st.markdown(f"#### {escape_markdown(staged.file_name)}")
    st.caption(f"{uploads.human_size(staged.size)} · sha256 {staged.sha256[:16]}…")
    if entry["refusal"]:
        st.error(f"Will not be stored. {escape_markdown(entry['refusal'])}", icon=":material/block:")
        st.caption("Nothing from this file is stored.")
        return None
    top = st.container()
    header = entry["header"]
    inspection = uploads.Inspection(header, entry["detected"], uploads.find_profile(ctx.con, header))
    initial = inspection.initial_choice()
    shape_column, source_column = st.columns(2)
    shape_name = shape_column.selectbox(
        "Kind of export",
        uploads.SHAPE_NAMES,
        index=uploads.SHAPE_NAMES.index(initial.shape) if initial else None,
        format_func=uploads.shape_title,
        placeholder="Choose the kind of export",
        key=f"shape-{file_id}",
        help="Detected from the column headers; correct it here if it is wrong.",
    )
    if shape_name is None:
        st.warning(
            "Floorline does not recognise these columns: "
            + ", ".join(f"'{escape_markdown(h)}'" for h in header if h.strip())
            + ". Choose the kind of export, then say which column holds what.",
            icon=":material/help:",
        )
        return None
    same_shape = initial is not None and initial.shape == shape_name
    default_source = initial.source if same_shape else uploads.default_source(shape_name)
    source = source_column.selectbox(
        "Source",
        SOURCES,
        index=SOURCES.index(default_source),
        format_func=SOURCE_NAMES.get,
        key=f"source-{file_id}",
        help="Explore and dbt are primary; Sisense is the secondary source that gets fact-checked.",
    )
    column_map = initial.column_map if same_shape else ()
    reading_area = st.container()
    decisions = reading_area.container()  # filled once the preview has run
    with reading_area.expander("Change how the file is read", icon=":material/tune:"):
        st.caption(
            "Floorline decides these from the whole file and says how below; a file that could be read two ways "
            "is refused until you choose here."
        )
        picked = {}
        grid = st.columns(3)
        for position, (option, (label, choices)) in enumerate(uploads.READING_CHOICES.items()):
            picked[option] = grid[position % 3].selectbox(
                label, list(choices), format_func=choices.get, key=f"read-{option}-{file_id}"
            )
    choice = uploads.Choice(
        shape_name, source, column_map, initial.profile_name if column_map else None, ReadOptions(**picked)
    )
    if file_id in state["upload_remap"] or not inspection.fits(choice):
        defaults = dict(column_map) or uploads.suggested_map(header, shape_name)
        show_mapping_form(ctx, file_id, staged, header, shape_name, source, defaults)
        return None
    if choice.profile_name:
        st.info(
            f"Columns read with your saved mapping “{escape_markdown(choice.profile_name)}”.",
            icon=":material/bookmark:",
        )
    if st.button("Map the columns by hand", key=f"remap-{file_id}", type="tertiary", icon=":material/tune:"):
        state["upload_remap"].add(file_id)
        st.rerun()
    outcome = cached_preview(ctx, file_id, staged, choice)
    if outcome.result is not None and outcome.result.reading:
        with decisions:
            st.markdown("**How the file was read**")
            st.markdown(
                "\n".join(
                    f"- **{row['Decision']}:** {escape_markdown(row['How Floorline read it'])}"
                    for row in uploads.reading_rows(outcome.result)
                )
            )
    show_preview(outcome, top)
    return (file_id, staged, choice) if outcome.can_commit else None


def commit(ctx, ready: list, left_out: list[str]) -> None:
    messages = []
    replaced_demo = False
    bar = st.progress(0.0, text="Storing")
    for index, (_, staged, choice) in enumerate(ready):

        def progress(fraction, text, index=index, name=staged.file_name):
            bar.progress((index + fraction) / len(ready), text=f"{escape_markdown(name)}: {text}")

        outcome = uploads.commit_file(ctx.con, staged, choice, uploaded_by=ctx.user, on_progress=progress)
        messages.append(commit_message(outcome))
        replaced_demo |= bool(outcome.result and outcome.result.replaced_demo)
    if replaced_demo:
        messages.append(("info", "The demo data is gone: every figure now comes from your uploads."))
    if left_out:
        messages.append(("info", f"Left out, not stored: {', '.join(left_out)}."))
    finish(messages + tell_the_team(ctx))


def tell_the_team(ctx) -> list[tuple[str, str]]:
    """The one call after figures changed (``lib.notify.after_change``): what was sent, and what failed, for
    the editor who made the change to see."""
    report = notify.after_change(ctx.con, ctx.user, st.secrets)
    messages = [("info", f"Told {channel}: {subject}") for channel, subject in report.sent]
    return messages + [("warning", line) for line in report.failure_lines()]


def show_failed_notifications(ctx) -> None:
    """Editors see the notifications that did not go out (each is tried again after the next change)."""
    failed = notifications.failed_deliveries(ctx.con)
    if not ctx.can_edit or not failed:
        return
    with st.expander(f"Notifications that did not go out ({len(failed)})", icon=":material/notifications_off:"):
        for row in failed:
            st.text(f"{row['attempted_at']:%d %b %Y %H:%M} UTC · {row['channel']} · {row['subject']}: {row['error']}")


def finish(messages: list[tuple[str, str]]) -> None:
    """After a stored change: an empty uploader and the outcome on screen. The change bumped the data
    version, so every page's cached figures are fresh without clearing a cache."""
    for entry in state["upload_files"].values():
        uploads.discard(entry["staged"])
    state["upload_files"] = {}
    state["upload_previews"] = {}
    state["upload_remap"] = set()
    state["upload_generation"] += 1
    state["upload_report"] = messages
    state.pop("upload_pending", None)
    st.rerun()


def show_uploader(ctx) -> None:
    files = st.file_uploader(
        "Exports to upload",
        accept_multiple_files=True,
        key=f"uploader-{state['upload_generation']}",
        max_upload_size=ctx.settings.max_upload_mb,
        help=f"Up to {ctx.settings.max_upload_mb} MB a file. Several files at once are fine.",
    )
    entries = stage_files(ctx, files or [])
    ready = []
    for file_id, entry in entries.items():
        with st.container(border=True):
            item = show_file(ctx, file_id, entry)
        if item:
            ready.append(item)
    if not entries:
        return
    if len(entries) > 1:
        st.caption(
            "Each preview compares the file with the figures stored now; files are stored one after another, "
            "in the order shown. Remove a file from the list above to leave it out."
        )
    label = f"Store {len(ready)} file{'s' if len(ready) != 1 else ''}"
    if st.button(label, type="primary", icon=":material/cloud_upload:", disabled=not ready, key="upload-commit"):
        shown_version = state.get("upload_shown_version")
        if shown_version is not None and shown_version != ctx.data_version:
            st.warning(
                "The stored figures changed while you were looking (someone else uploaded or rolled back). "
                "The previews above are now up to date: check them and press Store again.",
                icon=":material/sync_problem:",
            )
        else:
            chosen_ids = {file_id for file_id, _, _ in ready}
            commit(ctx, ready, [e["staged"].file_name for i, e in entries.items() if i not in chosen_ids])


def show_history(ctx) -> None:
    if ctx.is_demo and ctx.can_edit:
        demo_text, demo_button = st.columns([3, 1], vertical_alignment="center")
        demo_text.caption(
            "The figures are generated demo data. Your first upload replaces them; or remove them now "
            "(they can be restored from this history)."
        )
        if demo_button.button("Remove the demo data", icon=":material/delete_sweep:", key="remove-demo"):
            status.remove_demo(ctx.con, actor=ctx.user)
            finish([("success", "The demo data is removed. Restore its uploads below to bring it back.")])
    history = uploads.history(ctx.con)
    if not history:
        st.caption("Nothing uploaded yet.")
        return
    table = pd.DataFrame(
        [
            {
                "Upload": row["id"],
                "Status": row["status"],
                "Source": row["source"],
                "When (UTC)": row["uploaded_at"],
                "Who": neutralise(row["uploaded_by"]),
                "File": neutralise(row["file"]),
                "Rows": row["rows"],
                "Weeks": row["weeks"],
            }
            for row in history
        ]
    )
    if ctx.presentation:  # a static table, whose long file names and week ranges wrap on a shared screen
        wrapping_table(table.assign(**{"When (UTC)": table["When (UTC)"].map("{:%d %b %Y, %H:%M}".format)}))
    else:
        st.dataframe(
            table,
            hide_index=True,
            # Sized so that every column fits beside the sidebar at 1400 pixels (the source used to fall off the edge).
            column_config={
                "Upload": st.column_config.NumberColumn(width=62),
                "Status": st.column_config.TextColumn(width=90),
                "Source": st.column_config.TextColumn(width=125),
                "When (UTC)": st.column_config.DatetimeColumn(format="DD MMM YYYY, HH:mm", width=130),
                "Who": st.column_config.TextColumn(width=105),
                "File": st.column_config.TextColumn(width=140),
                "Rows": st.column_config.NumberColumn(format="localized", width=70),
                "Weeks": st.column_config.TextColumn(width=200),
            },
        )
    by_id = {row["id"]: row for row in history}
    pending = state.get("upload_pending")
    if pending and pending[0] in by_id and by_id[pending[0]]["action"] != pending[1]:
        # Asked to restore (or roll back), and someone else did it first: there is nothing left to do.
        state.pop("upload_pending")
        now = "rolled_back" if pending[1] == "rollback" else "active"
        text = status.already_text(pending[0], by_id[pending[0]]["file"], now)
        st.info(escape_markdown(text), icon=":material/info:")
    chosen = by_id[
        st.selectbox(
            "Choose an upload to download or undo" if ctx.can_edit else "Choose an upload to download",
            list(by_id),
            format_func=lambda i: f"Upload {i} · {by_id[i]['file']} · {by_id[i]['status']}",
            # A new key after every stored change: the list opens on the newest upload, labels fresh.
            key=f"history-upload-{ctx.data_version}",
        )
    ]
    st.caption(
        f"{escape_markdown(chosen['kind'])} from {chosen['source']} · {chosen['weeks']} · "
        f"{chosen['rows']:,} rows counted · uploaded by {escape_markdown(chosen['uploaded_by'])}"
    )
    download_column, action_column = st.columns(2)
    with download_column:
        archived = uploads.archived_original(chosen)
        if archived:
            st.download_button(
                "Download the original file",
                data=lambda path=archived: uploads.read_archived(path),
                file_name=chosen["file"],
                mime="application/octet-stream",
                on_click="ignore",
                icon=":material/download:",
                key=f"download-{chosen['id']}",
            )
            st.caption(
                f"Exactly the bytes uploaded ({uploads.human_size(chosen['size_bytes'])}), sha256 {chosen['sha256']}"
            )
        else:
            st.warning("The archived original of this upload is missing from disk.", icon=":material/error:")
    if ctx.can_edit:
        show_undo(ctx, chosen, action_column)


def show_undo(ctx, chosen: dict, button_area) -> None:
    """Roll back or restore one upload, after a confirmation that shows which figures change."""
    upload_id, action = chosen["id"], chosen["action"]
    verb = "Roll back" if action == "rollback" else "Restore"
    with button_area:
        if st.button(
            f"{verb} upload {upload_id}…",
            icon=":material/undo:" if action == "rollback" else ":material/redo:",
            key=f"ask-{action}-{upload_id}",
        ):
            state["upload_pending"] = (upload_id, action)
        st.caption(
            "Rolling back takes this upload's figures out (an older upload of the same weeks shows again); "
            "restoring brings them back."
        )
    if state.get("upload_pending") != (upload_id, action):
        return
    with st.container(border=True):
        st.markdown(f"**{verb} upload {upload_id} ({escape_markdown(chosen['file'])})?**")
        show_changes(changes.status_change_preview(ctx.con, upload_id, action), "What this changes")
        confirm_column, cancel_column = st.columns([1, 5])
        if confirm_column.button(f"Yes, {verb.lower()}", type="primary", key=f"confirm-{action}"):
            try:
                uploads.apply_action(ctx.con, upload_id, action, ctx.user)
            except NothingToChange as unchanged:  # someone else did it first, in another tab or session
                finish([("info", str(unchanged))])
            else:
                done = "rolled back" if action == "rollback" else "restored"
                finish([("success", f"Upload {upload_id} ({chosen['file']}) {done}."), *tell_the_team(ctx)])
        if cancel_column.button("Cancel", key=f"cancel-{action}"):
            state.pop("upload_pending", None)
            st.rerun()


def show_profiles(ctx) -> None:
    profiles = uploads.list_profiles(ctx.con)
    with st.expander(f"Saved column mappings ({len(profiles)})", icon=":material/bookmarks:"):
        if not profiles:
            st.caption("None yet. When a file's columns are not recognised you map them once; the mapping is saved.")
            return
        st.dataframe(
            [
                {
                    "Name": neutralise(profile.name),
                    "Kind of export": uploads.shape_title(profile.shape),
                    "Source": SOURCE_NAMES.get(profile.source, profile.source),
                    "Columns": neutralise(", ".join(f"{f} ← {h}" for f, h in profile.column_map.items())),
                }
                for profile in profiles
            ],
            hide_index=True,
        )
        if not ctx.can_edit:
            return
        names = {profile.header_key: profile.name for profile in profiles}
        forget = st.selectbox("Mapping", list(names), format_func=names.get, key="profile-forget")
        if st.button("Delete this mapping", key="profile-delete", icon=":material/delete:"):
            uploads.delete_profile(ctx.con, forget, actor=ctx.user)
            st.rerun()


FORM_MAPPING = Drafts("form_mapping", refusal=PermissionDenied)
FORMS_LISTED = 25


# Buttons act in the page's run, not in on_click callbacks: a callback runs before the run has signed the
# manager in, so a signed-in editor's write would be refused.
def map_form(ctx, form: str, segment: str) -> None:
    if FORM_MAPPING.run(store.set_form_segment, ctx.con, form, segment, ctx.user, success="Form mapped."):
        # Only forms without a mapping are listed, so undoing a mapping takes it away again.
        state["form_mapping_undo"] = form


def show_mapping_undo(ctx) -> None:
    form = state.get("form_mapping_undo")
    if form is None:
        return
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.markdown(f"Form mapping saved: {escape_markdown(form)}.")  # a form as an export spelled it
        if st.button("Undo", key="form-mapping-undo", icon=":material/undo:"):
            state.pop("form_mapping_undo")
            FORM_MAPPING.run(forms.unmap_form, ctx.con, form, ctx.user, success="Undone.")
            st.rerun()
        if st.button("Dismiss", key="form-mapping-dismiss"):
            state.pop("form_mapping_undo")
            st.rerun()


def show_unmapped_forms(ctx) -> None:
    """Ticket forms whose rows count as Other only because no mapping places them (the warning a preview
    gives), and for an editor a segment to map each one to. Form names are escaped: never live Markdown."""
    FORM_MAPPING.show_flash()
    if ctx.can_edit:
        show_mapping_undo(ctx)
    found = forms.unmapped_forms(ctx.con)
    if not found:
        return
    with st.expander(f"Ticket forms counted as Other ({len(found)})", icon=":material/category:"):
        st.caption(
            "The stored rows of these forms count as Other, outside the combined figures, because no mapping "
            "places them. "
            + (
                "If one belongs to a segment, map it: every stored week counts it there from then on "
                "(the change history records it, and Undo takes it back). Mapping a form to Other says it "
                "belongs there and takes it off this list."
                if ctx.can_edit
                else "An editor can map each one to its segment."
            )
        )
        for form, rows in found[:FORMS_LISTED]:
            name, segment, button = st.columns([3, 2, 1], vertical_alignment="bottom")
            name.markdown(f"{escape_markdown(form)} ({rows:,} rows)")
            if ctx.can_edit:
                chosen = segment.selectbox(
                    "Segment",
                    SEGMENTS,
                    index=None,
                    key=f"form_segment::{form}",
                    placeholder="Choose a segment",
                    label_visibility="collapsed",
                )
                if button.button("Map", key=f"map_form::{form}", disabled=not chosen):
                    map_form(ctx, form, chosen)
                    st.rerun()
        if len(found) > FORMS_LISTED:
            st.caption(f"The {FORMS_LISTED} with the most rows are listed, of {len(found):,}.")
