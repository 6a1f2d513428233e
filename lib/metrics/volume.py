"""A week's counted events against the weeks before it (DECISIONS.md §18)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lib.core.kpis import get_kpi
from lib.metrics.kpis import WeekValue, week_step

USUAL_VOLUME_WEEKS = 8


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
