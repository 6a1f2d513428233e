"""Metrics workgroups: formed on a sustained breach, they test hypotheses and ship actions until recovery.

The page only lays out widgets; the rules live in lib/workgroups/__init__.py. Everything typed is kept
as a draft in st.session_state (it survives reruns and page switches) and is written to the
database only when its Save / Form / Add button is pressed. A viewer (sign-in configured, not
an editor) sees every workgroup read only: no control that changes data is drawn, and lib/workgroups/__init__.py
refuses their writes anyway.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from lib.core import links
from lib.core.settings import KPI_NAMES, KPIS
from lib.ui import figures
from lib.ui.explain_view import hypothesis_check
from lib.ui.page import escape_markdown, setup_page
from lib.workgroups import breaches, contents, exports, library, model, repository
from lib.workgroups import checks as hypothesis_checks

ctx = setup_page("Workgroups", ":material/groups:")

DRAFTS = "workgroup_drafts"
FLASH = "workgroup_flash"
UNDO = "workgroup_undo"
CONFIRM = "workgroup_confirm"
APPLIED_LINK = "workgroup_applied_link"
VERDICT_ICONS = {
    "open": ":material/help:",
    "supported": ":material/check_circle:",
    "falsified": ":material/cancel:",
    "inconclusive": ":material/radio_button_unchecked:",
}
CHART_CONFIG = {"displayModeBar": False, "responsive": True}
READ_ONLY_NOTE = "Read only: ask an editor to form, edit or delete workgroups."


def read_only_note() -> None:
    st.caption(f":material/visibility: {READ_ONLY_NOTE}")


# --- drafts: what was typed, kept until it is saved or discarded -------------------------------------


def drafts() -> dict:
    return st.session_state.setdefault(DRAFTS, {})


def drafted(widget, label: str, name: str, stored, **kwargs):
    """A widget whose value survives reruns and page switches as a draft until saved or discarded."""
    key = f"draft::{name}"
    if key not in st.session_state:  # a fresh widget (first view, or back from another page)
        st.session_state[key] = drafts().get(name, stored)

    def remember():
        drafts()[name] = st.session_state[key]

    return widget(label, key=key, on_change=remember, **kwargs)


def typed(name: str, stored=None):
    """What is in a drafted widget right now (callbacks run before the script, so read the widget's state)."""
    key = f"draft::{name}"
    if key in st.session_state:
        return st.session_state[key]
    return drafts().get(name, stored)


def forget(*prefixes: str) -> None:
    """Drop drafts (and their widgets' state) whose names start with any of the prefixes."""
    for name in [n for n in drafts() if n.startswith(prefixes)]:
        del drafts()[name]
    for key in [k for k in st.session_state if str(k).startswith(tuple(f"draft::{p}" for p in prefixes))]:
        del st.session_state[key]


def is_dirty(prefix: str, stored: dict) -> bool:
    return any(drafts().get(f"{prefix}{field}", value) != value for field, value in stored.items())


def cell(value):
    """One data-editor cell as plain Python: blanks become None, timestamps become dates."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str):
        return value if value.strip() else None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def table_rows(frame: pd.DataFrame) -> list[dict]:
    return [{column: cell(value) for column, value in row.items()} for row in frame.to_dict("records")]


def editor_key(name: str) -> str:
    return f"editor::{name}::{st.session_state.get(f'editor_version::{name}', 0)}"


def draft_editor(name: str, stored_rows: list[dict], columns: list[str], column_config: dict) -> bool:
    """A data editor whose edits are a draft until saved; returns whether there are unsaved edits."""
    entry = drafts().get(name)
    key = editor_key(name)
    base_key = f"editor_base::{name}"
    if key in st.session_state and base_key in st.session_state:
        base = st.session_state[base_key]  # the editor keeps its edits relative to the rows it was first given
    else:
        base = entry["edited"] if entry else stored_rows
    st.session_state[base_key] = base
    frame = pd.DataFrame(base, columns=columns)
    edited = st.data_editor(
        frame,
        key=key,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={"id": None, **column_config},
        placeholder="",  # an empty cell reads empty, not "None"
    )
    rows = table_rows(edited)
    if rows != table_rows(pd.DataFrame(stored_rows, columns=columns)):
        drafts()[name] = {"edited": rows}
        return True
    drafts().pop(name, None)
    return False


def edited_rows(name: str) -> list[dict] | None:
    """The editor's rows as they are now: the rows it was given with its pending edits applied."""
    delta = st.session_state.get(editor_key(name))
    base = st.session_state.get(f"editor_base::{name}")
    if delta is None or base is None:
        entry = drafts().get(name)
        return entry["edited"] if entry else None
    rows = [dict(row) for row in base]
    for index, changes in delta.get("edited_rows", {}).items():
        rows[int(index)].update(changes)
    deleted = {int(index) for index in delta.get("deleted_rows", [])}
    rows = [row for index, row in enumerate(rows) if index not in deleted]
    rows += [dict(row) for row in delta.get("added_rows", [])]
    return rows


def reset_editor(name: str) -> None:
    drafts().pop(name, None)
    st.session_state.pop(f"editor_base::{name}", None)
    version_key = f"editor_version::{name}"
    st.session_state[version_key] = st.session_state.get(version_key, 0) + 1


# --- messages, undo and confirmation ---------------------------------------------------------------


def flash(message: str, kind: str = "success") -> None:
    st.session_state[FLASH] = (kind, message)


def show_flash() -> None:
    kind, message = st.session_state.pop(FLASH, (None, None))
    if message:
        icon = {"success": ":material/check:", "error": ":material/error:", "warning": ":material/warning:"}[kind]
        getattr(st, kind)(message, icon=icon)


def offer_undo(label: str, what: str, **details) -> None:
    st.session_state[UNDO] = {"label": label, "what": what, **details}


def undo(con) -> None:
    offer = st.session_state.pop(UNDO, None)
    if not offer:
        return
    try:
        if offer["what"] == "workgroup":
            repository.restore_workgroup(con, ctx.user, offer["id"])
            st.query_params["wg"] = str(offer["id"])
        elif offer["what"] == "hypothesis":
            contents.restore_hypothesis(con, ctx.user, offer["id"])
        else:
            contents.restore_rows(con, ctx.user, offer["table"], offer["ids"])
        flash("Undone.")
    except model.WorkgroupError as error:
        flash(error.message, "error")


def show_undo(con) -> None:
    offer = st.session_state.get(UNDO)
    if not offer:
        return
    with st.container(border=True):
        text, restore, dismiss = st.columns([6, 1, 1], vertical_alignment="center")
        text.markdown(f":material/delete: {offer['label']}")  # built from ids and fixed words only
        restore.button("Undo", key="undo", icon=":material/undo:", on_click=undo, args=(con,), width="stretch")
        dismiss.button("Dismiss", key="undo_dismiss", on_click=st.session_state.pop, args=(UNDO, None))


def run(action, *args, success: str | None = None, **kwargs):
    """Call a lib write; its refusal becomes a message instead of a traceback."""
    try:
        result = action(*args, **kwargs)
    except model.WorkgroupError as error:
        flash(error.message, "error")
        return None
    if success:
        flash(success)
    return result if result is not None else True


def select_workgroup(workgroup_id: int | None) -> None:
    for name in ("kpi", "start", "end"):
        st.query_params.pop(name, None)
    if "tab" in st.session_state:  # the tabs own their URL parameter: choosing the first tab clears it
        st.session_state["tab"] = next(iter(DETAIL_TABS))
    else:
        st.query_params.pop("tab", None)
    if workgroup_id is None:
        st.query_params.pop("wg", None)
    else:
        st.query_params["wg"] = str(workgroup_id)


# --- data ------------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def cached_series(_con, _settings, data_version: int, kpi: str, scope: str):
    del data_version  # the cache key: any stored change recomputes
    return breaches.scope_series(_con, _settings, kpi, scope)


def series_for(kpi: str, scope: str):
    return cached_series(ctx.con, ctx.settings, ctx.data_version, kpi, scope)


def recovery_for(workgroup: dict) -> breaches.Recovery:
    series = series_for(workgroup["kpi"], workgroup["scope"])
    return breaches.recovery_of(series, workgroup["trigger_end"], ctx.settings.recovery_weeks)


def small_chart(workgroup: dict, recovery: breaches.Recovery, key: str, height: int = 200) -> None:
    series = series_for(workgroup["kpi"], workgroup["scope"])
    if not series:
        st.caption("No data for this KPI and scope.")
        return
    floor = ctx.settings.floors[workgroup["kpi"]]
    figure = figures.workgroup_figure(series, workgroup, floor, recovery, height=height, presentation=ctx.presentation)
    st.plotly_chart(figure, width="stretch", config=CHART_CONFIG, key=key)


def status_badges(workgroup: dict, recovery: breaches.Recovery) -> None:
    badges = st.container(horizontal=True)
    with badges:
        if workgroup["status"] == "open":
            st.badge("Open", icon=":material/pending:", color="orange")
        else:
            st.badge("Closed", icon=":material/task_alt:", color="gray")
        if recovery.recovered:
            st.badge("Recovered", icon=":material/trending_up:", color="green")
        else:
            st.badge("Not recovered", icon=":material/trending_down:", color="red")
        st.badge(f"{workgroup['kpi']} · {model.scope_label(workgroup['scope'])}", color="blue")


def week_label(value) -> str:
    return f"{value:%d %b %Y}" if value else "—"


# --- forming a workgroup -----------------------------------------------------------------------------


def incoming_link() -> tuple[str | None, dt.date | None, dt.date | None]:
    """The weekly review's link: ?kpi=FRT&start=2026-11-02&end=2026-11-16 (``02 Nov 2026`` is read too)."""
    kpi = st.query_params.get("kpi")
    kpi = kpi.upper() if kpi and kpi.upper() in KPIS else None
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
    forget("form::kpi", "form::scope", "form::weeks")
    drafts()["form::kpi"] = kpi
    drafts()["form::scope"] = model.COMBINED_SCOPE


def unattended_breaches() -> list[tuple[str, object]]:
    """KPIs whose combined figure is in sustained breach with no open workgroup."""
    found = []
    for kpi in KPIS:
        episode = breaches.current_breach(series_for(kpi, model.COMBINED_SCOPE), kpi, ctx.settings)
        if episode and repository.find_open(ctx.con, kpi, model.COMBINED_SCOPE) is None:
            found.append((kpi, episode))
    return found


def form_section(link_kpi, link_start, link_end, unattended) -> None:
    default_kpi = link_kpi or (unattended[0][0] if unattended else KPIS[0])
    with st.expander("Form a workgroup", icon=":material/group_add:", expanded=bool(link_kpi or unattended)):
        pick_kpi, pick_scope = st.columns(2)
        with pick_kpi:
            kpi = drafted(
                st.selectbox,
                "KPI",
                "form::kpi",
                default_kpi,
                options=KPIS,
                format_func=lambda k: f"{k} · {KPI_NAMES[k]}",
            )
        with pick_scope:
            scope = drafted(
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
        series = series_for(kpi, scope)
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
            start = drafted(
                st.date_input, "First breach week", weeks_prefix + "start", start_default, format="YYYY-MM-DD"
            )
        with last:
            end = drafted(st.date_input, "Last breach week", weeks_prefix + "end", end_default, format="YYYY-MM-DD")
        if start and end:
            trigger = breaches.capture_trigger(series, start, end)
            if trigger:
                st.caption(f"Breach weeks captured with the workgroup ({ctx.settings.floors[kpi]:g} % floor):")
                st.dataframe(trigger_frame(trigger), hide_index=True, width="content")
            else:
                st.warning("There are no weekly values between these dates.", icon=":material/warning:")
        drafted(st.text_input, "Title", "form::title", "", placeholder=model.default_title(kpi, scope, start, end))
        people = st.columns(2)
        with people[0]:
            drafted(st.text_input, "Facilitator", "form::facilitator", "")
        with people[1]:
            drafted(st.text_input, "Executive stakeholder", "form::executive_stakeholder", "")
        members_text = drafted(
            st.text_area,
            "Members, one a line",
            "form::members",
            "",
            height=100,
            help="The 2 or 3 managers or ICs who volunteered in the leadership meeting.",
        )
        members = [line.strip() for line in (members_text or "").splitlines() if line.strip()]
        if warning := model.member_count_warning(len(members)):
            st.caption(f":material/info: {warning}")
        drafted(
            st.text_input,
            "Issue link",
            "form::issue_url",
            "",
            placeholder="https://gitlab.com/gitlab-com/support/metrics/-/issues/…",
        )
        drafted(
            st.text_area,
            "Exit criteria",
            f"form::exit::{kpi}::{scope}",
            model.default_exit_criteria(kpi, scope, ctx.settings),
            height=80,
        )
        st.button(
            "Form workgroup",
            key="form_submit",
            type="primary",
            icon=":material/group_add:",
            disabled=not (start and end),
            on_click=form_workgroup,
            args=(ctx.con, default_kpi),
        )


def form_workgroup(con, default_kpi: str) -> None:
    kpi = typed("form::kpi", default_kpi)
    scope = typed("form::scope", model.COMBINED_SCOPE)
    weeks_prefix = f"form::weeks::{kpi}::{scope}::"
    members_text = typed("form::members", "") or ""
    formed = run(
        repository.form_workgroup,
        con,
        ctx.user,
        ctx.settings,
        kpi,
        scope=scope,
        start=typed(weeks_prefix + "start"),
        end=typed(weeks_prefix + "end"),
        title=typed("form::title", ""),
        facilitator=typed("form::facilitator", ""),
        executive_stakeholder=typed("form::executive_stakeholder", ""),
        members=[line.strip() for line in members_text.splitlines() if line.strip()],
        issue_url=typed("form::issue_url", ""),
        exit_criteria=typed(f"form::exit::{kpi}::{scope}", ""),
    )
    if not formed:
        return
    if formed.created:
        flash(f"Workgroup #{formed.workgroup_id} formed. Add its hypotheses next.")
        forget("form::")
    else:
        flash(f"An open workgroup already covers this breach: #{formed.workgroup_id}.", "warning")
    select_workgroup(formed.workgroup_id)


def trigger_frame(trigger: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Week of": [exports.stored_week(w) for w in trigger],
            "Value %": [None if w["value"] is None else round(w["value"], 1) for w in trigger],
            "Good": [w["good"] for w in trigger],
            "Counted": [w["total"] for w in trigger],
            "Status": [w["status"] for w in trigger],
        }
    )


# --- the list ----------------------------------------------------------------------------------------------


def list_view() -> None:
    st.title("Metrics workgroups", anchor=False)
    st.caption(
        f"When a combined KPI is at or below its floor for {ctx.settings.sustained_weeks} sustained weeks, a small "
        "workgroup writes testable statements about the cause, gathers data that could falsify them and ships "
        f"temporary or permanent changes. It has recovered after {ctx.settings.recovery_weeks} consecutive complete "
        "weeks above the floor."
    )
    link_kpi, link_start, link_end = incoming_link()
    apply_incoming_link(link_kpi, link_start, link_end)
    unattended = unattended_breaches()
    for kpi, episode in unattended:
        st.warning(
            f"**{kpi}** has been at or below its {ctx.settings.floors[kpi]:g} % floor for {episode.weeks} weeks "
            f"(weeks of {episode.start:%d %b} to {episode.end:%d %b %Y}) and has no workgroup.",
            icon=":material/warning:",
        )
    if ctx.can_edit:
        form_section(link_kpi, link_start, link_end, unattended)
    else:
        st.info(READ_ONLY_NOTE, icon=":material/visibility:")

    workgroups = repository.list_workgroups(ctx.con)
    st.header(f"Workgroups ({len(workgroups)})", anchor=False)
    if not workgroups:
        st.caption("No workgroups yet.")
    for workgroup in workgroups:
        workgroup_card(workgroup)
    library_section(None)
    deleted_section()


def workgroup_card(workgroup: dict) -> None:
    recovery = recovery_for(workgroup)
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
                    dates += f" · triggered by the week of {trigger[0]['week']}"
                else:
                    dates += f" · triggered by {len(trigger)} weeks from {trigger[0]['week']} to {trigger[-1]['week']}"
            st.caption(dates)
            st.caption(recovery.describe())
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
            small_chart(workgroup, recovery, key=f"card_chart_{workgroup['id']}", height=190)


def has_drafts(workgroup_id: int) -> bool:
    """Whether anything typed in this workgroup's own fields or tables is still unsaved."""
    own = (f"wg{workgroup_id}::", f"members_{workgroup_id}", f"actions_{workgroup_id}")
    return any(name.startswith(own) for name in drafts())


def deleted_section() -> None:
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
                args=(ctx.con, workgroup["id"]),
            )


