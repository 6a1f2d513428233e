"""KPI trends: one chart per KPI with its floor, target, breaches and sustained-breach episodes.

Every control is kept in the URL (``?weeks=2026-03-02&weeks=2026-09-07&segments=L%26R&region=EMEA
&source=Sisense+only``; weeks as ISO dates, ``02 Mar 2026`` read too; defaults are left out), so a
link pasted into the meeting chat opens the same view.
"""

import pandas as pd
import streamlit as st

from lib.core.downloads import safe_csv
from lib.core.settings import KPI_NAMES, KPIS, SEGMENTS, database_path
from lib.metrics import kpis, review
from lib.store import database as store
from lib.ui.explain_view import show_change
from lib.ui.figures import kpi_trend_figure, marks_outside_text, split_marks
from lib.ui.page import escape_markdown, setup_page, week_picker
from lib.ui.provenance_view import show_provenance
from lib.workgroups.annotations import trend_annotations

ctx = setup_page("KPI trends", ":material/trending_up:")
DATABASE = str(database_path())
DEFAULT_WEEKS = 26
EVERY_REGION = "all"


@st.cache_data(show_spinner=False)
def weekly_cells(_con, database: str, data_version: int, region: str | None) -> list[tuple]:
    del database, data_version  # cache keys
    return kpis.fetch_cells(_con, region=region)


@st.cache_data(show_spinner=False)
def trend_data(_con, _settings, database: str, data_version: int, layer: str, region: str | None, segments: tuple):
    """Per KPI: its summary for the chosen source and region, and one series per requested segment."""
    cells = weekly_cells(_con, database, data_version, region)
    data = {}
    for kpi in KPIS:
        floor = _settings.floors[kpi]
        summary = kpis.summarise(kpis.build_series(cells, kpi, floor, layer=layer), kpi, _settings)
        by_segment = {
            segment: kpis.build_series(cells, kpi, floor, layer=layer, segments=(segment,)) for segment in segments
        }
        data[kpi] = (summary, by_segment)
    return data


@st.cache_data(show_spinner=False)
def data_weeks(_con, _settings, database: str, data_version: int) -> list[str]:
    """Every week any source has a figure for, oldest first: the range control's stops, whatever is chosen."""
    everything = trend_data(_con, _settings, database, data_version, "display", None, ())
    return sorted({w.week.isoformat() for summary, _ in everything.values() for w in summary.series})


@st.cache_data(show_spinner=False)
def regions(_con, database: str, data_version: int) -> list[str]:
    del database, data_version
    return review.regions_in_data(_con)


@st.cache_data(show_spinner=False)
def upload_labels(_con, database: str, data_version: int) -> dict[int, str]:
    del database, data_version
    return {upload["id"]: f"upload {upload['id']} ({upload['file']})" for upload in store.list_uploads(_con)}


@st.cache_data(show_spinner=False)
def workgroup_annotations(_con, database: str, data_version: int, kpi: str) -> list[dict]:
    """Dated markers for the chart: workgroups formed and closed, actions shipped."""
    del database, data_version
    return trend_annotations(_con, kpi)


def in_range(series: list, first: str, last: str) -> list:
    return [w for w in series if first <= w.week.isoformat() <= last]


# Figures are cached as objects (not pickled): rebuilding or unpickling a plotly figure costs more than a rerun may.
@st.cache_resource(show_spinner=False, max_entries=128)
def trend_figure(database, data_version, kpi, layer, region, segments, first, last, presentation):
    summary, by_segment = trend_data(ctx.con, ctx.settings, database, data_version, layer, region, segments)[kpi]
    return kpi_trend_figure(
        kpi,
        in_range(summary.series, first, last),
        floor=summary.floor,
        target=summary.target,
        episodes=summary.episodes,
        segment_series={segment: in_range(series, first, last) for segment, series in by_segment.items()},
        annotations=workgroup_annotations(ctx.con, database, data_version, kpi),
        upload_labels=upload_labels(ctx.con, database, data_version),
        presentation=presentation,
    )


st.title("KPI trends", anchor=False)
all_weeks = data_weeks(ctx.con, ctx.settings, DATABASE, ctx.data_version)
if not all_weeks:
    st.info(
        "No weekly figures to chart yet: every upload has been rolled back or none has been made.",
        icon=":material/inbox:",
    )
    if not ctx.can_edit:  # a viewer is not sent to pages that only change data
        st.write("An editor can upload exports or load a year of generated demo data.")
        st.stop()
    if review.app_page_exists(review.UPLOAD_PAGE):
        st.page_link(review.UPLOAD_PAGE, label="Upload exports, or load the demo data", icon=":material/upload_file:")
    st.page_link("app.py", label="The weekly review can load a year of demo data", icon=":material/science:")
    st.stop()

