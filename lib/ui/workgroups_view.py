"""The Workgroups page's sections: the breaches nobody works on, forming a workgroup, the cards, the library.

Widgets only: the rules are in lib.workgroups. What is typed is a draft (lib.ui.drafts) until its
Save / Form / Add button is pressed; a viewer gets no control that changes data (and lib.workgroups
refuses their writes anyway). Callbacks take the page's context as their first argument.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from lib.core import links
from lib.core.kpis import get_kpi, kpi_keys
from lib.core.text import escape_markdown, escape_table_cells, format_percent
from lib.store import database as store
from lib.store import workgroup_issues
from lib.ui.cache import by_data_version
from lib.ui.drafts import Drafts
from lib.ui.figures import workgroup_figure
from lib.ui.page import PageContext, link_parameter
from lib.workgroups import attention, breaches, gitlab_issue, library, model, repository
from lib.workgroups.breaches import Recovery

DRAFTS = Drafts("workgroup", refusal=model.WorkgroupError)
APPLIED_LINK = "workgroup_applied_link"
FIRST_TAB = "Overview"
CHART_CONFIG = {"displayModeBar": False, "responsive": True}
READ_ONLY_NOTE = "Read only: ask an editor to form, edit or delete workgroups."


def read_only_note() -> None:
    st.caption(f":material/visibility: {READ_ONLY_NOTE}")


def shown_text(label: str, value) -> None:
    """A stored field for a viewer: its label, then the text as text (never Markdown)."""
    st.markdown(f"**{label}**")
    st.text(value or "—")


def week_label(value) -> str:
    return f"{value:%d %b %Y}" if value else "—"


def select_workgroup(workgroup_id: int | None) -> None:
    """Show one workgroup (or, with None, the list), on its first tab, in a URL that can be shared."""
    for name in ("kpi", "start", "end"):
        st.query_params.pop(name, None)
    if "tab" in st.session_state:  # the tabs own their URL parameter: choosing the first tab clears it
        st.session_state["tab"] = FIRST_TAB
    else:
        st.query_params.pop("tab", None)
    if workgroup_id is None:
        st.query_params.pop("wg", None)
    else:
        st.query_params["wg"] = str(workgroup_id)


# --- the numbers behind a workgroup ------------------------------------------------------------------------


@by_data_version(max_entries=32)
def scope_series(con, kpi: str, scope: str):
    return breaches.scope_series(con, store.load_settings(con), kpi, scope)


def series_for(ctx: PageContext, workgroup: dict):
    return scope_series(ctx, workgroup["kpi"], workgroup["scope"])


def recovery_for(ctx: PageContext, workgroup: dict) -> Recovery:
    return breaches.recovery_of(series_for(ctx, workgroup), workgroup["trigger_end"], ctx.settings.recovery_weeks)


def small_chart(ctx: PageContext, workgroup: dict, recovery: Recovery, key: str, height: int = 200) -> None:
    series = series_for(ctx, workgroup)
    if not series:
        st.caption("No data for this KPI and scope.")
        return
    floor = ctx.settings.floors[workgroup["kpi"]]
    figure = workgroup_figure(series, workgroup, floor, recovery, height=height, presentation=ctx.presentation)
    st.plotly_chart(figure, width="stretch", config=CHART_CONFIG, key=key)


def status_badges(workgroup: dict, recovery: Recovery) -> None:
    with st.container(horizontal=True):
        if workgroup["status"] == "open":
            st.badge("Open", icon=":material/pending:", color="orange")
        else:
            st.badge("Closed", icon=":material/task_alt:", color="gray")
        if recovery.recovered:
            st.badge("Recovered", icon=":material/trending_up:", color="green")
        else:
            st.badge("Not recovered", icon=":material/trending_down:", color="red")
        st.badge(f"{workgroup['kpi']} · {model.scope_label(workgroup['scope'])}", color="blue")


def trigger_frame(trigger: list[dict], floor: float) -> pd.DataFrame:
    # The value as text by the one formatter: a week at 92.96 against a 93 floor must not read "93.0".
    return pd.DataFrame(
        {
            "Week of": [model.stored_week(w) for w in trigger],
            "Value": [format_percent(w["value"], floor) for w in trigger],
            "Status": [w["status"] for w in trigger],  # before the counts: it stays in view in a narrow column
            "Good": [w["good"] for w in trigger],
            "Counted": [w["total"] for w in trigger],
        }
    )


# --- the breaches nobody works on, and the weekly review's link -------------------------------------------


def incoming_link() -> tuple[str | None, dt.date | None, dt.date | None]:
    """The weekly review's link: ?kpi=FRT&start=2026-11-02&end=2026-11-16 (``02 Nov 2026`` is read too)."""
    kpi = link_parameter("kpi", lambda text: links.read_choice(text, kpi_keys()), "one of " + ", ".join(kpi_keys()))
    dates = []
    for name in ("start", "end"):
        value = st.query_params.get(name)
        dates.append(links.parse_week_text(value) if value else None)
        if value and dates[-1] is None:
            st.warning(escape_markdown(links.unreadable_note(value, f"{name} ")), icon=":material/link_off:")
    return kpi, dates[0], dates[1]


