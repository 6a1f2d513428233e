"""The demo exports tell the intended story.

Everything is recomputed from the CSV files with the standard csv module, so the tests
check what a reader of the exports would see, not the generator's internals.
"""

from __future__ import annotations

import csv
import functools
from collections import Counter, defaultdict
from datetime import date, timedelta
from operator import itemgetter
from pathlib import Path

import pytest

from lib.demo.generate import DEMO_WEEKS, SIMULATED_KPIS, generate_demo_exports

THURSDAY_END = date(2026, 11, 26)
SUNDAY_END = date(2026, 11, 22)
IN_SCOPE_FORMS = ("SaaS", "SaaS Account", "Self-Managed", "L&R")
SEGMENT_OF = {"SaaS": "GitLab SaaS", "SaaS Account": "GitLab SaaS", "Self-Managed": "GitLab SM", "L&R": "L&R"}
KPI_OF_METRIC = {"First reply time": "FRT", "Next reply time": "NRT"}
FLOORS = {"FRT": 93, "NRT": 83, "SSAT": 93}

SLA_HEADER = [
    "Ticket ID",
    "Ticket form",
    "SLA metric",
    "SLA metric status",
    "SLA target status",
    "Time - SLA status update - Date",
    "Preferred Region for Support",
    "Ticket group",
    "Ticket priority",
]
SATISFACTION_HEADER = [
    "Ticket ID",
    "Ticket form",
    "Ticket satisfaction rating",
    "Ticket solved - Date",
    "Preferred Region for Support",
]
SISENSE_HEADER = ["week_start", "ticket_form", "kpi", "achieved", "total"]


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        return next(reader), list(reader)


def columns(header: list[str], *names: str) -> itemgetter:
    """A getter for the named columns of a row."""
    return itemgetter(*(header.index(name) for name in names))


@functools.cache
def parse_day(text: str) -> date:
    return date.fromisoformat(text)


@functools.cache
def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


class Exports:
    """What the tests need from the three files of one run, tallied with C-level passes
    over the rows (125,000 SLA rows, but only a few thousand distinct keys)."""

    def __init__(self, paths: list[Path], end: date):
        self.paths = paths
        self.end = end
        self.sla_header, sla = read_csv(paths[0])
        self.satisfaction_header, satisfaction = read_csv(paths[1])
        self.sisense_header, self.sisense = read_csv(paths[2])
        day_column = "Time - SLA status update - Date"

        self.sla_rows = len(sla)
        self.sla_days = list(map(columns(self.sla_header, day_column), sla))
        # (date, form, metric, metric status, target status) -> rows
        outcome_columns = ("Ticket form", "SLA metric", "SLA metric status", "SLA target status")
        self.sla_keys = Counter(map(columns(self.sla_header, day_column, *outcome_columns), sla))
        # Distinct (ticket, form, region, group, priority); rows per (ticket, metric); (ticket, date) pairs.
        ticket_columns = ("Ticket ID", "Ticket form", "Preferred Region for Support", "Ticket group", "Ticket priority")
        self.ticket_attributes = set(map(columns(self.sla_header, *ticket_columns), sla))
        self.targets_per_ticket = Counter(map(columns(self.sla_header, "Ticket ID", "SLA metric"), sla))
        self.ticket_days = set(map(columns(self.sla_header, "Ticket ID", day_column), sla))

        survey_columns = ("Ticket ID", "Ticket form", "Ticket satisfaction rating", "Ticket solved - Date")
        self.surveys = list(map(columns(self.satisfaction_header, *survey_columns), satisfaction))
        self.survey_regions = list(map(columns(self.satisfaction_header, "Preferred Region for Support"), satisfaction))
        self.satisfaction_days = [day for _, _, _, day in self.surveys]

        all_dates = {parse_day(day) for day in {*self.sla_days, *self.satisfaction_days}}
        self.first_date, self.last_date = min(all_dates), max(all_dates)
        # A week is complete when its Sunday is on or before the end date.
        self.complete_mondays = sorted(
            {monday_of(day) for day in all_dates if monday_of(day) + timedelta(days=6) <= end}
        )

        # (Monday, form, KPI) -> [achieved, counted], as a reader of the files computes it.
        self.segment_counts: dict[tuple[date, str, str], list[int]] = defaultdict(lambda: [0, 0])
        for (day, form, metric, status, outcome), rows in self.sla_keys.items():
            kpi = KPI_OF_METRIC.get(metric)
            if kpi and status == "Completed" and form in IN_SCOPE_FORMS:
                count = self.segment_counts[(monday_of(parse_day(day)), form, kpi)]
                count[0] += rows if outcome == "Achieved" else 0
                count[1] += rows
        for (form, rating, day), rows in Counter((form, rating, day) for _, form, rating, day in self.surveys).items():
            if rating in ("Good", "Bad") and form in IN_SCOPE_FORMS:
                count = self.segment_counts[(monday_of(parse_day(day)), form, "SSAT")]
                count[0] += rows if rating == "Good" else 0
                count[1] += rows

    def combined(self, kpi: str, monday: date) -> tuple[int, int]:
        """Pooled (achieved, counted) over the in-scope forms for one week."""
        pairs = [self.segment_counts[(monday, form, kpi)] for form in IN_SCOPE_FORMS]
        return sum(achieved for achieved, _ in pairs), sum(total for _, total in pairs)

    def weekly_percentages(self, kpi: str) -> list[float]:
        """Combined percentage of each complete week, oldest first."""
        return [100 * achieved / total for achieved, total in (self.combined(kpi, m) for m in self.complete_mondays)]

    def at_or_below_floor(self, kpi: str, monday: date) -> bool:
        achieved, total = self.combined(kpi, monday)
        return 100 * achieved <= FLOORS[kpi] * total