controls = st.columns([2.6, 2.8, 1.5, 2.4], vertical_alignment="bottom")
first, last = week_picker(
    controls[0].select_slider,
    "Weeks",
    all_weeks,
    key="weeks",
    param="weeks",
    default=(all_weeks[max(0, len(all_weeks) - DEFAULT_WEEKS)], all_weeks[-1]),
    format_func=lambda iso: pd.Timestamp(iso).strftime("%d %b %Y"),
    help=f"Each week is named by its Monday. Default: the last {DEFAULT_WEEKS} weeks of data.",
)
segments = controls[1].multiselect(
    "Segment lines",
    SEGMENTS,
    key="segments",
    bind="query-params",
    placeholder="Combined only",
    help="The combined line (L&R, GitLab SM and GitLab SaaS pooled) is always drawn; add segments to compare.",
)
region_options = regions(ctx.con, DATABASE, ctx.data_version)
region = None
if region_options:
    chosen_region = controls[2].selectbox(
        "Region",
        [EVERY_REGION, *region_options],
        format_func=lambda value: "Every region" if value == EVERY_REGION else value,
        key="region",
        bind="query-params",
        help="Only exports that carry a region (Explore's Preferred Region for Support) can be split by region.",
    )
    region = None if chosen_region == EVERY_REGION else chosen_region
layer = controls[3].radio(
    "Source",
    list(review.SOURCE_LABELS),
    format_func=review.SOURCE_LABELS.get,
    horizontal=True,
    key="source",
    bind="query-params",
    help="Explore (with dbt exports) is the primary source; Sisense is secondary and worth fact-checking "
    "against it. Explore first: Sisense fills only the weeks Explore has no figure for.",
)

chosen_segments = tuple(segment for segment in SEGMENTS if segment in segments)
data = trend_data(ctx.con, ctx.settings, DATABASE, ctx.data_version, layer, region, chosen_segments)
chart_config = {"displayModeBar": False} if ctx.presentation else {"displaylogo": False}
table_rows = []
for kpi in KPIS:
    summary, by_segment = data[kpi]
    shown = in_range(summary.series, first, last)
    st.subheader(f"{kpi} · {KPI_NAMES[kpi]}", anchor=False)
    if not any(w.value is not None for w in shown):
        where = f", region {escape_markdown(region)}" if region else ""  # a region is text from a file
        st.info(
            f"No {kpi} figures for these weeks (source: {review.SOURCE_LABELS[layer]}{where}).",
            icon=":material/search_off:",
        )
        continue
    latest = summary.latest
    if latest and latest.value is not None:
        weeks = "week" if summary.streak == 1 else "weeks"
        streak = f" · {summary.streak} {weeks} in a row at or below" if summary.streak else ""
        st.caption(
            f"Latest complete week ({latest.week:%d %b %Y}): {review.format_percent(latest.value, summary.floor)}"
            f" · floor {summary.floor:g} % · target {summary.target:g} %{streak}"
        )
    st.plotly_chart(
        trend_figure(DATABASE, ctx.data_version, kpi, layer, region, chosen_segments, first, last, ctx.presentation),
        width="stretch",
        config=chart_config,
        key=f"trend_{kpi}",
        alt=f"{kpi} weekly, {first} to {last}, against its {summary.floor:g} % floor",
    )
    _, marks_outside = split_marks(
        workgroup_annotations(ctx.con, DATABASE, ctx.data_version, kpi), [w.week for w in shown]
    )
    if marks_outside:
        st.caption(marks_outside_text(marks_outside))
    explainable = [w for w in reversed(shown) if w.status != "gap"]
    if explainable and not ctx.presentation:
        pick, ask, why = st.columns([1, 1.1, 0.9], vertical_alignment="bottom")
        explain_week = pick.selectbox(
            "Week to explain",
            [w.week for w in explainable],
            index=review.week_to_explain(explainable),
            key=f"explain_{kpi}",
            format_func=lambda week: f"{week:%d %b %Y}",
        )
        if ask.button("Where does this number come from?", key=f"provenance_{kpi}", icon=":material/manage_search:"):
            show_provenance(ctx, kpi, explain_week, layer=layer, region=region)
        if why.button("Why did it change?", key=f"change_{kpi}", icon=":material/waterfall_chart:"):
            show_change(ctx, kpi, explain_week, layer=layer, region=region)
    table_rows += review.weekly_table(
        kpi, shown, {segment: in_range(series, first, last) for segment, series in by_segment.items()}
    )

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
            file_name=f"kpi-trends-{first}-to-{last}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
        )
