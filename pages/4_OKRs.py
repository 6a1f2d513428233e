"""OKRs: for one fiscal quarter, who is aligned, who is missing, and how the key results score.

The quarter is bound to the URL (``?quarter=FY27-Q4``) and the manager too (``&manager=...``),
so a link pasted into the meeting chat opens the same view. Everything is computed in
``lib.okrs``; this page lays it out and hands edits back to it.
"""

import tempfile
from pathlib import Path

import streamlit as st

from lib.core.errors import RefusedFile
from lib.core.settings import COMBINED_SEGMENTS, REGIONS, database_path
from lib.metrics import fiscal
from lib.okrs import exports, model, repository, scoring, views
from lib.ui import figures
from lib.ui.page import escape_markdown, setup_page

ctx = setup_page("OKRs", ":material/flag:")
DATABASE = str(database_path())
EVERYONE = "Everyone"
EDIT_SECTION = "Import, export, edit"
TODAY = fiscal.today()
CURRENT = fiscal.current_quarter(TODAY)


@st.cache_data(show_spinner=False)
def quarter_view(_con, _settings, database: str, data_version: int, quarter_label: str, today) -> views.QuarterView:
    del database, data_version  # cache keys: any stored change (including settings) bumps the version
    return views.quarter_view(_con, _settings, fiscal.parse_label(quarter_label), today)


@st.cache_data(show_spinner=False)
def quarter_options(_con, database: str, data_version: int, today) -> list[str]:
    del database, data_version
    current = fiscal.current_quarter(today)
    quarters = set(repository.quarters_with_okrs(_con)) | {current.previous(), current, current.next()}
    return [quarter.label for quarter in sorted(quarters, reverse=True)]


def show_refusal(error: RefusedFile) -> None:
    st.error(f"Nothing was stored. {escape_markdown(error.message)}", icon=":material/block:")


st.title("OKRs", anchor=False)
st.caption(
    "Every Support Engineering Manager holds at least one OKR each quarter, aligned with a department OKR "
    "(a new manager only after a full fiscal quarter in the role). KPIs come first, then team growth, then OKRs."
)

options = quarter_options(ctx.con, DATABASE, ctx.data_version, TODAY)
requested = st.query_params.get("quarter")
if requested and requested not in options:
    st.query_params.pop("quarter")  # an unknown quarter in a pasted link falls back to the current one
controls = st.columns([1.4, 2, 3], vertical_alignment="bottom")
chosen_label = controls[0].selectbox(
    "Fiscal quarter",
    options,
    index=options.index(CURRENT.label),
    format_func=lambda label: f"{label} (current)" if label == CURRENT.label else label,
    key="quarter",
    bind="query-params",
    help="Defaults to the current fiscal quarter. GitLab's fiscal year runs 1 February – 31 January and is "
    "named by the year it ends in.",
)
quarter = fiscal.parse_label(chosen_label)
view = quarter_view(ctx.con, ctx.settings, DATABASE, ctx.data_version, quarter.label, TODAY)
manager_names = [m.name for m in view.managers]
chosen_manager = controls[1].selectbox(
    "Manager",
    [EVERYONE, *sorted(manager_names)],
    key="manager",
    bind="query-params",
    help="Show one manager's priorities: KPIs, then team growth, then OKRs.",
)
judged = "today" if view.as_of == TODAY else f"on its last day, {fiscal.long_date(view.as_of)}"
controls[2].caption(
    f"**{quarter.describe()}**. Checks are judged {judged}. Bands: {escape_markdown(scoring.band_rule(view.bands))} "
    "(set in the app's settings)."
)

managers = view.managers if chosen_manager == EVERYONE else [m for m in view.managers if m.name == chosen_manager]
answers = views.quarter_answers(view, None if chosen_manager == EVERYONE else managers)

# The first screen answers the meeting's three questions, with names, before any table.
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
            f"- {escape_markdown(kr.title)} ({escape_markdown(kr.owner)}, {kr.score:.0f} %)" for kr in answers.at_risk
        )
        or "No key result is at risk."
    )

