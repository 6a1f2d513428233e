"""The KPI trends page's sections (pages/1_KPI_trends.py): the controls, and one chart per KPI.

Widgets only: the series come from ``lib.metrics.review.trends``, cached on the data version.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from lib.core.kpis import get_kpi
from lib.core.labels import LAYER_CHOICES
from lib.core.settings import SEGMENTS
from lib.core.text import escape_markdown, format_percent
from lib.metrics import kpis, review
from lib.ui.cache import by_data_version
from lib.ui.explain_view import show_change
from lib.ui.figures import kpi_trend_figure, marks_outside_text, split_marks
from lib.ui.page import link_choices, week_picker
from lib.ui.provenance_view import show_provenance
from lib.ui.stored import upload_labels
from lib.ui.view_links import view_query
from lib.workgroups.annotations import trend_annotations

DEFAULT_WEEKS = 26
EVERY_REGION = "all"


class TrendView(NamedTuple):
    """What the controls chose: the weeks (ISO, both included), segment lines, region (None: all) and source."""

    first: str
    last: str
    segments: tuple
    region: str | None
    layer: str


weekly_cells = by_data_version(kpis.fetch_cells)
regions = by_data_version(review.regions_in_data)
# Dated markers for the chart: workgroups formed and closed, actions shipped.
workgroup_annotations = by_data_version(trend_annotations)


@by_data_version(takes_context=True)
def trend_data(ctx, layer: str, region: str | None, segments: tuple) -> dict[str, tuple]:
    """Per KPI: its summary for the chosen source and region, and one series per requested segment."""
    return review.trends(weekly_cells(ctx, region=region), ctx.settings, layer, segments)


@by_data_version(takes_context=True)
def data_weeks(ctx) -> list[str]:
    """Every week any source has a figure for, oldest first: the range control's stops, whatever is chosen."""
    return review.weeks_charted(trend_data(ctx, "display", None, ()))


# Figures are cached as objects (not pickled): rebuilding or unpickling a plotly figure costs more than a rerun may.
@by_data_version(max_entries=128, keep_objects=True, takes_context=True)
def trend_figure(ctx, kpi, layer, region, segments, first, last, presentation):
    summary, by_segment = trend_data(ctx, layer, region, segments)[kpi]
    return kpi_trend_figure(
        kpi,
        review.in_range(summary.series, first, last),
        floor=summary.floor,
        target=summary.target,
        episodes=summary.episodes,
        segment_series={segment: review.in_range(series, first, last) for segment, series in by_segment.items()},
        annotations=workgroup_annotations(ctx, kpi),
        upload_labels=upload_labels(ctx),
        presentation=presentation,
    )


def show_nothing_to_chart(ctx) -> None:
    st.info(
        "No weekly figures to chart yet: every upload has been rolled back or none has been made.",
        icon=":material/inbox:",
    )
    if not ctx.can_edit:  # a viewer is not sent to pages that only change data
        st.write("An editor can upload exports or load a year of generated demo data.")
        return
    if review.app_page_exists(review.UPLOAD_PAGE):
        st.page_link(
            review.UPLOAD_PAGE,
            label="Upload exports, or load the demo data",
            icon=":material/upload_file:",
            query_params=view_query(),
        )
    st.page_link(
        "app.py",
        label="The weekly review can load a year of demo data",
        icon=":material/science:",
        query_params=view_query(),
    )


def trend_controls(ctx, all_weeks: list[str]) -> TrendView:
    """The weeks, segment lines, region and source, each kept in the URL: in one menu, with the view they make
    written beside it. A closed menu does not draw its widgets: the four controls cost the browser about as much
    as a chart, on every load (issue 26), and are changed far less often than the charts are read."""
    line = st.container(horizontal=True, vertical_alignment="center", gap="medium")  # the button keeps its label
    menu = line.popover(
        "Change the view",
        icon=":material/tune:",
        help="Weeks, segment lines, region and source. The address bar keeps them: copy it to share this view.",
    )
    first, last = week_picker(
        menu.select_slider,
        "Weeks",
        all_weeks,
        key="weeks",
        param="weeks",
        default=(all_weeks[max(0, len(all_weeks) - DEFAULT_WEEKS)], all_weeks[-1]),
        format_func=lambda iso: pd.Timestamp(iso).strftime("%d %b %Y"),
        help=f"Each week is named by its Monday. Default: the last {DEFAULT_WEEKS} weeks of data.",
    )
    link_choices("segments", SEGMENTS)
    segments = menu.multiselect(
        "Segment lines",
        SEGMENTS,
        key="segments",
        bind="query-params",
        placeholder="Combined only",
        help="The combined line (L&R, GitLab SM and GitLab SaaS pooled) is always drawn; add segments to compare.",
    )
    region_options = regions(ctx)
    region = None
    if region_options:
        link_choices("region", [EVERY_REGION, "Every region", *region_options])
        chosen_region = menu.selectbox(
            "Region",
            [EVERY_REGION, *region_options],
            format_func=lambda value: "Every region" if value == EVERY_REGION else value,
            key="region",
            bind="query-params",
            help="Only exports that carry a region (Explore's Preferred Region for Support) can be split by region.",
        )
        region = None if chosen_region == EVERY_REGION else chosen_region
    link_choices("source", [*LAYER_CHOICES, *LAYER_CHOICES.values()])
    layer = menu.radio(
        "Source",
        list(LAYER_CHOICES),
        format_func=LAYER_CHOICES.get,
        horizontal=True,
        key="source",
        bind="query-params",
        help="Explore (with dbt exports) is the primary source; Sisense is secondary and worth fact-checking "
        "against it. Explore first: Sisense fills only the weeks Explore has no figure for.",
    )
    chosen_segments = tuple(segment for segment in SEGMENTS if segment in segments)
    view = TrendView(first, last, chosen_segments, region, layer)
    line.markdown(view_sentence(view, bool(region_options)), width="content")
    return view


