"""The OKRs page's widgets: the quarter's three answers, its tabs, and the check-in, import and edit forms.

Everything shown is computed in ``lib.okrs``; these helpers only lay it out and hand edits back.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from lib.core.errors import RefusedFile
from lib.core.settings import COMBINED_SEGMENTS, REGIONS
from lib.metrics import fiscal
from lib.metrics.fiscal import FiscalQuarter
from lib.okrs import exports, model, quarters, repository
from lib.store import database as store
from lib.ui import figures
from lib.ui.cache import by_data_version
from lib.ui.page import PageContext, escape_markdown, presentation_requested, served_as_app, shared_connection
from lib.ui.staging import show_refusal, staged_upload
from lib.ui.tables import wrapping_table
from lib.ui.view_links import view_query

EVERYONE = "Everyone"
EDIT_SECTION = "Import, export, edit"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@by_data_version
def quarter_view(con, quarter_label: str, today: dt.date) -> quarters.QuarterView:
    """Any stored change, settings included, bumps the data version this is cached on."""
    return quarters.quarter_view(con, store.load_settings(con), fiscal.parse_label(quarter_label), today)


@by_data_version
def quarter_options(con, today: dt.date) -> list[str]:
    return quarters.quarter_options(con, today)


def for_manager(frame: pd.DataFrame, chosen_manager: str) -> pd.DataFrame:
    return frame if chosen_manager == EVERYONE else frame[frame["Manager"] == chosen_manager]


def text_columns(widths: dict[str, int]) -> dict:
    return {name: st.column_config.TextColumn(width=width) for name, width in widths.items()}


def show_table(frame: pd.DataFrame, column_config: dict, column_order: list[str] | None = None) -> None:
    """A read-only table the width of the page; widths add up to what fits beside the open sidebar at 1400 px.
    On a shared screen a static table instead, whose long cells wrap rather than end in "…"."""
    if presentation_requested():
        wrapping_table(frame[column_order] if column_order else frame)
        return
    st.dataframe(frame, hide_index=True, width="stretch", column_config=column_config, column_order=column_order)


def answers_columns(view: quarters.QuarterView, answers: quarters.QuarterAnswers) -> None:
    """The first screen answers the meeting's three questions, with names, before any table."""
    missing_column, exempt_column, risk_column = st.columns(3)
    with missing_column:
        st.metric(
            "Without an aligned OKR",
            f"{len(answers.missing)} of {answers.expected}",
            help="Managers expected to hold an OKR aligned with a department objective this quarter who do not: "
            "no OKR at all, or none aligned. Exempt new managers are not expected to.",
        )
        if answers.missing:
            st.markdown("\n".join(f"- **{escape_markdown(m.manager)}**: {m.reason}" for m in answers.missing))
        elif view.managers:
            st.markdown("Everyone expected holds an aligned OKR.")
    with exempt_column:
        st.metric("Exempt new managers", len(answers.exempt), help="Exempt up to the end of their first full quarter.")
        st.markdown(
            "\n".join(f"- {escape_markdown(name)}, until {fiscal.long_date(until)}" for name, until in answers.exempt)
            or "Nobody is exempt."
        )
    with risk_column:
        st.metric(
            "Key results at risk",
            f"{len(answers.at_risk)} of {len(view.key_results)}",
            help=f"Score under {view.bands['off_target']:g} %.",
        )
        st.markdown(
            "\n".join(
                f"- {escape_markdown(kr.title)} ({escape_markdown(kr.owner)}, {kr.score:.0f} %)"
                for kr in answers.at_risk
            )
            or "No key result is at risk."
        )


def manager_priorities(manager: quarters.ManagerView, quarter: FiscalQuarter) -> None:
    st.markdown(f"#### {escape_markdown(manager.name)} · {manager.region}")
    kpi_line = "; ".join(escape_markdown(b.describe()) for b in manager.kpi_breaches) or "no sustained breach"
    if manager.objectives:
        okr_line = "; ".join(
            f"{escape_markdown(o.title)} ({o.band.lower()}" + (", not aligned" if o.alignment_problem else "") + ")"
            for o in manager.objectives
        )
    elif manager.exemption.exempt:
        okr_line = f"exempt until {fiscal.date_with_label(manager.exemption.until)}"
    else:
        okr_line = f"no OKR for {quarter.label}"
    st.markdown(
        f"1. **KPIs:** {kpi_line}\n2. **Team growth:** hiring and development (not tracked here)\n"
        f"3. **OKRs:** {okr_line}"
    )


