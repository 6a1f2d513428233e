"""The partial week: its value so far, the share of a usual week's volume already in, and the rate the
rest of the week must exceed to end above the floor (DECISIONS.md §19)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from lib.core.kpis import get_kpi
from lib.core.settings import Settings
from lib.core.text import format_percent
from lib.metrics.intervals import wilson_percent
from lib.metrics.kpis import KpiSummary, at_or_below, week_step
from lib.metrics.volume import volume_check
from lib.store import figures


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
        ordinal = _ordinal_word(self.breach_weeks_before + 1)
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


def _ordinal_word(n: int) -> str:
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}
    return words.get(n, f"{n}th")


def week_so_far(con, summary: KpiSummary, settings: Settings) -> WeekSoFar | None:
    """The trailing partial week of a summary (never part of a streak), or None when there is none."""
    partial = summary.latest_partial
    if partial is None or not partial.total or partial.good is None:
        return None
    days = figures.days_covered(con, partial.upload_ids)
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
