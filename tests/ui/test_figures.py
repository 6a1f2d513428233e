"""The trend figure shows what a meeting relies on: floor, breaches, partial weeks, gaps, where a number came from."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from export_builders import change_to_just_under_the_floor

from lib.metrics import reconcile
from lib.metrics.kpis import WeekValue, episodes_of
from lib.store import database as store
from lib.ui.figures import (
    OKABE_ITO,
    SEGMENT_STYLES,
    change_waterfall_figure,
    kpi_trend_figure,
    marks_outside_text,
    reconciliation_figure,
    split_marks,
)

FIRST = dt.date(2026, 9, 7)


def week(n: int) -> dt.date:
    return FIRST + dt.timedelta(days=7 * n)


def value(n: int, good: int, total: int, status: str | None = None, upload: int = 1) -> WeekValue:
    pct = 100 * good / total
    return WeekValue(week(n), pct, good, total, status or ("breach" if pct <= 93 else "ok"), "primary", (upload,))


def gap(n: int) -> WeekValue:
    return WeekValue(week(n), None, None, None, "gap", note="no data for this week")


@pytest.fixture
def series() -> list[WeekValue]:
    return [
        value(0, 960, 1000),
        value(1, 950, 1000),
        gap(2),
        value(3, 930, 1000),  # exactly at the floor: a breach
        value(4, 910, 1000),
        value(5, 470, 500, status="partial", upload=2),
    ]


def figure_json(figure) -> dict:
    """The figure as the browser receives it."""
    return json.loads(figure.to_json())


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t["name"] == name)


def test_floor_is_a_labelled_line_at_the_floor_and_the_target_a_fainter_one(series):
    spec = figure_json(kpi_trend_figure("FRT", series, floor=93, target=95))

    floor = next(s for s in spec["layout"]["shapes"] if s.get("name") == "floor")
    target = next(s for s in spec["layout"]["shapes"] if s.get("name") == "target")
    assert floor["y0"] == floor["y1"] == 93
    assert (floor["x0"], floor["x1"], floor["xref"]) == (0, 1, "paper")
    assert target["y0"] == target["y1"] == 95
    assert target["line"]["dash"] == "dot" and target["line"]["width"] < floor["line"]["width"]
    labels = [a["text"] for a in spec["layout"]["annotations"]]
    assert "floor 93 % — at or below is a breach" in labels
    assert "target 95 %" in labels


def test_breach_weeks_have_their_own_marker_shape_and_partial_weeks_are_open(series):
    spec = figure_json(kpi_trend_figure("FRT", series, floor=93, target=95))

    breaches = trace(spec, "Week at or below the floor")
    partial = trace(spec, "Partial week (open marker)")
    ok = trace(spec, "Week above the floor")
    assert breaches["x"] == [str(week(3)), str(week(4))]
    assert breaches["marker"]["symbol"] == "triangle-down"
    assert partial["x"] == [str(week(5))]
    assert partial["marker"]["symbol"] == "circle-open"
    assert ok["marker"]["symbol"] == "circle"


def test_a_week_without_data_stays_a_gap_in_the_line(series):
    combined = trace(figure_json(kpi_trend_figure("FRT", series, floor=93)), "Combined")

    assert combined["y"][2] is None
    assert combined["connectgaps"] is False
    assert len(combined["x"]) == len(series)


def test_hover_tells_value_counts_and_the_upload_it_came_from(series):
    labels = {1: "upload 1 (explore_sla.csv)", 2: "upload 2 (explore <b>new</b>.csv)"}
    combined = trace(figure_json(kpi_trend_figure("FRT", series, floor=93, upload_labels=labels)), "Combined")

    assert "%{customdata[3]}" in combined["hovertemplate"]
    assert combined["customdata"][3] == [
        "930 good of 1,000 · 95 % interval 91.2–94.4 %",
        "at or below the floor",
        "from upload 1 (explore_sla.csv)",
        "93.0\u00a0%",  # exactly on the floor: one decimal is honest
    ]
    # A file name is user text: markup in it is shown, not rendered.
    assert combined["customdata"][5][2] == "from upload 2 (explore &lt;b&gt;new&lt;/b&gt;.csv)"
    assert combined["customdata"][5][1].startswith("partial week")


def test_hover_never_rounds_a_value_onto_the_floor():
    just_under = [value(0, 2324, 2500)]  # 92.96 %
    combined = trace(figure_json(kpi_trend_figure("FRT", just_under, floor=93)), "Combined")
    assert combined["customdata"][0][3] == "92.96\u00a0%"


def test_y_axis_always_includes_the_floor_even_when_every_week_is_far_above_it():
    high = [value(n, 990, 1000) for n in range(4)]

    low, high_end = figure_json(kpi_trend_figure("FRT", high, floor=93, target=95))["layout"]["yaxis"]["range"]

    assert low < 93 < high_end
    assert high_end <= 100.5


def test_sustained_episodes_are_shaded_over_their_weeks(series):
    complete = [w for w in series if w.status != "partial"]
    episodes = episodes_of(complete, sustained_weeks=2)

    spec = figure_json(kpi_trend_figure("FRT", series, floor=93, episodes=episodes))

    rects = [s for s in spec["layout"]["shapes"] if s["type"] == "rect"]
    assert len(rects) == 1
    assert rects[0]["x0"] < str(week(3)) < str(week(4)) < rects[0]["x1"] < str(week(5))
    assert any(a["text"] == "sustained breach: 2 weeks" for a in spec["layout"]["annotations"])


def test_segments_are_drawn_on_demand_each_with_its_own_colour_and_dash(series):
    segments = {"L&R": series[:2], "Other": series[:2]}

    spec = figure_json(kpi_trend_figure("FRT", series, floor=93, segment_series=segments))

    names = [t["name"] for t in spec["data"]]
    assert names[:3] == ["Combined", "L&amp;R", "Other"]  # legend text is HTML to plotly: escaped, shows "L&R"
    assert trace(spec, "L&amp;R")["line"]["dash"] != trace(spec, "Other")["line"]["dash"]
    palette = set(OKABE_ITO.values())
    assert {trace(spec, name)["line"]["color"] for name in ("Combined", "L&amp;R", "Other")} <= palette
    assert len({colour for colour, _ in SEGMENT_STYLES.values()}) == len(SEGMENT_STYLES)


def test_annotations_are_vertical_markers_with_escaped_labels(series):
    notes = [{"date": week(3), "label": "Workgroup <FRT> opened", "kind": "formed"}]

    spec = figure_json(kpi_trend_figure("FRT", series, floor=93, annotations=notes))

    marker = next(s for s in spec["layout"]["shapes"] if s["type"] == "line" and s["xref"] == "x")
    assert marker["x0"] == marker["x1"] == str(week(3))
    assert "Workgroup &lt;FRT&gt; opened" in [a["text"] for a in spec["layout"]["annotations"]]


def test_marks_outside_the_charted_weeks_are_left_out_and_never_stretch_the_axis(series):
    weeks = [w.week for w in series]
    before = {"date": weeks[0] - dt.timedelta(days=1), "label": "Workgroup #1 formed", "kind": "formed"}
    last_sunday = {"date": weeks[-1] + dt.timedelta(days=6), "label": "Workgroup #1 closed", "kind": "closed"}
    after = {"date": weeks[-1] + dt.timedelta(days=7), "label": "Workgroup #2 formed", "kind": "formed"}

    inside, outside = split_marks([before, last_sunday, after], weeks)
    assert (inside, outside) == ([last_sunday], [before, after])
    spec = figure_json(kpi_trend_figure("FRT", series, floor=93, annotations=[before, last_sunday, after]))

    texts = [a["text"] for a in spec["layout"]["annotations"]]
    assert "Workgroup #1 closed" in texts and "Workgroup #1 formed" not in texts and "Workgroup #2 formed" not in texts
    start, end = (dt.datetime.fromisoformat(x) for x in spec["layout"]["xaxis"]["range"])
    assert start == dt.datetime.combine(weeks[0], dt.time()) - dt.timedelta(days=3, hours=12)
    assert end == dt.datetime.combine(last_sunday["date"], dt.time(12))  # the last week's Sunday, not a week later
    assert marks_outside_text(outside) == (
        f"Workgroup marks outside the chosen weeks, not drawn: 2 ({before['date']:%d %b %Y} to "
        f"{after['date']:%d %b %Y}). Widen the weeks to see them."
    )
    assert marks_outside_text([]) is None


def test_presentation_mode_uses_larger_type(series):
    normal = figure_json(kpi_trend_figure("FRT", series, floor=93))["layout"]
    shown = figure_json(kpi_trend_figure("FRT", series, floor=93, presentation=True))["layout"]

    assert shown["font"]["size"] > normal["font"]["size"]
    assert shown["height"] > normal["height"]


def test_an_empty_series_still_draws_the_floor():
    spec = figure_json(kpi_trend_figure("SSAT", [], floor=93, target=95))

    assert any(s.get("name") == "floor" and s["y0"] == 93 for s in spec["layout"]["shapes"])


def test_the_legend_sits_below_both_lines_of_the_date_ticks():
    # Ticks read "01 Jun" over "2026"; a legend nearer than about 0.15 of the plot hid the year.
    figure = kpi_trend_figure("FRT", [], floor=93.0)
    assert figure.layout.xaxis.tickformat == "%d %b\n%Y"
    assert figure.layout.legend.y <= -0.15


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("presentation", [False, True])
def test_tick_labels_are_never_hidden_and_have_room_from_the_first_draw(series, compact, presentation):
    # Plotly's default hides a tick label past the chart's edge (measuring each label again to find out); the
    # margins start where the labels push them, so the chart is drawn once (issue 26).
    figure = kpi_trend_figure("FRT", series, floor=93, compact=compact, presentation=presentation)
    layout = figure_json(figure)["layout"]
    assert layout["xaxis"]["ticklabeloverflow"] == layout["yaxis"]["ticklabeloverflow"] == "allow"
    assert layout["margin"]["l"] >= 41  # "98 %" in Streamlit's tick font
    assert layout["margin"]["b"] >= (33 if compact else 87)  # the week labels, and the legend below them


def test_the_chart_draws_both_sources_and_marks_only_the_flagged_weeks(demo_db):
    demo = store.connect(demo_db)
    result = reconcile.reconcile(demo, store.load_settings(demo))
    primary, secondary = result.series[("NRT", "GitLab SM")]
    comparisons = [c for c in result.comparisons if c.kpi == "NRT" and c.scope == "GitLab SM"]

    figure = reconciliation_figure("NRT", "GitLab SM", primary, secondary, comparisons, floor=83.0, tolerance=1.0)

    names = [trace.name for trace in figure.data]
    assert names[:2] == ["Explore", "Sisense"]
    flagged_trace = next(trace for trace in figure.data if trace.name.startswith("Beyond"))
    assert [str(week) for week in flagged_trace.x] == [str(c.week) for c in comparisons if c.flagged]
    assert len(flagged_trace.x) == 1
    assert {axis.ticklabeloverflow for axis in (*figure.select_xaxes(), *figure.select_yaxes())} == {"allow"}


def test_the_waterfall_writes_its_end_values_against_the_floor():
    decomposition = change_to_just_under_the_floor(FIRST + dt.timedelta(7))
    bars = figure_json(change_waterfall_figure(decomposition.to_json(), floor=93))["data"][0]
    assert bars["text"][0] == "94.0\u00a0%" and bars["text"][-1] == "92.96\u00a0%"
    assert "92.96\u00a0% of 2,500" in bars["customdata"][1]


def test_weekly_ticks_fall_on_the_mondays_weeks_are_named_by():
    weeks = [dt.date(2026, 6, 1) + dt.timedelta(days=7 * n) for n in range(26)]  # Mondays, 01 Jun to 23 Nov
    figure = figure_json(kpi_trend_figure("FRT", [value(n, 950, 1000) for n in range(26)], floor=93.0))
    axis = figure["layout"]["xaxis"]
    assert dt.date.fromisoformat(axis["tick0"]).weekday() == 0  # a Monday: the first charted week
    assert axis["dtick"] % (7 * 24 * 3600 * 1000) == 0  # whole weeks, so every tick is a Monday
    assert len(range(0, len(weeks), axis["dtick"] // (7 * 24 * 3600 * 1000))) <= 9


def test_the_sustained_breach_label_sits_above_the_plot_and_ends_with_a_recent_breach(series):
    episodes = episodes_of([*series[:3], value(3, 900, 1000), value(4, 910, 1000)], sustained_weeks=2)
    figure = figure_json(kpi_trend_figure("FRT", series, floor=93.0, episodes=episodes))
    [label] = [a for a in figure["layout"]["annotations"] if a["text"].startswith("sustained breach")]
    # Above the plot (where no mark's rotated label reaches), anchored at its right end: never cut at the edge.
    assert (label["y"], label["yanchor"], label["xanchor"]) == (1, "bottom", "right")
