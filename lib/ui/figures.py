"""Plotly figures for the meeting pages: pure functions of weekly values, no database, no Streamlit.

Reading aids, none of them colour alone: the floor is a labelled solid line, the target a
fainter dotted one; weeks at or below the floor get their own marker shape (a downward
triangle); partial weeks are drawn open; sustained-breach episodes are shaded and labelled;
weeks without a value stay empty (the line breaks rather than inventing a value).

Colours come from the Okabe-Ito palette, which stays distinguishable for the common forms
of colour blindness; each segment line also has its own dash pattern.
"""

from __future__ import annotations

import datetime as dt
import html
import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.core.labels import PRIMARY_NAME, SECONDARY_NAME
from lib.core.text import format_percent
from lib.metrics import reconcile
from lib.metrics.explain import interval_text
from lib.metrics.kpis import Episode, WeekValue
from lib.okrs import model as okr_model
from lib.workgroups.breaches import Recovery, chart_window

if TYPE_CHECKING:
    from lib.okrs.quarters import QuarterView

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
# Blue and vermillion both keep a contrast above 3:1 on a white and on Streamlit's dark background.
COMBINED_COLOUR = OKABE_ITO["blue"]
BREACH_COLOUR = OKABE_ITO["vermillion"]
TARGET_COLOUR = OKABE_ITO["grey"]
# Explore against Sisense on the data-trust page.
PRIMARY_COLOUR = COMBINED_COLOUR
SECONDARY_COLOUR = OKABE_ITO["orange"]
SEGMENT_STYLES = {
    "L&R": (OKABE_ITO["orange"], "dash"),
    "GitLab SM": (OKABE_ITO["bluish_green"], "dot"),
    "GitLab SaaS": (OKABE_ITO["reddish_purple"], "dashdot"),
    "Other": (OKABE_ITO["sky_blue"], "longdash"),
}
# Kinds lib.workgroups.annotations.trend_annotations gives; any other kind is drawn dashed.
ANNOTATION_DASH = {"formed": "dash", "closed": "longdash", "action shipped": "dot"}
HALF_WEEK = dt.timedelta(days=3, hours=12)  # a shaded episode runs from midway before its first week to midway after
# Plotly's default for a date or number axis hides any tick label past the chart's edge, measuring every label
# once more to find out: each measure makes the browser lay the page out again, dearer the more a page holds.
# These charts pad their ranges, so no label reaches the edge and nothing would be hidden (issue 26).
LABELS_NOT_REMEASURED = {"ticklabeloverflow": "allow"}
# Plotly draws a chart once in its given margins, then again when its tick labels and legend push them wider.
# Starting from the margins the labels end up pushing, in Streamlit's theme at 1400x900 and in presentation
# mode, it draws once; a label wider than these (a "100 %") still pushes them and costs the second draw only.
TREND_MARGINS = {  # (compact, presentation) -> left and bottom margin in pixels
    (False, False): {"l": 41, "b": 87},  # the legend sits under the two-line week labels
    (False, True): {"l": 49, "b": 109},
    (True, False): {"l": 41, "b": 33},  # no legend, one-line week labels
    (True, True): {"l": 49, "b": 39},
}


