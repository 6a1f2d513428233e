"""One workgroup's tabs on the Workgroups page: overview, details and people, hypotheses, actions, export.

Widgets only: the rules are in lib.workgroups. An editor's changes are drafts (lib.ui.drafts) until
saved; a viewer sees every field as text, with no control that changes data.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
import streamlit as st

from lib.core.links import web_link
from lib.core.text import escape_markdown
from lib.ui.explain_view import hypothesis_check, show_change
from lib.ui.page import PageContext
from lib.ui.workgroup_issue_view import issue_section
from lib.ui.workgroups_view import (
    DRAFTS,
    FIRST_TAB,
    library_section,
    read_only_note,
    select_workgroup,
    series_for,
    shown_text,
    small_chart,
    trigger_frame,
    week_label,
)
from lib.workgroups import checks as hypothesis_checks
from lib.workgroups import contents, exports, model, repository
from lib.workgroups.breaches import Recovery

JUST_ADDED = "workgroup_hypothesis_just_added"  # its id: shown open, and confirmed beside the Add button
VERDICT_ICONS = {
    "open": ":material/help:",
    "supported": ":material/check_circle:",
    "falsified": ":material/cancel:",
    "inconclusive": ":material/radio_button_unchecked:",
}
EVIDENCE_CONFIG = {
    "link": st.column_config.LinkColumn("Link", width="medium"),
    # No fixed width: "large" (400 px) beside the link ran past the half-page column at 1280 px.
    "note": st.column_config.TextColumn("What it shows"),
}


# --- overview ----------------------------------------------------------------------------------------------


def overview_tab(ctx: PageContext, workgroup: dict, recovery: Recovery) -> None:
    # On a shared screen the zoomed breach-weeks table needs half the width to keep all its columns.
    chart, facts = st.columns([1, 1] if ctx.presentation else [3, 2])
    with chart:
        small_chart(ctx, workgroup, recovery, key=f"detail_chart_{workgroup['id']}", height=320)
        st.caption(
            "Shaded: the breach weeks that triggered the workgroup. The solid orange-red line is the floor; "
            "downward triangles are weeks at or below it; a hollow circle is a partial week; a dotted green line "
            "marks the recovery."
        )
    with facts:
        st.markdown(f"**{recovery.describe()}**")
        st.caption(f"Exit rule: {ctx.settings.recovery_weeks} consecutive complete weeks above the floor.")
        st.markdown("**Trigger, as captured when the workgroup was formed**")
        if workgroup["trigger_weeks"]:
            st.dataframe(
                trigger_frame(workgroup["trigger_weeks"], ctx.settings.floors[workgroup["kpi"]]),
                hide_index=True,
                width="stretch",
            )
            if st.button(
                "Why did it change?",
                key=f"change_{workgroup['id']}",
                icon=":material/waterfall_chart:",
                help="The breach weeks against the four weeks before the breach began, in this workgroup's scope.",
            ):
                segments, region = hypothesis_checks.scope_filter(workgroup["scope"])
                last = dt.date.fromisoformat(workgroup["trigger_weeks"][-1]["week"])
                show_change(ctx, workgroup["kpi"], last, region=region, segments=segments)
        else:
            st.caption("No breach weeks were captured.")
        issue_section(ctx, workgroup, recovery)
        st.markdown("**Exit criteria**")
        st.text(workgroup["exit_criteria"] or "Not agreed yet.")
        if workgroup["summary"]:
            st.markdown("**Summary**")
            st.text(workgroup["summary"])


# --- details and people ----------------------------------------------------------------------------------


def details_tab(ctx: PageContext, workgroup: dict, recovery: Recovery | None = None) -> None:
    if not ctx.can_edit:
        details_read_only(workgroup)
        return
    workgroup_id = workgroup["id"]
    prefix = f"wg{workgroup_id}::"
    stored = {
        field: workgroup[field] or ("" if not field.endswith("_on") else None) for field in model.WORKGROUP_FIELDS
    }
    stored.pop("closed_on")
    left, right = st.columns(2)
    with left:
        DRAFTS.widget(st.text_input, "Title", prefix + "title", stored["title"])
        DRAFTS.widget(st.text_input, "Facilitator", prefix + "facilitator", stored["facilitator"])
        DRAFTS.widget(
            st.text_input, "Executive stakeholder", prefix + "executive_stakeholder", stored["executive_stakeholder"]
        )
        DRAFTS.widget(st.text_input, "Issue link", prefix + "issue_url", stored["issue_url"])
        DRAFTS.widget(st.date_input, "Opened on", prefix + "opened_on", stored["opened_on"], format="YYYY-MM-DD")
    with right:
        DRAFTS.widget(st.text_area, "Exit criteria", prefix + "exit_criteria", stored["exit_criteria"], height=110)
        DRAFTS.widget(
            st.text_area,
            "Summary",
            prefix + "summary",
            stored["summary"],
            height=150,
            help="What the workgroup found and changed; the handbook entry and issue body carry it.",
        )
    dirty = DRAFTS.is_dirty(prefix, stored)
    DRAFTS.save_bar(f"details_{workgroup_id}", dirty, save_details, discard=(prefix,), args=(ctx, workgroup))

    st.divider()
    st.markdown("**Members**")
    st.caption("The 2 or 3 managers or ICs who volunteered. Add a row at the bottom of the table.")
    members = f"members_{workgroup_id}"
    members_dirty = DRAFTS.editor(
        members,
        workgroup["members"],
        list(model.MEMBER_COLUMNS),
        {
            "name": st.column_config.TextColumn("Name", required=True, width="medium"),
            "role": st.column_config.TextColumn("What they bring", width="large"),
        },
    )
    save_args = (ctx, members, "workgroup_members", workgroup_id)
    DRAFTS.save_bar(members, members_dirty, save_table, discard_editor=members, args=save_args)

    st.divider()
    status_controls(ctx, workgroup)
    st.divider()
    DRAFTS.confirm_button(
        f"workgroup_{workgroup_id}", f"Delete workgroup #{workgroup_id}", delete_workgroup, args=(ctx, workgroup_id)
    )


def details_read_only(workgroup: dict) -> None:
    read_only_note()
    left, right = st.columns(2)
    with left:
        shown_text("Title", workgroup["title"])
        shown_text("Facilitator", workgroup["facilitator"])
        shown_text("Executive stakeholder", workgroup["executive_stakeholder"])
        shown_text("Issue link", workgroup["issue_url"])
        shown_text("Opened on", week_label(workgroup["opened_on"]))
        if workgroup["status"] == "closed":
            shown_text("Closed on", week_label(workgroup["closed_on"]))
    with right:
        shown_text("Exit criteria", workgroup["exit_criteria"])
        shown_text("Summary", workgroup["summary"])
    st.markdown("**Members**")
    members = pd.DataFrame(workgroup["members"], columns=["name", "role"])
    st.dataframe(members.rename(columns={"name": "Name", "role": "What they bring"}), hide_index=True)


def save_details(ctx: PageContext, workgroup: dict) -> None:
    prefix = f"wg{workgroup['id']}::"
    fields = [field for field in model.WORKGROUP_FIELDS if field != "closed_on"]
    changes = {field: DRAFTS.typed(prefix + field, workgroup[field]) for field in fields}
    if DRAFTS.run(repository.update_workgroup, ctx.con, ctx.user, workgroup["id"], **changes, success="Saved."):
        DRAFTS.forget(prefix)


TABLE_SAVERS = {
    "workgroup_members": contents.save_members,
    "hypothesis_evidence": contents.save_evidence,
    "workgroup_actions": contents.save_actions,
}


def save_table(ctx: PageContext, name: str, table: str, parent_id: int) -> None:
    rows = DRAFTS.edited_rows(name)
    if rows is None:
        DRAFTS.flash("Nothing to save.", "warning")
        return
    if table == "workgroup_actions":
        workgroup = repository.get_workgroup(ctx.con, parent_id)
        labels = hypothesis_labels(workgroup) if workgroup else {}
        for row in rows:
            row["hypothesis_id"] = labels.get(row.pop("answers", None))
    result = DRAFTS.run(TABLE_SAVERS[table], ctx.con, ctx.user, parent_id, rows)
    if not result:
        return
    DRAFTS.reset_editor(name)
    DRAFTS.flash(f"Saved: {result['added']} added, {result['changed']} changed, {len(result['removed'])} removed.")
    if result["removed"]:
        label = f"{len(result['removed'])} row(s) removed."
        DRAFTS.offer_undo(label, contents.restore_rows, ctx.user, table, result["removed"])


def status_controls(ctx: PageContext, workgroup: dict) -> None:
    workgroup_id = workgroup["id"]
    if workgroup["status"] != "open":
        st.markdown(f"**Closed on {week_label(workgroup['closed_on'])}**")
        st.button(
            "Reopen workgroup",
            key=f"reopen_{workgroup_id}",
            icon=":material/replay:",
            on_click=DRAFTS.run,
            args=(repository.reopen_workgroup, ctx.con, ctx.user, workgroup_id),
            kwargs={"success": f"Workgroup #{workgroup_id} reopened."},
        )
        return
    st.markdown("**Close the workgroup**")
    st.caption("Close it once the exit criteria are met; write the summary above first.")
    when, button = st.columns([1, 2], vertical_alignment="bottom")
    with when:
        DRAFTS.widget(st.date_input, "Closed on", f"wg{workgroup_id}::closing", dt.date.today(), format="YYYY-MM-DD")
    with button:
        st.button(
            "Close workgroup",
            key=f"close_{workgroup_id}",
            icon=":material/task_alt:",
            on_click=close_workgroup,
            args=(ctx, workgroup_id),
        )


def close_workgroup(ctx: PageContext, workgroup_id: int) -> None:
    closed_on = DRAFTS.typed(f"wg{workgroup_id}::closing")
    success = f"Workgroup #{workgroup_id} closed."
    if DRAFTS.run(repository.close_workgroup, ctx.con, ctx.user, workgroup_id, closed_on, success=success):
        DRAFTS.forget(f"wg{workgroup_id}::closing")


def delete_workgroup(ctx: PageContext, workgroup_id: int) -> None:
    if DRAFTS.run(repository.delete_workgroup, ctx.con, ctx.user, workgroup_id):
        DRAFTS.offer_undo(f"Workgroup #{workgroup_id} deleted.", restore_and_show, ctx.user, workgroup_id)
        select_workgroup(None)


def restore_and_show(con, actor: str, workgroup_id: int) -> None:
    repository.restore_workgroup(con, actor, workgroup_id)
    st.query_params["wg"] = str(workgroup_id)


# --- hypotheses --------------------------------------------------------------------------------------------


def hypotheses_tab(ctx: PageContext, workgroup: dict, recovery: Recovery | None = None) -> None:
    workgroup_id = workgroup["id"]
    if not workgroup["hypotheses"]:
        st.markdown("No hypotheses yet." + (" Add one below, with what would falsify it." if ctx.can_edit else ""))
    for verdict in model.VERDICTS:
        group = [h for h in workgroup["hypotheses"] if h["verdict"] == verdict]
        if not group:  # an empty heading only pushes the hypotheses there are off the screen
            continue
        st.subheader(f"{VERDICT_ICONS[verdict]} {verdict.capitalize()} ({len(group)})", anchor=False)
        for hypothesis in group:
            if ctx.can_edit:
                hypothesis_editor(ctx, workgroup, hypothesis)
            else:
                hypothesis_read_only(ctx, hypothesis, workgroup)
    if not ctx.can_edit:
        read_only_note()
        return
    st.divider()
    add, from_library = st.columns(2)
    with add, st.container(border=True):
        st.markdown("**Add a hypothesis**")
        prefix = f"wg{workgroup_id}::new::"
        DRAFTS.widget(
            st.text_area,
            "Testable statement",
            prefix + "statement",
            "",
            height=80,
            placeholder=f"{workgroup['kpi']} fell because many people took time off",
        )
        DRAFTS.widget(
            st.text_area,
            "What result would falsify it",
            prefix + "falsified_if",
            "",
            height=80,
            placeholder="PTO coverage was a steady 90 %, like other times of the year",
        )
        st.button(
            "Add hypothesis",
            key=f"add_hypothesis_{workgroup_id}",
            icon=":material/add:",
            on_click=add_hypothesis,
            args=(ctx, workgroup_id),
        )
        added = st.session_state.get(JUST_ADDED)
        if added in {h["id"] for h in workgroup["hypotheses"]}:  # said beside the button just pressed
            st.success(f"Added hypothesis #{added}: it is open above, with its falsifier.", icon=":material/check:")
    with from_library:
        library_section(ctx, workgroup)


def add_hypothesis(ctx: PageContext, workgroup_id: int) -> None:
    prefix = f"wg{workgroup_id}::new::"
    statement, falsified_if = DRAFTS.typed(prefix + "statement", ""), DRAFTS.typed(prefix + "falsified_if", "")
    added = DRAFTS.run(
        contents.add_hypothesis, ctx.con, ctx.user, workgroup_id, statement, falsified_if=falsified_if, success="Added."
    )
    if added:
        DRAFTS.forget(prefix)
        st.session_state[JUST_ADDED] = added


def hypothesis_title(hypothesis: dict) -> str:
    when = f" · {hypothesis['verdict_on']:%d %b %Y}" if hypothesis["verdict_on"] else ""
    return f"#{hypothesis['id']} · {escape_markdown(model.hypothesis_heading(hypothesis))}{when}"


def hypothesis_editor(ctx: PageContext, workgroup: dict, hypothesis: dict) -> None:
    hypothesis_id = hypothesis["id"]
    prefix = f"h{hypothesis_id}::"
    stored = {
        field: hypothesis[field] if field == "verdict_on" else (hypothesis[field] or "")
        for field in model.HYPOTHESIS_FIELDS
    }
    dirty = DRAFTS.is_dirty(prefix, stored)
    just_added = st.session_state.get(JUST_ADDED) == hypothesis_id
    with st.expander(hypothesis_title(hypothesis) + (" · unsaved" if dirty else ""), expanded=dirty or just_added):
        left, right = st.columns(2)
        with left:
            DRAFTS.widget(st.text_input, "Heading (for the handbook)", prefix + "title", stored["title"])
            DRAFTS.widget(st.text_area, "Testable statement", prefix + "statement", stored["statement"], height=80)
            falsified_if = stored["falsified_if"]
            DRAFTS.widget(
                st.text_area, "What result would falsify it", prefix + "falsified_if", falsified_if, height=80
            )
            approach = stored["approach"]
            DRAFTS.widget(st.text_area, "Approach (how it was analysed)", prefix + "approach", approach, height=100)
        with right:
            verdict_column, date_column = st.columns(2)
            with verdict_column:
                DRAFTS.widget(
                    st.selectbox,
                    "Verdict",
                    prefix + "verdict",
                    stored["verdict"],
                    options=model.VERDICTS,
                    format_func=str.capitalize,
                )
            with date_column:
                DRAFTS.widget(
                    st.date_input,
                    "Verdict date",
                    prefix + "verdict_on",
                    stored["verdict_on"],
                    format="YYYY-MM-DD",
                    help="Set when a verdict is saved without one: today.",
                )
            DRAFTS.widget(st.text_area, "Notes", prefix + "notes", stored["notes"], height=100)
            st.markdown("**Evidence gathered**")
            evidence = f"evidence_{hypothesis_id}"
            columns = list(model.EVIDENCE_COLUMNS)
            evidence_dirty = DRAFTS.editor(evidence, hypothesis["evidence"], columns, EVIDENCE_CONFIG)
        attach = functools.partial(attach_check, ctx)
        hypothesis_check(ctx, workgroup, hypothesis, on_attach=attach, attach_blocked=evidence_dirty)
        save_args = (ctx, hypothesis, evidence)
        DRAFTS.save_bar(
            f"h{hypothesis_id}", dirty or evidence_dirty, save_hypothesis, discard=(prefix,), args=save_args
        )
        DRAFTS.confirm_button(
            f"hypothesis_{hypothesis_id}",
            f"Delete hypothesis #{hypothesis_id}",
            delete_hypothesis,
            args=(ctx, hypothesis_id),
        )


def attach_check(ctx: PageContext, result) -> None:
    if DRAFTS.run(hypothesis_checks.attach, ctx.con, ctx.user, result, success="Attached as evidence, dated."):
        DRAFTS.reset_editor(f"evidence_{result.hypothesis_id}")  # the editor shows the stored evidence again


def hypothesis_read_only(ctx: PageContext, hypothesis: dict, workgroup: dict) -> None:
    with st.expander(hypothesis_title(hypothesis)):
        left, right = st.columns(2)
        with left:
            shown_text("Testable statement", hypothesis["statement"])
            shown_text("What result would falsify it", hypothesis["falsified_if"])
            shown_text("Approach (how it was analysed)", hypothesis["approach"])
        with right:
            shown_text("Verdict", hypothesis["verdict"].capitalize())
            shown_text("Notes", hypothesis["notes"])
            st.markdown("**Evidence gathered**")
            evidence = pd.DataFrame(hypothesis["evidence"], columns=["link", "note"])
            evidence["link"] = evidence["link"].map(web_link)  # one stored before links were checked opens nothing
            st.dataframe(evidence, hide_index=True, column_config=EVIDENCE_CONFIG)
        hypothesis_check(ctx, workgroup, hypothesis)


def save_hypothesis(ctx: PageContext, hypothesis: dict, evidence: str) -> None:
    prefix = f"h{hypothesis['id']}::"
    changes = {field: DRAFTS.typed(prefix + field, hypothesis[field]) for field in model.HYPOTHESIS_FIELDS}
    if DRAFTS.run(contents.update_hypothesis, ctx.con, ctx.user, hypothesis["id"], **changes) is None:
        return
    DRAFTS.forget(prefix)
    rows = DRAFTS.edited_rows(evidence)
    if rows is not None and rows != hypothesis["evidence"]:
        save_table(ctx, evidence, "hypothesis_evidence", hypothesis["id"])
    else:
        DRAFTS.flash("Saved.")


def delete_hypothesis(ctx: PageContext, hypothesis_id: int) -> None:
    if DRAFTS.run(contents.delete_hypothesis, ctx.con, ctx.user, hypothesis_id):
        DRAFTS.offer_undo(f"Hypothesis #{hypothesis_id} deleted.", contents.restore_hypothesis, ctx.user, hypothesis_id)


# --- actions ----------------------------------------------------------------------------------------------


def hypothesis_labels(workgroup: dict) -> dict[str, int]:
    """What the actions table shows for each hypothesis an action can answer -> its id."""
    return {f"#{h['id']} {model.hypothesis_heading(h)}"[:80]: h["id"] for h in workgroup["hypotheses"]}


def actions_tab(ctx: PageContext, workgroup: dict, recovery: Recovery | None = None) -> None:
    workgroup_id = workgroup["id"]
    labels = hypothesis_labels(workgroup)
    names = {identifier: label for label, identifier in labels.items()}
    rows = [
        {**{k: v for k, v in action.items() if k != "hypothesis_id"}, "answers": names.get(action["hypothesis_id"])}
        for action in workgroup["actions"]
    ]
    st.caption(
        "What changes, temporary or permanent, who owns it and when it is due. A shipped action is dated "
        "(today unless you give the day) and appears on the KPI trends chart."
    )
    # The hypothesis an action answers sits next to it, never off the right edge: an action left
    # without one is filed under "Other actions" in the handbook export.
    rest = [c for c in model.ACTION_COLUMNS if c not in ("id", "change", "hypothesis_id")]
    columns = ["id", "change", "answers", *rest]
    statuses = model.ACTION_STATUSES
    column_config = {
        "change": st.column_config.TextColumn("What changes", required=True, width=250),
        "answers": st.column_config.SelectboxColumn("Answers hypothesis", options=list(labels), width=180),
        "kind": st.column_config.SelectboxColumn("Kind", options=model.ACTION_KINDS, default="temporary", width=95),
        "owner": st.column_config.TextColumn("Owner", width=100),
        "due_on": st.column_config.DateColumn("Due", format="DD MMM YYYY", width=100),
        "status": st.column_config.SelectboxColumn("Status", options=statuses, default="planned", width=90),
        "shipped_on": st.column_config.DateColumn("Shipped", format="DD MMM YYYY", width=100),
    }
    if not ctx.can_edit:
        st.dataframe(
            pd.DataFrame(rows, columns=columns),
            hide_index=True,
            width="stretch",
            column_config={"id": None, **column_config},
            placeholder="",
        )
        read_only_note()
        return
    name = f"actions_{workgroup_id}"
    dirty = DRAFTS.editor(name, rows, columns, column_config)
    save_args = (ctx, name, "workgroup_actions", workgroup_id)
    DRAFTS.save_bar(name, dirty, save_table, discard_editor=name, args=save_args)


# --- exports -----------------------------------------------------------------------------------------------


def export_tab(ctx: PageContext, workgroup: dict, recovery: Recovery | None = None) -> None:
    handbook = exports.handbook_entry(workgroup)
    issue = exports.issue_body(workgroup, series_for(ctx, workgroup), ctx.settings.floors[workgroup["kpi"]])
    left, right = st.columns(2)
    with left:
        markdown_export(
            "**Hypothesis and Actions** (handbook entry)",
            "handbook entry",
            handbook,
            exports.export_file_name(workgroup, "hypothesis-and-actions"),
            f"download_handbook_{workgroup['id']}",
        )
    with right:
        markdown_export(
            "**Metrics Workgroup** (issue body)",
            "issue body",
            issue,
            exports.export_file_name(workgroup, "issue"),
            f"download_issue_{workgroup['id']}",
        )


def markdown_export(heading: str, what: str, text: str, file_name: str, key: str) -> None:
    """A Markdown export: its download button and the text itself, ready to copy."""
    st.markdown(heading)
    st.download_button(
        f"Download {what}", data=text, file_name=file_name, mime="text/markdown", icon=":material/download:", key=key
    )
    st.code(text, language="markdown", height=500, wrap_lines=True)


DETAIL_TABS = {
    FIRST_TAB: overview_tab,
    "Details and people": details_tab,
    "Hypotheses": hypotheses_tab,
    "Actions": actions_tab,
    "Export": export_tab,
}