def restore_workgroup(con, workgroup_id: int) -> None:
    if run(repository.restore_workgroup, con, ctx.user, workgroup_id, success=f"Workgroup #{workgroup_id} restored."):
        st.session_state.pop(UNDO, None)


# --- the hypothesis library --------------------------------------------------------------------------------


def library_section(workgroup: dict | None) -> None:
    """Common hypotheses with what past workgroups concluded; in a workgroup, each can be copied in."""
    suffix = f"wg{workgroup['id']}" if workgroup else "list"
    label = "Copy a common hypothesis from the library" if workgroup else "Hypothesis library"
    with st.expander(label, icon=":material/menu_book:", expanded=bool(workgroup and not workgroup["hypotheses"])):
        query = drafted(
            st.text_input, "Search", f"library::{suffix}::query", "", placeholder="time off, volume, region…"
        )
        entries = library.library(ctx.con, query or "")
        if not entries:
            st.caption("No library hypothesis matches.")
        copied = {h["library_id"] for h in workgroup["hypotheses"]} if workgroup else set()
        for entry in entries:
            with st.container(border=True):
                st.markdown(f"**{escape_markdown(entry['title'])}**")
                kpi = workgroup["kpi"] if workgroup else "the KPI"
                st.text((entry["statement"] or "").replace("{kpi}", kpi))
                if entry["falsified_if"]:
                    st.caption(f"Falsified if: {escape_markdown(entry['falsified_if'])}")
                past = entry["past"]
                if past:
                    tally = ", ".join(f"{n} {v}" for v, n in entry["tally"].items() if n)
                    st.caption(f"Past workgroups concluded: {tally}")
                    for conclusion in past[:5]:
                        when = f" on {conclusion['verdict_on']:%d %b %Y}" if conclusion["verdict_on"] else ""
                        note = f": {escape_markdown(conclusion['notes'])}" if conclusion["notes"] else ""
                        st.caption(
                            f"· #{conclusion['workgroup_id']} {conclusion['kpi']}, {conclusion['verdict']}{when}{note}"
                        )
                else:
                    st.caption("No past workgroup has reached a verdict on it yet.")
                if workgroup and ctx.can_edit:
                    already = entry["id"] in copied
                    st.button(
                        "Copied into this workgroup" if already else "Copy into this workgroup",
                        key=f"copy_{workgroup['id']}_{entry['id']}",
                        icon=":material/content_copy:",
                        disabled=already,
                        on_click=copy_hypothesis,
                        args=(ctx.con, workgroup["id"], entry["id"]),
                    )
        if workgroup is None and ctx.can_edit:
            add_library_entry()