def priorities_section(view: quarters.QuarterView, managers: list[quarters.ManagerView], chosen_manager: str) -> None:
    in_breach = [m for m in managers if m.kpi_breaches]
    if in_breach:
        lines = "\n".join(
            f"- {escape_markdown(text)}: {', '.join(map(escape_markdown, names))}"
            for text, names in quarters.managers_by_breach(in_breach).items()
        )
        st.error(
            "**KPIs come first.** A KPI is in a sustained breach now in these managers' region or segment; "
            f"that work goes above their OKRs:\n{lines}",
            icon=":material/priority_high:",
        )
        if served_as_app():  # a page run on its own (as a test may) has no other pages to link to
            with st.container(horizontal=True):
                for script, label, icon in (
                    ("pages/2_Workgroups.py", "Metrics workgroups", ":material/groups:"),
                    ("pages/1_KPI_trends.py", "KPI trends", ":material/trending_up:"),
                ):
                    st.page_link(script, label=label, icon=icon, query_params=view_query())
    elif view.managers:
        whose = "this manager's region or segment"
        if chosen_manager == EVERYONE:
            whose = "these managers' regions or segments"
        st.success(f"No KPI is in a sustained breach in {whose}.", icon=":material/check:")

    if chosen_manager != EVERYONE and managers:
        manager_priorities(managers[0], view.quarter)

    manager_table = for_manager(quarters.managers_frame(view), chosen_manager)
    show_table(
        manager_table,
        text_columns({"Manager": 130, "Region": 70, "Segment": 100, "2. Team growth": 130, "3. OKRs": 270})
        | {"1. KPIs now": st.column_config.TextColumn(width=200, help="KPIs in a sustained breach, and where")},
        # "Manager since" is in the editor.
        column_order=[column for column in manager_table.columns if column != "Manager since"],
    )
    not_yet = ""
    if view.not_yet_managers:
        not_yet = (
            f" Not yet managers in {view.quarter.label}: {', '.join(map(escape_markdown, view.not_yet_managers))}."
        )
    st.caption(
        "A new manager is exempt up to the end of their first full fiscal quarter as a manager: the first quarter "
        "that starts on or after the day they became a manager (someone starting on 1 February has all of Q1; "
        "someone starting on 2 February has Q2 as their first full quarter). Their own OKR is expected from the "
        "quarter after." + not_yet
    )


def gaps_section(view: quarters.QuarterView, chosen_manager: str) -> None:
    quarter = view.quarter
    gaps = for_manager(quarters.gaps_frame(view), chosen_manager)
    if gaps.empty:
        whose = "" if chosen_manager == EVERYONE else f" for {escape_markdown(chosen_manager)}"
        st.success(f"No gaps{whose} in {quarter.label}.", icon=":material/check:")
    else:
        show_table(gaps, text_columns({"Manager": 120, "Check": 160, "Item": 300, "Detail": 310}))
    st.caption(
        f"Checks: a manager with no OKR (unless exempt); a manager objective aligned with no department objective "
        f"of {quarter.label}; an objective with no key results; a department objective no manager aligns with; a "
        f"key result with no check-in for {model.STALE_AFTER_DAYS} days (counted from the quarter's first day when "
        "it has none; KPI-linked key results update from uploads instead); a key result at risk or without a score."
    )


def alignment_section(view: quarters.QuarterView, presentation: bool) -> None:
    quarter = view.quarter
    if not view.departments and not view.unaligned:
        st.info(f"No objectives for {quarter.label} yet. Import a workbook or add them.", icon=":material/inbox:")
        return
    drawn = quarters.objective_count(view)
    if drawn > quarters.CHART_OBJECTIVES:
        st.info(
            f"{quarter.label} has {drawn:,} objectives; the alignment chart draws at most "
            f"{quarters.CHART_OBJECTIVES:,}, so the table below stands in for it.",
            icon=":material/table:",
        )
    else:
        st.plotly_chart(
            figures.okr_alignment_figure(view, presentation=presentation),
            width="stretch",
            config={"displayModeBar": False} if presentation else {"displaylogo": False},
            key=f"alignment-{quarter.label}",
        )
    st.caption(
        "Department objective → the manager objectives aligned with it → their key results. Each box names its "
        "band in words (● on target, ◐ off target, ▲ at risk, ○ no score) as well as by colour. "
        "**Department progress is the plain mean of the scores of every key result beneath it** (its own and "
        "those of the manager objectives aligned with it, each counted once; key results without a score are "
        "left out). A manager objective's score is the mean of its own key results."
    )
    show_table(
        quarters.departments_frame(view),
        text_columns({"Department objective": 270, "Owner (DRI)": 110, "Band": 110})
        | {
            "Progress %": st.column_config.NumberColumn(width=85),
            "Key results counted": st.column_config.NumberColumn("Counted", width=75),
            "Without a score": st.column_config.NumberColumn("Unscored", width=80),
            "Aligned manager objectives": st.column_config.TextColumn("Aligned", width=170),
        },
    )


