"""Streamlit sections for lib.metrics.explain: "why did it change?", volume, and this week so far.

UI layer only: every figure comes from ``lib.metrics.explain`` (and ``lib.ui.figures``), cached on the
data version. Slice names come from exports (forms, regions, groups), so they go into dataframes
and escaped Markdown, never into HTML.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import streamlit as st

from lib.core.settings import COMBINED_SEGMENTS
from lib.core.text import escape_markdown
from lib.metrics import explain, kpis
from lib.ui.cache import by_data_version
from lib.ui.figures import change_waterfall_figure, volume_figure
from lib.ui.stored import kpi_summaries
from lib.workgroups import checks as hypothesis_checks

VOLUME_WEEKS_SHOWN = 26


@by_data_version(takes_context=True)
def explanation(ctx, question: tuple) -> tuple[dict | None, str]:
    """(the decomposition as JSON, its sentence) or (None, why it cannot be explained).

    ``question``: (kpi, week, against, by, layer, region, segments, min_events).
    """
    kpi, week, against, by, layer, region, segments, min_events = question
    try:
        result = explain.explain(
            ctx.con,
            ctx.settings,
            kpi,
            week,
            against=against,
            by=by,
            segments=segments,
            region=region,
            layer=layer,
            min_events=min_events,
        )
    except explain.CannotExplain as error:
        return None, error.message
    return result.to_json(), explain.describe(result, ctx.settings.floors[kpi])


@by_data_version(takes_context=True)
def weekly_series(ctx, kpi, layer, region, segments) -> list[kpis.WeekValue]:
    cells = kpis.fetch_cells(ctx.con, region=region)
    return kpis.build_series(cells, kpi, ctx.settings.floors[kpi], layer=layer, segments=segments)


def default_against(ctx, kpi, week, layer, region, segments) -> str:
    return explain.default_against(weekly_series(ctx, kpi, layer, region, segments), week)


@by_data_version(takes_context=True)
def volume(ctx, kpi, week, layer, region, segments):
    """The volume check of ``week`` and the weekly rows for its chart (up to that week)."""
    series = weekly_series(ctx, kpi, layer, region, segments)
    rows = [row for row in explain.volume_frame_rows(series) if row["week"] <= week]
    return explain.volume_check(series, week), rows[-VOLUME_WEEKS_SHOWN:]


# Figures are cached as objects (not pickled): building a plotly figure costs more than a rerun may.
@by_data_version(keep_objects=True, takes_context=True)
def waterfall_figure(ctx, question: tuple, presentation: bool):
    explained, _ = explanation(ctx, question)
    return change_waterfall_figure(explained, floor=ctx.settings.floors[explained["kpi"]], presentation=presentation)


@by_data_version(keep_objects=True, takes_context=True)
def weekly_volume_figure(ctx, kpi, week, layer, region, segments, presentation: bool):
    _, rows = volume(ctx, kpi, week, layer, region, segments)
    return volume_figure(rows, kpi, presentation=presentation)


def slice_table(explained: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Slice": entry["slice"],
                "Before": entry["against_value"],
                "Counted before": entry["against_total"],
                "Now": entry["value"],
                "Counted now": entry["total"],
                "Rate part": entry["rate_part"],
                "Mix part": entry["mix_part"],
                "Contribution": entry["contribution"],
                "Note": "too small to judge" + (f": {', '.join(entry['grouped'])}" if entry["grouped"] else "")
                if entry["too_small"]
                else "",
            }
            for entry in explained["slices"]
        ]
    )


PERCENT = st.column_config.NumberColumn(format="%.1f %%")
POINTS = st.column_config.NumberColumn(format="%+.2f")


def change_section(
    ctx, con, kpi: str, week: dt.date, *, layer: str = "display", region: str | None = None, segments=None, key: str
) -> None:
    """Where the change in ``kpi`` from an earlier period to ``week`` comes from: sentence, waterfall, table.

    ``con``: a cursor of the caller's (a dialog reruns on its own, after the page's run is over).
    """
    segments = tuple(segments) if segments else COMBINED_SEGMENTS
    here = dataclasses.replace(ctx, con=con)  # the cached figures below read through the caller's cursor
    left, right, smallest = st.columns([2, 3, 1.2])
    # A breached week is explained as the breach against the weeks before it began (DECISIONS.md §16);
    # the week before stays one click away.
    default = default_against(here, kpi, week, layer, region, segments)
    choices = [choice for choice in explain.AGAINST if choice != "breach" or default == "breach"]
    against = left.radio(
        "Compare with",
        choices,
        index=choices.index(default),
        format_func=explain.AGAINST.get,
        horizontal=True,
        key=f"{key}_against_{week}",
    )
    by = right.radio(
        "Split by",
        explain.dimensions_in_data(con, kpi),
        format_func=explain.dimension_label,
        horizontal=True,
        key=f"{key}_by",
        help="Each slice's contribution = its rate part (its own value moved) + its mix part (its share of the "
        "volume moved); they add up exactly to the change (DECISIONS.md §16).",
    )
    min_events = smallest.number_input(
        "Too small to judge under (events)",
        min_value=0,
        value=ctx.settings.min_slice_events,
        step=10,
        key=f"{key}_min_events",
        help="A slice with fewer counted events than this in both periods is marked too small to judge, and such "
        "slices are grouped (setting min_slice_events).",
    )
    question = (kpi, week, against, by, layer, region, segments, int(min_events))
    explained, sentence = explanation(here, question)
    if explained is None:
        st.info(f"Cannot split this change: {escape_markdown(sentence)}.", icon=":material/info:")
    else:
        st.markdown(escape_markdown(sentence))
        st.plotly_chart(
            waterfall_figure(here, question, ctx.presentation),
            width="stretch",
            config={"displayModeBar": False},
            key=f"{key}_waterfall",
        )
        st.dataframe(
            slice_table(explained),
            hide_index=True,
            width="stretch",
            key=f"{key}_table",
            column_config={
                "Before": PERCENT,
                "Now": PERCENT,
                "Rate part": POINTS,
                "Mix part": POINTS,
                "Contribution": POINTS,
            },
        )
        small = (
            f" Slices under {explained['min_events']} counted events in both periods are too small to judge "
            "(marked * on the chart)."
        )
        notes = " ".join(f"Note: {escape_markdown(note)}." for note in explained["notes"])
        st.caption(
            f"Total change {explained['total_change']:+.2f} points = the sum of the contributions, in points "
            f"of the combined value.{small} {notes}"
        )
    check, rows = volume(here, kpi, week, layer, region, segments)
    partial = rows and rows[-1]["week"] == week and rows[-1]["partial"]
    partial = " So far: this is a partial week (the newest export ends before it does)." if partial else ""
    st.markdown(f"**Volume.** {escape_markdown(check.describe(kpi))}{partial}")
    if len(rows) > 1:
        st.plotly_chart(
            weekly_volume_figure(here, kpi, week, layer, region, segments, ctx.presentation),
            width="stretch",
            config={"displayModeBar": False},
            key=f"{key}_volume",
        )


@st.dialog("Why did it change?", width="large", icon=":material/waterfall_chart:")
def show_change(
    ctx, kpi: str, week: dt.date, *, layer: str = "display", region: str | None = None, segments=None
) -> None:
    """Open from a button under a KPI's chart: ``if st.button(...): show_change(ctx, "FRT", week)``.

    A week at or below the floor opens on the breach weeks against the four weeks before the breach began.
    """
    with ctx.con.cursor() as con:
        where = f" · {escape_markdown(region)}" if region else ""
        scope = " · ".join(segments) if segments and tuple(segments) != COMBINED_SEGMENTS else "combined"
        st.markdown(f"#### {kpi} · {scope}{where} · week of {week:%d %b %Y}")
        change_section(ctx, con, kpi, week, layer=layer, region=region, segments=segments, key=f"why_{kpi}")


@by_data_version(takes_context=True)
def weeks_so_far(ctx) -> list[explain.WeekSoFar]:
    found = [explain.week_so_far(ctx.con, summary, ctx.settings) for summary in kpi_summaries(ctx).values()]
    return [so_far for so_far in found if so_far is not None]


def week_so_far_section(ctx) -> None:
    """The weekly review's "this week so far": each KPI's partial week, which never counts toward a streak."""
    partial = weeks_so_far(ctx)
    if not partial:
        return
    st.subheader("This week so far", anchor=False)
    for so_far in partial:
        below = kpis.at_or_below(so_far.good, so_far.total, so_far.floor)
        icon = ":material/warning:" if below else ":material/schedule:"
        text = escape_markdown(so_far.describe())
        (st.warning if below else st.info)(text, icon=icon)
    st.caption(
        "A partial week: the newest export ends before the week does. It counts toward no streak until an upload "
        "covers the whole week. The rest-of-week rate assumes a usual week's volume (DECISIONS.md §19)."
    )


def hypothesis_check(ctx, workgroup: dict, hypothesis: dict, *, on_attach=None, attach_blocked: bool = False) -> None:
    """A library hypothesis's "Check against the data": the result in words and a suggested verdict.

    ``on_attach(result)``, given only to editors, attaches the result as dated evidence; the
    verdict stays the workgroup's to set.
    """
    if hypothesis_checks.check_kind(hypothesis) is None:
        if hypothesis.get("library_id"):
            st.caption(escape_markdown(hypothesis_checks.cannot_check_reason(hypothesis)))
        return
    key = f"check_{hypothesis['id']}"
    by = "region"
    if hypothesis_checks.check_kind(hypothesis) == hypothesis_checks.PORTION:
        by = st.radio(
            "Which portion",
            hypothesis_checks.portion_dimensions(ctx.con, workgroup["kpi"]),
            format_func=explain.dimension_label,
            horizontal=True,
            key=f"{key}_by",
        )
    stored_key = f"{key}_result"
    if st.button("Check against the data", key=key, icon=":material/fact_check:"):
        try:
            result = hypothesis_checks.run_check(ctx.con, ctx.settings, workgroup, hypothesis, by=by)
        except explain.CannotExplain as error:
            result = error.message
        st.session_state[stored_key] = (ctx.data_version, by, result)
    stored = st.session_state.get(stored_key)
    if not stored or stored[0] != ctx.data_version or stored[1] != by:
        return  # never show a result computed on other data or for another portion
    result = stored[2]
    if isinstance(result, str):
        st.info(f"The data cannot answer this: {escape_markdown(result)}.", icon=":material/info:")
        return
    st.markdown(
        f"{escape_markdown(result.words)}  \n**Suggested verdict: {result.suggested}** "
        "(a suggestion: the workgroup sets the verdict)."
    )
    st.caption(
        f"Computed {result.computed_on:%d %b %Y} on data version {result.data_version}. "
        f"{escape_markdown(result.approach)}"
    )
    if on_attach is not None:
        st.button(
            "Attach as evidence",
            key=f"{key}_attach",
            icon=":material/attach_file:",
            on_click=on_attach,
            args=(result,),
            disabled=attach_blocked,
            help="Save or discard the evidence edits first." if attach_blocked else None,
        )