def pooled_percentage(counts, monday: date, kpi: str, forms: list[str]) -> float:
    """100 x achieved / total over `forms`, from a (Monday, form, KPI) -> (achieved, total) mapping."""
    achieved = sum(counts[(monday, form, kpi)][0] for form in forms)
    total = sum(counts[(monday, form, kpi)][1] for form in forms)
    return 100 * achieved / total


@pytest.fixture(scope="module")
def generate(tmp_path_factory):
    """generate(end, seed=7) -> paths; each (end, seed) is generated once per module."""
    runs: dict[tuple[date, int], list[Path]] = {}

    def run(end: date, seed: int = 7) -> list[Path]:
        if (end, seed) not in runs:
            runs[(end, seed)] = generate_demo_exports(tmp_path_factory.mktemp("demo"), end, seed)
        return runs[(end, seed)]

    return run


@pytest.fixture(scope="module", params=[THURSDAY_END, SUNDAY_END], ids=["thursday-end", "sunday-end"])
def exports(request, generate) -> Exports:
    return Exports(generate(request.param), request.param)


def test_files_are_named_in_order_and_have_exact_headers(exports):
    assert [path.name for path in exports.paths] == [
        "explore_sla_events_demo.csv",
        "explore_satisfaction_demo.csv",
        "sisense_weekly_kpis_demo.csv",
    ]
    assert exports.sla_header == SLA_HEADER
    assert exports.satisfaction_header == SATISFACTION_HEADER
    assert exports.sisense_header == SISENSE_HEADER


def test_same_seed_gives_identical_files_and_another_seed_does_not(generate, tmp_path):
    first = generate(THURSDAY_END)
    again = generate_demo_exports(tmp_path, THURSDAY_END, seed=7)
    other = generate(THURSDAY_END, seed=8)
    for first_path, again_path, other_path in zip(first, again, other, strict=True):
        first_bytes = first_path.read_bytes()
        assert again_path.read_bytes() == first_bytes
        assert other_path.read_bytes() != first_bytes


def test_dates_cover_the_year_up_to_end_and_every_day_has_rows(exports):
    end = exports.end
    expected_first = monday_of(end) - timedelta(weeks=DEMO_WEEKS)
    assert exports.first_date == expected_first
    assert exports.first_date.weekday() == 0
    assert exports.last_date == end
    # 52 complete weeks before the week of `end`; that week is complete only on a Sunday.
    assert len(exports.complete_mondays) == DEMO_WEEKS + (end.weekday() == 6)
    assert exports.complete_mondays[0] == expected_first
    every_day = {expected_first + timedelta(days=offset) for offset in range((end - expected_first).days + 1)}
    assert {parse_day(day) for day in set(exports.sla_days)} == every_day
    assert {parse_day(day) for day in set(exports.satisfaction_days)} == every_day
    # ISO dates sort as dates do.
    assert exports.sla_days == sorted(exports.sla_days)
    assert exports.satisfaction_days == sorted(exports.satisfaction_days)


def test_frt_is_in_a_sustained_breach_for_exactly_the_last_three_weeks(exports):
    mondays = exports.complete_mondays
    for monday in mondays[-3:]:
        achieved, total = exports.combined("FRT", monday)
        assert exports.at_or_below_floor("FRT", monday)
        assert 100 * achieved > 90 * total
    for monday in mondays[:-3]:
        achieved, total = exports.combined("FRT", monday)
        assert 100 * achieved > 93.5 * total, monday


def test_nrt_has_exactly_one_dip_about_twenty_weeks_before_the_end(exports):
    mondays = exports.complete_mondays
    breached = [index for index, monday in enumerate(mondays) if exports.at_or_below_floor("NRT", monday)]
    assert len(breached) == 1
    assert 15 <= len(mondays) - breached[0] <= 25
    percentages = exports.weekly_percentages("NRT")
    assert 80.5 <= percentages.pop(breached[0]) <= 82.5
    assert min(percentages) >= 84.5


def test_ssat_stays_well_above_its_floor(exports):
    assert min(exports.weekly_percentages("SSAT")) > 94