def _widened(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.combine(start, dt.time()) - HALF_WEEK, dt.datetime.combine(end, dt.time()) + HALF_WEEK


def split_marks(marks: list[dict], weeks: list[dt.date]) -> tuple[list[dict], list[dict]]:
    """Marks dated within the charted weeks (the first week's first day to the last week's last),
    and the marks outside them: those are not drawn, so they never stretch the time axis."""
    if not weeks:
        return [], list(marks)
    first, last = min(weeks), max(weeks) + dt.timedelta(days=6)
    inside = [mark for mark in marks if first <= mark["date"] <= last]
    return inside, [mark for mark in marks if not first <= mark["date"] <= last]


def marks_outside_text(outside: list[dict]) -> str | None:
    """A caption for the workgroup marks a chosen range leaves out, or None when every mark is drawn."""
    if not outside:
        return None
    dates = sorted(mark["date"] for mark in outside)
    span = f"{dates[0]:%d %b %Y}" if dates[0] == dates[-1] else f"{dates[0]:%d %b %Y} to {dates[-1]:%d %b %Y}"
    return f"Workgroup marks outside the chosen weeks, not drawn: {len(outside)} ({span}). Widen the weeks to see them."


STATUS_WORDS = {
    "ok": "above the floor",
    "breach": "at or below the floor",
    "partial": "partial week (not yet complete)",
    "gap": "no data",
    "unknown": "cannot be computed",
}


def _floor_label(floor: float) -> str:
    return f"floor {floor:g} % — at or below is a breach"


def _upload_text(week_value: WeekValue, upload_labels: dict[int, str]) -> str:
    if not week_value.upload_ids:
        return ""
    labels = [upload_labels.get(upload_id, f"upload {upload_id}") for upload_id in week_value.upload_ids]
    return html.escape("from " + ", ".join(labels))


def _hover_rows(series: list[WeekValue], upload_labels: dict[int, str], floor: float) -> list[list[str]]:
    """Per week: counts and interval, status, upload, and the value written by the one formatter (last)."""
    rows = []
    for week_value in series:
        counts = (
            f"{week_value.good:,} good of {week_value.total:,} · {interval_text(week_value.good, week_value.total)}"
            if week_value.good is not None and week_value.total
            else html.escape(week_value.note or "")
        )
        rows.append(
            [
                counts,
                STATUS_WORDS.get(week_value.status, week_value.status),
                _upload_text(week_value, upload_labels),
                format_percent(week_value.value, floor),
            ]
        )
    return rows


def _plotted_value(week_value: WeekValue) -> float | None:
    # "unknown" weeks may carry no honest pooled value; gaps have none. Both stay empty.
    return week_value.value if week_value.status in ("ok", "breach", "partial") else None


def _value_axis_range(values: Iterable[float | None], floor: float, target: float | None) -> list[float]:
    """Always shows the floor (and the target), with a little room, never beyond 0-100 %."""
    known = [v for v in values if v is not None]
    low = min([*known, floor])
    high = max([*known, floor, target if target is not None else floor])
    padding = max(1.0, (high - low) * 0.08)
    return [max(0.0, low - padding), min(100.0, high + padding) + 0.5]


def kpi_trend_figure(
    kpi: str,
    combined: list[WeekValue],
    *,
    floor: float,
    target: float | None = None,
    episodes: list[Episode] = (),
    segment_series: dict[str, list[WeekValue]] | None = None,
    annotations: list[dict] | None = None,
    upload_labels: dict[int, str] | None = None,
    presentation: bool = False,
    compact: bool = False,
    title: str | None = None,
) -> go.Figure:
    """One KPI's weekly line with its floor, target, breaches, episodes and annotations.

    ``annotations``: dicts {"date": date, "label": str, "kind": str} drawn as labelled vertical
    markers (e.g. a workgroup opening, an action taken); labels are escaped, so user text is safe.
    """
    upload_labels = upload_labels or {}
    segment_series = segment_series or {}
    base_font = (15 if presentation else 11) if compact else (20 if presentation else 13)
    weeks = [w.week for w in combined]
    traces = _value_lines(combined, segment_series, upload_labels, floor, presentation=presentation)
    marker_size = 14 if presentation else (8 if compact else 11)
    traces += [
        _marker_trace(combined, "ok", "Week above the floor", "circle", COMBINED_COLOUR, marker_size * 0.7),
        _marker_trace(combined, "breach", "Week at or below the floor", "triangle-down", BREACH_COLOUR, marker_size),
        _marker_trace(combined, "partial", "Partial week (open marker)", "circle-open", COMBINED_COLOUR, marker_size),
    ]
    shapes, layout_annotations = _reference_lines(floor, target, base_font, compact)
    for shape, label in _episode_spans(episodes, weeks, base_font, compact=compact):
        shapes.append(shape)
        layout_annotations.append(label)
    drawn, _ = split_marks(annotations or [], weeks)
    for shape, label in _workgroup_marks(drawn, base_font):
        shapes.append(shape)
        layout_annotations.append(label)
    values = [_plotted_value(w) for w in combined]
    for series in segment_series.values():
        values += [_plotted_value(w) for w in series]
    figure = go.Figure(data=traces)
    figure.update_layout(
        title={"text": html.escape(title), "font": {"size": base_font + 6}} if title else None,
        font={"size": base_font},
        height=(520 if presentation else 400) if not compact else (230 if presentation else 190),
        # Top: room for the modebar, and for the sustained-breach labels above the plot.
        margin={
            **TREND_MARGINS[(compact, presentation)],
            "r": 8,
            "t": 48 if title else (base_font + 14 if compact or presentation else 36),
        },
        shapes=shapes,
        annotations=layout_annotations,
        hovermode="x unified",
        hoverlabel={"font": {"size": base_font}},
        showlegend=not compact,
        # Below the two-line tick labels (day and month, then the year): nearer, it hides the year.
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
        yaxis={
            "range": _value_axis_range(values, floor, target),
            "ticksuffix": " %",
            "title": None,
            "fixedrange": True,
            **LABELS_NOT_REMEASURED,
        },
        xaxis={
            "title": None,
            **LABELS_NOT_REMEASURED,
            "tickformat": "%d %b\n%Y" if not compact else "%d %b",
            "hoverformat": "week of %d %b %Y",
            "range": _time_axis_range(weeks, drawn),
            **_week_ticks(weeks, most=4 if compact else 9),
        },
        meta={"kpi": kpi, "floor": floor, "target": target},
    )
    return figure


def _value_lines(
    combined: list[WeekValue],
    segment_series: dict[str, list[WeekValue]],
    upload_labels: dict[int, str],
    floor: float,
    *,
    presentation: bool,
) -> list[go.Scatter]:
    """The combined line, then one line per segment in its own colour and dash."""
    traces = [
        go.Scatter(
            name="Combined",
            x=[w.week for w in combined],
            y=[_plotted_value(w) for w in combined],
            mode="lines",
            connectgaps=False,
            line={"color": COMBINED_COLOUR, "width": 4 if presentation else 3},
            customdata=_hover_rows(combined, upload_labels, floor),
            hovertemplate=(
                "Combined: <b>%{customdata[3]}</b><br>%{customdata[0]}<br>%{customdata[1]}<br>%{customdata[2]}"
                "<extra></extra>"
            ),
        )
    ]
    for segment, series in segment_series.items():
        colour, dash = SEGMENT_STYLES.get(segment, (OKABE_ITO["grey"], "solid"))
        traces.append(
            go.Scatter(
                name=html.escape(segment),  # a segment an export named: legend text is HTML to plotly
                x=[w.week for w in series],
                y=[_plotted_value(w) for w in series],
                mode="lines",
                connectgaps=False,
                line={"color": colour, "width": 2, "dash": dash},
                customdata=_hover_rows(series, upload_labels, floor),
                hovertemplate=f"{html.escape(segment)}: %{{customdata[3]}}<br>%{{customdata[0]}}<extra></extra>",
            )
        )
    return traces


def _episode_spans(
    episodes: list[Episode], weeks: list[dt.date], base_font: int, *, compact: bool
) -> list[tuple[dict, dict]]:
    """(shaded span, label above the plot) of each sustained-breach episode within the charted weeks."""
    if not weeks:
        return []
    first, last = min(weeks), max(weeks)
    spans = []
    for episode in episodes:
        if episode.end < first or episode.start > last:
            continue
        x0, x1 = _widened(max(episode.start, first), min(episode.end, last))
        shade = {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": x0,
            "x1": x1,
            "y0": 0,
            "y1": 1,
            "fillcolor": BREACH_COLOUR,
            "opacity": 0.13,
            "line": {"width": 0},
            "layer": "below",
        }
        # Above the plot, where no mark's label reaches; from the span's right end when the span sits in the
        # chart's right half, so a recent breach's label is never cut off at the edge.
        ends_the_chart = (episode.start - first) >= (last - first) / 2
        label = {
            "x": x1 if ends_the_chart else x0,
            "xref": "x",
            "y": 1,
            "yref": "paper",
            "xanchor": "right" if ends_the_chart else "left",
            "yanchor": "bottom",
            "showarrow": False,
            "text": "sustained" if compact else f"sustained breach: {episode.weeks} weeks",
            "font": {"size": base_font - 2, "color": BREACH_COLOUR},
        }
        spans.append((shade, label))
    return spans


def _workgroup_marks(drawn: list[dict], base_font: int) -> list[tuple[dict, dict]]:
    """(vertical line, escaped label) of each workgroup mark drawn: its kind sets the dash."""
    marks = []
    for note in drawn:
        line = {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": note["date"],
            "x1": note["date"],
            "y0": 0,
            "y1": 1,
            "line": {"color": TARGET_COLOUR, "width": 1.5, "dash": ANNOTATION_DASH.get(note.get("kind"), "dash")},
        }
        label = {
            "x": note["date"],
            "xref": "x",
            "y": 0,
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "bottom",
            "textangle": -90,
            "showarrow": False,
            "text": html.escape(str(note["label"])),
            "font": {"size": base_font - 2},
        }
        marks.append((line, label))
    return marks


WEEK_MS = 7 * 24 * 3600 * 1000


def _week_ticks(weeks: Iterable[dt.date], most: int = 9) -> dict:
    """Date ticks on the days weeks are named by (Mondays), every k weeks so at most ``most`` are drawn.

    Plotly's own date ticks fall on Sundays for weekly data, while every page names a week by its Monday.
    """
    weeks = sorted(weeks)
    if not weeks:
        return {}
    span = (weeks[-1] - weeks[0]).days // 7 + 1
    return {"tick0": weeks[0].isoformat(), "dtick": -(-span // most) * WEEK_MS}


def _time_axis_range(weeks: list[dt.date], marks: list[dict]) -> list[dt.datetime] | None:
    """Half a week either side of the charted weeks; a mark late in the last week widens it to that day."""
    if not weeks:
        return None
    start, end = _widened(min(weeks), max(weeks))
    # Noon of a mark's day, so its line is not drawn on the very edge.
    latest_mark = max((dt.datetime.combine(mark["date"], dt.time(12)) for mark in marks), default=end)
    return [start, max(end, latest_mark)]


def _marker_trace(series: list[WeekValue], status: str, name: str, symbol: str, colour: str, size: float) -> go.Scatter:
    """Markers for the weeks of one status; hover stays on the line so it is not repeated."""
    chosen = [w for w in series if w.status == status]
    return go.Scatter(
        name=name,
        x=[w.week for w in chosen],
        y=[w.value for w in chosen],
        mode="markers",
        marker={"symbol": symbol, "size": size, "color": colour, "line": {"width": 2, "color": colour}},
        hoverinfo="skip",
        showlegend=bool(chosen),
    )


def _reference_lines(floor: float, target: float | None, base_font: int, compact: bool) -> tuple[list, list]:
    """The floor as a solid labelled line, the target as a fainter dotted one."""
    shapes = [
        {
            "type": "line",
            "name": "floor",
            "xref": "paper",
            "yref": "y",
            "x0": 0,
            "x1": 1,
            "y0": floor,
            "y1": floor,
            "line": {"color": BREACH_COLOUR, "width": 2.5},
        }
    ]
    # Labels sit at the left end, where the line starts: the newest weeks (right) are what people look at.
    annotations = [
        {
            "name": "floor",
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "y": floor,
            "yref": "y",
            "yanchor": "top",
            "showarrow": False,
            "text": f"floor {floor:g} %" if compact else _floor_label(floor),
            "font": {"size": base_font, "color": BREACH_COLOUR},
        }
    ]
    if target is not None:
        shapes.append(
            {
                "type": "line",
                "name": "target",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": target,
                "y1": target,
                "line": {"color": TARGET_COLOUR, "width": 1.5, "dash": "dot"},
                "opacity": 0.8,
            }
        )
        if not compact:
            annotations.append(
                {
                    "name": "target",
                    "x": 0,
                    "xref": "paper",
                    "xanchor": "left",
                    "y": target,
                    "yref": "y",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "text": f"target {target:g} %",
                    "font": {"size": base_font - 1, "color": TARGET_COLOUR},
                }
            )
    return shapes, annotations


def change_waterfall_figure(explained: dict, *, floor: float | None = None, presentation: bool = False) -> go.Figure:
    """The change from the earlier period to the chosen week as a waterfall, one bar per slice.

    ``explained`` is ``lib.metrics.explain.Decomposition.to_json()``: the bars start at the earlier
    value, add each slice's contribution (rate part + mix part, rounded so that they add up)
    and end at the chosen week's value. Slices too small to judge are hatched and say so.
    """
    base_font = 18 if presentation else 13
    slices = explained["slices"]
    earlier = (
        "week of " + dt.date.fromisoformat(explained["against_weeks"][0]).strftime("%d %b")
        if len(explained["against_weeks"]) == 1
        else f"{len(explained['against_weeks'])} weeks before"
    )
    chosen = "week of " + dt.date.fromisoformat(explained["week"]).strftime("%d %b")
    if len(explained["weeks"]) > 1:
        chosen = f"{len(explained['weeks'])} weeks to " + dt.date.fromisoformat(explained["week"]).strftime("%d %b")
    labels = [earlier, *(html.escape(s["slice"]) + (" *" if s["too_small"] else "") for s in slices), chosen]
    values = [explained["against_value"], *(s["contribution"] for s in slices), explained["value"]]
    hover = [f"{explained['against_good']:,} good of {explained['against_total']:,}"]
    for s in slices:
        then = (
            "none"
            if s["against_value"] is None
            else f"{format_percent(s['against_value'], floor)} of {s['against_total']:,}"
        )
        now = "none" if s["value"] is None else f"{format_percent(s['value'], floor)} of {s['total']:,}"
        small = "<br>too few events to judge" if s["too_small"] else ""
        grouped = f"<br>grouped: {html.escape(', '.join(s['grouped']))}" if s["grouped"] else ""
        hover.append(
            f"{then} → {now}<br>rate part {s['rate_part']:+.2f} · mix part {s['mix_part']:+.2f} points{small}{grouped}"
        )
    hover.append(f"{explained['good']:,} good of {explained['total']:,}")
    low = min(explained["against_value"], explained["value"])
    running, lowest = explained["against_value"], low
    for s in slices:
        running += s["contribution"]
        lowest = min(lowest, running)
    figure = go.Figure(
        go.Waterfall(
            x=labels,
            y=values,
            measure=["absolute", *("relative" for _ in slices), "total"],
            base=None,
            text=[
                format_percent(values[0], floor),
                *(f"{v:+.2f}" for v in values[1:-1]),
                format_percent(values[-1], floor),
            ],
            textposition="outside",
            customdata=hover,
            hovertemplate="<b>%{x}</b><br>%{customdata}<extra></extra>",
            decreasing={"marker": {"color": BREACH_COLOUR}},
            increasing={"marker": {"color": OKABE_ITO["bluish_green"]}},
            totals={"marker": {"color": COMBINED_COLOUR}},
            connector={"line": {"color": TARGET_COLOUR, "width": 1, "dash": "dot"}},
        )
    )
    span = max(explained["against_value"], explained["value"], running) - lowest
    padding = max(0.5, span * 0.35)
    figure.update_layout(
        font={"size": base_font},
        height=420 if presentation else 340,
        margin={"l": 8, "r": 8, "t": 28, "b": 8},
        showlegend=False,
        yaxis={
            "range": [
                max(0.0, lowest - padding),
                min(100.0, max(explained["against_value"], explained["value"]) + padding),
            ],
            "ticksuffix": " %",
            "fixedrange": True,
        },
        xaxis={"fixedrange": True},
        meta={"kpi": explained["kpi"], "by": explained["by"], "total_change": explained["total_change"]},
    )
    return figure


def volume_figure(rows: list[dict], kpi: str, *, presentation: bool = False) -> go.Figure:
    """Counted events per week as bars, with the usual level (mean of the 8 weeks before) and its range."""
    base_font = 18 if presentation else 12
    weeks = [row["week"] for row in rows]
    figure = go.Figure(
        [
            go.Scatter(
                name="range of the 8 weeks before",
                x=weeks + weeks[::-1],
                y=[row["high"] for row in rows] + [row["low"] for row in rows][::-1],
                fill="toself",
                fillcolor="rgba(153,153,153,0.2)",
                line={"width": 0},
                hoverinfo="skip",
            ),
            go.Bar(
                name="counted",
                x=weeks,
                y=[row["counted"] for row in rows],
                marker={
                    "color": [COMBINED_COLOUR for _ in rows],
                    "opacity": [0.45 if row["partial"] else 0.85 for row in rows],
                },
                hovertemplate="%{y:,} counted<extra></extra>",
            ),
            go.Scatter(
                name="usual (mean of the 8 weeks before)",
                x=weeks,
                y=[row["usual"] for row in rows],
                mode="lines",
                line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                hovertemplate="usual %{y:,.0f}<extra></extra>",
            ),
        ]
    )
    figure.update_layout(
        font={"size": base_font},
        height=260 if presentation else 220,
        margin={"l": 8, "r": 8, "t": 12, "b": 8},
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "xanchor": "left", "x": 0},
        yaxis={"title": None, "fixedrange": True, "rangemode": "tozero"},
        xaxis={"title": None, "hoverformat": "week of %d %b %Y", "tickformat": "%d %b", **_week_ticks(weeks, most=7)},
        meta={"kpi": kpi},
    )
    return figure


def reconciliation_figure(
    kpi: str,
    scope: str,
    primary: list[WeekValue],
    secondary: list[WeekValue],
    comparisons: list[reconcile.Comparison],
    *,
    floor: float,
    tolerance: float,
    presentation: bool = False,
) -> go.Figure:
    """Both sources' weekly line (top) and the difference with its tolerance band (bottom).

    Flagged weeks carry a marker of their own shape (a diamond) and a label, not only a
    colour; the tolerance band is drawn so "beyond" can be seen.
    """
    base_font = 20 if presentation else 13
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.68, 0.32],
        vertical_spacing=0.08,
        subplot_titles=(f"{kpi} · {html.escape(scope)}: weekly value", "Sisense minus Explore (points)"),
    )
    for name, series, colour, dash in (
        (PRIMARY_NAME, primary, PRIMARY_COLOUR, "solid"),
        (SECONDARY_NAME, secondary, SECONDARY_COLOUR, "dash"),
    ):
        figure.add_trace(
            go.Scatter(
                name=name,
                x=[w.week for w in series],
                y=[_plotted_value(w) for w in series],
                mode="lines+markers",
                line={"color": colour, "dash": dash, "width": 2.5},
                # Partial weeks are drawn open, as on the trends page: their figure is still moving.
                marker={
                    "size": [9 if w.status == "partial" else 5 for w in series],
                    "symbol": ["circle-open" if w.status == "partial" else "circle" for w in series],
                },
                hovertemplate=f"{name} · week of %{{x|%d %b %Y}}: %{{y:.2f}} %<extra></extra>",
                connectgaps=False,
            ),
            row=1,
            col=1,
        )
    flagged = [c for c in comparisons if c.flagged]
    if flagged:
        figure.add_trace(
            go.Scatter(
                name=f"Beyond ±{tolerance:g} pt",
                x=[c.week for c in flagged],
                y=[c.secondary.value for c in flagged],
                mode="markers",
                marker={"symbol": "diamond-open", "size": 14, "color": BREACH_COLOUR, "line": {"width": 2.5}},
                hovertemplate="Sisense differs by %{customdata:+.1f} points<extra></extra>",
                customdata=[c.difference for c in flagged],
            ),
            row=1,
            col=1,
        )
    figure.add_hline(
        y=floor,
        line={"color": BREACH_COLOUR, "width": 1.5},
        annotation_text=_floor_label(floor),
        annotation_position="bottom left",
        annotation_font={"size": base_font - 2, "color": BREACH_COLOUR},
        row=1,
        col=1,
    )
    measured = [c for c in comparisons if c.difference is not None]
    figure.add_trace(
        go.Bar(
            name="Difference",
            x=[c.week for c in measured],
            y=[c.difference for c in measured],
            marker={
                "color": [BREACH_COLOUR if c.flagged else TARGET_COLOUR for c in measured],
                "pattern": {"shape": ["x" if c.flagged else "" for c in measured]},
            },
            text=[f"{c.difference:+.1f}" if c.flagged else "" for c in measured],
            textposition="outside",
            textfont={"size": base_font - 1, "color": BREACH_COLOUR},
            cliponaxis=False,
            hovertemplate="week of %{x|%d %b %Y}: %{y:+.2f} points<extra></extra>",
            showlegend=False,
        ),
        row=2,
        col=1,
    )
    largest = max((abs(c.difference) for c in measured), default=0.0)
    reach = max(tolerance * 2, largest * 1.35, 0.5)
    for edge in (tolerance, -tolerance):
        figure.add_hline(y=edge, line={"color": TARGET_COLOUR, "dash": "dot", "width": 1}, row=2, col=1)
    figure.update_yaxes(title_text="%", row=1, col=1)
    figure.update_yaxes(title_text="points", range=[-reach, reach], zeroline=True, row=2, col=1)
    figure.update_xaxes(tickformat="%d %b", **_week_ticks(c.week for c in measured), **LABELS_NOT_REMEASURED)
    figure.update_yaxes(**LABELS_NOT_REMEASURED)
    figure.update_layout(
        height=560 if presentation else 460,
        # The margins the axis titles, tick labels and legend push them to: drawn once, as the trend charts.
        margin={"l": 78, "r": 10, "t": 70, "b": 41} if presentation else {"l": 65, "r": 10, "t": 61, "b": 35},
        font={"size": base_font},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "xanchor": "right", "x": 1},
        hovermode="x unified",
        bargap=0.3,
        # One week's bar is narrow: keep its label readable rather than shrunk to the bar's width.
        uniformtext={"minsize": base_font - 1, "mode": "show"},
    )
    figure.update_annotations(font_size=base_font)
    return figure