def view_sentence(view: TrendView, has_regions: bool) -> str:
    """The view the menu holds, in one line of Markdown: '**15 Jun 2026 to 07 Dec 2026** · Combined, L&R ·
    Every region · Explore first'. A region is text from a file, so every part is escaped."""
    weeks = " to ".join(pd.Timestamp(iso).strftime("%d %b %Y") for iso in (view.first, view.last))
    parts = ["Combined, " + ", ".join(view.segments) if view.segments else "Combined only"]
    if has_regions:
        parts.append(view.region or "Every region")
    parts.append(LAYER_CHOICES[view.layer])
    return f"**{escape_markdown(weeks)}** · " + " · ".join(escape_markdown(part) for part in parts)


def show_kpi_trend(ctx, kpi: str, trend: tuple, view: TrendView) -> list[dict]:
    """One KPI's heading, latest figure, chart and explain menu; returns its rows for the numbers table."""
    first, last, segments, region, layer = view
    summary, by_segment = trend
    shown = review.in_range(summary.series, first, last)
    st.header(f"{kpi} · {get_kpi(kpi).name}", anchor=False)  # under the page's h1: heading levels in order
    if not any(w.value is not None for w in shown):
        where = f", region {escape_markdown(region)}" if region else ""  # a region is text from a file
        st.info(
            f"No {kpi} figures for these weeks (source: {LAYER_CHOICES[layer]}{where}).",
            icon=":material/search_off:",
        )
        return []
    latest = summary.latest
    if latest and latest.value is not None:
        weeks = "week" if summary.streak == 1 else "weeks"
        streak = f" · {summary.streak} {weeks} in a row at or below" if summary.streak else ""
        st.markdown(  # a key fact: in full-contrast text, not a caption
            f"Latest complete week ({latest.week:%d %b %Y}): **{format_percent(latest.value, summary.floor)}**"
            f" · floor {summary.floor:g} % · target {summary.target:g} %{streak}"
        )
    st.plotly_chart(
        trend_figure(ctx, kpi, layer, region, segments, first, last, ctx.presentation),
        width="stretch",
        config={"displayModeBar": False} if ctx.presentation else {"displaylogo": False},
        key=f"trend_{kpi}",
        alt=f"{kpi} weekly, {first} to {last}, against its {summary.floor:g} % floor",
    )
    _, marks_outside = split_marks(workgroup_annotations(ctx, kpi), [w.week for w in shown])
    if marks_outside:
        st.caption(marks_outside_text(marks_outside))
    explainable = [w for w in reversed(shown) if w.status != "gap"]
    if explainable:  # in presentation mode too: every breach raises the question in the meeting
        show_explain_menu(ctx, kpi, explainable, layer, region)
    return review.weekly_table(
        kpi, shown, {segment: review.in_range(series, first, last) for segment, series in by_segment.items()}
    )


def show_explain_menu(ctx, kpi: str, explainable: list, layer: str, region: str | None) -> None:
    """One menu per KPI holding the week to explain and both questions about it. Tracked, so its widgets
    are built and sent only once opened: three closed menus draw faster than nine widgets (issue 26)."""
    menu = st.popover(
        f"{kpi}: explain a week", icon=":material/manage_search:", key=f"explain_menu_{kpi}", on_change="rerun"
    )
    if not menu.open:
        return
    explain_week = menu.selectbox(
        "Week to explain",
        [w.week for w in explainable],
        index=review.week_to_explain(explainable),
        key=f"explain_{kpi}",
        format_func=lambda week: f"{week:%d %b %Y}",
    )
    if menu.button("Where does this number come from?", key=f"provenance_{kpi}", icon=":material/manage_search:"):
        show_provenance(ctx, kpi, explain_week, layer=layer, region=region)
    if menu.button("Why did it change?", key=f"change_{kpi}", icon=":material/waterfall_chart:"):
        show_change(ctx, kpi, explain_week, layer=layer, region=region)