def key_results_section(view: quarters.QuarterView, chosen_manager: str) -> None:
    key_results = for_manager(quarters.key_results_frame(view), chosen_manager)
    if key_results.empty:
        st.info("No key results for this selection.", icon=":material/inbox:")
    else:
        show_table(
            key_results,
            text_columns({"Key result": 300, "Owner (DRI)": 115, "Band": 105, "Score from": 110})
            | text_columns({"Last check-in": 100, "Stale": 90})
            | {"Score %": st.column_config.NumberColumn(width=70)},
            column_order=[c for c in key_results.columns if c not in ("Manager", "Objective")],
        )
    st.caption(
        "A key result's score is its newest check-in's score (with none yet, its starting score). A key result "
        "linked to a KPI (e.g. 'GitLab SM FRT >= 95') scores from the uploaded data instead: **the share of the "
        "quarter's complete weeks whose value meets the threshold**, compared exactly on the counts. A week "
        "belongs to the quarter its Monday falls in; partial and missing weeks are not counted."
    )


def check_in_section(ctx: PageContext, view: quarters.QuarterView, today: dt.date) -> None:
    st.subheader("Check in")
    typed = [kr for kr in view.key_results if not kr.kpi_link]
    if not typed:
        st.caption("No key result to check in on in this quarter (KPI-linked ones score from the data).")
        return
    with st.form("check-in", clear_on_submit=True):
        columns = st.columns([3, 1.2, 1])
        titles = {kr.id: f"{kr.id}: {kr.title} ({kr.owner})" for kr in typed}
        chosen_kr = columns[0].selectbox("Key result", list(titles), format_func=titles.get, key="check-in-kr")
        day = columns[1].date_input(
            "Date", value=min(today, view.quarter.end), format="YYYY-MM-DD", key="check-in-date"
        )
        score = columns[2].number_input(
            "Score %", min_value=0.0, max_value=100.0, step=5.0, value=None, key="check-in-score"
        )
        note = st.text_input(
            "Note", max_chars=2000, placeholder="What moved since the last check-in", key="check-in-note"
        )
        if st.form_submit_button("Record check-in", icon=":material/check:"):
            if score is None:
                st.warning("Give a score from 0 to 100.", icon=":material/warning:")
            else:
                repository.add_check_in(ctx.con, chosen_kr, day, score, note or None, ctx.user)
                st.toast(f"Check-in recorded for {escape_markdown(chosen_kr)} ({fiscal.date_with_label(day)})")
                st.rerun()


def all_okrs_workbook(database: str) -> bytes:
    """Written when the button is clicked, on a cursor of its own (the download runs outside the script run):
    a workbook of 50,000 objectives takes many seconds to write, which every visit to the tab paid before."""
    return exports.export_workbook(shared_connection(database).cursor())


def download_buttons(ctx: PageContext) -> None:
    downloads = st.columns([1.2, 1.6, 1.2, 1.2], vertical_alignment="bottom")
    downloads[0].download_button(
        "Template (XLSX)",
        exports.template_workbook(),
        file_name="okr_template.xlsx",
        mime=XLSX_MIME,
        icon=":material/download:",
    )
    csv_kind = downloads[1].selectbox("CSV template for", model.KINDS, format_func=model.SHEET_NAMES.get)
    downloads[2].download_button(
        "Template (CSV)",
        exports.template_csv(csv_kind),
        file_name=f"okr_{csv_kind}_template.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    downloads[3].download_button(
        "All OKRs (XLSX)",
        partial(all_okrs_workbook, ctx.database),
        file_name="okrs.xlsx",
        mime=XLSX_MIME,
        icon=":material/download:",
        help="Every stored row in the template's layout: edit it and import it back.",
    )


