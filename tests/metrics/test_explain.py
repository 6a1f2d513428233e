"""Where a change comes from, Wilson intervals, volume and this week so far: hand-computed examples."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from fractions import Fraction

import pytest
from export_builders import (
    SLA_HEADER,
    change_to_just_under_the_floor,
    csv_text,
    sla_rows,
    span_rows,
    weeks_from,
    write_sla,
)

from lib.metrics import explain
from lib.metrics.kpis import kpi_summaries
from lib.store import database as store
from lib.uploads import ingest
from lib.uploads import status as upload_status

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
    ingest.ingest_file(con, write_sla(tmp_path / "two-weeks.csv", rows))
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
    ingest.ingest_file(con, write_sla(tmp_path / "five.csv", rows))
    result = explain.explain(con, store.load_settings(con), "FRT", weeks[4], against="mean4")
    assert result.weeks0 == tuple(weeks[:4])
    assert (result.good0, result.total0) == (478, 500)
    assert result.total_change == 90 - Fraction(47800, 500)


def test_an_export_without_a_group_column_is_refused_by_group_naming_the_upload(con, tmp_path):
    weeks = ingest_two_weeks(con, tmp_path)
    assert explain.dimensions_in_data(con, "FRT") == ("segment", "region", "form")
    with pytest.raises(explain.CannotExplain) as refused:
        explain.explain(con, store.load_settings(con), "FRT", weeks[1], by="group")
    assert refused.value.message == (
        "Ticket group is not kept with the counts of upload 1 (two-weeks.csv) for the weeks of 07 Sep 2026, "
        "14 Sep 2026: the export had no Ticket group column, or it was stored before Floorline kept ticket group. "
        "Upload that export again with a 'Ticket group' column (in Explore, add the Ticket group attribute to the "
        "rows) to split by it, or choose segment, region or ticket form"
    )


SLICED_HEADER = [*SLA_HEADER, "Ticket group", "Ticket priority"]


def sliced_rows(week, cells, metric="First reply time", form="SaaS", region=AMER):
    """``cells``: (group, priority, achieved, breached) each; the rows of one week."""
    rows = []
    for group, priority, achieved, breached in cells:
        rows += [[*row, group, priority] for row in sla_rows(week, form, metric, achieved, breached, region=region)]
    return rows


def span_of(weeks):
    return [[*row, "", ""] for row in span_rows(weeks[0], weeks[-1] + dt.timedelta(days=6))]


# DECISIONS.md §16, by ticket group: APAC's desk is new in the second week, two desks are too small to judge.
GROUPS_BEFORE = [
    ("Support AMER", "Normal", 380, 20),
    ("Support EMEA", "High", 76, 4),
    ("L1 desk", "", 9, 1),
    ("L2 desk", "", 10, 0),
]
GROUPS_AFTER = [
    ("Support AMER", "Normal", 270, 30),
    ("Support APAC", "High", 85, 15),
    ("Support EMEA", "High", 76, 4),
    ("L1 desk", "", 8, 2),
    ("L2 desk", "", 9, 1),
]


def ingest_groups(con, tmp_path, name="groups.csv"):
    weeks = weeks_from(MONDAY, 2)
    rows = span_of(weeks) + sliced_rows(weeks[0], GROUPS_BEFORE) + sliced_rows(weeks[1], GROUPS_AFTER)
    ingest.ingest_file(con, write_sla(tmp_path / name, rows, header=SLICED_HEADER))
    return weeks


def test_change_split_by_group_matches_the_worked_example_in_decisions(con, tmp_path):
    weeks = ingest_groups(con, tmp_path)
    assert explain.dimensions_in_data(con, "FRT") == ("segment", "region", "form", "group", "priority")
    result = explain.explain(con, store.load_settings(con), "FRT", weeks[1], by="group", min_events=30)
    assert (result.good0, result.total0, result.good1, result.total1) == (475, 500, 448, 500)
    assert result.total_change == Fraction(-27, 5)  # 95 % -> 89.6 %
    parts = {s.name: (s.rate_part, s.mix_part) for s in result.slices}
    assert parts == {
        "Support AMER": (Fraction(-7, 2), Fraction(-1, 25)),  # 0.7 x (90 - 95); (92.5 - 92.3) x (0.6 - 0.8)
        "Support APAC": (0, Fraction(-73, 50)),  # only after: (85 - 92.3) x 0.2, all mix
        "Support EMEA": (0, 0),
        "Small slices (2)": (Fraction(-2, 5), 0),  # 0.04 x (85 - 95)
    }
    small = next(s for s in result.slices if s.small)
    assert small.members == ("L1 desk", "L2 desk")
    assert sum(s.contribution for s in result.slices) == result.total_change
    assert "Support AMER carries most of the drop of -5.40 pts" in explain.describe(result)


def test_change_split_by_priority_names_empty_cells_and_sums_exactly(con, tmp_path):
    weeks = ingest_groups(con, tmp_path)
    result = explain.explain(con, store.load_settings(con), "FRT", weeks[1], by="priority", min_events=30)
    cells = {s.name: (s.good0, s.total0, s.good1, s.total1, s.small) for s in result.slices}
    assert cells == {
        "Normal": (380, 400, 270, 300, False),
        "High": (76, 80, 161, 180, False),
        "(no priority)": (19, 20, 17, 20, True),  # one small slice keeps its name, marked
    }
    assert sum(s.contribution for s in result.slices) == result.total_change == Fraction(-27, 5)


def real_shaped_rows(weeks, seed):
    """An Explore SLA export as Zendesk writes it: both metrics, other SLA metrics, running targets, regions,
    groups with stray spaces and empty cells, and forms inside and outside the combined segments."""
    import random

    chance = random.Random(seed)
    forms = ["SaaS", "Self-Managed", "L&R", "Billing"]
    regions = [AMER, APAC, "Europe, Middle East, Africa", ""]
    groups = ["Support AMER", " Support APAC ", "Support EMEA", "", "L&R desk"]
    priorities = ["Low", "Normal", "High", "Urgent", ""]
    metrics = ["First reply time", "Next reply time", "Requester wait time"]
    rows = span_of(weeks)
    for week in weeks:
        for _ in range(chance.randint(300, 500)):
            day = (week + dt.timedelta(days=chance.randrange(7))).isoformat()
            status = chance.choice(["Completed"] * 9 + ["Active", "Paused"])
            outcome = (
                ""
                if status != "Completed" and chance.random() < 0.5
                else chance.choice(["Achieved"] * 9 + ["Breached"])
            )
            rows.append(
                [
                    str(chance.randint(100000, 999999)),
                    chance.choice(forms),
                    chance.choice(metrics),
                    status,
                    outcome,
                    day,
                    chance.choice(regions),
                    chance.choice(groups),
                    chance.choice(priorities),
                ]
            )
    return rows


def assert_slices_add_up(con, settings, kpi, weeks, region=None):
    series = {w.week: w for w in kpi_summaries(con, settings, region=region)[kpi].series}
    for by in ("group", "priority"):
        counts = explain.slice_counts(con, kpi, weeks, by, region=region)
        for week in weeks:
            pooled = (sum(g for g, _ in counts[week].values()), sum(t for _, t in counts[week].values()))
            assert pooled == (series[week].good, series[week].total), (by, week)


def test_slices_of_a_real_shaped_export_add_up_to_the_charted_value_through_reupload_and_rollback(con, tmp_path):
    settings = store.load_settings(con)
    weeks = weeks_from(MONDAY, 4)
    first = tmp_path / "explore-sla.csv"
    first.write_text(csv_text(SLICED_HEADER, real_shaped_rows(weeks, seed=1)))
    ingest.ingest_file(con, first)
    for kpi in ("FRT", "NRT"):
        assert_slices_add_up(con, settings, kpi, weeks)
        assert_slices_add_up(con, settings, kpi, weeks, region="APAC")
    # A newer export of the last two weeks speaks for them; rolled back, the first speaks again.
    newer = tmp_path / "explore-sla-newer.csv"
    newer.write_text(csv_text(SLICED_HEADER, real_shaped_rows(weeks[2:], seed=2)))
    upload = ingest.ingest_file(con, newer).upload_id
    assert_slices_add_up(con, settings, "FRT", weeks)
    upload_status.rollback(con, upload)
    assert_slices_add_up(con, settings, "FRT", weeks)
    upload_status.restore(con, upload)
    assert_slices_add_up(con, settings, "FRT", weeks)


def test_a_newer_upload_without_the_column_is_named_and_its_rollback_brings_the_split_back(con, tmp_path):
    weeks = ingest_groups(con, tmp_path)
    settings = store.load_settings(con)
    rows = span_rows(weeks[1], weeks[1] + dt.timedelta(days=6)) + sla_rows(weeks[1], "SaaS", "First reply time", 90, 10)
    plain = ingest.ingest_file(con, write_sla(tmp_path / "no-groups.csv", rows)).upload_id
    with pytest.raises(explain.CannotExplain, match=r"upload 2 \(no-groups.csv\) for the week of 14 Sep 2026"):
        explain.explain(con, settings, "FRT", weeks[1], by="group")
    upload_status.rollback(con, plain)
    assert explain.explain(con, settings, "FRT", weeks[1], by="group").total_change == Fraction(-27, 5)


def test_an_upload_stored_before_groups_were_kept_gains_them_when_uploaded_again(db_path, tmp_path):
    con = store.connect(db_path)
    weeks = ingest_groups(con, tmp_path)
    con.execute("DROP TABLE dimension_counts")  # a database from before this table existed
    con.close()
    con = store.connect(db_path)  # created on connect; the old upload has no slices
    settings = store.load_settings(con)
    assert explain.explain(con, settings, "FRT", weeks[1], by="region").total_change == Fraction(-27, 5)
    assert explain.dimensions_in_data(con, "FRT") == ("segment", "region", "form")
    with pytest.raises(explain.CannotExplain, match=r"upload 1 \(groups.csv\).*Upload that export again"):
        explain.explain(con, settings, "FRT", weeks[1], by="group")
    version = store.data_version(con)
    again = ingest.ingest_file(con, tmp_path / "groups.csv")
    assert (again.status, again.upload_id) == ("duplicate", 1)
    assert any("now keeps its ticket group and priority counts" in w for w in again.warnings)
    assert store.data_version(con) == version + 1
    assert explain.explain(con, settings, "FRT", weeks[1], by="group", min_events=30).total_change == Fraction(-27, 5)
    con.close()


def test_a_week_with_percentages_only_is_refused_not_split(con, tmp_path):
    header = ["Week", "Segment", "Metric", "Percentage"]
    rows = [["2026-09-07", "GitLab SaaS", "FRT", "95"], ["2026-09-14", "GitLab SaaS", "FRT", "91"]]
    (tmp_path / "pct.csv").write_text(csv_text(header, rows))
    ingest.ingest_file(con, tmp_path / "pct.csv", source="sisense")
    with pytest.raises(explain.CannotExplain, match="percentage without counts"):
        explain.explain(con, store.load_settings(con), "FRT", dt.date(2026, 9, 14))


def test_volume_against_the_previous_eight_weeks(con, tmp_path):
    weeks = weeks_from(MONDAY, 10)
    rows = span_rows(weeks[0], weeks[-1] + dt.timedelta(days=6))
    for index, week in enumerate(weeks):
        total = 100 + 10 * (index % 3) if index < 9 else 150  # 100, 110, 120, ... then a spike
        rows += sla_rows(week, "SaaS", "First reply time", total - 5, 5)
    ingest.ingest_file(con, write_sla(tmp_path / "ten.csv", rows))
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
    assert so_far.describe().startswith("FRT 92.0\u00a0% so far (Mon–Wed, 300 targets; 95 % interval 88.4–94.6 %)")
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
    assert refused.returncode == 2 and "Priority is not kept with the counts of upload 1" in refused.stderr


def test_explain_command_splits_by_group_as_json(db_path, tmp_path):
    with store.connect(db_path) as con:
        ingest_groups(con, tmp_path)
    run = [sys.executable, "-m", "lib", "--db", str(db_path), "explain", "FRT", "--week", "2026-09-14"]
    done = subprocess.run([*run, "--by", "group", "--min-events", "30", "--json"], capture_output=True, check=True)
    report = json.loads(done.stdout)
    assert (report["by"], report["value"], report["against_value"], report["total_change"]) == (
        "group",
        89.6,
        95.0,
        -5.4,
    )
    slices = {s["slice"]: s for s in report["slices"]}
    apac = slices["Support APAC"]
    assert (apac["good"], apac["total"], apac["against_total"], apac["against_value"]) == (85, 100, 0, None)
    assert (apac["rate_part"], apac["mix_part"], apac["contribution"]) == (0.0, -1.46, -1.46)
    assert (slices["Support AMER"]["rate_part"], slices["Support AMER"]["mix_part"]) == (-3.5, -0.04)
    assert slices["Small slices (2)"]["grouped"] == ["L1 desk", "L2 desk"]
    assert round(sum(s["contribution"] for s in report["slices"]), 4) == -5.4


def test_the_sentence_never_rounds_a_value_onto_the_floor():
    decomposition = change_to_just_under_the_floor(dt.date(2026, 9, 14))
    sentence = explain.describe(decomposition, floor=93.0)
    assert "94.0\u00a0% → 92.96\u00a0%" in sentence
    assert "93.0" not in sentence


def test_an_empty_group_and_a_group_written_no_group_are_one_slice_that_still_adds_up(con, tmp_path):
    # Found by review: the two share the name "(no group)", and one used to overwrite the other.
    header = [*SLA_HEADER[:6], "Ticket group", "Ticket priority"]
    rows = [
        ["1", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-07", "", ""],
        ["2", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-08", "(no group)", "(no priority)"],
        ["3", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-13", "A", "High"],
        ["4", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-14", "", ""],
        ["5", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-15", "", ""],
        ["6", "SaaS", "First reply time", "Completed", "Breached", "2026-09-16", "(no group)", "(no priority)"],
        ["7", "SaaS", "First reply time", "Completed", "Breached", "2026-09-16", "(no group)", "(no priority)"],
        ["8", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-20", "A", "High"],
    ]
    path = tmp_path / "no_group.csv"
    path.write_text(csv_text(header, rows))
    ingest.ingest_file(con, path)
    settings = store.load_settings(con)
    for by in ("group", "priority"):
        result = explain.explain(con, settings, "FRT", dt.date(2026, 9, 14), by=by, min_events=1)
        assert (result.good0, result.total0, result.good1, result.total1) == (3, 3, 3, 5)
        empty = next(s for s in result.slices if s.name.startswith("(no "))
        assert (empty.good0, empty.total0, empty.good1, empty.total1) == (2, 2, 2, 4)
        assert result.total_change == Fraction(60) - Fraction(100)


def one_week_change(counts0: dict, counts1: dict, by: str = "segment") -> explain.Decomposition:
    """The decomposition of the change from the week of 9 Nov 2026 to the next, from (good, counted) per slice."""
    slices, _ = explain.decompose(counts0, counts1)
    sums = [sum(cell[i] for cell in counts.values()) for counts in (counts0, counts1) for i in (0, 1)]
    return explain.Decomposition("FRT", by, (dt.date(2026, 11, 9),), (dt.date(2026, 11, 16),), *sums, slices, 0)


def test_the_sentence_names_two_close_slices_and_says_no_single_one_carries_the_change():
    # The waterfall shows GitLab SaaS -0.15, GitLab SM -0.13, L&R +0.10: neither drop is "all of it".
    before = {"L&R": (9000, 10000), "GitLab SM": (9500, 10000), "GitLab SaaS": (9500, 10000)}
    after = {"L&R": (9030, 10000), "GitLab SM": (9461, 10000), "GitLab SaaS": (9455, 10000)}
    decomposition = one_week_change(before, after)
    shown = {entry["slice"]: entry["contribution"] for entry in decomposition.to_json()["slices"]}
    assert shown == {"GitLab SaaS": -0.15, "GitLab SM": -0.13, "L&R": 0.1}
    sentence = explain.describe(decomposition, floor=93.0)
    assert sentence.startswith("No single segment carries the drop of -0.18 pts")
    assert "the largest are GitLab SaaS -0.15 pts, GitLab SM -0.13 pts; L&R +0.10 pts moved it the other way" in (
        sentence
    )
    assert "accounts for" not in sentence and "carries most" not in sentence


def test_the_sentence_says_which_slice_carries_the_change_at_the_waterfalls_precision():
    # DECISIONS.md §16's worked example: APAC gives -1.425 of the -1.5 points.
    before = {"AMER": (475, 500), "APAC": (190, 200), "EMEA": (285, 300)}
    after = {"AMER": (475, 500), "APAC": (270, 300), "EMEA": (190, 200)}
    sentence = explain.describe(one_week_change(before, after, by="region"), floor=93.0)
    assert sentence == (
        "APAC carries most of the drop of -1.50 pts (95.0\u00a0% in the week of 09 Nov 2026 → 93.5\u00a0% in the "
        "week of 16 Nov 2026, by region): -1.43 pts (its own rate fell 5.0 pts, 95.0\u00a0% → 90.0\u00a0%); "
        "next, EMEA -0.07 pts."
    )


def test_a_change_smaller_than_the_waterfall_shows_is_unchanged_at_this_precision_never_rose_zero():
    before = {"L&R": (9000, 10000), "GitLab SM": (95000, 100000)}
    after = {"L&R": (9000, 10000), "GitLab SM": (95001, 100000)}  # +0.0009 points
    sentence = explain.describe(one_week_change(before, after), floor=93.0)
    assert sentence.startswith("Unchanged at this precision (+0.001 pts)")
    assert "0.0 p" not in sentence and "rose" not in sentence


def test_a_tiny_change_is_written_with_the_decimals_that_tell_the_values_apart():
    before = {"A": (9500, 10000), "B": (9000, 10000)}
    after = {"A": (9500, 10000), "B": (9002, 10000)}  # +0.01 points: 92.50 % -> 92.51 %
    sentence = explain.describe(one_week_change(before, after), floor=93.0)
    assert "92.50\u00a0% in the week of 09 Nov 2026 → 92.51\u00a0%" in sentence
    assert "its own rate rose 0.02 pts, 90.00\u00a0% → 90.02\u00a0%" in sentence
    assert "rose 0.0 " not in sentence


def test_a_breached_week_is_explained_as_the_breach_weeks_against_the_four_weeks_before(con, tmp_path):
    weeks = weeks_from(MONDAY, 8)
    rows = span_rows(weeks[0], weeks[-1] + dt.timedelta(days=6))
    # 95 % for five weeks, then three weeks at or below the 93 % floor.
    for week, achieved in zip(weeks, [95, 95, 96, 94, 95, 90, 92, 91], strict=True):
        rows += sla_rows(week, "SaaS", "First reply time", achieved, 100 - achieved)
    ingest.ingest_file(con, write_sla(tmp_path / "breach.csv", rows))
    settings = store.load_settings(con)
    series = kpi_summaries(con, settings)["FRT"].series
    assert explain.default_against(series, weeks[7]) == "breach"
    assert explain.default_against(series, weeks[4]) == "previous"
    result = explain.explain(con, settings, "FRT", weeks[7], against="breach")
    assert result.weeks1 == tuple(weeks[5:]) and result.weeks0 == tuple(weeks[1:5])
    assert (result.good0, result.total0, result.good1, result.total1) == (380, 400, 273, 300)
    assert "95.0\u00a0% in the 4 weeks 14 Sep–05 Oct 2026 → 91.0\u00a0% in the 3 weeks 12 Oct–26 Oct 2026" in (
        explain.describe(result, settings.floors["FRT"])
    )
    with pytest.raises(explain.CannotExplain, match="above its floor in the week of 05 Oct 2026"):
        explain.explain(con, settings, "FRT", weeks[4], against="breach")
