"""Explain a KPI change: where it comes from, how sure a weekly value is, and this week's risk.

This module reads the counts and answers the questions; each piece of arithmetic has a module of its own:

- ``lib.metrics.shift_share``: ``decompose`` splits the change in a pooled value between two periods into
  one exact contribution per slice of a dimension (segment, region, ticket form; ticket group and priority
  where the exports had them, from dimension_counts) (DECISIONS.md §16). ``explain`` picks the periods and
  the counts; ``describe`` says the split in one sentence.
- ``lib.metrics.intervals``: ``wilson``, the 95 % Wilson score interval of a weekly value's counts (§17).
- ``lib.metrics.volume``: ``volume_check`` puts a week's counted events against the previous eight weeks (§18).
- ``lib.metrics.week_so_far``: the partial week, its value so far, the share of a usual week's volume
  already in, and the rate the rest of the week must exceed to end above the floor (§19).

Their names answer to ``explain.<name>`` too (``__all__``), so a caller needs one import.

Counts come from the stored weekly counts, aggregated in DuckDB by ``lib.store.figures``; the upload that
speaks for each week is chosen by ``lib.store.figures.CHOSEN_WEEKS_SQL``, the query every page uses, so the
two periods' values here are the values the charts show.
"""

from __future__ import annotations

import datetime as dt

from lib.core.kpis import UnknownKpi, kpi_keys
from lib.core.settings import COMBINED_SEGMENTS, Settings
from lib.core.text import format_percent, format_points
from lib.metrics.intervals import interval_text, rounded_interval, wilson, wilson_percent
from lib.metrics.kpis import KpiSummary, WeekValue, build_series, fetch_cells, week_step
from lib.metrics.shift_share import SMALL_GROUP, CannotExplain, Decomposition, Slice, decompose, rounded_to_sum
from lib.metrics.volume import USUAL_VOLUME_WEEKS, VolumeCheck, volume_check, volume_frame_rows
from lib.metrics.week_so_far import WeekSoFar, week_so_far
from lib.store import figures

__all__ = [
    "AGAINST",
    "DIMENSION_CHOICES",
    "SHOWN_DECIMALS",
    "SMALL_GROUP",
    "USUAL_VOLUME_WEEKS",
    "CannotExplain",
    "Decomposition",
    "Slice",
    "VolumeCheck",
    "WeekSoFar",
    "decompose",
    "default_against",
    "describe",
    "dimension_label",
    "dimensions_in_data",
    "explain",
    "explain_periods",
    "interval_text",
    "own_rate",
    "rounded_to_sum",
    "slice_counts",
    "status_additions",
    "volume_check",
    "volume_frame_rows",
    "week_so_far",
    "wilson",
    "wilson_percent",
]

AGAINST = {
    "breach": "the breach against the four weeks before it",
    "previous": "the week before",
    "mean4": "the four weeks before, pooled",
}
BASELINE_WEEKS = {"breach": 4, "previous": 1, "mean4": 4}
# Of every stored weekly row (the slice each row falls in: lib.store.figures.ROW_SLICES): label.
DIMENSIONS = {"segment": "Segment", "region": "Region", "form": "Ticket form"}
# Kept in dimension_counts, beside the weekly counts, for the uploads whose export had the column:
# (label, the slice of an empty cell).
SLICED = {
    "group": ("Ticket group", "(no group)"),
    "priority": ("Priority", "(no priority)"),
}
DIMENSION_CHOICES = (*DIMENSIONS, *SLICED)


def dimension_label(by: str) -> str:
    return DIMENSIONS[by] if by in DIMENSIONS else SLICED[by][0] if by in SLICED else by


def dimensions_in_data(con, kpi: str) -> tuple[str, ...]:
    """The dimensions a change in ``kpi`` can be split by: segment, region and form always; group and
    priority when an active upload kept them."""
    kept = figures.dimensions_kept(con, kpi)
    return (*DIMENSIONS, *(by for by in SLICED if by in kept))