def test_weekly_volumes_are_realistic(exports):
    for monday in exports.complete_mondays:
        assert 560 <= exports.combined("FRT", monday)[1] <= 850
        assert 1050 <= exports.combined("NRT", monday)[1] <= 1700
        assert 100 <= exports.combined("SSAT", monday)[1] <= 200


def test_rows_a_reader_must_skip_are_present(exports):
    keys, total = exports.sla_keys, exports.sla_rows
    assert {"Requester wait time", "Periodic update"} <= {metric for _, _, metric, _, _ in keys}
    active = Counter({key: rows for key, rows in keys.items() if key[3] == "Active"})
    assert 0.005 * total <= active.total() <= 0.02 * total
    assert {outcome for _, _, _, _, outcome in active} == {""}
    # Active targets are mostly recent: more than half are in the last two weeks.
    recent = sum(rows for key, rows in active.items() if parse_day(key[0]) > exports.end - timedelta(days=14))
    assert recent > active.total() / 2
    assert {outcome for _, _, _, status, outcome in keys if status == "Completed"} == {"Achieved", "Breached"}
    other_forms = sum(rows for key, rows in keys.items() if key[1] not in IN_SCOPE_FORMS)
    assert 0.05 <= other_forms / total <= 0.11
    assert {region for _, _, region, _, _ in exports.ticket_attributes} == {
        "Americas, USA",
        "Asia Pacific",
        "Europe, Middle East, Africa",
        "All Regions",
    }
    ratings = Counter(rating for _, _, rating, _ in exports.surveys)
    assert 0.5 <= (ratings["Offered"] + ratings["Unoffered"]) / ratings.total() <= 0.7


def test_a_ticket_keeps_its_attributes_and_has_at_most_one_first_reply_target(exports):
    form_and_region = {ticket_id: (form, region) for ticket_id, form, region, _, _ in exports.ticket_attributes}
    # One form, region, group and priority per ticket.
    assert len(form_and_region) == len(exports.ticket_attributes)
    assert min(map(int, form_and_region)) >= 480000
    targets = exports.targets_per_ticket
    first_replies = {ticket_id for ticket_id, metric in targets if metric == "First reply time"}
    assert all(targets[(ticket_id, "First reply time")] == 1 for ticket_id in first_replies)
    assert max(count for (_, metric), count in targets.items() if metric == "Next reply time") <= 4
    # Tickets opened before the window show only their later rows, in its first days.
    carried_over = form_and_region.keys() - first_replies
    assert 0 < len(carried_over) < 0.02 * len(form_and_region)
    assert max(map(int, carried_over)) < min(map(int, first_replies))
    last_carried_over_day = max(parse_day(day) for ticket_id, day in exports.ticket_days if ticket_id in carried_over)
    assert last_carried_over_day < exports.first_date + timedelta(days=11)

    surveyed = [ticket_id for ticket_id, _, _, _ in exports.surveys]
    assert len(set(surveyed)) == len(surveyed)
    for (ticket_id, form, _, _), region in zip(exports.surveys, exports.survey_regions, strict=True):
        assert (form, region) == form_and_region[ticket_id]


def test_sisense_matches_explore_except_three_planted_disagreements(exports):
    mondays = exports.complete_mondays
    sisense = {
        (parse_day(week_start), form, kpi): (int(achieved), int(total))
        for week_start, form, kpi, achieved, total in exports.sisense
    }
    assert len(sisense) == len(exports.sisense)
    assert set(sisense) == {(monday, form, kpi) for monday in mondays for form in IN_SCOPE_FORMS for kpi in FLOORS}

    disagreements = []
    for key, (achieved, total) in sisense.items():
        explore_achieved, explore_total = exports.segment_counts[key]
        assert total == explore_total, key
        if achieved != explore_achieved:
            disagreements.append(key)
            assert 2 <= abs(100 * (achieved - explore_achieved) / total) <= 6, key
    assert len(disagreements) == 3
    assert len({monday for monday, _, _ in disagreements}) == 3
    assert all(monday not in mondays[-2:] for monday, _, _ in disagreements)

    # Reviewed per segment (SaaS and SaaS Account pooled), each still differs by 2–6 points,
    # and each KPI and each segment has exactly one disagreement.
    for monday, form, kpi in disagreements:
        members = [member for member in IN_SCOPE_FORMS if SEGMENT_OF[member] == SEGMENT_OF[form]]
        difference = pooled_percentage(sisense, monday, kpi, members) - pooled_percentage(
            exports.segment_counts, monday, kpi, members
        )
        assert 2 <= abs(difference) <= 6, (monday, form, kpi)
    assert sorted(kpi for _, _, kpi in disagreements) == sorted(SIMULATED_KPIS)
    assert sorted(SEGMENT_OF[form] for _, form, _ in disagreements) == ["GitLab SM", "GitLab SaaS", "L&R"]