def workgroup_figure(
    series: list[WeekValue], workgroup: dict, floor: float, recovery: Recovery, *, height=220, presentation=False
):
    """A small chart of a workgroup's KPI since its trigger: values, the floor, the breach shaded.

    Drawn in the trend charts' style: the floor a solid vermillion line, weeks at or
    below it downward triangles, partial weeks open markers; type larger in presentation mode.
    """
    font_size = 16 if presentation else 12
    window = chart_window(series, workgroup.get("trigger_start"))
    complete = [w for w in window if w.status in ("ok", "breach") and w.value is not None]
    partial = [w for w in window if w.status == "partial" and w.value is not None]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[w.week for w in complete],
            y=[w.value for w in complete],
            customdata=[format_percent(w.value, floor) for w in complete],
            mode="lines+markers",
            name=workgroup["kpi"],
            line={"color": COMBINED_COLOUR, "width": 3 if presentation else 2},
            marker={
                "color": [BREACH_COLOUR if w.status == "breach" else COMBINED_COLOUR for w in complete],
                "symbol": ["triangle-down" if w.status == "breach" else "circle" for w in complete],
                "size": 9,
            },
            hovertemplate="Week of %{x|%d %b %Y}: %{customdata}<extra></extra>",
        )
    )
    if partial:
        figure.add_trace(
            go.Scatter(
                x=[w.week for w in partial],
                y=[w.value for w in partial],
                customdata=[format_percent(w.value, floor) for w in partial],
                mode="markers",
                name="partial week",
                marker={"color": TARGET_COLOUR, "size": 9, "symbol": "circle-open"},
                hovertemplate="Week of %{x|%d %b %Y} (partial): %{customdata}<extra></extra>",
            )
        )
    figure.add_hline(
        y=floor,
        line={"color": BREACH_COLOUR, "width": 2.5},
        annotation_text=f"floor {floor:g} %",
        annotation_position="bottom left",
        annotation_font={"size": font_size - 1, "color": BREACH_COLOUR},
    )
    if workgroup.get("trigger_start") and workgroup.get("trigger_end"):
        figure.add_vrect(
            x0=workgroup["trigger_start"] - dt.timedelta(days=3),
            x1=workgroup["trigger_end"] + dt.timedelta(days=3),
            fillcolor=BREACH_COLOUR,
            opacity=0.13,
            line_width=0,
        )
    if recovery.recovered_on:
        recovered = {"color": OKABE_ITO["bluish_green"], "dash": "dot", "width": 1.5}
        figure.add_vline(x=recovery.recovered_on, line=recovered)
    values = [w.value for w in complete + partial] + [floor]
    figure.update_layout(
        height=height + 40 if presentation else height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        yaxis={"title": None, "ticksuffix": " %", "range": [min(values) - 1.5, max(values) + 1.5]},
        xaxis={"title": None, "tickformat": "%d %b", **_week_ticks((w.week for w in window), most=5)},
        font={"size": font_size},
    )
    return figure


