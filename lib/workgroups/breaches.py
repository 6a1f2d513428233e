"""The numbers behind a workgroup: its scope's weekly series, the breach it is formed on, and recovery.

A workgroup has recovered once ``settings.recovery_weeks`` consecutive complete weeks after the
trigger are above the floor (DECISIONS.md §11).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lib.core.kpis import UnknownKpi, kpi_keys
from lib.core.settings import COMBINED_SEGMENTS, REGIONS, Settings
from lib.metrics.kpis import WeekValue, build_series, fetch_cells, summarise
from lib.workgroups.model import COMBINED_SCOPE, SCOPES, WEEKS_BEFORE_TRIGGER, WorkgroupError


def scope_series(con, settings: Settings, kpi: str, scope: str = COMBINED_SCOPE) -> list[WeekValue]:
    """Weekly values of one KPI for a workgroup's scope, as lib.metrics.kpis computes them."""
    if kpi not in kpi_keys():
        raise WorkgroupError(UnknownKpi(kpi).message)
    if scope not in SCOPES:
        raise WorkgroupError(f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")
    floor = settings.floors[kpi]
    if scope in REGIONS:
        return build_series(fetch_cells(con, region=scope), kpi, floor)
    segments = COMBINED_SEGMENTS if scope == COMBINED_SCOPE else (scope,)
    return build_series(fetch_cells(con), kpi, floor, segments=segments)


def current_breach(series: list[WeekValue], kpi: str, settings: Settings):
    """The sustained breach going on now (an Episode), or None."""
    summary = summarise(series, kpi, settings)
    return summary.episodes[-1] if summary.sustained_breach and summary.episodes else None


def latest_sustained_episode(series: list[WeekValue], kpi: str, settings: Settings):
    """The newest sustained episode, ongoing or not (what a late workgroup is formed about)."""
    episodes = summarise(series, kpi, settings).episodes
    return episodes[-1] if episodes else None


def capture_trigger(series: list[WeekValue], start: dt.date, end: dt.date) -> list[dict]:
    """The breach weeks as they stand now, with segment counts, kept with the workgroup."""
    captured = []
    for week_value in series:
        if start <= week_value.week <= end:
            captured.append(
                {
                    "week": week_value.week.isoformat(),
                    "value": week_value.value,
                    "good": week_value.good,
                    "total": week_value.total,
                    "status": week_value.status,
                    "segments": {
                        name: [cell.good, cell.total]
                        for name, cell in sorted(week_value.segments.items())
                        if cell.pct_only is None
                    },
                }
            )
    return captured


@dataclass(frozen=True)
class Recovery:
    recovered: bool
    recovered_on: dt.date | None  # the week that completed the run above the floor
    weeks_above: int  # the current (or completing) run of complete weeks above the floor
    weeks_needed: int
    weeks_observed: int  # complete weeks after the trigger

    def describe(self) -> str:
        if self.recovered:
            return f"Recovered: {self.weeks_needed} weeks above the floor by the week of {self.recovered_on:%d %b %Y}"
        if self.weeks_observed == 0:
            return "No complete week after the trigger yet"
        return f"Not recovered: {self.weeks_above} of {self.weeks_needed} weeks above the floor so far"


def recovery_of(series: list[WeekValue], trigger_end: dt.date | None, weeks_needed: int) -> Recovery:
    """Recovered once ``weeks_needed`` consecutive complete weeks after the trigger are above the floor.

    Gaps, partial weeks and weeks that cannot be pooled restart the run, as they break a breach
    streak: a week nobody can vouch for never counts as a pass. A partial week restarts it once a
    complete week follows; the newest week, still partial because its export ends before the
    week does, neither counts nor restarts (the run stands as of the latest complete week).
    """
    run = 0
    observed = 0
    after_partial = False
    for week_value in series:
        if trigger_end is not None and week_value.week <= trigger_end:
            continue
        if week_value.status == "partial":
            after_partial = True
            continue
        if after_partial:
            run, after_partial = 0, False
        observed += 1
        run = run + 1 if week_value.status == "ok" else 0
        if run >= weeks_needed:
            return Recovery(True, week_value.week, run, weeks_needed, observed)
    return Recovery(False, None, run, weeks_needed, observed)


def chart_window(series: list[WeekValue], trigger_start: dt.date | None) -> list[WeekValue]:
    """The weeks a workgroup's chart shows: a few before the trigger, then everything since."""
    if trigger_start is None:
        return series[-12:]
    first = trigger_start - dt.timedelta(weeks=WEEKS_BEFORE_TRIGGER)
    return [w for w in series if w.week >= first]
