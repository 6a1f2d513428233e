"""Seeded generator of one year of demo exports shaped like Zendesk Explore and Sisense.

The demo tells a known story on the three floor KPIs, combined over the in-scope forms
SaaS, SaaS Account, Self-Managed and L&R:

- FRT sits around 95–97 %, dips gently over the December holidays, and is in a
  sustained breach (at or below the 93 % floor) for the last 3 complete weeks.
- NRT sits around 86–89 % with exactly one single-week dip below its 83 % floor about
  20 weeks before the end.
- SSAT sits around 95–97 % and never comes near its 93 % floor.

So that the story holds for every seed, nothing about it is left to coin flips. The
generator first simulates volume and timing (tickets, their reply dates, solved and
surveyed tickets), then counts each week's targets and answered surveys per form, takes
the missed count from the week's planned combined rate, splits it over the forms, and
only then picks at random which rows are Breached or Bad.

Every ticket opened in the window has one FRT target and 0–4 NRT targets (replies may
fall in the following week). As in a real export filtered on the status update date, a
few tickets opened the week before the window appear only with their next replies in
its first days.

Standard library only: the command line imports this module and must start fast.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lib.core.kpis import get_kpi

DEMO_WEEKS = 52

SLA_EVENTS_FILE = "explore_sla_events_demo.csv"
SATISFACTION_FILE = "explore_satisfaction_demo.csv"
SISENSE_FILE = "sisense_weekly_kpis_demo.csv"

SLA_COLUMNS = (
    "Ticket ID",
    "Ticket form",
    "SLA metric",
    "SLA metric status",
    "SLA target status",
    "Time - SLA status update - Date",
    "Preferred Region for Support",
    "Ticket group",
    "Ticket priority",
)
SATISFACTION_COLUMNS = (
    "Ticket ID",
    "Ticket form",
    "Ticket satisfaction rating",
    "Ticket solved - Date",
    "Preferred Region for Support",
)
SISENSE_COLUMNS = ("week_start", "ticket_form", "kpi", "achieved", "total")

FRT_METRIC = get_kpi("FRT").metric_names[0]
NRT_METRIC = get_kpi("NRT").metric_names[0]
REQUESTER_WAIT_METRIC = "Requester wait time"
PERIODIC_UPDATE_METRIC = "Periodic update"

IN_SCOPE_FORMS = ("SaaS", "SaaS Account", "Self-Managed", "L&R")
# The KPIs the demo's story simulates (first replies, next replies, surveys): a KPI added to the
# registry has no demo rows until the story says how its events happen.
SIMULATED_KPIS = ("FRT", "NRT", "SSAT")
# The rows each KPI counts, and the (good, missed) values they get.
KPI_OUTCOMES = {kpi: (get_kpi(kpi).family.good, get_kpi(kpi).family.bad) for kpi in SIMULATED_KPIS}
# Where the Sisense export is wrong: one KPI in each segment, so that every KPI and
# every segment of the fact-check view has one disagreement to find. Segments are
# reviewed by pooling their forms (GitLab SaaS is SaaS + SaaS Account), so a planted
# change must move the pooled value by 2–6 points too.
PLANTED_DISAGREEMENTS = {"FRT": "SaaS", "NRT": "Self-Managed", "SSAT": "L&R"}
SEGMENT_MEMBERS = {"SaaS": ("SaaS", "SaaS Account"), "Self-Managed": ("Self-Managed",), "L&R": ("L&R",)}
FIRST_TICKET_ID = 480_000

# In-scope tickets (= counted FRT targets) opened in an ordinary full week.
TICKETS_PER_WEEK = 700
MAX_NRT_PER_TICKET = 4
# Share of a week's tickets that get solved and surveyed, and share of surveys answered:
# 0.54 x 700 tickets x 0.4 gives about 150 answered in-scope surveys a week.
SOLVED_SHARE = 0.54
ANSWERED_SHARE = 0.4
# Next replies come on the day the ticket is opened or soon after; each later day is
# this much less likely. They can fall in the following week, as they do in real data.
NRT_DAILY_DECAY = 0.55
NRT_MAX_LAG_DAYS = 10

# Mon..Sun: support is a weekday business; weekends still see some tickets.
WEEKDAY_WEIGHTS = (1.0, 1.05, 1.0, 0.95, 0.85, 0.17, 0.13)

REGIONS = ("Americas, USA", "Europe, Middle East, Africa", "Asia Pacific", "All Regions")
REGION_WEIGHTS = (0.46, 0.33, 0.18, 0.03)
REGION_GROUPS = {
    "Americas, USA": "Support AMER",
    "Europe, Middle East, Africa": "Support EMEA",
    "Asia Pacific": "Support APAC",
}
REGIONAL_GROUPS = tuple(REGION_GROUPS.values())
PRIORITIES = ("Low", "Normal", "High", "Urgent")
PRIORITY_WEIGHTS = (0.17, 0.58, 0.2, 0.05)
# random.choices is faster given cumulative weights, and these are drawn for every ticket.
REGION_CUM_WEIGHTS = tuple(itertools.accumulate(REGION_WEIGHTS))
PRIORITY_CUM_WEIGHTS = tuple(itertools.accumulate(PRIORITY_WEIGHTS))
EMERGENCY_PRIORITY_CUM_WEIGHTS = (0, 0, 0, 1)  # emergencies are always Urgent
# Requester wait time / Periodic update are outside the story: a few percent of the
# rows, periodic updates mostly on urgent tickets, with a flat achieved chance.
REQUESTER_WAIT_CHANCE = 0.05
PERIODIC_UPDATE_CHANCE = {"Low": 0.02, "Normal": 0.02, "High": 0.12, "Urgent": 0.5}
OTHER_METRIC_ACHIEVED = 0.88


@dataclass(frozen=True)
class FormProfile:
    """How one ticket form behaves in the demo.

    `share` is its ticket volume relative to TICKETS_PER_WEEK, `nrt_per_ticket` its mean
    count of NRT targets. The offsets (percentage points, positive = better than the
    combined week) make the in-scope segments differ plausibly; Other forms are outside
    the story and use `own_rate` (% achieved or Good) for every KPI.
    """

    share: float
    nrt_per_ticket: float
    frt_offset: float = 0.0
    nrt_offset: float = 0.0
    ssat_offset: float = 0.0
    own_rate: float = 0.0
    group: str | None = None  # fixed group; None means the regional support group

    def offset(self, kpi: str) -> float:
        return {"FRT": self.frt_offset, "NRT": self.nrt_offset, "SSAT": self.ssat_offset}[kpi]


FORM_PROFILES = {
    "SaaS": FormProfile(0.30, 2.0, frt_offset=0.6, nrt_offset=0.5, ssat_offset=-0.6),
    "SaaS Account": FormProfile(0.08, 1.5, frt_offset=1.0, nrt_offset=-1.0, ssat_offset=0.8),
    "Self-Managed": FormProfile(0.40, 2.3, frt_offset=0.4, nrt_offset=0.8),
    "L&R": FormProfile(0.22, 1.6, frt_offset=-2.0, nrt_offset=-2.0, ssat_offset=1.0, group="L&R"),
    # Other forms: together about 8 % of the SLA rows.
    "GitLab Dedicated": FormProfile(0.035, 2.5, own_rate=91.0),
    "Emergencies": FormProfile(0.012, 3.0, own_rate=97.0),
    "2FA Removal": FormProfile(0.03, 0.4, own_rate=98.0),
    "Billing": FormProfile(0.025, 1.2, own_rate=92.0, group="L&R"),
}


@dataclass(frozen=True)
class Week:
    monday: date
    days: tuple[date, ...]  # the days in the data: all 7, or up to `end` for the last week

    @property
    def complete(self) -> bool:
        return len(self.days) == 7


@dataclass(frozen=True)
class WeekPlan:
    """A volume factor and the planned combined rate (%) of each KPI for one week."""

    volume: float
    rates: dict[str, float]


class Target:
    """One SLA target: a row of the SLA export. `outcome` is the SLA target status."""

    __slots__ = ("metric", "status", "outcome", "day")

    def __init__(self, metric: str, status: str, outcome: str, day: date):
        self.metric = metric
        self.status = status
        self.outcome = outcome
        self.day = day


class Ticket:
    __slots__ = ("form", "region", "group", "priority", "opened", "targets", "ticket_id")

    def __init__(self, form: str, region: str, group: str, priority: str, opened: date, targets: list[Target]):
        self.form = form
        self.region = region
        self.group = group
        self.priority = priority
        self.opened = opened
        self.targets = targets
        self.ticket_id = 0


class Survey:
    """A solved ticket's row in the satisfaction export. `outcome` is the rating."""

    __slots__ = ("day", "ticket", "outcome")

    def __init__(self, day: date, ticket: Ticket, outcome: str):
        self.day = day
        self.ticket = ticket
        self.outcome = outcome