def apply_incoming_link(kpi, start, end) -> None:
    """A new link from the weekly review replaces an older draft's KPI and weeks (once per link)."""
    link = (kpi, start, end)
    if kpi is None or st.session_state.get(APPLIED_LINK) == link:
        return
    st.session_state[APPLIED_LINK] = link
    DRAFTS.forget("form::kpi", "form::scope", "form::weeks")
    DRAFTS.set("form::kpi", kpi)
    # A notification about one segment or region names it (``&scope=GitLab+SaaS``); the review's links do not.
    scope = links.read_choice(st.query_params.get("scope", ""), model.SCOPES)
    DRAFTS.set("form::scope", scope or model.COMBINED_SCOPE)


def unattended_warnings(ctx: PageContext) -> list:
    """Warn about each combined sustained breach with no open workgroup; returns them as (KPI, episode)."""
    series = {kpi: scope_series(ctx, kpi, model.COMBINED_SCOPE) for kpi in kpi_keys()}
    unattended = attention.unattended_breaches(ctx.con, ctx.settings, series)
    for kpi, episode in unattended:
        st.warning(
            f"**{kpi}** has been at or below its {ctx.settings.floors[kpi]:g} % floor for {episode.weeks} weeks "
            f"(weeks of {episode.start:%d %b} to {episode.end:%d %b %Y}) and has no workgroup.",
            icon=":material/warning:",
        )
    return unattended


# --- forming a workgroup -------------------------------------------------------------------------------------


def form_section(ctx: PageContext, link_kpi, link_start, link_end, unattended) -> None:
    default_kpi = link_kpi or (unattended[0][0] if unattended else kpi_keys()[0])
    with st.expander("Form a workgroup", icon=":material/group_add:", expanded=bool(link_kpi or unattended)):
        pick_kpi, pick_scope = st.columns(2)
        with pick_kpi:
            kpi = DRAFTS.widget(
                st.selectbox,
                "KPI",
                "form::kpi",
                default_kpi,
                options=kpi_keys(),
                format_func=lambda k: f"{k} · {get_kpi(k).name}",
            )
        with pick_scope:
            scope = DRAFTS.widget(
                st.selectbox,
                "Scope",
                "form::scope",
                model.COMBINED_SCOPE,
                options=model.SCOPES,
                format_func=model.scope_label,
                help="The handbook's rule is about the combined figure; a segment or region can have its own.",
            )
        existing = repository.find_open(ctx.con, kpi, scope)
        if existing:
            st.info(
                f"{kpi} ({scope}) already has an open workgroup, #{existing['id']}, opened "
                f"{existing['opened_on']:%d %b %Y}: {escape_markdown(existing['title'])}",
                icon=":material/groups:",
            )
            st.button(
                f"Open workgroup #{existing['id']}",
                key="form_show_existing",
                icon=":material/arrow_forward:",
                on_click=select_workgroup,
                args=(existing["id"],),
            )
            return
        start, end = breach_weeks(ctx, kpi, scope, link_kpi, link_start, link_end)
        form_fields(ctx, kpi, scope, start, end)
        st.button(
            "Form workgroup",
            key="form_submit",
            type="primary",
            icon=":material/group_add:",
            disabled=not (start and end),
            on_click=form_workgroup,
            args=(ctx, default_kpi),
        )