in_breach = [m for m in managers if m.kpi_breaches]
if not view.managers:
    st.info(
        f"No managers on the roster in {quarter.label} yet: add them or import a Managers sheet ({EDIT_SECTION} tab).",
        icon=":material/person_add:",
    )
elif in_breach:
    st.warning(
        f"**KPIs come first:** {len(in_breach)} of these managers have a KPI in a sustained breach in their region "
        "or segment; that work goes above their OKRs (Priorities tab).",
        icon=":material/priority_high:",
    )

SECTIONS = ["Priorities", "Gaps", "Alignment", "Key results"] + ([] if ctx.presentation else [EDIT_SECTION])
# Bound to the URL, so only the open tab's content is built and sent to the browser.
tabs = dict(zip(SECTIONS, st.tabs(SECTIONS, key="section", bind="query-params"), strict=True))


def priorities_section() -> None:
    if in_breach:
        by_breach: dict[str, list[str]] = {}
        for manager in in_breach:
            for breach in manager.kpi_breaches:
                by_breach.setdefault(breach.describe(), []).append(manager.name)
        lines = "\n".join(
            f"- {escape_markdown(text)}: {', '.join(map(escape_markdown, names))}" for text, names in by_breach.items()
        )
        st.error(
            "**KPIs come first.** A KPI is in a sustained breach now in these managers' region or segment; "
            f"that work goes above their OKRs:\n{lines}",
            icon=":material/priority_high:",
        )
        st.markdown(
            ":material/groups: [Metrics workgroups](./Workgroups) · :material/trending_up: [KPI trends](./KPI_trends)"
        )
    elif view.managers:
        whose = "this manager's region or segment"
        if chosen_manager == EVERYONE:
            whose = "these managers' regions or segments"
        st.success(f"No KPI is in a sustained breach in {whose}.", icon=":material/check:")

    if chosen_manager != EVERYONE and managers:
        manager = managers[0]
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

    manager_table = views.managers_frame(view)
    if chosen_manager != EVERYONE:
        manager_table = manager_table[manager_table["Manager"] == chosen_manager]
    st.dataframe(
        manager_table,
        hide_index=True,
        width="stretch",
        # Widths add up to what fits beside the open sidebar at 1400 px; "Manager since" is in the editor.
        column_order=[column for column in manager_table.columns if column != "Manager since"],
        column_config={
            "Manager": st.column_config.TextColumn(width=130),
            "Region": st.column_config.TextColumn(width=70),
            "Segment": st.column_config.TextColumn(width=100),
            "1. KPIs now": st.column_config.TextColumn(width=200, help="KPIs in a sustained breach, and where"),
            "2. Team growth": st.column_config.TextColumn(width=130),
            "3. OKRs": st.column_config.TextColumn(width=270),
        },
    )
    not_yet = ""
    if view.not_yet_managers:
        not_yet = f" Not yet managers in {quarter.label}: {', '.join(map(escape_markdown, view.not_yet_managers))}."
    st.caption(
        "A new manager is exempt up to the end of their first full fiscal quarter as a manager: the first quarter "
        "that starts on or after the day they became a manager (someone starting on 1 February has all of Q1; "
        "someone starting on 2 February has Q2 as their first full quarter). Their own OKR is expected from the "
        "quarter after." + not_yet
    )


def gaps_section() -> None:
    gaps = views.gaps_frame(view)
    if chosen_manager != EVERYONE:
        gaps = gaps[gaps["Manager"] == chosen_manager]
    if gaps.empty:
        whose = "" if chosen_manager == EVERYONE else f" for {escape_markdown(chosen_manager)}"
        st.success(f"No gaps{whose} in {quarter.label}.", icon=":material/check:")
    else:
        st.dataframe(
            gaps,
            hide_index=True,
            width="stretch",
            column_config={
                "Manager": st.column_config.TextColumn(width=120),
                "Check": st.column_config.TextColumn(width=160),
                "Item": st.column_config.TextColumn(width=300),
                "Detail": st.column_config.TextColumn(width=310),
            },
        )
    st.caption(
        f"Checks: a manager with no OKR (unless exempt); a manager objective aligned with no department objective "
        f"of {quarter.label}; an objective with no key results; a department objective no manager aligns with; a "
        f"key result with no check-in for {model.STALE_AFTER_DAYS} days (counted from the quarter's first day when it "
        "has none; KPI-linked key results update from uploads instead); a key result at risk or without a score."
    )