def slice_counts(
    con,
    kpi: str,
    weeks: list[dt.date],
    by: str,
    *,
    segments=COMBINED_SEGMENTS,
    region: str | None = None,
    layer: str = "display",
) -> dict[dt.date, dict[str, tuple[int, int]]]:
    """Per week, per slice of ``by``: (good, counted), pooled over ``segments`` as the charts pool them."""
    filters = {"segments": segments, "region": region, "layer": layer}
    if by in DIMENSIONS:
        rows = figures.counts_by_row_slice(con, kpi, weeks, by, **filters)
    elif by in SLICED:
        combined = figures.counts_by_row_slice(con, kpi, weeks, "all", **filters)
        rows = figures.counts_by_kept_slice(con, kpi, weeks, by, **filters)
        _refuse_unsliced_weeks(con, by, combined, rows)
        rows = [(week, upload, name or SLICED[by][1], *rest) for week, upload, name, *rest in rows]
    else:
        raise CannotExplain(f"a change cannot be split by {by!r}; choose one of {', '.join(DIMENSION_CHOICES)}")
    _refuse_percentages(rows)
    counts: dict[dt.date, dict[str, tuple[int, int]]] = {week: {} for week in weeks}
    for week, _, name, good, total, _ in rows:
        # Added, never overwritten: an empty cell and a cell reading "(no group)" share one name, and
        # each row set is disjoint, so the slices must still add up to the combined value.
        before_good, before_total = counts[week].get(name, (0, 0))
        counts[week][name] = (before_good + int(good or 0), before_total + int(total or 0))
    return counts


def _refuse_percentages(rows: list[tuple]) -> None:
    for week, _, _, _, _, percentage_rows in rows:
        if percentage_rows:
            raise CannotExplain(
                f"the week of {week:%d %b %Y} comes from an export that gave a percentage without counts, "
                "which cannot be split"
            )


def _refuse_unsliced_weeks(con, by: str, combined: list[tuple], sliced: list[tuple]) -> None:
    """Refuse, naming the uploads, unless each week's slices add up exactly to the value the charts show.

    An upload of an export without the column, or stored before Floorline kept it, has no slices.
    """
    label = SLICED[by][0]
    _refuse_percentages(combined)
    sums: dict[tuple, list[int]] = {}
    for week, upload, _, good, total, _ in sliced:
        cell = sums.setdefault((week, upload), [0, 0])
        cell[0] += int(good or 0)
        cell[1] += int(total or 0)
    lacking = sorted(
        {
            (upload, week)
            for week, upload, _, good, total, _ in combined
            if sums.get((week, upload)) != [int(good or 0), int(total or 0)]
        }
    )
    if not lacking:
        return
    ids = sorted({upload for upload, _ in lacking})
    names = figures.upload_file_names(con, ids)
    uploads = "; ".join(
        f"upload {upload} ({names.get(upload, 'unknown file')}) for the week"
        + ("s" if len(weeks) > 1 else "")
        + " of "
        + ", ".join(f"{week:%d %b %Y}" for week in weeks)
        for upload in ids
        for weeks in [[week for u, week in lacking if u == upload]]
    )
    raise CannotExplain(
        f"{label} is not kept with the counts of {uploads}: the export had no {label} column, or it was stored "
        f"before Floorline kept {label.lower()}. Upload that export again with a '{label}' column (in Explore, add "
        f"the {label} attribute to the rows) to split by it, or choose segment, region or ticket form"
    )


def _pooled(counts: dict[dt.date, dict[str, tuple[int, int]]], weeks) -> dict[str, tuple[int, int]]:
    result: dict[str, tuple[int, int]] = {}
    for week in weeks:
        for name, (good, total) in counts.get(week, {}).items():
            old_good, old_total = result.get(name, (0, 0))
            result[name] = (old_good + good, old_total + total)
    return {name: cell for name, cell in result.items() if cell[1]}


def explain_periods(
    con,
    kpi: str,
    weeks1: list[dt.date],
    weeks0: list[dt.date],
    by: str,
    *,
    min_events: int,
    segments=COMBINED_SEGMENTS,
    region: str | None = None,
    layer: str = "display",
) -> Decomposition:
    """The change from the pooled weeks ``weeks0`` to the pooled weeks ``weeks1``, split by ``by``."""
    if kpi not in kpi_keys():
        raise CannotExplain(UnknownKpi(kpi).message)
    counts = slice_counts(con, kpi, [*weeks0, *weeks1], by, segments=segments, region=region, layer=layer)
    counts0, counts1 = _pooled(counts, weeks0), _pooled(counts, weeks1)
    if not counts1:
        raise CannotExplain(f"{kpi} has no counted events in the week of {weeks1[-1]:%d %b %Y}")
    used0 = [w for w in weeks0 if any(t for _, t in counts[w].values())]
    if not used0:
        raise CannotExplain(f"{kpi} has no counted events in the weeks it would be compared with")
    slices, _ = decompose(counts0, counts1, min_events)
    decomposition = Decomposition(
        kpi,
        by,
        tuple(used0),
        tuple(weeks1),
        sum(g for g, _ in counts0.values()),
        sum(t for _, t in counts0.values()),
        sum(g for g, _ in counts1.values()),
        sum(t for _, t in counts1.values()),
        slices,
        min_events,
    )
    missing = [w for w in weeks0 if w not in used0]
    if missing:
        decomposition.notes.append(
            "no figures for " + ", ".join(f"{w:%d %b}" for w in missing) + ": compared with the other weeks only"
        )
    return decomposition


