"""Explain a KPI change: where it comes from, how sure a weekly value is, and this week's risk.

- ``decompose`` splits the change in a pooled (combined) value between two periods into one
  contribution per slice of a dimension (segment, region, ticket form; ticket group and
  priority where the exports had them, from dimension_counts), each made of a
  *rate* part (the slice's own value moved) and a *mix* part (the slice's share of the
  volume moved). The parts are exact fractions and sum exactly to the total change
  (DECISIONS.md §16).
- ``wilson`` is the 95 % Wilson score interval of a weekly value's counts (§17).
- ``volume_check`` puts a week's counted events against the previous eight weeks (§18).
- ``week_so_far`` is the partial week: its value so far, the share of a usual week's volume
  already in, and the rate the rest of the week must exceed to end above the floor (§19).

Counts come from the stored weekly counts, aggregated in DuckDB; the upload that speaks for
each week is chosen by ``lib.metrics.kpis.CHOSEN_WEEKS_SQL``, the query every page uses, so the two
periods' values here are the values the charts show.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from fractions import Fraction

from lib.core.kpis import get_kpi, kpi_keys
from lib.core.settings import COMBINED_SEGMENTS, Settings
from lib.core.text import format_percent, format_points
from lib.metrics.kpis import (
    CHOSEN_WEEKS_SQL,
    SEGMENT_OF_ROW,
    KpiSummary,
    WeekValue,
    at_or_below,
    build_series,
    fetch_cells,
    week_step,
)

# z for a two-sided 95 % interval (the 97.5th percentile of the standard normal).
Z95 = 1.959963984540054
AGAINST = {
    "breach": "the breach against the four weeks before it",
    "previous": "the week before",
    "mean4": "the four weeks before, pooled",
}
BASELINE_WEEKS = {"breach": 4, "previous": 1, "mean4": 4}
USUAL_VOLUME_WEEKS = 8
DIMENSIONS = {
    "segment": ("Segment", SEGMENT_OF_ROW),
    "region": ("Region", "coalesce(w.region, '(no region)')"),
    "form": ("Ticket form", f"coalesce(w.form, '(no form: ' || {SEGMENT_OF_ROW} || ')')"),
}
# Kept in dimension_counts, beside the weekly counts, for the uploads whose export had the column:
# (label, the slice of an empty cell).
SLICED = {
    "group": ("Ticket group", "(no group)"),
    "priority": ("Priority", "(no priority)"),
}
DIMENSION_CHOICES = (*DIMENSIONS, *SLICED)
SMALL_GROUP = "Small slices"


class CannotExplain(ValueError):
    """The data cannot answer this question; ``message`` says why in words a manager can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def dimension_label(by: str) -> str:
    return DIMENSIONS[by][0] if by in DIMENSIONS else SLICED[by][0] if by in SLICED else by


def dimensions_in_data(con, kpi: str) -> tuple[str, ...]:
    """The dimensions a change in ``kpi`` can be split by: segment, region and form always; group and
    priority when an active upload kept them."""
    kept = {
        dimension
        for (dimension,) in con.execute(
            """SELECT DISTINCT d.dimension FROM dimension_counts d JOIN uploads u ON u.id = d.upload_id
               WHERE u.status = 'active' AND d.kpi = ?""",
            [kpi],
        ).fetchall()
    }
    return (*DIMENSIONS, *(by for by in SLICED if by in kept))


# --- Wilson score interval ------------------------------------------------------------------------------