def copy_hypothesis(con, workgroup_id: int, library_id: int) -> None:
    run(library.copy_from_library, con, ctx.user, workgroup_id, library_id, success="Copied into the workgroup.")


def add_library_entry() -> None:
    st.markdown("**Add a common hypothesis**")
    st.caption("Write {kpi} where the KPI's name belongs; it is filled in when the hypothesis is copied.")
    drafted(st.text_input, "Title", "library::new::title", "")
    drafted(st.text_area, "Testable statement", "library::new::statement", "", height=68)
    drafted(st.text_area, "Falsified if", "library::new::falsified_if", "", height=68)
    drafted(st.text_area, "Approach", "library::new::approach", "", height=68)
    drafted(st.text_area, "Shaping actions (If … then …)", "library::new::shaping", "", height=68)
    st.button("Add to the library", key="library_add", icon=":material/add:", on_click=add_to_library, args=(ctx.con,))


def add_to_library(con) -> None:
    added = run(
        library.add_to_library,
        con,
        ctx.user,
        typed("library::new::title", ""),
        statement=typed("library::new::statement", ""),
        falsified_if=typed("library::new::falsified_if", ""),
        approach=typed("library::new::approach", ""),
        shaping_actions=typed("library::new::shaping", ""),
        success="Added to the library.",
    )
    if added:
        forget("library::new::")