# ---------------------------------------------------------------------------------------
# OKRs: the alignment chart

# Okabe-Ito colours for the OKR bands; "No score" a light grey.
OKR_BAND_COLOURS = {
    okr_model.ON_TARGET: OKABE_ITO["bluish_green"],
    okr_model.OFF_TARGET: OKABE_ITO["orange"],
    okr_model.AT_RISK: OKABE_ITO["vermillion"],
    okr_model.NO_SCORE: "#BDBDBD",
}


def _wrapped_label(text: str, width: int = 34) -> str:
    """Plotly draws box text on one line and shrinks it to fit: break long labels so they stay readable.
    Each line is escaped (titles and owners come from OKR files; plotly draws HTML in labels and hovers)."""
    lines = textwrap.wrap(text, width, max_lines=3, placeholder=" …") or [text]
    return "<br>".join(html.escape(line) for line in lines)


# The root and "Not aligned" boxes hold no score. A mid grey with white text reads on a light page and on a
# dark one, where the light grey they had glared; band boxes keep dark text on their Okabe-Ito colours.
STRUCTURE_COLOUR = "#666666"
STRUCTURE_TEXT_COLOUR = "#FFFFFF"
BAND_TEXT_COLOUR = "#111111"


def okr_alignment_figure(view: QuarterView, *, presentation: bool = False) -> go.Figure:
    """Icicle, read left to right: department objective → aligned manager objectives → key results.

    Each box is coloured by its band and also says the band in words with its score, so
    colour is never the only cue. Manager objectives that align with no department
    objective of the quarter sit under their own "Not aligned" box. Every key result gets
    the same height, so small ones stay readable.
    """
    ids, parents, labels, texts, colours, text_colours = [], [], [], [], [], []

    def add(node_id, parent_id, label, band, score, detail=""):
        ids.append(node_id)
        parents.append(parent_id)
        labels.append(_wrapped_label(label))
        text_colours.append(BAND_TEXT_COLOUR)
        score_text = "no score" if score is None else f"{score:.0f} %"
        texts.append(f"{okr_model.BAND_SYMBOLS[band]} {band} · {score_text}{detail}")
        colours.append(OKR_BAND_COLOURS[band])

    def add_key_results(parent_id, objective):
        for kr in objective.key_results:
            detail = " · from KPI data" if kr.kpi_link else ""
            detail += " · no check-in for 3 weeks" if kr.stale else ""
            add(f"kr:{kr.id}", parent_id, f"{kr.title} ({kr.owner})", kr.band, kr.score, detail)

    def add_manager_objective(parent_id, objective):
        node = f"obj:{objective.id}"
        add(node, parent_id, f"{objective.owner}: {objective.title}", objective.band, objective.progress)
        add_key_results(node, objective)

    # One explicit root: without it plotly draws an empty column for the implied one.
    ids.append("quarter")
    parents.append("")
    labels.append(view.quarter.label)
    texts.append("department objectives")
    colours.append(STRUCTURE_COLOUR)
    text_colours.append(STRUCTURE_TEXT_COLOUR)
    for department in view.departments:
        node = f"obj:{department.objective.id}"
        add(node, "quarter", department.objective.title, department.band, department.progress, " · roll-up")
        add_key_results(node, department.objective)
        for objective in department.aligned:
            add_manager_objective(node, objective)
    if view.unaligned:
        ids.append("unaligned")
        parents.append("quarter")
        labels.append("Not aligned")
        texts.append(_wrapped_label(f"gap: no department objective of {view.quarter.label}"))
        colours.append(STRUCTURE_COLOUR)
        text_colours.append(STRUCTURE_TEXT_COLOUR)
        for objective in view.unaligned:
            add_manager_objective("unaligned", objective)
    leaves = sum(1 for node in ids if node not in set(parents))
    figure = go.Figure(
        go.Icicle(
            ids=ids,
            parents=parents,
            labels=labels,
            text=texts,
            marker={"colors": colours, "line": {"width": 1, "color": "#FFFFFF"}},
            texttemplate="<b>%{label}</b><br>%{text}",
            hovertemplate="<b>%{label}</b><br>%{text}<extra></extra>",
            textfont={"size": 17 if presentation else 14, "color": text_colours},
            tiling={"orientation": "h", "pad": 2},
            pathbar={"visible": False},
            leaf={"opacity": 1},
            sort=False,
        )
    )
    leaf_height = 72 if presentation else 60
    figure.update_layout(margin={"t": 4, "l": 0, "r": 0, "b": 4}, height=max(320, leaf_height * leaves))
    return figure