def import_section(ctx: PageContext) -> None:
    state = st.session_state
    state.setdefault("okr_upload_generation", 0)
    report = state.pop("okr_import_report", None)
    if report:
        st.success(escape_markdown(report), icon=":material/check_circle:")
    with staged_upload(
        "OKR workbook or CSV to import",
        types=["xlsx", "csv"],
        key=f"okr-upload-{state['okr_upload_generation']}",
        max_mb=ctx.settings.max_upload_mb,
    ) as staged:
        if staged is None:
            return
        path, file_name = staged
        try:
            batch = repository.check_okr_file(ctx.con, path, file_name=file_name)
        except RefusedFile as error:
            show_refusal(error)
            return
        st.info(f"{escape_markdown(file_name)}: every row checks out ({batch.describe()}).", icon=":material/task_alt:")
        if st.button("Import", type="primary", icon=":material/upload:"):
            result = repository.import_checked(ctx.con, batch, ctx.user, file_name=file_name)
            state["okr_import_report"] = f"{file_name}: {result.summary()}."
            state["okr_upload_generation"] += 1
            st.rerun()


def column_config(kind: str, quarter: FiscalQuarter) -> dict:
    """The editor's columns that take one of a list of values, a date or a score."""
    return {
        "managers": {
            "region": st.column_config.SelectboxColumn("Region", options=list(REGIONS), required=True),
            "segment": st.column_config.SelectboxColumn("Segment", options=list(COMBINED_SEGMENTS)),
            "manager_since": st.column_config.DateColumn("Manager since", format="DD MMM YYYY", required=True),
        },
        "objectives": {
            "quarter": st.column_config.TextColumn("Quarter", default=quarter.label, required=True),
            "level": st.column_config.SelectboxColumn("Level", options=list(model.LEVELS), required=True),
        },
        "key_results": {
            "score": st.column_config.NumberColumn(
                "Score",
                min_value=0,
                max_value=100,
                help="A change is recorded as a check-in dated today; ignored when a KPI link gives the score",
            ),
            "kpi_link": st.column_config.TextColumn("KPI link", help=model.KPI_LINK_EXPECTED),
        },
        "check_ins": {
            "date": st.column_config.DateColumn("Date", format="DD MMM YYYY", required=True),
            "score": st.column_config.NumberColumn("Score", min_value=0, max_value=100, required=True),
        },
    }[kind]


def edit_section(ctx: PageContext, quarter: FiscalQuarter, today: dt.date) -> None:
    st.markdown(
        "**Edit in the app**: change cells, add rows at the bottom, or select rows and delete them; then save. "
        "Rows are checked as a file's are."
    )
    report = st.session_state.pop("okr_edit_report", None)
    if report:
        st.success(escape_markdown(report), icon=":material/check_circle:")
    labels = [model.SHEET_NAMES[kind] + ("" if kind == "managers" else f" ({quarter.label})") for kind in model.KINDS]
    for tab, kind in zip(st.tabs(labels), model.KINDS, strict=True):
        with tab:
            original = repository.stored_frame(ctx.con, kind, None if kind == "managers" else quarter)
            edited = st.data_editor(
                original,
                num_rows="dynamic",
                hide_index=True,
                width="stretch",
                # The stored names stay the columns' keys (they are the template's headers); people read labels.
                column_config={
                    column: st.column_config.Column(column.replace("_", " ").capitalize().replace("Kpi", "KPI"))
                    for column in original.columns
                }
                | column_config(kind, quarter),
                placeholder="",
                key=f"okr-edit-{kind}-{quarter.label}-{ctx.data_version}",
            )
            if st.button(f"Save {model.SHEET_NAMES[kind].lower()}", key=f"okr-save-{kind}", icon=":material/save:"):
                keys = [repository.row_key(kind, record) for record in original.to_dict("records")]
                try:
                    result = repository.save_table(ctx.con, kind, edited, ctx.user, original_keys=keys, today=today)
                except RefusedFile as error:
                    show_refusal(error)
                else:
                    st.session_state["okr_edit_report"] = f"{model.SHEET_NAMES[kind]}: {result.summary()}."
                    st.rerun()