# --- one workgroup -------------------------------------------------------------------------------------------


def detail_view(workgroup: dict) -> None:
    workgroup_id = workgroup["id"]
    recovery = recovery_for(workgroup)
    st.button("All workgroups", key="back", icon=":material/arrow_back:", on_click=select_workgroup, args=(None,))
    st.title(f"Workgroup #{workgroup_id}", anchor=False)
    st.subheader(escape_markdown(workgroup["title"]), anchor=False)
    status_badges(workgroup, recovery)
    if warning := model.member_count_warning(len(workgroup["members"])):
        st.warning(warning, icon=":material/group:")
    # The chosen tab is kept across reruns (a save does not jump back to the first tab) and sits in the URL.
    tabs = st.tabs(list(DETAIL_TABS), key="tab", on_change="rerun", bind="query-params")
    for tab, render in zip(tabs, DETAIL_TABS.values(), strict=True):
        if tab.open is not False:  # only the chosen tab runs; drafts keep what the others had typed
            with tab:
                render(workgroup, recovery)


def overview_tab(workgroup: dict, recovery: breaches.Recovery) -> None:
    chart, facts = st.columns([3, 2])
    with chart:
        small_chart(workgroup, recovery, key=f"detail_chart_{workgroup['id']}", height=320)
        st.caption(
            "Shaded: the breach weeks that triggered the workgroup. Dashed: the floor. "
            "Red points are weeks at or below it; a hollow point is a partial week."
        )
    with facts:
        st.markdown(f"**{recovery.describe()}**")
        st.caption(f"Exit rule: {ctx.settings.recovery_weeks} consecutive complete weeks above the floor.")
        st.markdown("**Trigger, as captured when the workgroup was formed**")
        if workgroup["trigger_weeks"]:
            st.dataframe(trigger_frame(workgroup["trigger_weeks"]), hide_index=True, width="stretch")
        else:
            st.caption("No breach weeks were captured.")
        url = workgroup["issue_url"] or ""
        if url.startswith(("https://", "http://")):  # only web links become buttons; anything else stays text
            st.link_button("Open the workgroup issue", url, icon=":material/open_in_new:")
        elif url:
            st.text(f"Issue: {url}")
        st.markdown("**Exit criteria**")
        st.text(workgroup["exit_criteria"] or "Not agreed yet.")
        if workgroup["summary"]:
            st.markdown("**Summary**")
            st.text(workgroup["summary"])