def wilson(good: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``good`` of ``total`` as fractions (no continuity correction)."""
    if not total:
        return None
    p = good / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_percent(good: int | None, total: int | None) -> tuple[float, float] | None:
    if good is None or not total:
        return None
    low, high = wilson(good, total)
    return 100 * low, 100 * high


def interval_text(good: int | None, total: int | None) -> str:
    interval = wilson_percent(good, total)
    return "" if interval is None else f"95 % interval {interval[0]:.1f}–{interval[1]:.1f} %"


# --- the decomposition ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slice:
    name: str
    good0: int
    total0: int
    good1: int
    total1: int
    share0: Fraction
    share1: Fraction
    rate0: Fraction | None  # percent; None when the slice has no events in that period
    rate1: Fraction | None
    rate_part: Fraction  # points of the total change
    mix_part: Fraction
    small: bool = False  # fewer than the minimum of events in both periods: too small to judge
    members: tuple[str, ...] = ()  # the slices grouped into "Small slices"

    @property
    def contribution(self) -> Fraction:
        return self.rate_part + self.mix_part


@dataclass
class Decomposition:
    kpi: str
    dimension: str
    weeks0: tuple[dt.date, ...]
    weeks1: tuple[dt.date, ...]
    good0: int
    total0: int
    good1: int
    total1: int
    slices: list[Slice]
    min_events: int
    notes: list[str] = field(default_factory=list)

    @property
    def value0(self) -> Fraction:
        return Fraction(100 * self.good0, self.total0)

    @property
    def value1(self) -> Fraction:
        return Fraction(100 * self.good1, self.total1)

    @property
    def total_change(self) -> Fraction:
        return self.value1 - self.value0

    def rounded_parts(self, decimals: int = 4) -> list[tuple[float, float]]:
        """Each slice's (rate, mix) rounded so that, rounded, they still sum to the rounded total change."""
        exact = [part for s in self.slices for part in (s.rate_part, s.mix_part)]
        flat = rounded_to_sum(exact, self.total_change, decimals)
        return [(flat[2 * i], flat[2 * i + 1]) for i in range(len(self.slices))]

    def to_json(self) -> dict:
        parts = self.rounded_parts()
        return {
            "kpi": self.kpi,
            "by": self.dimension,
            "week": str(self.weeks1[-1]),
            "weeks": [str(w) for w in self.weeks1],
            "against_weeks": [str(w) for w in self.weeks0],
            "value": round(float(self.value1), 4),
            "good": self.good1,
            "total": self.total1,
            "against_value": round(float(self.value0), 4),
            "against_good": self.good0,
            "against_total": self.total0,
            "total_change": round(self.total_change * 10**4) / 10**4,  # as rounded_to_sum rounds it
            "min_events": self.min_events,
            "slices": [
                {
                    "slice": s.name,
                    "good": s.good1,
                    "total": s.total1,
                    "value": None if s.rate1 is None else round(float(s.rate1), 4),
                    "against_good": s.good0,
                    "against_total": s.total0,
                    "against_value": None if s.rate0 is None else round(float(s.rate0), 4),
                    "share": round(float(s.share1), 6),
                    "against_share": round(float(s.share0), 6),
                    "rate_part": rate,
                    "mix_part": mix,
                    "contribution": round(rate + mix, 4),
                    "too_small": s.small,
                    "grouped": list(s.members),
                }
                for s, (rate, mix) in zip(self.slices, parts, strict=True)
            ],
            "notes": self.notes,
        }


def rounded_to_sum(parts: list[Fraction], total: Fraction, decimals: int) -> list[float]:
    """Round ``parts`` to ``decimals`` so that they sum exactly to ``total`` rounded (largest remainder)."""
    scale = 10**decimals
    target = round(total * scale)
    floors = [math.floor(p * scale) for p in parts]
    remainders = sorted(range(len(parts)), key=lambda i: parts[i] * scale - floors[i], reverse=True)
    for i in remainders[: target - sum(floors)]:
        floors[i] += 1
    return [units / scale for units in floors]


def decompose(
    counts0: dict[str, tuple[int, int]], counts1: dict[str, tuple[int, int]], min_events: int = 0
) -> tuple[list[Slice], Fraction]:
    """Shift-share split of V1 − V0 over slices, exact (DECISIONS.md §16).

    ``counts`` map a slice to (good, total) in each period. With shares s = n_i / N and
    rates r = 100 g_i / n_i, the pooled value is V = Σ s_i r_i and

        rate_i = (s0_i + s1_i) / 2 × (r1_i − r0_i)
        mix_i  = ((r0_i + r1_i) / 2 − (V0 + V1) / 2) × (s1_i − s0_i)

    which sum exactly to V1 − V0 (Σ Δs_i = 0 lets the mix part be measured from the mean
    value, so a growing slice that runs below average pulls the total down). A slice in
    one period only takes its rate from the other period: its rate part is 0 and all of
    its contribution is mix. Slices with fewer than ``min_events`` in both periods are
    grouped into one "Small slices" slice before splitting.
    """
    total0 = sum(t for _, t in counts0.values())
    total1 = sum(t for _, t in counts1.values())
    if not total0 or not total1:
        raise CannotExplain("one of the two periods has no counted events")
    names = sorted(set(counts0) | set(counts1))
    small = [n for n in names if max(counts0.get(n, (0, 0))[1], counts1.get(n, (0, 0))[1]) < min_events]
    groups = [(n, (n,), False) for n in names if n not in small]
    if len(small) > 1:
        groups.append((f"{SMALL_GROUP} ({len(small)})", tuple(small), True))
    elif small:  # one small slice alone is not grouped, but is still too small to judge
        groups.append((small[0], (small[0],), True))
    value0 = Fraction(100 * sum(g for g, _ in counts0.values()), total0)
    value1 = Fraction(100 * sum(g for g, _ in counts1.values()), total1)
    mean_value = (value0 + value1) / 2
    slices = []
    for name, keys, too_small in groups:
        good0 = sum(counts0.get(k, (0, 0))[0] for k in keys)
        n0 = sum(counts0.get(k, (0, 0))[1] for k in keys)
        good1 = sum(counts1.get(k, (0, 0))[0] for k in keys)
        n1 = sum(counts1.get(k, (0, 0))[1] for k in keys)
        share0, share1 = Fraction(n0, total0), Fraction(n1, total1)
        rate0 = Fraction(100 * good0, n0) if n0 else None
        rate1 = Fraction(100 * good1, n1) if n1 else None
        # A slice missing from a period keeps the other period's rate: no rate change, all mix.
        r0 = rate0 if rate0 is not None else rate1
        r1 = rate1 if rate1 is not None else rate0
        rate_part = (share0 + share1) / 2 * (r1 - r0)
        mix_part = ((r0 + r1) / 2 - mean_value) * (share1 - share0)
        members = keys if len(keys) > 1 else ()
        slices.append(
            Slice(name, good0, n0, good1, n1, share0, share1, rate0, rate1, rate_part, mix_part, too_small, members)
        )
    return slices, value1 - value0


# The upload speaking for each KPI and week in a layer; "display" takes the primary's where it has one.
SPEAKING_UPLOADS_SQL = f"""
WITH chosen AS ({CHOSEN_WEEKS_SQL})
SELECT kpi, week, complete, upload_id FROM chosen
WHERE $layer = 'display' OR layer = $layer
QUALIFY row_number() OVER (PARTITION BY kpi, week ORDER BY layer = 'primary' DESC) = 1
"""


def counted_rows(con, kpi, weeks, table, expression, *, dimension, segments, region, layer) -> list[tuple]:
    """(week, upload, slice, good, counted, rows with a percentage only) of the speaking uploads.

    ``table``: weekly_counts, or dimension_counts with the ``dimension`` its slices belong to.
    """
    parameters = {"kpi": kpi, "weeks": list(weeks), "segments": list(segments), "region": region, "layer": layer}
    of_dimension, percentage_only = "", "count(*) FILTER (WHERE w.good IS NULL AND w.pct IS NOT NULL)"
    if dimension is not None:  # slices are only ever counts
        of_dimension, percentage_only = "AND w.dimension = $dimension", "0"
        parameters["dimension"] = dimension
    return con.execute(
        f"""WITH picked AS ({SPEAKING_UPLOADS_SQL})
            SELECT p.week, p.upload_id, {expression} AS slice, sum(w.good), sum(w.total), {percentage_only}
            FROM picked p
            JOIN {table} w ON w.upload_id = p.upload_id AND w.kpi = p.kpi AND w.week = p.week
            LEFT JOIN form_segments m ON m.form_key = lower(w.form)
            WHERE p.kpi = $kpi AND list_contains($weeks, p.week)
              AND list_contains($segments, {SEGMENT_OF_ROW})
              AND ($region IS NULL OR w.region = $region)
              {of_dimension}
            GROUP BY ALL""",
        parameters,
    ).fetchall()


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
        rows = counted_rows(con, kpi, weeks, "weekly_counts", DIMENSIONS[by][1], dimension=None, **filters)
    elif by in SLICED:
        combined = counted_rows(con, kpi, weeks, "weekly_counts", "'all'", dimension=None, **filters)
        rows = counted_rows(con, kpi, weeks, "dimension_counts", "w.slice", dimension=by, **filters)
        refuse_unsliced_weeks(con, by, combined, rows)
        rows = [(week, upload, name or SLICED[by][1], *rest) for week, upload, name, *rest in rows]
    else:
        raise CannotExplain(f"a change cannot be split by {by!r}; choose one of {', '.join(DIMENSION_CHOICES)}")
    refuse_percentages(rows)
    counts: dict[dt.date, dict[str, tuple[int, int]]] = {week: {} for week in weeks}
    for week, _, name, good, total, _ in rows:
        # Added, never overwritten: an empty cell and a cell reading "(no group)" share one name, and
        # each row set is disjoint, so the slices must still add up to the combined value.
        before_good, before_total = counts[week].get(name, (0, 0))
        counts[week][name] = (before_good + int(good or 0), before_total + int(total or 0))
    return counts


def refuse_percentages(rows: list[tuple]) -> None:
    for week, _, _, _, _, percentage_rows in rows:
        if percentage_rows:
            raise CannotExplain(
                f"the week of {week:%d %b %Y} comes from an export that gave a percentage without counts, "
                "which cannot be split"
            )


def refuse_unsliced_weeks(con, by: str, combined: list[tuple], sliced: list[tuple]) -> None:
    """Refuse, naming the uploads, unless each week's slices add up exactly to the value the charts show.

    An upload of an export without the column, or stored before Floorline kept it, has no slices.
    """
    label = SLICED[by][0]
    refuse_percentages(combined)
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
    names = dict(
        con.execute("SELECT id, file_name FROM uploads WHERE list_contains($ids, id)", {"ids": ids}).fetchall()
    )
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


def pooled(counts: dict[dt.date, dict[str, tuple[int, int]]], weeks) -> dict[str, tuple[int, int]]:
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
        raise CannotExplain(f"unknown KPI {kpi!r}; expected one of {', '.join(kpi_keys())}")
    counts = slice_counts(con, kpi, [*weeks0, *weeks1], by, segments=segments, region=region, layer=layer)
    counts0, counts1 = pooled(counts, weeks0), pooled(counts, weeks1)
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


def breach_run(series: list[WeekValue], week: dt.date) -> list[dt.date]:
    """The consecutive complete weeks at or below the floor that end with ``week``; empty when it is above."""
    by_week = {w.week: w for w in series}
    run: list[dt.date] = []
    while (found := by_week.get(week)) is not None and found.status == "breach":
        run.insert(0, week)
        week = week_step(week, -1)
    return run


def breach_comparison(series: list[WeekValue], week: dt.date) -> tuple[list[dt.date], list[dt.date]] | None:
    """(the breach weeks ending with ``week``, the four weeks before the breach began), or None above the floor."""
    run = breach_run(series, week)
    if not run:
        return None
    return run, [week_step(run[0], -n) for n in range(BASELINE_WEEKS["breach"], 0, -1)]


def default_against(series: list[WeekValue], week: dt.date) -> str:
    """A breached week is explained as the breach against the weeks before it; any other against the week before."""
    return "breach" if breach_run(series, week) else "previous"


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
        raise CannotExplain(f"unknown KPI {kpi!r}; expected one of {', '.join(kpi_keys())}")
    weeks1 = [week]
    weeks0 = [week_step(week, -n) for n in range(BASELINE_WEEKS[against], 0, -1)]
    if against == "breach":
        cells = fetch_cells(con, region=region)
        series = build_series(cells, kpi, settings.floors[kpi], layer=layer, segments=segments)
        periods = breach_comparison(series, week)
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
CARRIES_SHARE = 0.6


def period_text(weeks: tuple[dt.date, ...]) -> str:
    if len(weeks) == 1:
        return f"week of {weeks[0]:%d %b %Y}"
    return f"{len(weeks)} weeks {weeks[0]:%d %b}–{weeks[-1]:%d %b %Y}"


def shown_points(value: float) -> str:
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
            f"No change: {format_percent(value1, floor)} in the {period_text(decomposition.weeks0)} and in the "
            f"{period_text(decomposition.weeks1)}, by {label}."
        )
    before, after = distinct_percents(value0, value1, floor)
    span = (
        f"{before} in the {period_text(decomposition.weeks0)} → {after} in the {period_text(decomposition.weeks1)}, "
        f"by {label}"
    )
    if round(change, SHOWN_DECIMALS) == 0:
        return f"Unchanged at this precision ({shown_points(change)}): {span}."
    slices = {s.name: s for s in decomposition.slices}
    named = [(entry["slice"], entry["contribution"]) for entry in shown["slices"] if entry["contribution"]]
    along = sorted((c for c in named if (c[1] < 0) == (change < 0)), key=lambda c: -abs(c[1]))
    against = sorted((c for c in named if (c[1] < 0) != (change < 0)), key=lambda c: -abs(c[1]))
    direction = "drop" if change < 0 else "rise"
    whole = f"{direction} of {shown_points(change)} ({span})"
    other_way = ""
    if against:
        other_way = "; " + ", ".join(f"{name} {shown_points(value)}" for name, value in against[:2])
        other_way += (
            " moved it the other way" if len(against) <= 2 else f" and {len(against) - 2} more moved it the other way"
        )
    top_name, top_value = along[0]
    next_value = abs(along[1][1]) if len(along) > 1 else 0.0
    if abs(top_value) < CARRIES_SHARE * abs(change) or abs(top_value) < 2 * next_value:
        largest = ", ".join(f"{name}{too_small(slices[name])} {shown_points(value)}" for name, value in along[:3])
        return f"No single {label} carries the {whole}: the largest are {largest}{other_way}."
    top = slices[top_name]
    following = f"; next, {along[1][0]} {shown_points(along[1][1])}" if len(along) > 1 else ""
    if abs(top_value) > abs(change):
        return (
            f"{top_name}{too_small(top)} moved it {shown_points(top_value)}{own_rate(top, floor)}, more than the "
            f"whole {whole}{other_way}."
        )
    carried = f"{shown_points(top_value)}{own_rate(top, floor)}{following}{other_way}"
    return f"{top_name}{too_small(top)} carries most of the {whole}: {carried}."


