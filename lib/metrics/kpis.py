"""Weekly KPI values and the breach rules. Pure Python over one small SQL result.

Which upload speaks for a week: for each layer (primary = Explore and dbt; secondary =
Sisense), KPI and week, the newest active upload whose dates span the whole week; if none
spans it, the newest that has any of it (and the week is then *partial*). The figure shown
is the primary layer's where it has one, else Sisense's.

A week's value pools counts: 100 * good / total over the chosen segments. It is a breach
when ``100 * good <= floor * total`` (exact, no rounding). Weeks with no value between
weeks with values are gaps; gaps, partial weeks and weeks that cannot be pooled break a
streak, they never extend or end one as a pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from lib.core.kpis import kpi_keys
from lib.core.settings import COMBINED_SEGMENTS, Settings
from lib.store import figures

LAYERS = ("display", "primary", "secondary")


@dataclass(frozen=True)
class SegmentCell:
    segment: str
    good: int
    total: int
    pct_only: float | None  # a percentage given without counts (cannot be pooled)
    pct_rows: int


@dataclass
class WeekValue:
    week: dt.date
    value: float | None
    good: int | None
    total: int | None
    status: str  # ok, breach, gap, partial, unknown
    layer: str | None = None
    upload_ids: tuple[int, ...] = ()
    note: str = ""
    segments: dict[str, SegmentCell] = field(default_factory=dict)

    @property
    def counts_toward_streak(self) -> bool:
        return self.status in ("ok", "breach")


@dataclass
class Episode:
    """A run of consecutive breach weeks; episodes_of keeps only runs of at least ``sustained_weeks``."""

    start: dt.date
    end: dt.date
    weeks: int
    worst_value: float
    worst_week: dt.date


@dataclass
class KpiSummary:
    kpi: str
    floor: float
    target: float
    series: list[WeekValue]
    latest: WeekValue | None
    previous: WeekValue | None
    streak: int
    sustained_breach: bool
    episodes: list[Episode]
    latest_partial: WeekValue | None

    @property
    def change_points(self) -> float | None:
        if self.latest and self.previous and self.latest.value is not None and self.previous.value is not None:
            return self.latest.value - self.previous.value
        return None


def at_or_below(good: int, total: int, floor: float) -> bool:
    """Exact: 930 of 1000 is at a 93 floor, whatever a rounded percentage would say."""
    return Fraction(100 * good) <= Fraction(str(floor)) * total


def fetch_cells(con, *, region: str | None = None, sources: list[str] | None = None) -> list[tuple]:
    return figures.weekly_cells(con, region=region, sources=sources)


def week_step(week: dt.date, weeks: int = 1) -> dt.date:
    return week + dt.timedelta(days=7 * weeks)


def build_series(
    cells: list[tuple], kpi: str, floor: float, *, layer: str = "display", segments=COMBINED_SEGMENTS
) -> list[WeekValue]:
    """Weekly values for one KPI, oldest first, gaps included, for the given segments pooled."""
    by_layer: dict[str, dict[dt.date, WeekValue]] = {"primary": {}, "secondary": {}}
    for cell_layer, cell_kpi, week, complete, upload_id, segment, good, total, pct_rows, pct in cells:
        if cell_kpi != kpi:
            continue
        week_value = by_layer[cell_layer].setdefault(
            week,
            WeekValue(week, None, None, None, "ok" if complete else "partial", cell_layer, (upload_id,)),
        )
        week_value.segments[segment] = SegmentCell(
            segment, int(good or 0), int(total or 0), pct if pct_rows else None, pct_rows
        )
    if layer == "display":
        chosen = dict(by_layer["secondary"])
        chosen.update(by_layer["primary"])
    else:
        chosen = by_layer[layer]
    for week_value in chosen.values():
        pool(week_value, floor, segments)
    if not chosen:
        return []
    series = []
    week = min(chosen)
    last = max(chosen)
    while week <= last:
        series.append(chosen.get(week) or WeekValue(week, None, None, None, "gap", note="no data for this week"))
        week = week_step(week)
    return series


def pool(week_value: WeekValue, floor: float, segments) -> None:
    included = [week_value.segments[s] for s in segments if s in week_value.segments]
    if not included:
        week_value.status, week_value.note = "gap", "no data for these segments"
        return
    percentage_only = [cell for cell in included if cell.pct_only is not None]
    if percentage_only:
        several = [cell.segment for cell in percentage_only if cell.pct_rows > 1]
        if several:
            # Two forms' percentages (say SaaS and SaaS Account) without counts have no
            # weights: averaging them would be a guess, so the segment has no value.
            week_value.status = "unknown"
            week_value.note = f"cannot pool: several percentages without counts for {', '.join(several)}"
            return
        if len(included) == 1:
            cell = included[0]
            week_value.value = cell.pct_only
            if week_value.status == "ok" and cell.pct_only <= floor:
                week_value.status = "breach"
            week_value.note = "percentage as exported (no counts)"
            return
        names = ", ".join(cell.segment for cell in percentage_only)
        week_value.status = "unknown"
        week_value.note = f"cannot pool: the export gave only a percentage for {names}"
        return
    good = sum(cell.good for cell in included)
    total = sum(cell.total for cell in included)
    week_value.good, week_value.total = good, total
    if total == 0:
        week_value.status, week_value.note = "gap", "nothing counted this week"
        return
    week_value.value = 100 * good / total
    if week_value.status == "ok" and at_or_below(good, total, floor):
        week_value.status = "breach"
    elif week_value.status == "partial":
        week_value.note = "partial week: the newest export ends before the week does"


def episodes_of(series: list[WeekValue], sustained_weeks: int) -> list[Episode]:
    """Runs of consecutive complete weeks at or below the floor, at least ``sustained_weeks`` long."""
    runs: list[list[WeekValue]] = []
    current: list[WeekValue] = []
    for week_value in series:
        if week_value.status == "breach":
            current.append(week_value)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    episodes = []
    for run in runs:
        if len(run) < sustained_weeks:
            continue
        worst = min(run, key=lambda w: w.value)
        episodes.append(Episode(run[0].week, run[-1].week, len(run), worst.value, worst.week))
    return episodes


def summarise(series: list[WeekValue], kpi: str, settings: Settings) -> KpiSummary:
    complete = [w for w in series if w.status != "partial"]
    latest = next((w for w in reversed(complete) if w.status in ("ok", "breach", "unknown")), None)
    latest_index = series.index(latest) if latest else -1
    previous = series[latest_index - 1] if latest_index > 0 else None
    streak = 0
    if latest:
        for week_value in reversed(series[: latest_index + 1]):
            if week_value.status != "breach":
                break
            streak += 1
    trailing_partial = series[-1] if series and series[-1].status == "partial" else None
    return KpiSummary(
        kpi=kpi,
        floor=settings.floors[kpi],
        target=settings.targets[kpi],
        series=series,
        latest=latest,
        previous=previous,
        streak=streak,
        sustained_breach=streak >= settings.sustained_weeks,
        episodes=episodes_of(series, settings.sustained_weeks),
        latest_partial=trailing_partial,
    )


def kpi_summaries(con, settings: Settings, *, layer: str = "display", region: str | None = None):
    cells = fetch_cells(con, region=region)
    return {
        kpi: summarise(build_series(cells, kpi, settings.floors[kpi], layer=layer), kpi, settings) for kpi in kpi_keys()
    }


def status_report(con, settings: Settings) -> dict:
    """The shape ``python -m lib status --json`` prints."""
    summaries = kpi_summaries(con, settings)
    latest_weeks = [s.latest.week for s in summaries.values() if s.latest]
    report = {"latest_week": str(max(latest_weeks)) if latest_weeks else None, "kpis": {}}
    for kpi, summary in summaries.items():
        report["kpis"][kpi] = {
            "floor": summary.floor,
            "target": summary.target,
            "latest_week": str(summary.latest.week) if summary.latest else None,
            "latest_value": rounded(summary.latest.value) if summary.latest else None,
            "latest_good": summary.latest.good if summary.latest else None,
            "latest_total": summary.latest.total if summary.latest else None,
            "weeks_at_or_below": summary.streak,
            "sustained_breach": summary.sustained_breach,
            "weekly": {str(w.week): rounded(w.value) for w in summary.series if w.status in ("ok", "breach")},
            "partial_weeks": {str(w.week): rounded(w.value) for w in summary.series if w.status == "partial"},
            "gaps": [str(w.week) for w in summary.series if w.status == "gap"],
            "episodes": [
                {
                    "start": str(e.start),
                    "end": str(e.end),
                    "weeks": e.weeks,
                    "worst_value": rounded(e.worst_value),
                    "worst_week": str(e.worst_week),
                }
                for e in summary.episodes
            ],
        }
    return report


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