def alignment_section() -> None:
    if not view.departments and not view.unaligned:
        st.info(f"No objectives for {quarter.label} yet. Import a workbook or add them.", icon=":material/inbox:")
        return
    chart_config = {"displayModeBar": False} if ctx.presentation else {"displaylogo": False}
    st.plotly_chart(
        figures.okr_alignment_figure(view, presentation=ctx.presentation),
        width="stretch",
        config=chart_config,
        key=f"alignment-{quarter.label}",
    )
    st.caption(
        "Department objective → the manager objectives aligned with it → their key results. Each box names its "
        "band in words (● on target, ◐ off target, ▲ at risk, ○ no score) as well as by colour. "
        "**Department progress is the plain mean of the scores of every key result beneath it** (its own and "
        "those of the manager objectives aligned with it, each counted once; key results without a score are "
        "left out). A manager objective's score is the mean of its own key results."
    )
    st.dataframe(
        views.departments_frame(view),
        hide_index=True,
        width="stretch",
        column_config={
            "Department objective": st.column_config.TextColumn(width=270),
            "Owner (DRI)": st.column_config.TextColumn(width=110),
            "Progress %": st.column_config.NumberColumn(width=85),
            "Band": st.column_config.TextColumn(width=110),
            "Key results counted": st.column_config.NumberColumn("Counted", width=75),
            "Without a score": st.column_config.NumberColumn("Unscored", width=80),
            "Aligned manager objectives": st.column_config.TextColumn("Aligned", width=170),
        },
    )


def key_results_section() -> None:
    key_results = views.key_results_frame(view)
    if chosen_manager != EVERYONE:
        key_results = key_results[key_results["Manager"] == chosen_manager]
    if key_results.empty:
        st.info("No key results for this selection.", icon=":material/inbox:")
    else:
        st.dataframe(
            key_results,
            hide_index=True,
            width="stretch",
            column_order=[c for c in key_results.columns if c not in ("Manager", "Objective")],
            column_config={
                "Key result": st.column_config.TextColumn(width=300),
                "Owner (DRI)": st.column_config.TextColumn(width=115),
                "Score %": st.column_config.NumberColumn(width=70),
                "Band": st.column_config.TextColumn(width=105),
                "Score from": st.column_config.TextColumn(width=110),
                "Last check-in": st.column_config.TextColumn(width=100),
                "Stale": st.column_config.TextColumn(width=90),
            },
        )
    st.caption(
        "A key result's score is its newest check-in's score (with none yet, its starting score). A key result "
        "linked to a KPI (e.g. 'GitLab SM FRT >= 95') scores from the uploaded data instead: **the share of the "
        "quarter's complete weeks whose value meets the threshold**, compared exactly on the counts. A week "
        "belongs to the quarter its Monday falls in; partial and missing weeks are not counted."
    )


for name, show in (
    ("Priorities", priorities_section),
    ("Gaps", gaps_section),
    ("Alignment", alignment_section),
    ("Key results", key_results_section),
):
    if tabs[name].open:
        with tabs[name]:
            show()

if ctx.presentation or not tabs[EDIT_SECTION].open:
    st.stop()

COLUMN_CONFIG = {
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
}