def distinct_percents(before: float, after: float, floor: float | None) -> tuple[str, str]:
    """Two different values written so that they read differently (more decimals where one is not enough)."""
    written = format_percent(before, floor), format_percent(after, floor)
    decimals = 2
    while written[0] == written[1] and decimals <= 4:
        written = f"{before:.{decimals}f}\u00a0%", f"{after:.{decimals}f}\u00a0%"
        decimals += 1
    return written


def too_small(piece: Slice) -> str:
    return " (too few events to judge)" if piece.small else ""


def own_rate(piece: Slice, floor: float | None) -> str:
    """The slice's own value in both periods, in brackets: held, or moved by how many points."""
    if piece.rate1 is None:
        return " (it had no events in the later period)"
    if piece.rate0 is None:
        return " (it had no events before)"
    before, after = distinct_percents(float(piece.rate0), float(piece.rate1), floor)
    moved = float(piece.rate1 - piece.rate0)
    if moved == 0:
        return f" (its own rate held at {after}: its share of the volume moved)"
    verb = "fell" if moved < 0 else "rose"
    return f" (its own rate {verb} {format_points(abs(moved)).lstrip('+')}, {before} → {after})"


# --- volume ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeCheck:
    week: dt.date
    total: int | None
    usual: float | None  # mean counted events per week over the previous weeks with a value
    low: int | None
    high: int | None
    weeks_used: int

    @property
    def ratio(self) -> float | None:
        return None if self.total is None or not self.usual else self.total / self.usual

    @property
    def above_range(self) -> bool:
        return self.total is not None and self.high is not None and self.total > self.high

    def describe(self, kpi: str) -> str:
        words = get_kpi(kpi).family.events
        if self.total is None:
            return f"No counted {words} in the week of {self.week:%d %b %Y}."
        if not self.weeks_used:
            return f"{self.total:,} {words} counted; no earlier weeks to compare with."
        where = (
            "above the range"
            if self.above_range
            else ("below the range" if self.total < self.low else "within the range")
        )
        return (
            f"{self.total:,} {words} counted in the week of {self.week:%d %b %Y}: "
            f"{100 * (self.ratio - 1):+.0f} % against the "
            f"usual {self.usual:,.0f} (mean of the previous {self.weeks_used} weeks, range "
            f"{self.low:,}–{self.high:,}), {where}."
        )