def breach_weeks(ctx: PageContext, kpi, scope, link_kpi, link_start, link_end):
    """The breach weeks to form on: the link's, else the current (or latest) sustained breach; editable."""
    series = scope_series(ctx, kpi, scope)
    episode = breaches.current_breach(series, kpi, ctx.settings) or breaches.latest_sustained_episode(
        series, kpi, ctx.settings
    )
    from_link = link_kpi == kpi and scope == model.COMBINED_SCOPE
    start_default = (link_start if from_link else None) or (episode.start if episode else None)
    end_default = (link_end if from_link else None) or (episode.end if episode else None)
    if episode is None and not (start_default and end_default):
        st.caption(f"{kpi} ({scope}) has had no sustained breach in the data. Give the breach weeks yourself.")
    weeks_prefix = f"form::weeks::{kpi}::{scope}::"
    first, last = st.columns(2)
    with first:
        start = DRAFTS.widget(
            st.date_input, "First breach week", weeks_prefix + "start", start_default, format="YYYY-MM-DD"
        )
    with last:
        end = DRAFTS.widget(st.date_input, "Last breach week", weeks_prefix + "end", end_default, format="YYYY-MM-DD")
    if start and end:
        trigger = breaches.capture_trigger(series, start, end)
        if trigger:
            st.caption(f"Breach weeks captured with the workgroup ({ctx.settings.floors[kpi]:g} % floor):")
            # A few read-only rows: a static table, not a grid (a grid costs the page ~0.2 s to load and draw).
            # Its cells are Markdown, so they are escaped; the counts stay numbers, aligned right.
            frame = escape_table_cells(trigger_frame(trigger, ctx.settings.floors[kpi]))
            st.table(frame, hide_index=True, width="content")
        else:
            st.warning("There are no weekly values between these dates.", icon=":material/warning:")
    return start, end


def form_fields(ctx: PageContext, kpi, scope, start, end) -> None:
    DRAFTS.widget(st.text_input, "Title", "form::title", "", placeholder=model.default_title(kpi, scope, start, end))
    people = st.columns(2)
    with people[0]:
        DRAFTS.widget(st.text_input, "Facilitator", "form::facilitator", "")
    with people[1]:
        DRAFTS.widget(st.text_input, "Executive stakeholder", "form::executive_stakeholder", "")
    members_text = DRAFTS.widget(
        st.text_area,
        "Members, one a line",
        "form::members",
        "",
        height=100,
        help="The 2 or 3 managers or ICs who volunteered in the leadership meeting.",
    )
    if warning := model.member_count_warning(len(model.names_from_lines(members_text))):
        st.caption(f":material/info: {warning}")
    DRAFTS.widget(
        st.text_input,
        "Issue link",
        "form::issue_url",
        "",
        placeholder="https://gitlab.com/gitlab-com/support/metrics/-/issues/…",
    )
    DRAFTS.widget(
        st.text_area,
        "Exit criteria",
        f"form::exit::{kpi}::{scope}",
        model.default_exit_criteria(kpi, scope, ctx.settings),
        height=80,
    )


def form_workgroup(ctx: PageContext, default_kpi: str) -> None:
    kpi = DRAFTS.typed("form::kpi", default_kpi)
    scope = DRAFTS.typed("form::scope", model.COMBINED_SCOPE)
    weeks_prefix = f"form::weeks::{kpi}::{scope}::"
    formed = DRAFTS.run(
        repository.form_workgroup,
        ctx.con,
        ctx.user,
        ctx.settings,
        kpi,
        scope=scope,
        start=DRAFTS.typed(weeks_prefix + "start"),
        end=DRAFTS.typed(weeks_prefix + "end"),
        title=DRAFTS.typed("form::title", ""),
        facilitator=DRAFTS.typed("form::facilitator", ""),
        executive_stakeholder=DRAFTS.typed("form::executive_stakeholder", ""),
        members=model.names_from_lines(DRAFTS.typed("form::members", "")),
        issue_url=DRAFTS.typed("form::issue_url", ""),
        exit_criteria=DRAFTS.typed(f"form::exit::{kpi}::{scope}", ""),
    )
    if not formed:
        return
    if formed.created:
        DRAFTS.flash(f"Workgroup #{formed.workgroup_id} formed. Add its hypotheses next.")
        DRAFTS.forget("form::")
    else:
        DRAFTS.flash(f"An open workgroup already covers this breach: #{formed.workgroup_id}.", "warning")
    select_workgroup(formed.workgroup_id)


# --- the list ------------------------------------------------------------------------------------------------


