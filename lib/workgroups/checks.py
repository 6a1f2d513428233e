"""Library hypotheses checked against the stored data, for a workgroup's breach weeks.

The hypotheses the counts can speak to each have a check (DECISIONS.md §20):

- *Ticket volume is too high* (library #1): each breach week's counted events against the
  eight weeks before the breach (lib.metrics.explain.volume_check).
- *A single portion of tickets* (#6): the breach weeks pooled against the four weeks before
  the breach, split by segment, region, ticket form, or ticket group or priority where the exports
  have them (lib.metrics.explain.explain_periods).
- *A single bad day* (#8): how the breach weeks' breached targets (or Bad ratings) spread
  over the days of each week, from the ticket-level rows.

A check describes its result in words and *suggests* a verdict; it never sets one. Its
result is attached, by an editor, as dated evidence naming the data version it was computed
on. Hypotheses the data cannot speak to (time off, workflows, harder tickets, …) say so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lib.core.kpis import get_kpi
from lib.core.settings import COMBINED_SEGMENTS, REGIONS, Settings
from lib.core.text import format_percent
from lib.metrics import explain
from lib.metrics.kpis import week_step
from lib.store import database as store
from lib.store import figures
from lib.workgroups import breaches, contents, model

VOLUME, PORTION, DAY = "volume", "portion", "day"
CHECKS = {1: VOLUME, 6: PORTION, 8: DAY}
CANNOT_CHECK = {
    2: "how long a workflow takes is not in the exports Floorline holds",
    3: "who was assigned to what is not in the exports Floorline holds",
    4: "replies per ticket, time to solve and escalations are not in the exports Floorline holds",
    5: "PTO and staffing are not in the exports Floorline holds",
    7: "the hour of each breach and the people on shift are not in the exports Floorline holds (only the day)",
}
PORTION_DIMENSIONS = ("segment", "region", "form", "group", "priority")
BASELINE_WEEKS = 4
# A single portion or day "explains" the drop when it carries at least this share of it.
MAJORITY = 0.5
# An even spread puts 1/7 of a week's breaches on each day; under twice that, no day stands out.
DAY_STANDS_OUT = 2 / 7


@dataclass
class CheckResult:
    hypothesis_id: int
    kind: str
    words: str
    suggested: str  # one of model.VERDICTS other than "open"
    approach: str
    computed_on: dt.date
    data_version: int
    details: list[str] = field(default_factory=list)

    def evidence_note(self) -> str:
        return (
            f"Checked against the data on {self.computed_on.isoformat()} (data version {self.data_version}): "
            f"{self.words} Suggested verdict: {self.suggested}. Approach: {self.approach}"
        )


def portion_dimensions(con, kpi: str) -> tuple[str, ...]:
    """The portions a drop in ``kpi`` can be split by: group and priority where the exports kept them."""
    return tuple(by for by in PORTION_DIMENSIONS if by in explain.dimensions_in_data(con, kpi))


def check_kind(hypothesis: dict) -> str | None:
    return CHECKS.get(hypothesis.get("library_id"))


def cannot_check_reason(hypothesis: dict) -> str:
    reason = CANNOT_CHECK.get(hypothesis.get("library_id"))
    if reason:
        return f"The data cannot speak to this hypothesis: {reason}. Add evidence by hand."
    return "Only the library's volume, single-portion and single-day hypotheses can be checked against the data."


def breach_weeks(workgroup: dict) -> list[dt.date]:
    return [dt.date.fromisoformat(w["week"]) for w in workgroup.get("trigger_weeks") or []]


def scope_filter(scope: str) -> tuple[tuple[str, ...], str | None]:
    """(segments, region) of a workgroup's scope, as lib.workgroups.breaches.scope_series reads it."""
    if scope in REGIONS:
        return COMBINED_SEGMENTS, scope
    if scope == model.COMBINED_SCOPE:
        return COMBINED_SEGMENTS, None
    return (scope,), None


def run_check(
    con, settings: Settings, workgroup: dict, hypothesis: dict, *, by: str = "region", today: dt.date | None = None
) -> CheckResult:
    """Run the hypothesis's check for the workgroup's breach weeks (raises explain.CannotExplain)."""
    kind = check_kind(hypothesis)
    if kind is None:
        raise explain.CannotExplain(cannot_check_reason(hypothesis))
    weeks = breach_weeks(workgroup)
    if not weeks:
        raise explain.CannotExplain("this workgroup has no breach weeks recorded")
    kpi, scope = workgroup["kpi"], workgroup["scope"]
    version = store.data_version(con)
    if kind == VOLUME:
        words, suggested, approach, details = volume_result(con, settings, kpi, scope, weeks)
    elif kind == PORTION:
        words, suggested, approach, details = portion_result(con, settings, kpi, scope, weeks, by)
    else:
        words, suggested, approach, details = day_result(con, settings, kpi, scope, weeks)
    return CheckResult(hypothesis["id"], kind, words, suggested, approach, today or dt.date.today(), version, details)


def week_list(weeks: list[dt.date]) -> str:
    return ", ".join(f"{w:%d %b}" for w in weeks)