def volume_check(series: list[WeekValue], week: dt.date, weeks_back: int = USUAL_VOLUME_WEEKS) -> VolumeCheck:
    """A week's counted events against the ``weeks_back`` weeks before it (those with counts)."""
    by_week = {w.week: w for w in series}
    current = by_week.get(week)
    before = [by_week.get(week_step(week, -n)) for n in range(1, weeks_back + 1)]
    totals = [w.total for w in before if w and w.total and w.status != "partial"]
    return VolumeCheck(
        week,
        current.total if current and current.total else None,
        sum(totals) / len(totals) if totals else None,
        min(totals) if totals else None,
        max(totals) if totals else None,
        len(totals),
    )


def volume_frame_rows(series: list[WeekValue], weeks_back: int = USUAL_VOLUME_WEEKS) -> list[dict]:
    """Each week's counted events with the usual level of the weeks before it (for the volume chart)."""
    rows = []
    for week_value in series:
        check = volume_check(series, week_value.week, weeks_back)
        rows.append(
            {
                "week": week_value.week,
                "counted": check.total,
                "usual": check.usual,
                "low": check.low,
                "high": check.high,
                "partial": week_value.status == "partial",
            }
        )
    return rows


# --- this week so far -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekSoFar:
    kpi: str
    week: dt.date
    first_day: dt.date
    last_day: dt.date
    good: int
    total: int
    floor: float
    usual_volume: float | None
    breach_weeks_before: int  # the streak it would extend

    @property
    def value(self) -> float:
        return 100 * self.good / self.total

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_percent(self.good, self.total)

    @property
    def share_of_usual(self) -> float | None:
        return None if not self.usual_volume else self.total / self.usual_volume

    @property
    def remaining(self) -> int | None:
        """Events still to come if the week ends at its usual volume."""
        if not self.usual_volume:
            return None
        return max(0, round(self.usual_volume) - self.total)

    @property
    def rest_must_exceed(self) -> Fraction | None:
        """The rate (percent) the remaining events must beat for the week to end above the floor.

        Above the floor at the end means 100 (g + g_rest) > F (n + n_rest), so the rest must
        run above (F (n + n_rest) − 100 g) / n_rest. Below 0: already safe; above 100: out of reach.
        """
        remaining = self.remaining
        if not remaining:
            return None
        return (Fraction(str(self.floor)) * (self.total + remaining) - 100 * self.good) / remaining

    @property
    def days_label(self) -> str:
        return f"{self.first_day:%a}–{self.last_day:%a}" if self.first_day != self.last_day else f"{self.first_day:%a}"

    def describe(self) -> str:
        words = get_kpi(self.kpi).family.events
        interval = self.interval
        head = (
            f"{self.kpi} {format_percent(self.value, self.floor)} so far ({self.days_label}, {self.total:,} {words}; "
            f"95 % interval {interval[0]:.1f}–{interval[1]:.1f} %)"
        )
        if self.usual_volume is None:
            return head + ": no earlier complete weeks to say how much of the week is still to come."
        share = f"{100 * self.share_of_usual:.0f} % of a usual week's {self.usual_volume:,.0f} {words} are in"
        threshold = self.rest_must_exceed
        ordinal = ordinal_word(self.breach_weeks_before + 1)
        if threshold is None:
            below = at_or_below(self.good, self.total, self.floor)
            verdict = f"a {ordinal} breach week as it stands" if below else "above the floor as it stands"
            return f"{head}: {share}, so the value so far is close to final — {verdict}."
        needed = float(threshold)
        if needed >= 100:
            risk = f"a {ordinal} breach week even if every remaining {words[:-1]} goes well"
        elif needed < 0:
            risk = "it stays above the floor even if every remaining one goes badly"
        elif at_or_below(self.good, self.total, self.floor):
            risk = f"a {ordinal} breach week is likely unless the rest of the week runs above {needed:.1f} %"
        else:
            risk = f"it stays above the floor unless the rest of the week runs at or below {needed:.1f} %"
        return f"{head}: {share}; {risk}."


