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
from collections.abc import Iterable

import plotly.graph_objects as go

from lib.kpis import Episode, WeekValue

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
SEGMENT_STYLES = {
    "L&R": (OKABE_ITO["orange"], "dash"),
    "GitLab SM": (OKABE_ITO["bluish_green"], "dot"),
    "GitLab SaaS": (OKABE_ITO["reddish_purple"], "dashdot"),
    "Other": (OKABE_ITO["sky_blue"], "longdash"),
}
# Kinds lib.workgroups.trend_annotations gives; any other kind is drawn dashed.
ANNOTATION_DASH = {"formed": "dash", "closed": "longdash", "action shipped": "dot"}
HALF_WEEK = dt.timedelta(days=3, hours=12)  # a shaded episode runs from midway before its first week to midway after


def widened(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.combine(start, dt.time()) - HALF_WEEK, dt.datetime.combine(end, dt.time()) + HALF_WEEK


STATUS_WORDS = {
    "ok": "above the floor",
    "breach": "at or below the floor",
    "partial": "partial week (not yet complete)",
    "gap": "no data",
    "unknown": "cannot be computed",
}


def floor_label(floor: float) -> str:
    return f"floor {floor:g} % — at or below is a breach"


def upload_text(week_value: WeekValue, upload_labels: dict[int, str]) -> str:
    if not week_value.upload_ids:
        return ""
    labels = [upload_labels.get(upload_id, f"upload {upload_id}") for upload_id in week_value.upload_ids]
    return html.escape("from " + ", ".join(labels))


def hover_rows(series: list[WeekValue], upload_labels: dict[int, str]) -> list[list[str]]:
    rows = []
    for week_value in series:
        counts = (
            f"{week_value.good:,} good of {week_value.total:,}"
            if week_value.good is not None and week_value.total
            else html.escape(week_value.note or "")
        )
        rows.append(
            [counts, STATUS_WORDS.get(week_value.status, week_value.status), upload_text(week_value, upload_labels)]
        )
    return rows


def plotted_value(week_value: WeekValue) -> float | None:
    # "unknown" weeks may carry no honest pooled value; gaps have none. Both stay empty.
    return week_value.value if week_value.status in ("ok", "breach", "partial") else None


def value_axis_range(values: Iterable[float | None], floor: float, target: float | None) -> list[float]:
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
    traces = [
        go.Scatter(
            name="Combined",
            x=weeks,
            y=[plotted_value(w) for w in combined],
            mode="lines",
            connectgaps=False,
            line={"color": COMBINED_COLOUR, "width": 4 if presentation else 3},
            customdata=hover_rows(combined, upload_labels),
            hovertemplate=(
                "Combined: <b>%{y:.1f} %</b><br>%{customdata[0]}<br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>"
            ),
        )
    ]
    for segment, series in segment_series.items():
        colour, dash = SEGMENT_STYLES.get(segment, (OKABE_ITO["grey"], "solid"))
        traces.append(
            go.Scatter(
                name=segment,
                x=[w.week for w in series],
                y=[plotted_value(w) for w in series],
                mode="lines",
                connectgaps=False,
                line={"color": colour, "width": 2, "dash": dash},
                customdata=hover_rows(series, upload_labels),
                hovertemplate=f"{html.escape(segment)}: %{{y:.1f}} %<br>%{{customdata[0]}}<extra></extra>",
            )
        )
    marker_size = 14 if presentation else (8 if compact else 11)
    traces += [
        marker_trace(combined, "ok", "Week above the floor", "circle", COMBINED_COLOUR, marker_size * 0.7),
        marker_trace(combined, "breach", "Week at or below the floor", "triangle-down", BREACH_COLOUR, marker_size),
        marker_trace(combined, "partial", "Partial week (open marker)", "circle-open", COMBINED_COLOUR, marker_size),
    ]
    shapes, layout_annotations = reference_lines(floor, target, base_font, compact)
    first, last = (min(weeks), max(weeks)) if weeks else (None, None)
    for episode in episodes:
        if first is None or episode.end < first or episode.start > last:
            continue
        x0, x1 = widened(max(episode.start, first), min(episode.end, last))
        shapes.append(
            {
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
        )
        layout_annotations.append(
            {
                "x": x0,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "text": "sustained" if compact else f"sustained breach: {episode.weeks} weeks",
                "font": {"size": base_font - 2, "color": BREACH_COLOUR},
            }
        )
    for note in annotations or []:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": note["date"],
                "x1": note["date"],
                "y0": 0,
                "y1": 1,
                "line": {"color": TARGET_COLOUR, "width": 1.5, "dash": ANNOTATION_DASH.get(note.get("kind"), "dash")},
            }
        )
        layout_annotations.append(
            {
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
        )
    values = [plotted_value(w) for w in combined]
    for series in segment_series.values():
        values += [plotted_value(w) for w in series]
    figure = go.Figure(data=traces)
    figure.update_layout(
        title={"text": html.escape(title), "font": {"size": base_font + 6}} if title else None,
        font={"size": base_font},
        height=(520 if presentation else 400) if not compact else (230 if presentation else 190),
        margin={"l": 8, "r": 8, "t": 48 if title else (12 if compact or presentation else 36), "b": 8},  # modebar room
        shapes=shapes,
        annotations=layout_annotations,
        hovermode="x unified",
        hoverlabel={"font": {"size": base_font}},
        showlegend=not compact,
        # Below the two-line tick labels (day and month, then the year): nearer, it hides the year.
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
        yaxis={"range": value_axis_range(values, floor, target), "ticksuffix": " %", "title": None, "fixedrange": True},
        xaxis={"title": None, "tickformat": "%d %b\n%Y" if not compact else "%d %b", "hoverformat": "week of %d %b %Y"},
        meta={"kpi": kpi, "floor": floor, "target": target},
    )
    return figure


def marker_trace(series: list[WeekValue], status: str, name: str, symbol: str, colour: str, size: float) -> go.Scatter:
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


def reference_lines(floor: float, target: float | None, base_font: int, compact: bool) -> tuple[list, list]:
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
            "text": f"floor {floor:g} %" if compact else floor_label(floor),
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