def workgroup_card(ctx: PageContext, workgroup: dict) -> None:
    recovery = recovery_for(ctx, workgroup)
    with st.container(border=True):
        text, chart = st.columns([3, 2], vertical_alignment="center")
        with text:
            st.subheader(f"#{workgroup['id']} · {escape_markdown(workgroup['title'])}", anchor=False)
            status_badges(workgroup, recovery)
            dates = f"Opened {week_label(workgroup['opened_on'])}"
            if workgroup["closed_on"]:
                dates += f" · closed {week_label(workgroup['closed_on'])}"
            trigger = workgroup["trigger_weeks"]
            if trigger:
                if len(trigger) == 1:
                    dates += f" · triggered by the week of {model.stored_week(trigger[0])}"
                else:
                    first, last = model.stored_week(trigger[0]), model.stored_week(trigger[-1])
                    dates += f" · triggered by {len(trigger)} weeks, from the week of {first} to that of {last}"
            st.markdown(dates)  # key facts: in full-contrast text, not a caption
            st.markdown(recovery.describe())
            issue = workgroup_issues.stored_issue(ctx.con, workgroup["id"])
            issue_link(workgroup, issue, key=f"card_issue_{workgroup['id']}")
            follow_back_lines(workgroup, recovery, issue)
            verdicts = ", ".join(f"{n} {v}" for v, n in workgroup["hypotheses_by_verdict"].items() if n)
            count = workgroup["member_count"]
            st.caption(
                f"{count} member{'s' if count != 1 else ''} · "
                + (f"hypotheses: {verdicts}" if verdicts else "no hypotheses yet")
            )
            if has_drafts(workgroup["id"]):
                st.caption(":material/edit: Unsaved changes in this workgroup (open it to save or discard them)")
            st.button(
                "Open",
                key=f"open_{workgroup['id']}",
                icon=":material/arrow_forward:",
                on_click=select_workgroup,
                args=(workgroup["id"],),
            )
        with chart:
            small_chart(ctx, workgroup, recovery, key=f"card_chart_{workgroup['id']}", height=190)


# --- the workgroup's GitLab issue (its buttons: lib/ui/workgroup_issue_view.py) ----------------------------


def issue_link(workgroup: dict, issue: dict | None, key: str) -> None:
    """The issue's address as a button (only an http(s) one: a typed ``javascript:`` stays text)."""
    url = links.web_link(workgroup.get("issue_url") or "")
    label = f"GitLab issue #{issue['iid']}" if issue else "Workgroup issue"
    if url:
        st.link_button(label, url, icon=":material/open_in_new:", key=key)
    elif workgroup.get("issue_url"):
        st.text(f"Issue: {workgroup['issue_url']}")


def followed_back(issue: dict) -> str:
    """What GitLab said about the issue, in one line of plain words (shown escaped: it holds GitLab's text)."""
    parts = [f"GitLab: {issue['state'] or 'state unknown'}"]
    parts.append("assigned to " + ", ".join(issue["assignees"]) if issue["assignees"] else "nobody assigned")
    if issue["labels"]:
        parts.append("labels " + ", ".join(issue["labels"]))
    if issue["gitlab_updated_at"]:
        parts.append(f"updated {issue['gitlab_updated_at']:%d %b %Y %H:%M} UTC")
    if issue["checked_at"]:
        parts.append(f"checked {issue['checked_at']:%d %b %Y %H:%M} UTC")
    return " · ".join(parts)


def follow_back_lines(workgroup: dict, recovery: Recovery, issue: dict | None) -> None:
    """The follow-back line and, when GitLab closed it before recovery, the flag for the meeting."""
    if not issue:
        return
    st.caption(escape_markdown(followed_back(issue)))
    flag = gitlab_issue.closed_but_not_recovered(workgroup["kpi"], issue, recovery)
    if flag:
        st.warning(flag[0].upper() + flag[1:], icon=":material/flag:")  # built from the KPI and counts only


def has_drafts(workgroup_id: int) -> bool:
    """Whether anything typed in this workgroup's own fields or tables is still unsaved."""
    return DRAFTS.any_under(f"wg{workgroup_id}::", f"members_{workgroup_id}", f"actions_{workgroup_id}")


def deleted_section(ctx: PageContext) -> None:
    deleted = repository.list_workgroups(ctx.con, deleted=True) if ctx.can_edit else []
    if not deleted:
        return
    with st.expander(f"Deleted workgroups ({len(deleted)})", icon=":material/delete:"):
        for workgroup in deleted:
            text, button = st.columns([5, 1], vertical_alignment="center")
            text.markdown(
                f"#{workgroup['id']} · {escape_markdown(workgroup['title'])} "
                f"(deleted {workgroup['deleted_at']:%d %b %Y %H:%M})"
            )
            button.button(
                "Restore",
                key=f"restore_{workgroup['id']}",
                icon=":material/restore_from_trash:",
                on_click=restore_workgroup,
                args=(ctx, workgroup["id"]),
            )


def restore_workgroup(ctx: PageContext, workgroup_id: int) -> None:
    restored = DRAFTS.run(
        repository.restore_workgroup, ctx.con, ctx.user, workgroup_id, success=f"Workgroup #{workgroup_id} restored."
    )
    if restored:
        DRAFTS.drop_undo()