class CountedRows(dict):
    """The rows each KPI counts, registered as they are made: completed FRT and NRT
    targets, and answered surveys, keyed by (Monday of the row's date, KPI, form).
    Their outcomes stay "" until `_decide_outcomes`."""

    def __missing__(self, key: tuple[date, str, str]) -> list:
        rows: list = []
        self[key] = rows
        return rows


def generate_demo_exports(out_dir: Path, end: date, seed: int = 7) -> list[Path]:
    """Write the demo exports into out_dir and return their paths, in this order:
    SLA events CSV, satisfaction CSV, Sisense weekly aggregate CSV."""
    rng = random.Random(seed)
    weeks = _demo_weeks(end)
    plans = _plan_weeks(weeks, rng)
    reply_weights = _reply_lag_weights()

    counted = CountedRows()
    # The week before the window is simulated only for the next replies its tickets get
    # in the first week; without them that week would be short of NRT targets.
    warm_up = _week_before(weeks[0])
    warm_up_tickets, _ = _simulate_week(warm_up, plans[0], end, reply_weights, counted, rng)
    next_id = _number_tickets(warm_up_tickets, FIRST_TICKET_ID, rng)
    tickets = _inside_window(warm_up_tickets, weeks[0].monday)
    surveys: list[Survey] = []
    for week, plan in zip(weeks, plans, strict=True):
        week_tickets, week_surveys = _simulate_week(week, plan, end, reply_weights, counted, rng)
        next_id = _number_tickets(week_tickets, next_id, rng)
        tickets.extend(week_tickets)
        surveys.extend(week_surveys)
    _decide_outcomes(weeks, plans, counted, rng)

    surveys.sort(key=lambda survey: (survey.day, survey.ticket.ticket_id))
    sisense_rows = _sisense_rows(weeks, counted, rng)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / SLA_EVENTS_FILE, out_dir / SATISFACTION_FILE, out_dir / SISENSE_FILE]
    _write_lines(paths[0], SLA_COLUMNS, _sla_lines(tickets))
    _write_lines(paths[1], SATISFACTION_COLUMNS, _satisfaction_lines(surveys))
    _write_lines(paths[2], SISENSE_COLUMNS, [_csv_line(row) for row in sisense_rows])
    return paths


