"""The yardstick for the browser benchmark: a bare Streamlit page with three metrics and three plotly charts.

Served by ``browser_benchmark.py`` next to the app in the same run; every Floorline page is
measured against it. Each chart is a year of weekly points, like the app's trend charts.
"""

import datetime as dt

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Bare page", layout="wide")
st.title("Bare page")
weeks = [dt.date(2025, 12, 1) + dt.timedelta(weeks=n) for n in range(52)]
for column, (name, base) in zip(st.columns(3), (("FRT", 94.0), ("NRT", 85.0), ("SSAT", 95.0)), strict=True):
    with column:
        st.metric(name, f"{base:.1f} %", delta="0.4 pp")
for name, base in (("FRT", 94.0), ("NRT", 85.0), ("SSAT", 95.0)):
    values = [base + ((n * 7) % 5 - 2) * 0.6 for n in range(len(weeks))]
    st.plotly_chart(go.Figure(go.Scatter(x=weeks, y=values, name=name)), width="stretch", key=f"chart_{name}")