def details_tab(workgroup: dict, recovery: breaches.Recovery | None = None) -> None:
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
        drafted(st.text_input, "Title", prefix + "title", stored["title"])
        drafted(st.text_input, "Facilitator", prefix + "facilitator", stored["facilitator"])
        drafted(
            st.text_input, "Executive stakeholder", prefix + "executive_stakeholder", stored["executive_stakeholder"]
        )
        drafted(st.text_input, "Issue link", prefix + "issue_url", stored["issue_url"])
        drafted(st.date_input, "Opened on", prefix + "opened_on", stored["opened_on"], format="YYYY-MM-DD")
    with right:
        drafted(st.text_area, "Exit criteria", prefix + "exit_criteria", stored["exit_criteria"], height=110)
        drafted(
            st.text_area,
            "Summary",
            prefix + "summary",
            stored["summary"],
            height=150,
            help="What the workgroup found and changed; the handbook entry and issue body carry it.",
        )
    save_bar(f"details_{workgroup_id}", is_dirty(prefix, stored), save_details, discard=(prefix,), args=(workgroup,))

    st.divider()
    st.markdown("**Members**")
    st.caption("The 2 or 3 managers or ICs who volunteered. Add a row at the bottom of the table.")
    members_dirty = draft_editor(
        f"members_{workgroup_id}",
        workgroup["members"],
        list(model.MEMBER_COLUMNS),
        {
            "name": st.column_config.TextColumn("Name", required=True, width="medium"),
            "role": st.column_config.TextColumn("What they bring", width="large"),
        },
    )
    save_bar(
        f"members_{workgroup_id}",
        members_dirty,
        save_table,
        discard_editor=f"members_{workgroup_id}",
        args=(ctx.con, f"members_{workgroup_id}", "workgroup_members", workgroup_id),
    )

    st.divider()
    status_controls(workgroup)
    st.divider()
    delete_controls(f"workgroup_{workgroup_id}", f"Delete workgroup #{workgroup_id}", delete_workgroup, workgroup_id)


