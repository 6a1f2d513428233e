"""The axe yardstick: a bare Streamlit page with the kinds of elements Floorline's pages use, nothing styled.

``test_accessibility_browser.py`` runs axe-core over it and over every Floorline page: a violation the
bare page has too is Streamlit's own (its file drop zone's role, say); any other is Floorline's to fix.
"""

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Bare page", layout="wide")
st.title("Bare page")
st.caption("A caption under the title.")
st.info("An info box.", icon=":material/info:")
st.warning("A warning box.", icon=":material/warning:")
st.error("An error box.", icon=":material/error:")
st.success("A success box.", icon=":material/check:")
st.header("A section")
st.markdown("Plain text with **bold**, :red[red], :orange[orange], :green[green], :blue[blue] and :gray[grey].")
st.badge("A badge", icon=":material/science:", color="blue")
weeks = [dt.date(2025, 12, 1) + dt.timedelta(weeks=n) for n in range(26)]
columns = st.columns(3)
for column, (name, base) in zip(columns, (("FRT", 94.0), ("NRT", 85.0), ("SSAT", 95.0)), strict=True):
    with column, st.container(border=True):
        st.subheader(name)
        st.metric(f"{name} (combined)", f"{base:.1f} %", delta="+0.4 pts", help="A metric's help.")
        st.plotly_chart(go.Figure(go.Scatter(x=weeks, y=[base] * len(weeks))), width="stretch", key=f"chart_{name}")
pick, choose, when = st.columns(3)
pick.selectbox("A week", ["16 Nov 2026", "09 Nov 2026"], help="A selectbox's help.")
choose.radio("Compare with", ["the week before", "the four weeks before"], horizontal=True)
when.date_input("A date", dt.date(2026, 11, 16))
st.multiselect("Segments", ["L&R", "GitLab SM"], placeholder="Combined only")
st.select_slider("Weeks", ["02 Nov 2026", "09 Nov 2026", "16 Nov 2026"], value=("02 Nov 2026", "16 Nov 2026"))
st.toggle("A toggle")
st.text_input("A text")
st.text_area("Some lines")
st.number_input("A number", value=30)
st.dataframe(pd.DataFrame({"Week": weeks[:5], "Value": [94.1, 93.2, 92.8, 95.0, 96.1]}), hide_index=True)
st.data_editor(pd.DataFrame({"Link": ["https://example.com"], "Note": ["a note"]}), num_rows="dynamic")
st.table(pd.DataFrame({"Manager": ["Ana"], "Epics": [2]}))
st.button("A button", icon=":material/add:")
st.button("A primary button", type="primary")
st.button("A tertiary button", type="tertiary")
st.download_button("A download", "text", file_name="a.txt", icon=":material/download:")
st.link_button("A link button", "https://example.com")
st.file_uploader("A file", type=["csv"])
with st.expander("An expander", expanded=True):
    st.write("Inside an expander.")
with st.popover("A popover"):
    st.write("Inside a popover.")
for tab in st.tabs(["One tab", "Another tab"]):
    with tab:
        st.write("Inside a tab.")
st.divider()
st.code("python -m lib status", language="bash")