def volume_result(con, settings, kpi, scope, weeks):
    series = breaches.scope_series(con, settings, kpi, scope)
    # Every breach week is measured against the same eight weeks: those before the breach began.
    before_breach = [w for w in series if w.week < weeks[0]]
    checks = [explain.volume_check([*before_breach, *[w for w in series if w.week == week]], week) for week in weeks]
    usual = checks[0]
    if usual.usual is None:
        raise explain.CannotExplain("there are no counted weeks before the breach to compare its volume with")
    above = [c for c in checks if c.above_range]
    words_kind = get_kpi(kpi).family.events
    counted = ", ".join(f"{c.week:%d %b} {c.total:,}" if c.total else f"{c.week:%d %b} none" for c in checks)
    words = (
        f"Counted {words_kind} in the breach weeks: {counted}; the {usual.weeks_used} weeks before the breach "
        f"averaged {usual.usual:,.0f} (range {usual.low:,}–{usual.high:,}). "
        f"{len(above)} of {len(checks)} breach weeks were above that range."
    )
    suggested = "supported" if len(above) == len(checks) else ("falsified" if not above else "inconclusive")
    approach = (
        f"Counted {words_kind} per week ({model.scope_label(scope)}) in each breach week against the "
        f"{explain.USUAL_VOLUME_WEEKS} weeks before the breach (DECISIONS.md §18)."
    )
    return words, suggested, approach, [c.describe(kpi) for c in checks]


def portion_result(con, settings, kpi, scope, weeks, by):
    segments, region = scope_filter(scope)
    baseline = [week_step(weeks[0], -n) for n in range(BASELINE_WEEKS, 0, -1)]
    result = explain.explain_periods(
        con, kpi, weeks, baseline, by, min_events=settings.min_slice_events, segments=segments, region=region
    )
    change = result.total_change
    label = explain.dimension_label(by).lower()
    floor = settings.floors[kpi]
    span = (
        f"{format_percent(float(result.value0), floor)} in the {len(result.weeks0)} weeks before the breach → "
        f"{format_percent(float(result.value1), floor)} in the breach weeks ({week_list(weeks)})"
    )
    approach = (
        f"Shift-share split by {label} of the change from the {BASELINE_WEEKS} weeks before the breach (pooled) to "
        f"the breach weeks (pooled), {model.scope_label(scope)} (DECISIONS.md §16)."
    )
    details = [
        f"{s.name}: {format_percent(None if s.rate0 is None else float(s.rate0), floor)} → "
        f"{format_percent(None if s.rate1 is None else float(s.rate1), floor)} ({s.total1:,} counted), "
        f"contribution {float(s.contribution):+.2f} points" + (" (too small to judge)" if s.small else "")
        for s in sorted(result.slices, key=lambda s: s.contribution)
    ]
    if change >= 0:
        return f"No drop to explain: {span}.", "falsified", approach, details
    judged = [s for s in result.slices if not s.small]
    top = min(judged or result.slices, key=lambda s: s.contribution)
    share = float(top.contribution / change)
    # Written at the waterfall's precision, as the explain sentence is: one decimal made one slice of a
    # 0.28-point drop read as "0.2 of the 0.2-point drop".
    words = (
        f"{top.name} accounts for {abs(float(top.contribution)):.{explain.SHOWN_DECIMALS}f} of the "
        f"{abs(float(change)):.{explain.SHOWN_DECIMALS}f}-point drop by {label} ({100 * share:.0f} % of it)"
        f"{explain.own_rate(top, floor)}. {span}."
    )
    if len(judged) < 2:
        return words + f" Only one {label} has enough events to judge.", "inconclusive", approach, details
    suggested = "supported" if share >= MAJORITY else "falsified"
    if suggested == "falsified":
        words += f" No single {label} carries half of the drop: it is spread."
    return words, suggested, approach, details


def day_result(con, settings, kpi, scope, weeks):
    segments, region = scope_filter(scope)
    rows = figures.bad_events_by_day(con, kpi, weeks, segments, region)
    series = {w.week: w for w in breaches.scope_series(con, settings, kpi, scope)}
    bad_words = get_kpi(kpi).family.bad_events
    details, worst_shares = [], []
    for week in weeks:
        days = [(day, bad) for row_week, day, bad in rows if row_week == week]
        week_value = series.get(week)
        expected = None if week_value is None or week_value.total is None else week_value.total - week_value.good
        if expected is None or sum(bad for _, bad in days) != expected:
            raise explain.CannotExplain(
                f"the week of {week:%d %b %Y} has no day-by-day rows (a weekly aggregate, or no ticket-level export)"
            )
        if not days:
            details.append(f"Week of {week:%d %b}: no {bad_words}.")
            continue
        worst_day, worst = max(days, key=lambda item: item[1])
        worst_shares.append(worst / expected)
        details.append(
            f"Week of {week:%d %b}: the worst day, {worst_day:%a %d %b}, held {worst:,} of its {expected:,} "
            f"{bad_words} ({100 * worst / expected:.0f} %)."
        )
    standing_out = sum(share >= MAJORITY for share in worst_shares)
    if worst_shares and standing_out == len(weeks):
        suggested = "supported"
        summary = f"In every breach week one day held at least half of the {bad_words}."
    elif max(worst_shares, default=0) < DAY_STANDS_OUT:
        suggested = "falsified"
        summary = f"No day held more than {100 * DAY_STANDS_OUT:.0f} % of a breach week's {bad_words}: they are spread."
    else:
        suggested = "inconclusive"
        summary = f"In {standing_out} of {len(weeks)} breach weeks one day held at least half of the {bad_words}."
    approach = (
        f"{bad_words.capitalize()} per day in each breach week, from the ticket-level rows behind the weekly value "
        f"({model.scope_label(scope)}); an even spread puts about 14 % on each day (DECISIONS.md §20)."
    )
    return " ".join([summary, *details]), suggested, approach, details


def attach(con, actor: str | None, result: CheckResult) -> int:
    """Attach a check's result to its hypothesis as dated evidence; the verdict is left to the workgroup."""
    return contents.add_evidence(con, actor, result.hypothesis_id, note=result.evidence_note())
