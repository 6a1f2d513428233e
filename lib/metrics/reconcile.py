"""Explore against Sisense: the same week, KPI and segment from both sources, side by side.

The pages show the primary figure (Explore, with dbt exports). Sisense is a secondary
source that "can contain errors", so managers fact-check it: this module pairs the two
layers week by week and says where they part.

- Both sides come from ``lib.metrics.kpis`` (``fetch_cells`` + ``build_series`` with
  ``layer="primary"`` / ``"secondary"``), so the upload that speaks for each side of a week
  is chosen exactly as on every other page (newest complete upload wins).
- Compared at each segment of the combined scope (L&R, GitLab SM, GitLab SaaS) and at
  Combined (their pooled counts). A week is compared only where both sources have a figure.
- The difference is Sisense minus Explore, in percentage points. It is **flagged when it is
  beyond the tolerance** (setting ``reconciliation_tolerance_points``, 1 point): a
  difference of exactly the tolerance is *not* flagged, just as the issue says "beyond".
  With counts on both sides the test is exact (fractions), so no rounding can push a
  difference of exactly 1 point over the line.
- Not flagged, whatever the difference: a week Explore covers only in part (its figure is
  still moving), and a Combined week one side cannot pool (a segment given only as a
  percentage: ``lib.metrics.kpis`` calls that week *unknown*). Both still appear, with a note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from lib.core.kpis import kpi_keys
from lib.core.labels import PRIMARY_NAME, SECONDARY_NAME
from lib.core.settings import COMBINED, COMBINED_SEGMENTS, Settings
from lib.metrics.kpis import WeekValue, build_series, fetch_cells

SCOPES = (COMBINED, *COMBINED_SEGMENTS)

# What a compared row says, in words a manager reads on screen.
AGREE = "agree"
DISAGREE = "disagree"
PARTIAL = "partial week"
NOT_COMPARABLE = "not comparable"


@dataclass(frozen=True)
class Comparison:
    """One KPI, week and scope where both sources have something to say."""

    kpi: str
    week: dt.date
    scope: str  # a segment of the combined scope, or "Combined"
    primary: WeekValue
    secondary: WeekValue
    difference: float | None  # Sisense minus Explore, percentage points
    status: str  # agree, disagree, partial week, not comparable
    note: str = ""

    @property
    def flagged(self) -> bool:
        return self.status == DISAGREE


@dataclass(frozen=True)
class Tally:
    """Comparisons at one level (the segments, or Combined): how many, how many flagged, how far."""

    compared: int
    flagged: int
    mean_abs_difference: float | None
    sisense_higher: int  # flagged comparisons where Sisense says more than Explore
    sisense_lower: int

    @property
    def flagged_share(self) -> float | None:
        return 100 * self.flagged / self.compared if self.compared else None


@dataclass(frozen=True)
class Summary:
    """How often and how far the two sources disagree, for one KPI (or "All")."""

    kpi: str
    segments: Tally  # L&R, GitLab SM and GitLab SaaS, each week
    combined: Tally
    weeks_compared: int  # KPI-weeks with at least one measured comparison
    weeks_flagged: int  # KPI-weeks with at least one flagged scope
    largest: Comparison | None
    weeks_only_primary: int  # weeks with an Explore figure and no Sisense one (combined scope)
    weeks_only_secondary: int


@dataclass
class Reconciliation:
    tolerance: float
    comparisons: list[Comparison]
    summaries: dict[str, Summary]  # per KPI, plus "All"
    # Both sources' weekly series per (KPI, scope), for the charts: (primary, secondary).
    series: dict[tuple[str, str], tuple[list[WeekValue], list[WeekValue]]] = field(default_factory=dict)

    @property
    def flagged(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.flagged]

    @property
    def has_both_sources(self) -> bool:
        return any(primary and secondary for primary, secondary in self.series.values())

    @property
    def has_figures(self) -> bool:
        """Either source has a weekly figure for some KPI."""
        return any(primary or secondary for primary, secondary in self.series.values())

    def comparison(self, kpi: str, week: str, scope: str) -> Comparison | None:
        """The comparison of one KPI, week (ISO) and scope, if both sources have that week."""
        return next(
            (c for c in self.comparisons if c.kpi == kpi and c.week.isoformat() == week and c.scope == scope), None
        )

    def weeks_with_figures(self, kpi: str) -> list[str]:
        """Weeks either source has a figure for (combined scope), newest first, as ISO dates."""
        primary, secondary = self.series[(kpi, COMBINED)]
        return sorted({w.week.isoformat() for w in [*primary, *secondary] if w.status != "gap"}, reverse=True)

    def latest_complete_index(self, kpi: str, weeks: list[str]) -> int:
        """Where in ``weeks`` (newest first) the latest complete week is: the one the meeting discusses."""
        primary, _ = self.series[(kpi, COMBINED)]
        partial = {w.week.isoformat() for w in primary if w.status == "partial"}
        return next((index for index, week in enumerate(weeks) if week not in partial), 0)


def exact_percent(week_value: WeekValue) -> Fraction:
    """The value as an exact fraction: from the counts where there are counts, else as exported."""
    if week_value.good is not None and week_value.total:
        return Fraction(100 * week_value.good, week_value.total)
    return Fraction(str(week_value.value))


def beyond_tolerance(primary: WeekValue, secondary: WeekValue, tolerance: float) -> bool:
    """Strictly beyond: a difference of exactly ``tolerance`` points agrees."""
    return abs(exact_percent(secondary) - exact_percent(primary)) > Fraction(str(tolerance))


def compare(kpi: str, scope: str, primary: WeekValue, secondary: WeekValue, tolerance: float) -> Comparison:
    if primary.value is None or secondary.value is None:
        lacking = [
            f"{name}: {value.note or 'no value'}"
            for name, value in ((PRIMARY_NAME, primary), (SECONDARY_NAME, secondary))
            if value.value is None
        ]
        return Comparison(kpi, primary.week, scope, primary, secondary, None, NOT_COMPARABLE, "; ".join(lacking))
    difference = float(exact_percent(secondary) - exact_percent(primary))
    if primary.status == "partial" or secondary.status == "partial":
        note = "Explore covers this week only in part, so its figure is still moving: not flagged"
        return Comparison(kpi, primary.week, scope, primary, secondary, difference, PARTIAL, note)
    notes = [value.note for value in (primary, secondary) if value.note]
    status = DISAGREE if beyond_tolerance(primary, secondary, tolerance) else AGREE
    return Comparison(kpi, primary.week, scope, primary, secondary, difference, status, "; ".join(notes))


def has_figure(week_value: WeekValue) -> bool:
    """A week a source has something for (a value, or data that cannot be pooled); gaps are not figures."""
    return week_value.status != "gap"


def reconcile(con, settings: Settings, *, region: str | None = None) -> Reconciliation:
    """Every week, KPI and scope where Explore and Sisense both have figures, compared."""
    tolerance = settings.reconciliation_tolerance_points
    cells = fetch_cells(con, region=region)
    comparisons: list[Comparison] = []
    all_series = {}
    coverage: dict[str, tuple[int, int]] = {}
    for kpi in kpi_keys():
        floor = settings.floors[kpi]
        for scope in SCOPES:
            segments = COMBINED_SEGMENTS if scope == COMBINED else (scope,)
            primary = build_series(cells, kpi, floor, layer="primary", segments=segments)
            secondary = build_series(cells, kpi, floor, layer="secondary", segments=segments)
            all_series[(kpi, scope)] = (primary, secondary)
            primary_weeks = {w.week: w for w in primary if has_figure(w)}
            secondary_weeks = {w.week: w for w in secondary if has_figure(w)}
            for week in sorted(set(primary_weeks) & set(secondary_weeks)):
                comparisons.append(compare(kpi, scope, primary_weeks[week], secondary_weeks[week], tolerance))
            if scope == COMBINED:
                coverage[kpi] = (
                    len(set(primary_weeks) - set(secondary_weeks)),
                    len(set(secondary_weeks) - set(primary_weeks)),
                )
    summaries = {kpi: summarise(kpi, [c for c in comparisons if c.kpi == kpi], *coverage[kpi]) for kpi in kpi_keys()}
    summaries["All"] = summarise(
        "All",
        comparisons,
        sum(only_primary for only_primary, _ in coverage.values()),
        sum(only_secondary for _, only_secondary in coverage.values()),
    )
    return Reconciliation(tolerance, comparisons, summaries, all_series)


def tally(comparisons: list[Comparison]) -> Tally:
    flagged = [c for c in comparisons if c.flagged]
    return Tally(
        compared=len(comparisons),
        flagged=len(flagged),
        mean_abs_difference=sum(abs(c.difference) for c in comparisons) / len(comparisons) if comparisons else None,
        sisense_higher=sum(1 for c in flagged if c.difference > 0),
        sisense_lower=sum(1 for c in flagged if c.difference < 0),
    )


def summarise(kpi: str, comparisons: list[Comparison], only_primary: int, only_secondary: int) -> Summary:
    # Partial and unpoolable weeks are shown but measure nothing: they stay out of the tally.
    measured = [c for c in comparisons if c.status in (AGREE, DISAGREE)]
    return Summary(
        kpi=kpi,
        segments=tally([c for c in measured if c.scope != COMBINED]),
        combined=tally([c for c in measured if c.scope == COMBINED]),
        weeks_compared=len({(c.kpi, c.week) for c in measured}),
        weeks_flagged=len({(c.kpi, c.week) for c in measured if c.flagged}),
        largest=max(measured, key=lambda c: abs(c.difference), default=None),
        weeks_only_primary=only_primary,
        weeks_only_secondary=only_secondary,
    )


def scope_segments(scope: str) -> tuple[str, ...] | None:
    """The segments a scope pools: None for combined (the default everywhere), else the one segment."""
    return None if scope == COMBINED else (scope,)


def verdict(compared: Comparison, tolerance: float) -> str:
    """How one comparison reads: beyond the tolerance, within it, or why it is not compared."""
    if compared.flagged:
        return f"beyond the ±{tolerance:g} point tolerance"
    return "within the tolerance" if compared.status == AGREE else compared.status


def summary_rows(rec: Reconciliation) -> list[dict]:
    """The per-KPI summary table: comparisons, how many are beyond the tolerance, the largest, weeks one-sided."""
    rows = []
    for kpi in kpi_keys():
        summary = rec.summaries[kpi]
        largest = summary.largest
        rows.append(
            {
                "KPI": kpi,
                "Segment-weeks": summary.segments.compared,
                "Beyond": summary.segments.flagged,
                "Combined beyond": f"{summary.combined.flagged} of {summary.combined.compared}",
                "Mean diff.": summary.segments.mean_abs_difference,
                "Largest": largest.difference if largest else None,
                "Largest in": f"{largest.scope}, {largest.week:%d %b %Y}" if largest else "",
                f"Only {PRIMARY_NAME}": summary.weeks_only_primary,
                f"Only {SECONDARY_NAME}": summary.weeks_only_secondary,
            }
        )
    return rows


def summary_sentence(summary: Summary, tolerance: float) -> str:
    """What a manager can read out: how often, how far, which way."""
    segments, combined = summary.segments, summary.combined
    if not summary.weeks_compared:
        return "No week has figures from both Explore and Sisense."
    subject = "" if summary.kpi == "All" else f"{summary.kpi} "
    if not segments.flagged and not combined.flagged:
        return (
            f"Explore and Sisense agree within {tolerance:g} point on every {subject}segment-week "
            f"({segments.compared:,}) and every combined week ({combined.compared:,}); the mean difference is "
            f"{segments.mean_abs_difference or 0:.2f} points."
        )
    direction = []
    if segments.sisense_higher:
        direction.append(f"Sisense higher in {segments.sisense_higher}")
    if segments.sisense_lower:
        direction.append(f"{'lower' if direction else 'Sisense lower'} in {segments.sisense_lower}")
    share = ", ".join([f"{segments.flagged_share or 0:.1f} %", *direction])
    largest = summary.largest
    return (
        f"Sisense differs from Explore by more than {tolerance:g} point in {segments.flagged:,} of "
        f"{segments.compared:,} {subject}segment-weeks ({share}); "
        f"{combined.flagged:,} of {combined.compared:,} combined weeks differ by more than {tolerance:g} point. "
        f"Largest: {largest.difference:+.1f} points ({largest.kpi}, {largest.scope}, week of {largest.week:%d %b %Y}). "
        f"Mean difference per segment-week: {segments.mean_abs_difference or 0:.2f} points."
    )


def counts_text(week_value: WeekValue) -> str:
    if week_value.good is not None and week_value.total:
        return f"{week_value.good:,} / {week_value.total:,}"
    return "percentage only" if week_value.value is not None else ""


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def comparison_rows(comparisons: list[Comparison]) -> list[dict]:
    """The side-by-side table: one row per comparison, newest week first, for a table or a CSV."""
    kpi_order = kpi_keys()
    ordered = sorted(comparisons, key=lambda c: (-c.week.toordinal(), kpi_order.index(c.kpi), SCOPES.index(c.scope)))
    return [
        {
            "KPI": c.kpi,
            "Week": c.week,
            "Segment": c.scope,
            "Explore %": rounded(c.primary.value),
            "Explore good / counted": counts_text(c.primary),
            "Sisense %": rounded(c.secondary.value),
            "Sisense good / counted": counts_text(c.secondary),
            "Difference (pts)": rounded(c.difference),
            "Flag": "beyond tolerance" if c.flagged else ("" if c.status == AGREE else c.status),
            "Note": c.note,
        }
        for c in ordered
    ]