# --- The calendar and the story -------------------------------------------------------


def _demo_weeks(end: date) -> list[Week]:
    """DEMO_WEEKS complete weeks before the week containing `end`, plus that week up to `end`."""
    last_monday = _monday(end)
    first_monday = last_monday - timedelta(weeks=DEMO_WEEKS)
    weeks = []
    for index in range(DEMO_WEEKS + 1):
        monday = first_monday + timedelta(weeks=index)
        last_day = min(monday + timedelta(days=6), end)
        weeks.append(Week(monday, tuple(_date_range(monday, last_day))))
    return weeks


def _week_before(week: Week) -> Week:
    monday = week.monday - timedelta(weeks=1)
    return Week(monday, tuple(_date_range(monday, monday + timedelta(days=6))))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _date_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _is_holiday_week(monday: date) -> bool:
    """Christmas to New Year, when customers and engineers are away."""
    week = _date_range(monday, monday + timedelta(days=6))
    return any((day.month, day.day) >= (12, 24) or (day.month, day.day) == (1, 1) for day in week)


def _plan_weeks(weeks: list[Week], rng: random.Random) -> list[WeekPlan]:
    complete = [index for index, week in enumerate(weeks) if week.complete]
    frt_breach_weeks = complete[-3:]
    nrt_dip_week = complete[-20]
    # The breach deepens week by week, which is what a sustained breach usually looks like.
    breach_rates = sorted((rng.uniform(91.0, 92.0) for _ in frt_breach_weeks), reverse=True)

    plans = []
    for index, week in enumerate(weeks):
        holiday = _is_holiday_week(week.monday)
        day_of_year = week.monday.timetuple().tm_yday
        # A mild yearly swell (busiest in spring), a holiday trough, and weekly noise.
        volume = 1 + 0.06 * math.sin(2 * math.pi * (day_of_year - 20) / 365)
        volume = 0.87 if holiday else volume * rng.uniform(0.96, 1.04)
        volume = min(1.15, max(0.85, volume))

        if index in frt_breach_weeks:
            frt = breach_rates[frt_breach_weeks.index(index)]
        elif not week.complete:
            frt = rng.uniform(91.5, 92.8)  # the partial week: still struggling
        elif holiday:
            frt = rng.uniform(94.5, 95.0)
        else:
            frt = rng.uniform(95.3, 96.7)

        if index == nrt_dip_week:
            nrt = rng.uniform(81.0, 82.0)
        elif holiday or index in frt_breach_weeks or not week.complete:
            nrt = rng.uniform(85.4, 86.4)  # the same pressure shows a little on NRT
        else:
            nrt = rng.uniform(86.3, 88.7)

        plans.append(WeekPlan(volume, {"FRT": frt, "NRT": nrt, "SSAT": rng.uniform(95.4, 96.6)}))
    return plans