# --- the hypothesis library ------------------------------------------------------------------------------


def library_section(ctx: PageContext, workgroup: dict | None) -> None:
    """Common hypotheses with what past workgroups concluded; in a workgroup, each can be copied in."""
    suffix = f"wg{workgroup['id']}" if workgroup else "list"
    label = "Copy a common hypothesis from the library" if workgroup else "Hypothesis library"
    # Tracked, so its entries and the form to add one (some 50 elements) are built and sent only once opened;
    # what was typed in them is a draft and waits while it is closed.
    expander = st.expander(
        label,
        icon=":material/menu_book:",
        expanded=bool(workgroup and not workgroup["hypotheses"]),
        key=f"library_{suffix}",
        on_change="rerun",
    )
    if not expander.open:
        return
    with expander:
        query = DRAFTS.widget(
            st.text_input, "Search", f"library::{suffix}::query", "", placeholder="time off, volume, region…"
        )
        entries = library.library(ctx.con, query or "")
        if not entries:
            st.caption("No library hypothesis matches.")
        copied = {h["library_id"] for h in workgroup["hypotheses"]} if workgroup else set()
        for entry in entries:
            with st.container(border=True):
                library_entry(entry, workgroup)
                if workgroup and ctx.can_edit:
                    already = entry["id"] in copied
                    st.button(
                        "Copied into this workgroup" if already else "Copy into this workgroup",
                        key=f"copy_{workgroup['id']}_{entry['id']}",
                        icon=":material/content_copy:",
                        disabled=already,
                        on_click=copy_hypothesis,
                        args=(ctx, workgroup["id"], entry["id"]),
                    )
        if workgroup is None and ctx.can_edit:
            add_library_entry(ctx)


def library_entry(entry: dict, workgroup: dict | None) -> None:
    st.markdown(f"**{escape_markdown(entry['title'])}**")
    kpi = workgroup["kpi"] if workgroup else "the KPI"
    st.text((entry["statement"] or "").replace("{kpi}", kpi))
    if entry["falsified_if"]:
        st.caption(f"Falsified if: {escape_markdown(entry['falsified_if'])}")
    past = entry["past"]
    if not past:
        st.caption("No past workgroup has reached a verdict on it yet.")
        return
    tally = ", ".join(f"{n} {v}" for v, n in entry["tally"].items() if n)
    st.caption(f"Past workgroups concluded: {tally}")
    for conclusion in past[:5]:
        when = f" on {conclusion['verdict_on']:%d %b %Y}" if conclusion["verdict_on"] else ""
        note = f": {escape_markdown(conclusion['notes'])}" if conclusion["notes"] else ""
        st.caption(f"· #{conclusion['workgroup_id']} {conclusion['kpi']}, {conclusion['verdict']}{when}{note}")


def copy_hypothesis(ctx: PageContext, workgroup_id: int, library_id: int) -> None:
    DRAFTS.run(
        library.copy_from_library, ctx.con, ctx.user, workgroup_id, library_id, success="Copied into the workgroup."
    )


def add_library_entry(ctx: PageContext) -> None:
    st.markdown("**Add a common hypothesis**")
    st.caption("Write {kpi} where the KPI's name belongs; it is filled in when the hypothesis is copied.")
    DRAFTS.widget(st.text_input, "Title", "library::new::title", "")
    DRAFTS.widget(st.text_area, "Testable statement", "library::new::statement", "", height=68)
    DRAFTS.widget(st.text_area, "Falsified if", "library::new::falsified_if", "", height=68)
    DRAFTS.widget(st.text_area, "Approach", "library::new::approach", "", height=68)
    DRAFTS.widget(st.text_area, "Shaping actions (If … then …)", "library::new::shaping", "", height=68)
    st.button("Add to the library", key="library_add", icon=":material/add:", on_click=add_to_library, args=(ctx,))


def add_to_library(ctx: PageContext) -> None:
    added = DRAFTS.run(
        library.add_to_library,
        ctx.con,
        ctx.user,
        DRAFTS.typed("library::new::title", ""),
        statement=DRAFTS.typed("library::new::statement", ""),
        falsified_if=DRAFTS.typed("library::new::falsified_if", ""),
        approach=DRAFTS.typed("library::new::approach", ""),
        shaping_actions=DRAFTS.typed("library::new::shaping", ""),
        success="Added to the library.",
    )
    if added:
        DRAFTS.forget("library::new::")