def shown_text(label: str, value) -> None:
    """A stored field for a viewer: its label, then the text as text (never Markdown)."""
    st.markdown(f"**{label}**")
    st.text(value or "—")


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


def save_bar(name: str, dirty: bool, on_save, *, discard=(), discard_editor=None, args=()) -> None:
    bar = st.container(horizontal=True, vertical_alignment="center")
    with bar:
        st.button("Save", key=f"save_{name}", type="primary", icon=":material/save:", on_click=on_save, args=args)
        if dirty:
            if discard_editor:
                st.button("Discard", key=f"discard_{name}", on_click=reset_editor, args=(discard_editor,))
            else:
                st.button("Discard", key=f"discard_{name}", on_click=forget, args=discard)
            st.caption(":material/edit: Unsaved changes (kept while you use other pages)")


def save_details(workgroup: dict) -> None:
    prefix = f"wg{workgroup['id']}::"
    changes = {
        field: typed(prefix + field, workgroup[field]) for field in model.WORKGROUP_FIELDS if field != "closed_on"
    }
    if run(repository.update_workgroup, ctx.con, ctx.user, workgroup["id"], **changes, success="Saved.") is not None:
        forget(prefix)


def save_table(con, name: str, table: str, parent_id: int) -> None:
    rows = edited_rows(name)
    if rows is None:
        flash("Nothing to save.", "warning")
        return
    savers = {
        "workgroup_members": contents.save_members,
        "hypothesis_evidence": contents.save_evidence,
        "workgroup_actions": contents.save_actions,
    }
    if table == "workgroup_actions":
        labels = hypothesis_labels_for(con, parent_id)
        for row in rows:
            row["hypothesis_id"] = labels.get(row.pop("answers", None))
    result = run(savers[table], con, ctx.user, parent_id, rows)
    if not result:
        return
    reset_editor(name)
    flash(f"Saved: {result['added']} added, {result['changed']} changed, {len(result['removed'])} removed.")
    if result["removed"]:
        offer_undo(f"{len(result['removed'])} row(s) removed.", "rows", table=table, ids=result["removed"])


def status_controls(workgroup: dict) -> None:
    workgroup_id = workgroup["id"]
    if workgroup["status"] == "open":
        st.markdown("**Close the workgroup**")
        st.caption("Close it once the exit criteria are met; write the summary above first.")
        when, button = st.columns([1, 2], vertical_alignment="bottom")
        with when:
            drafted(st.date_input, "Closed on", f"wg{workgroup_id}::closing", dt.date.today(), format="YYYY-MM-DD")
        with button:
            st.button(
                "Close workgroup",
                key=f"close_{workgroup_id}",
                icon=":material/task_alt:",
                on_click=close_workgroup,
                args=(ctx.con, workgroup_id),
            )
    else:
        st.markdown(f"**Closed on {week_label(workgroup['closed_on'])}**")
        st.button(
            "Reopen workgroup",
            key=f"reopen_{workgroup_id}",
            icon=":material/replay:",
            on_click=reopen_workgroup,
            args=(ctx.con, workgroup_id),
        )


def close_workgroup(con, workgroup_id: int) -> None:
    closed_on = typed(f"wg{workgroup_id}::closing")
    if run(
        repository.close_workgroup, con, ctx.user, workgroup_id, closed_on, success=f"Workgroup #{workgroup_id} closed."
    ):
        forget(f"wg{workgroup_id}::closing")


def reopen_workgroup(con, workgroup_id: int) -> None:
    run(repository.reopen_workgroup, con, ctx.user, workgroup_id, success=f"Workgroup #{workgroup_id} reopened.")


def delete_controls(name: str, label: str, on_delete, target_id: int) -> None:
    """A delete button that asks first; the delete itself can be undone."""
    if st.session_state.get(CONFIRM) == name:
        with st.container(border=True):
            st.warning(f"{label}? You can undo this afterwards.", icon=":material/warning:")
            yes, no = st.columns(2)
            yes.button(
                "Yes, delete",
                key=f"confirm_{name}",
                type="primary",
                icon=":material/delete:",
                on_click=on_delete,
                args=(ctx.con, target_id),
            )
            no.button("Cancel", key=f"cancel_{name}", on_click=st.session_state.pop, args=(CONFIRM, None))
    else:
        st.button(label, key=f"ask_{name}", icon=":material/delete:", on_click=ask_confirmation, args=(name,))