# --- Volume and timing ----------------------------------------------------------------


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` into integer parts proportional to `weights`, summing exactly to `total`.

    Parts are differences of rounded cumulative quotas. Splitting a smaller total over the
    same weights therefore never gets ahead of a larger one at any prefix, which lets the
    survey matching rely on enough tickets having been opened by each day.
    """
    weight_sum = sum(weights)
    parts = []
    cumulative = 0.0
    previous = 0
    for weight in weights:
        cumulative += weight
        rounded = math.floor(total * cumulative / weight_sum + 0.5)
        parts.append(rounded - previous)
        previous = rounded
    return parts


def _reply_lag_weights() -> list[list[float]]:
    """For a ticket opened on each weekday (Mon..Sun), cumulative weights of a next reply
    coming 0..NRT_MAX_LAG_DAYS days later: soon, and on weekdays rather than weekends."""
    return [
        list(
            itertools.accumulate(
                WEEKDAY_WEIGHTS[(opened_weekday + lag) % 7] * NRT_DAILY_DECAY**lag
                for lag in range(NRT_MAX_LAG_DAYS + 1)
            )
        )
        for opened_weekday in range(7)
    ]


def _binomial_weights(trials: int, mean: float) -> list[float]:
    """Weights of 0..trials successes for a binomial with the given mean."""
    chance = mean / trials
    return [math.comb(trials, k) * chance**k * (1 - chance) ** (trials - k) for k in range(trials + 1)]


def _active_probability(day: date, end: date) -> float:
    """Chance that a target touched on `day` is still running at export time.

    High for the last week or two (tickets waiting on an agent); a small floor covers
    tickets left on hold for months.
    """
    return 0.005 + 0.7 * math.exp(-(end - day).days / 8)


def _awaiting_first_reply_share(day: date, end: date) -> float:
    """Share of a day's new tickets still waiting for a first reply at export time: first
    replies come within a day or two, so only the last few days have any."""
    return 0.4 * math.exp(-(end - day).days / 1.5)


def _simulate_week(
    week: Week,
    plan: WeekPlan,
    end: date,
    reply_weights: list[list[float]],
    counted: CountedRows,
    rng: random.Random,
) -> tuple[list[Ticket], list[Survey]]:
    """The tickets opened in `week` with all their targets, and the week's solved tickets
    with their surveys. Counted rows are registered in `counted`, outcomes undecided."""
    day_weights = [WEEKDAY_WEIGHTS[day.weekday()] for day in week.days]
    # A partial week gets the share of a full week's volume that its days carry.
    base = TICKETS_PER_WEEK * plan.volume * sum(day_weights) / sum(WEEKDAY_WEIGHTS)
    lags = range(NRT_MAX_LAG_DAYS + 1)
    tickets: list[Ticket] = []
    surveys: list[Survey] = []
    for form, profile in FORM_PROFILES.items():
        opened_per_day = _split(round(base * profile.share * rng.uniform(0.94, 1.06)), day_weights)
        nrt_count_weights = list(itertools.accumulate(_binomial_weights(MAX_NRT_PER_TICKET, profile.nrt_per_ticket)))
        priority_weights = EMERGENCY_PRIORITY_CUM_WEIGHTS if form == "Emergencies" else PRIORITY_CUM_WEIGHTS
        groups = _groups_by_region(profile)
        first_replies = counted[(week.monday, "FRT", form)]
        form_tickets = []
        for day, opened in zip(week.days, opened_per_day, strict=True):
            regions = rng.choices(REGIONS, cum_weights=REGION_CUM_WEIGHTS, k=opened)
            priorities = rng.choices(PRIORITIES, cum_weights=priority_weights, k=opened)
            nrt_counts = rng.choices(range(MAX_NRT_PER_TICKET + 1), cum_weights=nrt_count_weights, k=opened)
            reply_lags = rng.choices(lags, cum_weights=reply_weights[day.weekday()], k=sum(nrt_counts))
            # Replies after `end` have not happened yet at export time.
            reply_days = _date_range(day, min(end, day + timedelta(days=NRT_MAX_LAG_DAYS)))
            next_replies = [counted[(_monday(reply_day), "NRT", form)] for reply_day in reply_days]
            active_chances = [_active_probability(reply_day, end) for reply_day in reply_days]
            next_lag = 0
            for region, priority, nrt_count in zip(regions, priorities, nrt_counts, strict=True):
                first_reply = Target(FRT_METRIC, "Completed", "", day)
                first_replies.append(first_reply)
                targets = [first_reply]
                last_lag = 0  # the day of the ticket's latest target, as days after opening
                for lag in sorted(reply_lags[next_lag : next_lag + nrt_count]):
                    if lag < len(reply_days):
                        next_reply = Target(NRT_METRIC, "Completed", "", reply_days[lag])
                        targets.append(next_reply)
                        next_replies[lag].append(next_reply)
                        last_lag = lag
                next_lag += nrt_count
                _add_uncounted_targets(targets, priority, reply_days[last_lag], active_chances[last_lag], rng)
                group = groups[region] or rng.choice(REGIONAL_GROUPS)
                form_tickets.append(Ticket(form, region, group, priority, day, targets))
        form_surveys = _solve_tickets(week, day_weights, form_tickets, rng)
        counted[(week.monday, "SSAT", form)].extend(survey for survey in form_surveys if survey.outcome == "")
        surveys.extend(form_surveys)
        tickets.extend(form_tickets)
        tickets.extend(_awaiting_first_reply(form, groups, priority_weights, week, opened_per_day, end, rng))
    return tickets, surveys


def _groups_by_region(profile: FormProfile) -> dict[str, str | None]:
    """The group a form's tickets land in per region; None ("All Regions" on a regional
    form) means whichever regional queue picks the ticket up, drawn per ticket."""
    return {region: profile.group or REGION_GROUPS.get(region) for region in REGIONS}


def _add_uncounted_targets(
    targets: list[Target], priority: str, last_touched: date, active_chance: float, rng: random.Random
) -> None:
    """Rows a reader must leave out of FRT/NRT: other SLA metrics, and still-Active targets,
    dated on the ticket's latest activity."""
    # So far `targets` holds the FRT target and the completed NRT targets.
    room_for_a_reply = len(targets) - 1 < MAX_NRT_PER_TICKET
    if rng.random() < REQUESTER_WAIT_CHANCE:
        targets.append(_other_metric_target(REQUESTER_WAIT_METRIC, last_touched, active_chance, rng))
    if rng.random() < PERIODIC_UPDATE_CHANCE[priority]:
        targets.append(_other_metric_target(PERIODIC_UPDATE_METRIC, last_touched, active_chance, rng))
    if room_for_a_reply and rng.random() < active_chance:
        targets.append(Target(NRT_METRIC, "Active", "", last_touched))


def _other_metric_target(metric: str, day: date, active_chance: float, rng: random.Random) -> Target:
    if rng.random() < active_chance:
        return Target(metric, "Active", "", day)
    return Target(metric, "Completed", "Achieved" if rng.random() < OTHER_METRIC_ACHIEVED else "Breached", day)


def _awaiting_first_reply(
    form: str,
    groups: dict[str, str | None],
    priority_weights: Sequence[float],
    week: Week,
    opened_per_day: list[int],
    end: date,
    rng: random.Random,
) -> list[Ticket]:
    """New tickets whose only target is an Active FRT: almost all in the last few days."""
    waiting = []
    for day, opened in zip(week.days, opened_per_day, strict=True):
        for _ in range(round(opened * _awaiting_first_reply_share(day, end))):
            region = rng.choices(REGIONS, cum_weights=REGION_CUM_WEIGHTS)[0]
            priority = rng.choices(PRIORITIES, cum_weights=priority_weights)[0]
            group = groups[region] or rng.choice(REGIONAL_GROUPS)
            waiting.append(Ticket(form, region, group, priority, day, [Target(FRT_METRIC, "Active", "", day)]))
    return waiting


def _solve_tickets(week: Week, day_weights: list[float], tickets: list[Ticket], rng: random.Random) -> list[Survey]:
    """Pick which of the week's tickets (in opening order) are solved on which day.

    Answered surveys get the outcome "" until `_decide_outcomes` rates them. Solves use
    the same day weights as openings and are fewer than the tickets, so `_split`
    guarantees that a ticket opened on or before each solve day is still unsolved.
    """
    solved_count = round(len(tickets) * SOLVED_SHARE * rng.uniform(0.95, 1.05))
    answered_count = round(solved_count * ANSWERED_SHARE * rng.uniform(0.9, 1.1))
    outcomes = [""] * answered_count + [
        "Offered" if rng.random() < 0.65 else "Unoffered" for _ in range(solved_count - answered_count)
    ]
    rng.shuffle(outcomes)
    surveys = []
    unsolved: list[Ticket] = []
    next_opened = 0
    for day, solves in zip(week.days, _split(solved_count, day_weights), strict=True):
        while next_opened < len(tickets) and tickets[next_opened].opened <= day:
            unsolved.append(tickets[next_opened])
            next_opened += 1
        for _ in range(solves):
            pick = int(rng.random() * len(unsolved))  # as rng.randrange, at a fraction of the cost
            unsolved[pick], unsolved[-1] = unsolved[-1], unsolved[pick]
            surveys.append(Survey(day, unsolved.pop(), outcomes[len(surveys)]))
    return surveys


def _inside_window(tickets: list[Ticket], first_day: date) -> list[Ticket]:
    """Tickets opened before the window, with only their rows from `first_day` on, as an
    export filtered on the status update date shows them (so without their FRT target)."""
    for ticket in tickets:
        ticket.targets = [target for target in ticket.targets if target.day >= first_day]
    return [ticket for ticket in tickets if ticket.targets]


def _number_tickets(tickets: list[Ticket], next_id: int, rng: random.Random) -> int:
    """Give IDs in opening order, with gaps for tickets outside these exports (spam, internal)."""
    tickets.sort(key=lambda ticket: (ticket.opened, rng.random()))
    for ticket, gap in zip(tickets, rng.choices((1, 2, 3), k=len(tickets)), strict=True):
        ticket.ticket_id = next_id
        next_id += gap
    return next_id


# --- Outcomes -------------------------------------------------------------------------


def _decide_outcomes(weeks: list[Week], plans: list[WeekPlan], counted: CountedRows, rng: random.Random) -> None:
    """Mark exactly the planned number of counted rows as missed, week by week.

    In-scope forms share the week's missed count so that the combined rate is the plan's,
    to the nearest whole row; each Other form just follows its own rate.
    """
    for week, plan in zip(weeks, plans, strict=True):
        for kpi in SIMULATED_KPIS:
            rows = {form: counted[(week.monday, kpi, form)] for form in FORM_PROFILES}
            missed = _spread_missed({form: len(rows[form]) for form in IN_SCOPE_FORMS}, kpi, plan.rates[kpi], rng)
            for form, profile in FORM_PROFILES.items():
                if form not in IN_SCOPE_FORMS:
                    missed_share = 1 - profile.own_rate * rng.uniform(0.98, 1.01) / 100
                    missed[form] = round(len(rows[form]) * missed_share)
            good, bad = KPI_OUTCOMES[kpi]
            for form, form_rows in rows.items():
                for row in form_rows:
                    row.outcome = good
                for index in rng.sample(range(len(form_rows)), missed[form]):
                    form_rows[index].outcome = bad


def _spread_missed(totals: dict[str, int], kpi: str, combined_rate: float, rng: random.Random) -> dict[str, int]:
    """Missed counts per in-scope form whose pooled rate is `combined_rate` (to one row),
    leaning on the forms whose offsets make them weaker on this KPI."""
    total = sum(totals.values())
    missed = total - math.floor(total * combined_rate / 100 + 0.5)
    weights = [
        totals[form] * max(0.5, 100 - combined_rate - FORM_PROFILES[form].offset(kpi)) * rng.uniform(0.85, 1.15)
        for form in IN_SCOPE_FORMS
    ]
    return dict(zip(IN_SCOPE_FORMS, _split(missed, weights), strict=True))


# --- Sisense --------------------------------------------------------------------------


def _sisense_rows(weeks: list[Week], counted: CountedRows, rng: random.Random) -> list[tuple]:
    """Explore's weekly counts per complete week, in-scope form and KPI, as a Sisense chart
    would download them, with 3 deliberate disagreements for the fact-check view to find."""
    complete_mondays = [week.monday for week in weeks if week.complete]
    counts = {}
    for monday in complete_mondays:
        for form in IN_SCOPE_FORMS:
            for kpi in SIMULATED_KPIS:
                rows = counted[(monday, kpi, form)]
                good = KPI_OUTCOMES[kpi][0]
                counts[(monday, form, kpi)] = [sum(row.outcome == good for row in rows), len(rows)]

    # Each disagreement is in a different week, never in the last 2 complete weeks, so
    # the latest numbers (the ones discussed in the meeting) agree.
    used_weeks: set[date] = set()
    for kpi, form in PLANTED_DISAGREEMENTS.items():
        shifts = {}
        for monday in complete_mondays[:-2]:
            segment_total = sum(counts[(monday, member, kpi)][1] for member in SEGMENT_MEMBERS[form])
            shifts[monday] = _shift(counts[(monday, form, kpi)][1], segment_total)
        monday = rng.choice([monday for monday, shift in shifts.items() if shift and monday not in used_weeks])
        used_weeks.add(monday)
        achieved, total = counts[(monday, form, kpi)]
        shift = shifts[monday]
        if achieved + shift > total:
            direction = -1
        elif achieved < shift:
            direction = 1
        else:
            direction = rng.choice((-1, 1))
        counts[(monday, form, kpi)][0] = achieved + direction * shift

    return [(monday, form, kpi, achieved, total) for (monday, form, kpi), (achieved, total) in counts.items()]


def _shift(form_total: int, segment_total: int) -> int:
    """A change of a form's `achieved` that moves both the form's and its segment's
    percentage by 2–6 points, or 0 if there is none (the form is too small)."""
    lowest = max(1, -(-2 * segment_total // 100))  # ceiling, in integers: no float edge cases
    highest = 6 * form_total // 100
    return (lowest + highest) // 2 if lowest <= highest else 0


# --- CSV output -----------------------------------------------------------------------


def _sla_lines(tickets: list[Ticket]) -> list[str]:
    """CSV lines, one per target, sorted by date, then ticket ID, then the ticket's target order.

    Lines are built by hand rather than with csv.writer, which takes about three times as
    long for the ~125,000 rows: see `_CsvFields`.
    """
    fields = _CsvFields()
    # Tickets come in ID order, so appending each target to its day's bucket keeps every
    # bucket sorted: no sort of the whole file is needed.
    by_day: dict[date, list[str]] = {}
    for ticket in tickets:
        head = f"{ticket.ticket_id},{fields[ticket.form]}"
        tail = f"{fields[ticket.region]},{fields[ticket.group]},{fields[ticket.priority]}"
        for target in ticket.targets:
            by_day.setdefault(target.day, []).append(
                f"{head},{target.metric},{target.status},{target.outcome},{fields[target.day]},{tail}"
            )
    return [line for day in sorted(by_day) for line in by_day[day]]


def _satisfaction_lines(surveys: list[Survey]) -> list[str]:
    fields = _CsvFields()
    return [
        f"{survey.ticket.ticket_id},{fields[survey.ticket.form]},{survey.outcome},{fields[survey.day]},"
        f"{fields[survey.ticket.region]}"
        for survey in surveys
    ]


class _CsvFields(dict):
    """Memoised CSV encoding of the values that repeat (forms, regions, dates, ...).

    Each distinct value is encoded once by `_csv_line`; the writers then only look values
    up. Ticket IDs and the fixed metric, status, outcome and rating words never need
    quoting, so they are written as they are.
    """

    def __missing__(self, value: object) -> str:
        text = _csv_line((value,))
        self[value] = text
        return text


def _csv_line(values: Sequence[object]) -> str:
    """One CSV line with minimal quoting, as csv.writer's QUOTE_MINIMAL would write it;
    dates as YYYY-MM-DD."""
    fields = []
    for value in values:
        text = str(value)  # str(date) is its ISO format
        if "," in text or '"' in text or "\n" in text or "\r" in text:
            text = '"' + text.replace('"', '""') + '"'
        fields.append(text)
    return ",".join(fields)


def _write_lines(path: Path, columns: Sequence[str], lines: list[str]) -> None:
    """UTF-8, header row first, "\\n" line ends."""
    path.write_text("\n".join([_csv_line(columns), *lines]) + "\n", encoding="utf-8", newline="")
