"""KPI trends: one chart per KPI with its floor, target, breaches and sustained-breach episodes.

Every control is kept in the URL (``?weeks=2026-03-02&weeks=2026-09-07&segments=L%26R&region=EMEA
&source=Sisense+only``; weeks as ISO dates, ``02 Mar 2026`` read too; defaults are left out), so a
link pasted into the meeting chat opens the same view.
"""

import pandas as pd
import streamlit as st

from lib.core.downloads import safe_csv
from lib.core.kpis import kpi_keys
from lib.ui import trends_view
from lib.ui.page import setup_page

ctx = setup_page("KPI trends", ":material/trending_up:")

st.title("KPI trends", anchor=False)
all_weeks = trends_view.data_weeks(ctx)
if not all_weeks:
    trends_view.show_nothing_to_chart(ctx)
    st.stop()

view = trends_view.trend_controls(ctx, all_weeks)
data = trends_view.trend_data(ctx, view.layer, view.region, view.segments)
table_rows = []
for kpi in kpi_keys():
    table_rows += trends_view.show_kpi_trend(ctx, kpi, data[kpi], view)

st.caption(
    "Triangles mark weeks at or below the floor; open circles are partial weeks; shaded spans are sustained "
    "breaches; a break in a line is a week without data. The address bar holds this view: copy it to share it."
)
numbers = None
if table_rows and not ctx.presentation:
    # Tracked, so the table is built and sent to the browser only once opened.
    numbers = st.expander("The numbers behind the charts", key="numbers", on_change="rerun")
if numbers is not None and numbers.open:
    with numbers:
        table = pd.DataFrame(table_rows)
        st.dataframe(table, hide_index=True, width="stretch")
        st.download_button(
            "Download as CSV",
            safe_csv(table),
            file_name=f"kpi-trends-{view.first}-to-{view.last}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
        )
