"""Data trust: Explore against Sisense, and where any weekly number comes from.

The other pages show the primary figure (Explore). This one shows where Sisense, the
secondary source, disagrees with it by more than the tolerance, so a manager can answer
"Sisense says otherwise" in the meeting — and, for any KPI and week, which uploads, rows and
rules make each side's number. The picks live in the URL (``?kpi=NRT&week=2026-07-13&scope=GitLab+SM``;
``week=13 Jul 2026`` is read too).
"""

import streamlit as st

from lib.ui import data_trust_view as view
from lib.ui.page import setup_page

ctx = setup_page("Data trust", ":material/fact_check:")

st.title("Data trust", anchor=False)
st.caption(
    "Zendesk Explore (with dbt exports) is the primary source, and every page shows its figure. Sisense is "
    "company-wide but secondary, and can contain errors: here it is checked against Explore, week by week."
)
view.show_source_freshness(ctx)
rec = view.reconciliation(ctx)
if not rec.has_figures:
    view.show_no_figures(ctx)
    st.stop()

st.header("Explore against Sisense", anchor=False)
if not rec.summaries["All"].weeks_compared:
    view.show_nothing_to_compare(ctx)
else:
    view.show_summary(rec)
    view.show_disagreements(rec)
    view.show_charts(ctx, rec)
    if not ctx.presentation:
        view.show_every_comparison(rec)

st.divider()
view.show_provenance_section(ctx, rec)
