"""Scores and checks: bands, new-manager exemptions, stale key results, KPI-linked progress, breaches."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from lib.core.kpis import kpi_keys
from lib.core.settings import COMBINED_SEGMENTS, REGIONS, Settings
from lib.core.text import format_percent
from lib.metrics import fiscal
from lib.metrics.fiscal import FiscalQuarter
from lib.metrics.kpis import build_series, fetch_cells, kpi_summaries, summarise
from lib.okrs.model import (
    AT_RISK,
    FIRST_YEAR,
    LAST_YEAR,
    NO_SCORE,
    OFF_TARGET,
    ON_TARGET,
    STALE_AFTER_DAYS,
    KpiLink,
)


def band_of(score: float | None, bands: dict[str, float]) -> str:
    if score is None:
        return NO_SCORE
    if score >= bands["on_target"]:
        return ON_TARGET
    if score >= bands["off_target"]:
        return OFF_TARGET
    return AT_RISK


def band_rule(bands: dict[str, float]) -> str:
    """'On target 85–100 %, Off target 70–84 %, At risk 0–69 %' from the settings."""
    on, off = bands["on_target"], bands["off_target"]
    return f"{ON_TARGET} {on:g}–100 %, {OFF_TARGET} {off:g} to under {on:g} %, {AT_RISK} under {off:g} %"


@dataclass(frozen=True)
class Exemption:
    first_full_quarter: FiscalQuarter
    exempt: bool

    @property
    def until(self) -> dt.date:
        """The last day of their first full quarter: an OKR is expected from the next day's quarter."""
        return self.first_full_quarter.end

    @property
    def expected_from(self) -> FiscalQuarter:
        return self.first_full_quarter.next()


def exemption(manager_since: dt.date, quarter: FiscalQuarter) -> Exemption:
    """Exempt in every quarter up to and including their first full fiscal quarter as a manager.

    A date outside the years an OKR row may carry (a database from before that check may hold
    0001-01-01) is taken at the nearest end of that range: the answer is the same for every quarter
    the page can show (FY2000-FY2099), and the calendar never runs off year 1 or 9999.
    """
    since = min(max(manager_since, dt.date(FIRST_YEAR, 1, 1)), dt.date(LAST_YEAR, 12, 31))
    first_full = fiscal.first_full_quarter_from(since)
    return Exemption(first_full, quarter <= first_full)


def judged_on(quarter: FiscalQuarter, today: dt.date) -> dt.date:
    """Checks look at today, or at a past quarter's last day."""
    return min(today, quarter.end)


def days_without_check_in(last_check_in: dt.date | None, quarter: FiscalQuarter, as_of: dt.date) -> int:
    """Days since the newest check-in, or since the quarter began when there is none."""
    since = last_check_in or quarter.start
    return (as_of - since).days


def is_stale(last_check_in: dt.date | None, quarter: FiscalQuarter, as_of: dt.date) -> bool:
    return days_without_check_in(last_check_in, quarter, as_of) >= STALE_AFTER_DAYS


@dataclass
class KpiProgress:
    score: float | None
    weeks_met: int
    weeks_counted: int
    latest_week: dt.date | None
    note: str


def kpi_link_progress(cells: list[tuple], link: KpiLink, quarter: FiscalQuarter, settings: Settings) -> KpiProgress:
    """Share of the quarter's complete weeks (by Monday) whose value meets the link's threshold.

    Meeting is ``100 × good ≥ threshold × total`` on the counts; partial weeks, gaps and
    weeks that cannot be pooled are not counted.
    """
    series = build_series(cells, link.kpi, settings.floors[link.kpi], segments=link.segments)
    in_quarter = [w for w in series if quarter.contains(w.week)]
    counted = [w for w in in_quarter if w.status in ("ok", "breach") and w.value is not None]
    met = 0
    for week_value in counted:
        if week_value.good is not None and week_value.total:
            met += Fraction(100 * week_value.good) >= Fraction(str(link.threshold)) * week_value.total
        else:
            met += week_value.value >= link.threshold
    if not counted:
        return KpiProgress(None, 0, 0, None, f"no complete week of {link.kpi} data in {quarter.label} yet")
    partial = len(in_quarter) - len(counted)
    note = f"{met} of {len(counted)} complete weeks met {link.text}"
    if partial:
        note += f" ({partial} partial or missing week{'s' if partial > 1 else ''} not counted)"
    return KpiProgress(100 * met / len(counted), met, len(counted), counted[-1].week, note)


@dataclass
class Breach:
    kpi: str
    scope: str  # "AMER" or "GitLab SM"
    weeks: int
    latest_week: dt.date
    latest_value: float
    floor: float

    def describe(self) -> str:
        return (
            f"{self.kpi} in {self.scope} at or below its floor {self.weeks} weeks running "
            f"(week of {fiscal.long_date(self.latest_week)}: {format_percent(self.latest_value, self.floor)})"
        )

    @property
    def short(self) -> str:
        return f"{self.kpi} in {self.scope} ({self.weeks} weeks)"

    @classmethod
    def of(cls, summary, scope: str, settings: Settings) -> Breach:
        """The breach a KPI summary (``lib.metrics.kpis.summarise``) in a sustained breach shows."""
        floor = settings.floors[summary.kpi]
        return cls(summary.kpi, scope, summary.streak, summary.latest.week, summary.latest.value, floor)


def sustained_breaches(con, settings: Settings) -> dict[str, list[Breach]]:
    """KPIs in a sustained breach now, by region (its combined segments) and by segment (all regions)."""
    breaches: dict[str, list[Breach]] = defaultdict(list)
    for region in REGIONS:
        for summary in kpi_summaries(con, settings, region=region).values():
            if summary.sustained_breach:
                breaches[region].append(Breach.of(summary, region, settings))
    cells = fetch_cells(con)
    for segment in COMBINED_SEGMENTS:
        for kpi in kpi_keys():
            summary = summarise(build_series(cells, kpi, settings.floors[kpi], segments=(segment,)), kpi, settings)
            if summary.sustained_breach:
                breaches[segment].append(Breach.of(summary, segment, settings))
    return dict(breaches)