def check_in_section() -> None:
    st.subheader("Check in")
    typed = [kr for kr in view.key_results if not kr.kpi_link]
    if not typed:
        st.caption("No key result to check in on in this quarter (KPI-linked ones score from the data).")
        return
    with st.form("check-in", clear_on_submit=True):
        columns = st.columns([3, 1.2, 1])
        titles = {kr.id: f"{kr.id}: {kr.title} ({kr.owner})" for kr in typed}
        chosen_kr = columns[0].selectbox("Key result", list(titles), format_func=titles.get, key="check-in-kr")
        day = columns[1].date_input("Date", value=min(TODAY, quarter.end), format="YYYY-MM-DD", key="check-in-date")
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
                st.toast(f"Check-in recorded for {chosen_kr} ({fiscal.date_with_label(day)})")
                st.rerun()


def download_buttons() -> None:
    downloads = st.columns([1.2, 1.6, 1.2, 1.2], vertical_alignment="bottom")
    downloads[0].download_button(
        "Template (XLSX)",
        exports.template_workbook(),
        file_name="okr_template.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
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
        exports.export_workbook(ctx.con),
        file_name="okrs.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        help="Every stored row in the template's layout: edit it and import it back.",
    )


def import_section() -> None:
    state = st.session_state
    state.setdefault("okr_upload_generation", 0)
    report = state.pop("okr_import_report", None)
    if report:
        st.success(escape_markdown(report), icon=":material/check_circle:")
    uploaded = st.file_uploader(
        "OKR workbook or CSV to import",
        type=["xlsx", "csv"],
        key=f"okr-upload-{state['okr_upload_generation']}",
        max_upload_size=ctx.settings.max_upload_mb,
    )
    if uploaded is None:
        return
    with tempfile.TemporaryDirectory(prefix="floorline-okrs-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(uploaded.getvalue())
        try:
            batch = repository.check_okr_file(ctx.con, path, file_name=uploaded.name)
        except RefusedFile as error:
            show_refusal(error)
            return
        found = ", ".join(f"{n} {model.SHEET_NAMES[kind].lower()}" for kind, n in batch.counts().items() if n)
        st.info(f"{escape_markdown(uploaded.name)}: every row checks out ({found}).", icon=":material/task_alt:")
        if st.button("Import", type="primary", icon=":material/upload:"):
            try:
                result = repository.import_okr_file(ctx.con, path, ctx.user, file_name=uploaded.name)
            except RefusedFile as error:
                show_refusal(error)
                return
            state["okr_import_report"] = f"{uploaded.name}: {result.summary()}."
            state["okr_upload_generation"] += 1
            st.rerun()


def edit_section() -> None:
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
                | COLUMN_CONFIG[kind],
                placeholder="",
                key=f"okr-edit-{kind}-{quarter.label}-{ctx.data_version}",
            )
            if st.button(f"Save {model.SHEET_NAMES[kind].lower()}", key=f"okr-save-{kind}", icon=":material/save:"):
                keys = [repository.row_key(kind, record) for record in original.to_dict("records")]
                try:
                    result = repository.save_table(ctx.con, kind, edited, ctx.user, original_keys=keys, today=TODAY)
                except RefusedFile as error:
                    show_refusal(error)
                else:
                    st.session_state["okr_edit_report"] = f"{model.SHEET_NAMES[kind]}: {result.summary()}."
                    st.rerun()


if ctx.can_edit:
    check_in_section()
st.subheader("Import, export and edit")
st.markdown(
    "**One workbook, one sheet per kind**: *Managers*, *Objectives*, *Key results*, *Check-ins* (columns as in "
    "the template; a *How to* sheet explains each). Or **one CSV per kind**, recognised by its header. Rows are "
    "added or replaced by their key (manager name, objective\\_id, key\\_result\\_id, key result + date); an "
    "import deletes nothing. A file with any bad row is refused whole, naming the row (the header is row 1, "
    "as the spreadsheet shows) and the column. The first import replaces the demo OKRs."
)
download_buttons()
if ctx.can_edit:
    import_section()
    edit_section()
    if repository.has_demo_okrs(ctx.con) and st.button("Remove the demo OKRs", icon=":material/delete:"):
        repository.remove_demo_okrs(ctx.con, ctx.user)
        st.rerun()
else:
    st.info("You can view OKRs; an editor records check-ins, imports and edits them.", icon=":material/visibility:")
