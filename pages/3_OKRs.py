"""OKRs: for one fiscal quarter, who is aligned, who is missing, and how the key results score.

The quarter is bound to the URL (``?quarter=FY27-Q4``) and the manager too (``&manager=...``),
so a link pasted into the meeting chat opens the same view. Everything is computed in
``lib.okrs``; ``lib.ui.okrs_view`` draws it, and this page lays the meeting out.
"""

import streamlit as st

from lib.metrics import fiscal
from lib.okrs import quarters, repository, scoring
from lib.ui import okrs_view
from lib.ui.okrs_view import EDIT_SECTION, EVERYONE
from lib.ui.page import escape_markdown, link_choice, link_choices, setup_page

ctx = setup_page("OKRs", ":material/flag:")
TODAY = fiscal.today()
CURRENT = fiscal.current_quarter(TODAY)

st.title("OKRs", anchor=False)
st.caption(
    "Every Support Engineering Manager holds at least one OKR each quarter, aligned with a department OKR "
    "(a new manager only after a full fiscal quarter in the role). KPIs come first, then team growth, then OKRs."
)

# --- Which quarter, whose view ------------------------------------------------------------------
options = okrs_view.quarter_options(ctx, TODAY)
# An unknown quarter in a pasted link falls back to the current one, with a notice.
link_choice("quarter", options)
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
view = okrs_view.quarter_view(ctx, chosen_label, TODAY)
quarter = view.quarter
managers = [EVERYONE, *sorted(m.name for m in view.managers)]
link_choice("manager", managers)
chosen_manager = controls[1].selectbox(
    "Manager",
    managers,
    key="manager",
    bind="query-params",
    help="Show one manager's priorities: KPIs, then team growth, then OKRs.",
)
judged = "today" if view.as_of == TODAY else f"on its last day, {fiscal.long_date(view.as_of)}"
controls[2].caption(
    f"**{quarter.describe()}**. Checks are judged {judged}. Bands: {escape_markdown(scoring.band_rule(view.bands))} "
    "(set in the app's settings)."
)

# --- The meeting's three questions --------------------------------------------------------------
managers = view.managers if chosen_manager == EVERYONE else [m for m in view.managers if m.name == chosen_manager]
okrs_view.answers_columns(view, quarters.quarter_answers(view, None if chosen_manager == EVERYONE else managers))

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

# --- The tabs: bound to the URL, so only the open tab's content is built and sent to the browser --
SECTIONS = ["Priorities", "Gaps", "Alignment", "Key results"] + ([] if ctx.presentation else [EDIT_SECTION])
link_choices("section", SECTIONS)
tabs = dict(zip(SECTIONS, st.tabs(SECTIONS, key="section", bind="query-params"), strict=True))
for name, show in (
    ("Priorities", lambda: okrs_view.priorities_section(view, managers, chosen_manager)),
    ("Gaps", lambda: okrs_view.gaps_section(view, chosen_manager)),
    ("Alignment", lambda: okrs_view.alignment_section(view, ctx.presentation)),
    ("Key results", lambda: okrs_view.key_results_section(view, chosen_manager)),
):
    if tabs[name].open:
        with tabs[name]:
            show()

if ctx.presentation or not tabs[EDIT_SECTION].open:
    st.stop()

# --- Import, export, edit (not in presentation mode) ---------------------------------------------
if ctx.can_edit:
    okrs_view.check_in_section(ctx, view, TODAY)
st.subheader("Import, export and edit")
st.markdown(
    "**One workbook, one sheet per kind**: *Managers*, *Objectives*, *Key results*, *Check-ins* (columns as in "
    "the template; a *How to* sheet explains each). Or **one CSV per kind**, recognised by its header. Rows are "
    "added or replaced by their key (manager name, objective\\_id, key\\_result\\_id, key result + date); an "
    "import deletes nothing. A file with any bad row is refused whole, naming the row (the header is row 1, "
    "as the spreadsheet shows) and the column. The first import replaces the demo OKRs."
)
okrs_view.download_buttons(ctx)
if ctx.can_edit:
    okrs_view.import_section(ctx)
    okrs_view.edit_section(ctx, quarter, TODAY)
    if repository.has_demo_okrs(ctx.con) and st.button("Remove the demo OKRs", icon=":material/delete:"):
        repository.remove_demo_okrs(ctx.con, ctx.user)
        st.rerun()
else:
    st.info("You can view OKRs; an editor records check-ins, imports and edits them.", icon=":material/visibility:")