def _breach_run(series: list[WeekValue], week: dt.date) -> list[dt.date]:
    """The consecutive complete weeks at or below the floor that end with ``week``; empty when it is above."""
    by_week = {w.week: w for w in series}
    run: list[dt.date] = []
    while (found := by_week.get(week)) is not None and found.status == "breach":
        run.insert(0, week)
        week = week_step(week, -1)
    return run


def _breach_comparison(series: list[WeekValue], week: dt.date) -> tuple[list[dt.date], list[dt.date]] | None:
    """(the breach weeks ending with ``week``, the four weeks before the breach began), or None above the floor."""
    run = _breach_run(series, week)
    if not run:
        return None
    return run, [week_step(run[0], -n) for n in range(BASELINE_WEEKS["breach"], 0, -1)]


def default_against(series: list[WeekValue], week: dt.date) -> str:
    """A breached week is explained as the breach against the weeks before it; any other against the week before."""
    return "breach" if _breach_run(series, week) else "previous"


def explain(
    con,
    settings: Settings,
    kpi: str,
    week: dt.date,
    *,
    against: str = "previous",
    by: str = "segment",
    segments=COMBINED_SEGMENTS,
    region: str | None = None,
    layer: str = "display",
    min_events: int | None = None,
) -> Decomposition:
    """Why ``kpi`` in ``week`` differs from the week before (``previous``), the four before (``mean4``), or,
    for a week at or below the floor, why the breach weeks up to it differ from the four weeks before the
    breach began (``breach``, both pooled).

    ``min_events`` overrides the setting ``min_slice_events`` (slices under it in both periods are grouped).
    """
    if against not in AGAINST:
        raise CannotExplain(f"compare against {', '.join(AGAINST)}, not {against!r}")
    if kpi not in kpi_keys():
        raise CannotExplain(UnknownKpi(kpi).message)
    weeks1 = [week]
    weeks0 = [week_step(week, -n) for n in range(BASELINE_WEEKS[against], 0, -1)]
    if against == "breach":
        cells = fetch_cells(con, region=region)
        series = build_series(cells, kpi, settings.floors[kpi], layer=layer, segments=segments)
        periods = _breach_comparison(series, week)
        if periods is None:
            raise CannotExplain(
                f"{kpi} is above its floor in the week of {week:%d %b %Y}, so there is no breach to compare with "
                "the weeks before it; compare with the week before instead"
            )
        weeks1, weeks0 = periods
    return explain_periods(
        con,
        kpi,
        weeks1,
        weeks0,
        by,
        min_events=settings.min_slice_events if min_events is None else min_events,
        segments=segments,
        region=region,
        layer=layer,
    )


# The waterfall writes each contribution with two decimals; the sentence beside it uses the same.
SHOWN_DECIMALS = 2
# One slice carries a change when it gives at least this share of it and twice as much as the next one.
_CARRIES_SHARE = 0.6


def _period_text(weeks: tuple[dt.date, ...]) -> str:
    if len(weeks) == 1:
        return f"week of {weeks[0]:%d %b %Y}"
    return f"{len(weeks)} weeks {weeks[0]:%d %b}–{weeks[-1]:%d %b %Y}"


def _shown_points(value: float) -> str:
    return format_points(value, SHOWN_DECIMALS)