def ask_confirmation(name: str) -> None:
    st.session_state[CONFIRM] = name


def delete_workgroup(con, workgroup_id: int) -> None:
    st.session_state.pop(CONFIRM, None)
    if run(repository.delete_workgroup, con, ctx.user, workgroup_id):
        offer_undo(f"Workgroup #{workgroup_id} deleted.", "workgroup", id=workgroup_id)
        select_workgroup(None)


def delete_hypothesis(con, hypothesis_id: int) -> None:
    st.session_state.pop(CONFIRM, None)
    if run(contents.delete_hypothesis, con, ctx.user, hypothesis_id):
        offer_undo(f"Hypothesis #{hypothesis_id} deleted.", "hypothesis", id=hypothesis_id)


# --- hypotheses -----------------------------------------------------------------------------------------------


def hypotheses_tab(workgroup: dict, recovery: breaches.Recovery | None = None) -> None:
    workgroup_id = workgroup["id"]
    for verdict in model.VERDICTS:
        group = [h for h in workgroup["hypotheses"] if h["verdict"] == verdict]
        st.subheader(f"{VERDICT_ICONS[verdict]} {verdict.capitalize()} ({len(group)})", anchor=False)
        if not group:
            st.caption("None.")
        for hypothesis in group:
            if ctx.can_edit:
                hypothesis_editor(workgroup, hypothesis)
            else:
                hypothesis_read_only(hypothesis, workgroup)
    if not ctx.can_edit:
        read_only_note()
        return
    st.divider()
    add, from_library = st.columns(2)
    with add, st.container(border=True):
        st.markdown("**Add a hypothesis**")
        prefix = f"wg{workgroup_id}::new::"
        drafted(
            st.text_area,
            "Testable statement",
            prefix + "statement",
            "",
            height=80,
            placeholder=f"{workgroup['kpi']} fell because many people took time off",
        )
        drafted(
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
            args=(ctx.con, workgroup_id),
        )
    with from_library:
        library_section(workgroup)


def add_hypothesis(con, workgroup_id: int) -> None:
    prefix = f"wg{workgroup_id}::new::"
    statement, falsified_if = typed(prefix + "statement", ""), typed(prefix + "falsified_if", "")
    added = run(
        contents.add_hypothesis, con, ctx.user, workgroup_id, statement, falsified_if=falsified_if, success="Added."
    )
    if added:
        forget(f"wg{workgroup_id}::new::")


def hypothesis_editor(workgroup: dict, hypothesis: dict) -> None:
    hypothesis_id = hypothesis["id"]
    prefix = f"h{hypothesis_id}::"
    stored = {
        field: hypothesis[field] if field == "verdict_on" else (hypothesis[field] or "")
        for field in model.HYPOTHESIS_FIELDS
    }
    heading = escape_markdown(model.hypothesis_heading(hypothesis))
    when = f" · {hypothesis['verdict_on']:%d %b %Y}" if hypothesis["verdict_on"] else ""
    dirty = is_dirty(prefix, stored)
    with st.expander(f"#{hypothesis_id} · {heading}{when}" + (" · unsaved" if dirty else ""), expanded=dirty):
        left, right = st.columns(2)
        with left:
            drafted(st.text_input, "Heading (for the handbook)", prefix + "title", stored["title"])
            drafted(st.text_area, "Testable statement", prefix + "statement", stored["statement"], height=80)
            drafted(
                st.text_area, "What result would falsify it", prefix + "falsified_if", stored["falsified_if"], height=80
            )
            drafted(st.text_area, "Approach (how it was analysed)", prefix + "approach", stored["approach"], height=100)
        with right:
            verdict_column, date_column = st.columns(2)
            with verdict_column:
                drafted(
                    st.selectbox,
                    "Verdict",
                    prefix + "verdict",
                    stored["verdict"],
                    options=model.VERDICTS,
                    format_func=str.capitalize,
                )
            with date_column:
                drafted(
                    st.date_input,
                    "Verdict date",
                    prefix + "verdict_on",
                    stored["verdict_on"],
                    format="YYYY-MM-DD",
                    help="Set when a verdict is saved without one: today.",
                )
            drafted(st.text_area, "Notes", prefix + "notes", stored["notes"], height=100)
            st.markdown("**Evidence gathered**")
            evidence_name = f"evidence_{hypothesis_id}"
            evidence_dirty = draft_editor(
                evidence_name,
                hypothesis["evidence"],
                list(model.EVIDENCE_COLUMNS),
                {
                    "link": st.column_config.LinkColumn("Link", width="medium"),
                    "note": st.column_config.TextColumn("What it shows", width="large"),
                },
            )
        hypothesis_check(ctx, workgroup, hypothesis, on_attach=attach_check, attach_blocked=evidence_dirty)
        save_bar(
            f"h{hypothesis_id}",
            dirty or evidence_dirty,
            save_hypothesis,
            discard=(prefix,),
            args=(ctx.con, hypothesis, evidence_name),
        )
        delete_controls(
            f"hypothesis_{hypothesis_id}", f"Delete hypothesis #{hypothesis_id}", delete_hypothesis, hypothesis_id
        )