def ordinal_word(n: int) -> str:
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}
    return words.get(n, f"{n}th")


def week_so_far(con, summary: KpiSummary, settings: Settings) -> WeekSoFar | None:
    """The trailing partial week of a summary (never part of a streak), or None when there is none."""
    partial = summary.latest_partial
    if partial is None or not partial.total or partial.good is None:
        return None
    days = con.execute(
        "SELECT min(first_date), max(last_date) FROM uploads WHERE list_contains($ids, id)",
        {"ids": list(partial.upload_ids)},
    ).fetchone()
    week_end = partial.week + dt.timedelta(days=6)
    first_day = max(partial.week, days[0] or partial.week)
    last_day = min(week_end, days[1] or week_end)
    volume = volume_check(summary.series, partial.week)
    return WeekSoFar(
        summary.kpi,
        partial.week,
        first_day,
        last_day,
        partial.good,
        partial.total,
        summary.floor,
        volume.usual,
        summary.streak if summary.latest and week_step(summary.latest.week) == partial.week else 0,
    )


# --- status --json additions ---------------------------------------------------------------------------------


def rounded_interval(good: int | None, total: int | None) -> list[float] | None:
    interval = wilson_percent(good, total)
    return None if interval is None else [round(interval[0], 4), round(interval[1], 4)]


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