def describe(decomposition: Decomposition, floor: float | None = None) -> str:
    """One sentence that claims no more than the waterfall beside it shows.

    It names the largest contributors with their values as the waterfall writes them (two decimals),
    says when no single slice carries the change, and calls a change too small for two decimals
    unchanged at that precision. Values are written by ``format_percent`` against the KPI's ``floor``,
    so none reads as on the floor.
    """
    shown = decomposition.to_json()
    change = shown["total_change"]
    label = dimension_label(decomposition.dimension).lower()
    value0, value1 = float(decomposition.value0), float(decomposition.value1)
    if decomposition.total_change == 0:
        return (
            f"No change: {format_percent(value1, floor)} in the {_period_text(decomposition.weeks0)} and in the "
            f"{_period_text(decomposition.weeks1)}, by {label}."
        )
    before, after = _distinct_percents(value0, value1, floor)
    span = (
        f"{before} in the {_period_text(decomposition.weeks0)} → {after} in the {_period_text(decomposition.weeks1)}, "
        f"by {label}"
    )
    if round(change, SHOWN_DECIMALS) == 0:
        return f"Unchanged at this precision ({_shown_points(change)}): {span}."
    slices = {s.name: s for s in decomposition.slices}
    named = [(entry["slice"], entry["contribution"]) for entry in shown["slices"] if entry["contribution"]]
    along = sorted((c for c in named if (c[1] < 0) == (change < 0)), key=lambda c: -abs(c[1]))
    against = sorted((c for c in named if (c[1] < 0) != (change < 0)), key=lambda c: -abs(c[1]))
    direction = "drop" if change < 0 else "rise"
    whole = f"{direction} of {_shown_points(change)} ({span})"
    other_way = ""
    if against:
        other_way = "; " + ", ".join(f"{name} {_shown_points(value)}" for name, value in against[:2])
        other_way += (
            " moved it the other way" if len(against) <= 2 else f" and {len(against) - 2} more moved it the other way"
        )
    top_name, top_value = along[0]
    next_value = abs(along[1][1]) if len(along) > 1 else 0.0
    if abs(top_value) < _CARRIES_SHARE * abs(change) or abs(top_value) < 2 * next_value:
        largest = ", ".join(f"{name}{_too_small(slices[name])} {_shown_points(value)}" for name, value in along[:3])
        return f"No single {label} carries the {whole}: the largest are {largest}{other_way}."
    top = slices[top_name]
    following = f"; next, {along[1][0]} {_shown_points(along[1][1])}" if len(along) > 1 else ""
    if abs(top_value) > abs(change):
        return (
            f"{top_name}{_too_small(top)} moved it {_shown_points(top_value)}{own_rate(top, floor)}, more than the "
            f"whole {whole}{other_way}."
        )
    carried = f"{_shown_points(top_value)}{own_rate(top, floor)}{following}{other_way}"
    return f"{top_name}{_too_small(top)} carries most of the {whole}: {carried}."


def _distinct_percents(before: float, after: float, floor: float | None) -> tuple[str, str]:
    """Two different values written so that they read differently (more decimals where one is not enough)."""
    written = format_percent(before, floor), format_percent(after, floor)
    decimals = 2
    while written[0] == written[1] and decimals <= 4:
        written = f"{before:.{decimals}f}\u00a0%", f"{after:.{decimals}f}\u00a0%"
        decimals += 1
    return written


def _too_small(piece: Slice) -> str:
    return " (too few events to judge)" if piece.small else ""


def own_rate(piece: Slice, floor: float | None) -> str:
    """The slice's own value in both periods, in brackets: held, or moved by how many points."""
    if piece.rate1 is None:
        return " (it had no events in the later period)"
    if piece.rate0 is None:
        return " (it had no events before)"
    before, after = _distinct_percents(float(piece.rate0), float(piece.rate1), floor)
    moved = float(piece.rate1 - piece.rate0)
    if moved == 0:
        return f" (its own rate held at {after}: its share of the volume moved)"
    verb = "fell" if moved < 0 else "rose"
    return f" (its own rate {verb} {format_points(abs(moved)).lstrip('+')}, {before} → {after})"


def status_additions(con, summaries: dict[str, KpiSummary], settings: Settings) -> dict[str, dict]:
    """Per KPI: each weekly value's 95 % interval, and the partial week so far (or None)."""
    additions = {}
    for kpi, summary in summaries.items():
        so_far = week_so_far(con, summary, settings)
        threshold = so_far.rest_must_exceed if so_far else None
        additions[kpi] = {
            "weekly_interval_95": {
                str(w.week): rounded_interval(w.good, w.total) for w in summary.series if w.status in ("ok", "breach")
            },
            "week_so_far": None
            if so_far is None
            else {
                "week": str(so_far.week),
                "through": str(so_far.last_day),
                "value": round(so_far.value, 4),
                "good": so_far.good,
                "total": so_far.total,
                "interval_95": rounded_interval(so_far.good, so_far.total),
                "usual_weekly_total": None if so_far.usual_volume is None else round(so_far.usual_volume, 2),
                "share_of_usual_volume": None if so_far.share_of_usual is None else round(so_far.share_of_usual, 4),
                "rest_must_exceed": None if threshold is None else round(float(threshold), 4),
                "statement": so_far.describe(),
            },
        }
    return additions
