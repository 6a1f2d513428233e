"""Where a change comes from, Wilson intervals, volume and this week so far: hand-computed examples."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from fractions import Fraction

import pytest
from export_builders import csv_text, sla_rows, span_rows, weeks_from, write_sla

from lib.metrics import explain
from lib.metrics.kpis import kpi_summaries
from lib.store import database as store

MONDAY = dt.date(2026, 9, 7)
AMER, APAC, EMEA = "Americas, USA", "Asia Pacific", "Europe, Middle East, Africa"


def test_decomposition_by_region_matches_the_worked_example_in_decisions():
    # DECISIONS.md §16: APAC grows from 20 % to 30 % of the volume while its rate falls 95 -> 90.
    before = {"AMER": (475, 500), "APAC": (190, 200), "EMEA": (285, 300)}
    after = {"AMER": (475, 500), "APAC": (270, 300), "EMEA": (190, 200)}
    slices, change = explain.decompose(before, after)
    assert change == Fraction(-3, 2)
    parts = {s.name: (s.rate_part, s.mix_part) for s in slices}
    assert parts["AMER"] == (0, 0)
    assert parts["APAC"] == (Fraction(-5, 4), Fraction(-7, 40))
    assert parts["EMEA"] == (0, Fraction(-3, 40))
    assert sum(s.contribution for s in slices) == change


def test_a_slice_in_one_period_only_is_all_mix_and_the_parts_still_sum_exactly():
    before = {"A": (90, 100), "B": (45, 50)}
    after = {"A": (80, 100), "B": (95, 100), "C": (5, 10)}
    slices, change = explain.decompose(before, after)
    assert change == Fraction(600, 7) - 90  # 180/210 - 135/150, in points
    new = next(s for s in slices if s.name == "C")
    assert (new.rate0, new.rate1, new.total0) == (None, 50, 0)
    assert new.rate_part == 0
    assert new.mix_part == (50 - (90 + Fraction(600, 7)) / 2) * Fraction(1, 21)
    assert sum(s.contribution for s in slices) == change
    gone, _ = explain.decompose(after, before)  # and the other way round: a slice that disappeared
    assert sum(s.contribution for s in gone) == -change


def test_slices_under_the_minimum_in_both_periods_are_grouped_and_marked():
    before = {"big": (450, 500), "tiny": (9, 10), "few": (4, 5), "grew": (5, 5)}
    after = {"big": (460, 500), "tiny": (5, 10), "few": (5, 5), "grew": (30, 40)}
    slices, change = explain.decompose(before, after, min_events=30)
    names = {s.name: s for s in slices}
    assert set(names) == {"big", "grew", "Small slices (2)"}
    grouped = names["Small slices (2)"]
    assert grouped.small and grouped.members == ("few", "tiny")
    assert (grouped.good0, grouped.total0, grouped.good1, grouped.total1) == (13, 15, 10, 15)
    assert not names["grew"].small  # 40 events in the chosen week: judged on its own
    assert sum(s.contribution for s in slices) == change
    alone, _ = explain.decompose({"big": (450, 500), "tiny": (9, 10)}, {"big": (460, 500), "tiny": (5, 10)}, 30)
    assert [s.name for s in alone if s.small] == ["tiny"]  # one small slice keeps its name, marked


def test_rounded_parts_still_sum_to_the_rounded_total():
    parts = [Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)]
    assert explain.rounded_to_sum(parts, Fraction(1), 4) == [0.3334, 0.3333, 0.3333]
    parts = [Fraction(-2, 3), Fraction(-1, 3), Fraction(1, 7), Fraction(-1, 7)]
    rounded = explain.rounded_to_sum(parts, sum(parts), 4)
    assert round(sum(rounded), 4) == round(float(sum(parts)), 4) == -1.0


@pytest.mark.parametrize(
    ("good", "total", "low", "high"),
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score, no correction).
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_matches_published_values(good, total, low, high):
    interval = explain.wilson(good, total)
    assert (round(interval[0], 4), round(interval[1], 4)) == (low, high)


def test_wilson_of_nothing_counted_is_no_interval():
    assert explain.wilson(0, 0) is None
    assert explain.interval_text(None, None) == ""


def regional_rows(week, form, metric, counts):
    rows = []
    for region, (achieved, breached) in counts.items():
        rows += sla_rows(week, form, metric, achieved, breached, region=region)
    return rows


def ingest_two_weeks(con, tmp_path):
    weeks = weeks_from(MONDAY, 2)
    rows = span_rows(weeks[0], weeks[-1] + dt.timedelta(days=6))
    rows += regional_rows(weeks[0], "SaaS", "First reply time", {AMER: (475, 25), APAC: (190, 10), EMEA: (285, 15)})
    rows += regional_rows(weeks[1], "SaaS", "First reply time", {AMER: (300, 15), APAC: (170, 20), EMEA: (190, 10)})
    rows += regional_rows(weeks[1], "Self-Managed", "First reply time", {AMER: (160, 10), APAC: (100, 25)})
    rows += regional_rows(weeks[1], "Billing", "First reply time", {EMEA: (0, 50)})  # Other: outside combined
    store.ingest_file(con, write_sla(tmp_path / "two-weeks.csv", rows))
    return weeks


@pytest.mark.parametrize("by", ["segment", "region", "form"])
def test_stored_change_splits_exactly_and_matches_the_charted_values(con, tmp_path, by):
    weeks = ingest_two_weeks(con, tmp_path)
    settings = store.load_settings(con)
    result = explain.explain(con, settings, "FRT", weeks[1], by=by)
    series = {w.week: w for w in kpi_summaries(con, settings)["FRT"].series}
    assert (result.good0, result.total0) == (series[weeks[0]].good, series[weeks[0]].total) == (950, 1000)
    assert (result.good1, result.total1) == (series[weeks[1]].good, series[weeks[1]].total) == (920, 1000)
    assert result.total_change == -3
    assert sum(s.contribution for s in result.slices) == result.total_change
    shown = result.to_json()
    assert round(sum(e["rate_part"] + e["mix_part"] for e in shown["slices"]), 4) == shown["total_change"] == -3.0
    if by == "segment":
        # GitLab SM exists only in the chosen week: its whole contribution is mix.
        sm = next(s for s in result.slices if s.name == "GitLab SM")
        assert (sm.total0, sm.rate_part) == (0, 0)
        assert sm.mix_part == (Fraction(26000, 295) - Fraction(935, 10)) * Fraction(295, 1000)
        assert "Other" not in {s.name for s in result.slices}


def test_against_the_four_weeks_before_pools_them(con, tmp_path):
    weeks = weeks_from(MONDAY, 5)
    rows = span_rows(weeks[0], weeks[-1] + dt.timedelta(days=6))
    for week, (achieved, breached) in zip(weeks, [(95, 5), (190, 10), (96, 4), (97, 3), (90, 10)], strict=True):
        rows += sla_rows(week, "SaaS", "First reply time", achieved, breached)
    store.ingest_file(con, write_sla(tmp_path / "five.csv", rows))
    result = explain.explain(con, store.load_settings(con), "FRT", weeks[4], against="mean4")
    assert result.weeks0 == tuple(weeks[:4])
    assert (result.good0, result.total0) == (478, 500)
    assert result.total_change == 90 - Fraction(47800, 500)


def test_group_and_priority_are_not_stored_with_the_counts_and_the_refusal_says_so(con, tmp_path):
    weeks = ingest_two_weeks(con, tmp_path)
    with pytest.raises(explain.CannotExplain, match="Ticket group is not kept with the counts"):
        explain.explain(con, store.load_settings(con), "FRT", weeks[1], by="group")


def test_a_week_with_percentages_only_is_refused_not_split(con, tmp_path):
    header = ["Week", "Segment", "Metric", "Percentage"]
    rows = [["2026-09-07", "GitLab SaaS", "FRT", "95"], ["2026-09-14", "GitLab SaaS", "FRT", "91"]]
    (tmp_path / "pct.csv").write_text(csv_text(header, rows))
    store.ingest_file(con, tmp_path / "pct.csv", source="sisense")
    with pytest.raises(explain.CannotExplain, match="percentage without counts"):
        explain.explain(con, store.load_settings(con), "FRT", dt.date(2026, 9, 14))


def test_volume_against_the_previous_eight_weeks(con, tmp_path):
    weeks = weeks_from(MONDAY, 10)
    rows = span_rows(weeks[0], weeks[-1] + dt.timedelta(days=6))
    for index, week in enumerate(weeks):
        total = 100 + 10 * (index % 3) if index < 9 else 150  # 100, 110, 120, ... then a spike
        rows += sla_rows(week, "SaaS", "First reply time", total - 5, 5)
    store.ingest_file(con, write_sla(tmp_path / "ten.csv", rows))
    series = kpi_summaries(con, store.load_settings(con))["FRT"].series
    check = explain.volume_check(series, weeks[9])
    assert (check.total, check.weeks_used, check.low, check.high) == (150, 8, 100, 120)
    assert check.usual == (110 + 120 + 100 + 110 + 120 + 100 + 110 + 120) / 8
    assert check.above_range
    assert "above the range" in check.describe("FRT")


def test_rest_of_week_threshold_from_usual_volume():
    so_far = explain.WeekSoFar(
        "FRT", MONDAY, MONDAY, MONDAY + dt.timedelta(days=2), 276, 300, 93.0, 1100.0, breach_weeks_before=3
    )
    # The week ends above 93 % when 100 (276 + g) > 93 (300 + 800): g / 800 > 74700 / 80000 = 93.375 %.
    assert so_far.remaining == 800
    assert so_far.rest_must_exceed == Fraction(747, 8)
    assert so_far.describe().startswith("FRT 92.0 % so far (Mon–Wed, 300 targets; 95 % interval 88.4–94.6 %)")
    assert "27 % of a usual week's 1,100 targets are in" in so_far.describe()
    assert "a fourth breach week is likely unless the rest of the week runs above 93.4 %" in so_far.describe()
    out_of_reach = explain.WeekSoFar("FRT", MONDAY, MONDAY, MONDAY, 10, 100, 93.0, 110.0, 0)
    assert out_of_reach.rest_must_exceed > 100
    assert "even if every remaining target goes well" in out_of_reach.describe()


def test_status_json_gains_intervals_and_the_week_so_far(db_path, tmp_path):
    weeks = weeks_from(MONDAY, 3)
    rows = span_rows(weeks[0], weeks[2] + dt.timedelta(days=2))  # the export ends on the third week's Wednesday
    rows += sla_rows(weeks[0], "SaaS", "First reply time", 900, 100)  # 90 %: a breach
    rows += sla_rows(weeks[1], "SaaS", "First reply time", 1100, 100)  # 91.7 %: a breach
    rows += sla_rows(weeks[2], "SaaS", "First reply time", 276, 24)
    write_sla(tmp_path / "partial.csv", rows)
    run = [sys.executable, "-m", "lib", "--db", str(db_path)]
    subprocess.run([*run, "ingest", str(tmp_path / "partial.csv")], check=True, capture_output=True)
    status = json.loads(subprocess.run([*run, "status", "--json"], check=True, capture_output=True).stdout)
    frt = status["kpis"]["FRT"]
    assert frt["weeks_at_or_below"] == 2  # the partial week is not part of the streak
    low, high = explain.wilson(900, 1000)
    assert frt["weekly_interval_95"]["2026-09-07"] == [round(100 * low, 4), round(100 * high, 4)]
    so_far = frt["week_so_far"]
    assert (so_far["week"], so_far["through"], so_far["good"], so_far["total"]) == (
        "2026-09-21",
        "2026-09-23",
        276,
        300,
    )
    assert so_far["usual_weekly_total"] == 1100
    assert so_far["rest_must_exceed"] == 93.375
    assert "a third breach week is likely unless the rest of the week runs above 93.4 %" in so_far["statement"]


def test_explain_command_prints_the_split_as_json(db_path, tmp_path):
    with store.connect(db_path) as con:
        ingest_two_weeks(con, tmp_path)
    run = [sys.executable, "-m", "lib", "--db", str(db_path), "explain"]
    done = subprocess.run([*run, "FRT", "--week", "2026-09-16", "--by", "region", "--json"], capture_output=True)
    report = json.loads(done.stdout)
    assert (report["week"], report["against_weeks"], report["total_change"]) == ("2026-09-14", ["2026-09-07"], -3.0)
    apac = next(s for s in report["slices"] if s["slice"] == "APAC")
    assert (apac["good"], apac["total"], apac["against_good"], apac["against_total"]) == (270, 315, 190, 200)
    grouped = subprocess.run(
        [*run, "FRT", "--week", "2026-09-14", "--by", "region", "--min-events", "400", "--json"], capture_output=True
    )
    assert [s["slice"] for s in json.loads(grouped.stdout)["slices"]] == ["AMER", "Small slices (2)"]
    refused = subprocess.run([*run, "FRT", "--week", "2026-09-14", "--by", "priority"], capture_output=True, text=True)
    assert refused.returncode == 2 and "Priority is not kept with the counts" in refused.stderr