def attach_check(result) -> None:
    if run(hypothesis_checks.attach, ctx.con, ctx.user, result, success="Attached as evidence, dated."):
        reset_editor(f"evidence_{result.hypothesis_id}")  # the editor shows the stored evidence again


def hypothesis_read_only(hypothesis: dict, workgroup: dict) -> None:
    heading = escape_markdown(model.hypothesis_heading(hypothesis))
    when = f" · {hypothesis['verdict_on']:%d %b %Y}" if hypothesis["verdict_on"] else ""
    with st.expander(f"#{hypothesis['id']} · {heading}{when}"):
        left, right = st.columns(2)
        with left:
            shown_text("Testable statement", hypothesis["statement"])
            shown_text("What result would falsify it", hypothesis["falsified_if"])
            shown_text("Approach (how it was analysed)", hypothesis["approach"])
        with right:
            shown_text("Verdict", hypothesis["verdict"].capitalize())
            shown_text("Notes", hypothesis["notes"])
            st.markdown("**Evidence gathered**")
            st.dataframe(
                pd.DataFrame(hypothesis["evidence"], columns=["link", "note"]),
                hide_index=True,
                column_config={
                    "link": st.column_config.LinkColumn("Link", width="medium"),
                    "note": st.column_config.TextColumn("What it shows", width="large"),
                },
            )
        hypothesis_check(ctx, workgroup, hypothesis)


def save_hypothesis(con, hypothesis: dict, evidence_name: str) -> None:
    prefix = f"h{hypothesis['id']}::"
    changes = {field: typed(prefix + field, hypothesis[field]) for field in model.HYPOTHESIS_FIELDS}
    if changes["verdict"] == hypothesis["verdict"] and changes["verdict_on"] == hypothesis["verdict_on"]:
        del changes["verdict_on"]  # re-saving keeps the day the verdict was reached
    if run(contents.update_hypothesis, con, ctx.user, hypothesis["id"], **changes) is None:
        return
    forget(prefix)
    rows = edited_rows(evidence_name)
    if rows is not None and rows != hypothesis["evidence"]:
        save_table(con, evidence_name, "hypothesis_evidence", hypothesis["id"])
    else:
        flash("Saved.")


# --- actions ------------------------------------------------------------------------------------------------


def hypothesis_labels(workgroup: dict) -> dict[str, int]:
    return {f"#{h['id']} {model.hypothesis_heading(h)}"[:80]: h["id"] for h in workgroup["hypotheses"]}


def hypothesis_labels_for(con, workgroup_id: int) -> dict[str, int]:
    workgroup = repository.get_workgroup(con, workgroup_id)
    return hypothesis_labels(workgroup) if workgroup else {}


def actions_tab(workgroup: dict, recovery: breaches.Recovery | None = None) -> None:
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
    column_config = {
        "change": st.column_config.TextColumn("What changes", required=True, width=250),
        "answers": st.column_config.SelectboxColumn("Answers hypothesis", options=list(labels), width=180),
        "kind": st.column_config.SelectboxColumn("Kind", options=model.ACTION_KINDS, default="temporary", width=95),
        "owner": st.column_config.TextColumn("Owner", width=100),
        "due_on": st.column_config.DateColumn("Due", format="DD MMM YYYY", width=100),
        "status": st.column_config.SelectboxColumn(
            "Status", options=model.ACTION_STATUSES, default="planned", width=90
        ),
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
    dirty = draft_editor(name, rows, columns, column_config)
    save_bar(name, dirty, save_table, discard_editor=name, args=(ctx.con, name, "workgroup_actions", workgroup_id))


# --- exports -------------------------------------------------------------------------------------------------


def export_tab(workgroup: dict, recovery: breaches.Recovery | None = None) -> None:
    series = series_for(workgroup["kpi"], workgroup["scope"])
    handbook = exports.handbook_entry(workgroup)
    issue = exports.issue_body(workgroup, series, ctx.settings.floors[workgroup["kpi"]])
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
    "Overview": overview_tab,
    "Details and people": details_tab,
    "Hypotheses": hypotheses_tab,
    "Actions": actions_tab,
    "Export": export_tab,
}

# --- the page --------------------------------------------------------------------------------------------------

show_flash()
show_undo(ctx.con)
selected = st.query_params.get("wg")
chosen = repository.get_workgroup(ctx.con, int(selected)) if selected and selected.isdigit() else None
if selected and chosen is None:
    st.warning(f"There is no workgroup #{escape_markdown(selected)}; showing all of them.", icon=":material/warning:")
if chosen:
    detail_view(chosen)
else:
    list_view()
