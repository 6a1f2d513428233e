"""The counting and breach rules, each through a real export and a real DuckDB file."""

from __future__ import annotations

import datetime as dt

import pytest
from export_builders import SATISFACTION_HEADER, csv_text, sla_rows, span_rows, weeks_from, write_sla

from lib.core.errors import NothingToChange
from lib.metrics.kpis import at_or_below, kpi_summaries, status_report
from lib.store import database as store
from lib.store import upload_records as records
from lib.store.history import change_log
from lib.uploads import ingest
from lib.uploads import status as upload_status

MONDAY = dt.date(2026, 9, 7)


def summaries(con):
    return kpi_summaries(con, store.load_settings(con))


def ingest_weeks(con, tmp_path, weekly: dict, name="sla.csv", first=MONDAY):
    """weekly: {week_index: [(form, metric, achieved, breached), ...]}; dates span whole weeks."""
    weeks = weeks_from(first, max(weekly) + 1)
    rows = span_rows(weeks[0], weeks[-1] + dt.timedelta(days=6))
    for index, parts in weekly.items():
        for form, metric, achieved, breached in parts:
            rows += sla_rows(weeks[index], form, metric, achieved, breached)
    return ingest.ingest_file(con, write_sla(tmp_path / name, rows))


def test_exactly_at_the_floor_is_a_breach():
    assert at_or_below(930, 1000, 93.0)
    assert not at_or_below(931, 1000, 93.0)
    # 92.99999 % would round to 93.0 on screen; the rule still sees it below.
    assert at_or_below(9299999, 10000000, 93.0)
    assert at_or_below(83, 100, 83)


def test_week_at_exactly_93_percent_counts_as_breach(con, tmp_path):
    ingest_weeks(con, tmp_path, {0: [("SaaS", "First reply time", 930, 70)]})
    week = summaries(con)["FRT"].latest
    assert (week.good, week.total, week.status) == (930, 1000, "breach")
    assert week.value == 93.0


def test_active_targets_and_other_sla_metrics_do_not_count(con, tmp_path):
    rows = span_rows(MONDAY, MONDAY + dt.timedelta(days=6))
    rows += sla_rows(MONDAY, "SaaS", "First reply time", 9, 1)
    rows += [["", "SaaS", "First reply time", "Active", "", "2026-09-09", ""]] * 5
    rows += [["", "SaaS", "First reply time", "Active", "Breached", "2026-09-09", ""]] * 3
    rows += [["", "SaaS", "Periodic update", "Completed", "Breached", "2026-09-09", ""]] * 4
    result = ingest.ingest_file(con, write_sla(tmp_path / "a.csv", rows))
    week = summaries(con)["FRT"].latest
    assert (week.good, week.total) == (9, 10)
    assert result.ignored == {"target still active": 8, "other SLA metric": 6}


def test_offered_and_unoffered_surveys_do_not_count(con, tmp_path):
    rows = [
        ["1", "SaaS", "Good", "2026-09-07"],
        ["2", "SaaS", "Bad", "2026-09-08"],
        ["3", "SaaS", "Offered", "2026-09-09"],
        ["4", "SaaS", "Unoffered", "2026-09-10"],
        ["5", "Self-Managed", "Good", "2026-09-13"],
    ]
    path = tmp_path / "ssat.csv"
    path.write_text(csv_text(SATISFACTION_HEADER, rows))
    result = ingest.ingest_file(con, path)
    week = summaries(con)["SSAT"].latest
    assert (week.good, week.total) == (2, 3)
    assert result.ignored == {"survey not answered": 2}


def test_other_forms_stay_out_of_combined_but_are_reported(con, tmp_path):
    result = ingest_weeks(
        con,
        tmp_path,
        {0: [("SaaS", "First reply time", 95, 5), ("GitLab Dedicated", "First reply time", 0, 50)]},
    )
    week = summaries(con)["FRT"].latest
    assert (week.good, week.total) == (95, 100)
    assert (week.segments["Other"].good, week.segments["Other"].total) == (0, 50)
    assert any("GitLab Dedicated" in warning for warning in result.warnings)


def test_combined_pools_counts_rather_than_averaging_percentages(con, tmp_path):
    # L&R 50/100 (50 %), GitLab SaaS 990/1000 (99 %): mean 74.5 %, pooled 1040/1100 = 94.5 %.
    ingest_weeks(con, tmp_path, {0: [("L&R", "First reply time", 50, 50), ("SaaS", "First reply time", 990, 10)]})
    week = summaries(con)["FRT"].latest
    assert (week.good, week.total) == (1040, 1100)
    assert abs(week.value - 100 * 1040 / 1100) < 1e-9
    assert week.status == "ok"


def test_two_consecutive_weeks_at_or_below_is_a_sustained_breach(con, tmp_path):
    frt = "First reply time"
    ingest_weeks(con, tmp_path, {0: [("SaaS", frt, 96, 4)], 1: [("SaaS", frt, 92, 8)], 2: [("SaaS", frt, 93, 7)]})
    summary = summaries(con)["FRT"]
    assert summary.streak == 2 and summary.sustained_breach
    assert [(e.start, e.end, e.weeks, e.worst_value) for e in summary.episodes] == [
        (MONDAY + dt.timedelta(days=7), MONDAY + dt.timedelta(days=14), 2, 92.0)
    ]


def test_episodes_and_the_sustained_breach_follow_the_sustained_weeks_setting(con, tmp_path):
    frt = "First reply time"
    # ok, breach, breach, ok, breach, breach, breach: runs of 2 and 3 weeks.
    weekly = {i: [("SaaS", frt, 90, 10) if i in (1, 2, 4, 5, 6) else ("SaaS", frt, 96, 4)] for i in range(7)}
    ingest_weeks(con, tmp_path, weekly)
    two = summaries(con)["FRT"]
    assert [e.weeks for e in two.episodes] == [2, 3] and two.sustained_breach

    store.save_setting(con, "sustained_weeks", 4, actor="ana")
    four = summaries(con)["FRT"]
    assert four.streak == 3 and not four.sustained_breach
    assert four.episodes == []  # neither run is four weeks long

    store.save_setting(con, "sustained_weeks", 3, actor="ana")
    three = summaries(con)["FRT"]
    assert three.sustained_breach and [(e.start, e.weeks) for e in three.episodes] == [(weeks_from(MONDAY, 7)[4], 3)]


def test_a_gap_breaks_a_streak_and_is_reported(con, tmp_path):
    frt = "First reply time"
    # Week 1 has no FRT data at all: a gap, neither pass nor breach.
    ingest_weeks(con, tmp_path, {0: [("SaaS", frt, 90, 10)], 2: [("SaaS", frt, 90, 10)]})
    summary = summaries(con)["FRT"]
    assert [w.status for w in summary.series] == ["breach", "gap", "breach"]
    assert summary.streak == 1 and not summary.sustained_breach
    assert summary.episodes == []
    report = status_report(con, store.load_settings(con))
    assert report["kpis"]["FRT"]["gaps"] == [str(MONDAY + dt.timedelta(days=7))]


def test_a_partial_latest_week_is_shown_but_not_counted(con, tmp_path):
    frt = "First reply time"
    weeks = weeks_from(MONDAY, 3)
    rows = span_rows(weeks[0], weeks[2] + dt.timedelta(days=2))  # the export ends on week 3's Wednesday
    rows += sla_rows(weeks[0], "SaaS", frt, 96, 4) + sla_rows(weeks[1], "SaaS", frt, 92, 8)
    rows += sla_rows(weeks[2], "SaaS", frt, 50, 50, day=1)
    ingest.ingest_file(con, write_sla(tmp_path / "p.csv", rows))
    summary = summaries(con)["FRT"]
    assert summary.latest.week == weeks[1]
    assert summary.latest_partial.week == weeks[2] and summary.latest_partial.value == 50.0
    assert summary.streak == 1 and not summary.sustained_breach
    report = status_report(con, store.load_settings(con))
    assert report["latest_week"] == str(weeks[1])
    assert report["kpis"]["FRT"]["partial_weeks"] == {str(weeks[2]): 50.0}


def test_newest_upload_wins_and_rollback_brings_the_older_figures_back(con, tmp_path):
    frt = "First reply time"
    first = ingest_weeks(con, tmp_path, {0: [("SaaS", frt, 90, 10)], 1: [("SaaS", frt, 90, 10)]}, name="old.csv")
    newer = ingest_weeks(con, tmp_path, {0: [("SaaS", frt, 97, 3)]}, name="new.csv", first=MONDAY + dt.timedelta(7))
    weekly = status_report(con, store.load_settings(con))["kpis"]["FRT"]["weekly"]
    assert weekly == {str(MONDAY): 90.0, str(MONDAY + dt.timedelta(7)): 97.0}
    upload_status.rollback(con, newer.upload_id)
    weekly = status_report(con, store.load_settings(con))["kpis"]["FRT"]["weekly"]
    assert weekly == {str(MONDAY): 90.0, str(MONDAY + dt.timedelta(7)): 90.0}
    upload_status.restore(con, newer.upload_id)
    weekly = status_report(con, store.load_settings(con))["kpis"]["FRT"]["weekly"]
    assert weekly[str(MONDAY + dt.timedelta(7))] == 97.0
    assert [u["status"] for u in records.list_uploads(con)] == ["active", "active"]
    assert first.upload_id != newer.upload_id


def test_restoring_an_active_upload_or_rolling_back_twice_changes_nothing(con, tmp_path):
    frt = "First reply time"
    ingest_weeks(con, tmp_path, {0: [("SaaS", frt, 90, 10)], 1: [("SaaS", frt, 90, 10)]}, name="old.csv")
    newer = ingest_weeks(con, tmp_path, {0: [("SaaS", frt, 97, 3)]}, name="new.csv", first=MONDAY + dt.timedelta(7))
    older = newer.upload_id - 1

    def stored():
        return (
            con.execute("SELECT id, status, precedence FROM uploads ORDER BY id").fetchall(),
            change_log(con),
            store.data_version(con),
        )

    before = stored()
    # Restoring the older, active upload would put it above the newer one for week 2.
    with pytest.raises(NothingToChange, match=r"Upload \d+ \(old.csv\) is already active: nothing changed"):
        upload_status.restore(con, older)
    assert stored() == before
    weekly = status_report(con, store.load_settings(con))["kpis"]["FRT"]["weekly"]
    assert weekly[str(MONDAY + dt.timedelta(7))] == 97.0

    upload_status.rollback(con, newer.upload_id)
    rolled_back = stored()
    with pytest.raises(NothingToChange, match="is already rolled back: nothing changed"):
        upload_status.rollback(con, newer.upload_id)
    assert stored() == rolled_back


def test_a_complete_older_week_beats_a_newer_export_that_starts_mid_week(con, tmp_path):
    frt = "First reply time"
    ingest_weeks(con, tmp_path, {0: [("SaaS", frt, 90, 10)]}, name="full.csv")
    rows = span_rows(MONDAY + dt.timedelta(days=3), MONDAY + dt.timedelta(days=13))
    rows += sla_rows(MONDAY, "SaaS", frt, 5, 0, day=4) + sla_rows(MONDAY + dt.timedelta(7), "SaaS", frt, 9, 1)
    ingest.ingest_file(con, write_sla(tmp_path / "late.csv", rows))
    weekly = status_report(con, store.load_settings(con))["kpis"]["FRT"]["weekly"]
    assert weekly[str(MONDAY)] == 90.0  # the week the newer file only half covers keeps the full figure


def test_the_same_file_twice_changes_nothing(con, tmp_path):
    result = ingest_weeks(con, tmp_path, {0: [("SaaS", "First reply time", 90, 10)]})
    before = status_report(con, store.load_settings(con))
    again = ingest.ingest_file(con, tmp_path / "sla.csv", file_name="renamed.csv")
    assert again.status == "duplicate" and again.upload_id == result.upload_id
    assert status_report(con, store.load_settings(con)) == before
    assert len(records.list_uploads(con)) == 1


def test_week_start_is_a_setting(con, tmp_path):
    store.save_setting(con, "week_start", "sunday")
    rows = span_rows(dt.date(2026, 9, 6), dt.date(2026, 9, 19))
    rows += sla_rows(dt.date(2026, 9, 6), "SaaS", "First reply time", 9, 1, day=0)  # a Sunday
    ingest.ingest_file(con, write_sla(tmp_path / "s.csv", rows))
    assert summaries(con)["FRT"].series[0].week == dt.date(2026, 9, 6)


def test_floors_are_settings(con, tmp_path):
    ingest_weeks(con, tmp_path, {0: [("SaaS", "First reply time", 94, 6)]})
    assert summaries(con)["FRT"].latest.status == "ok"
    store.save_setting(con, "floors", {"FRT": 94.0, "NRT": 83.0, "SSAT": 93.0})
    assert summaries(con)["FRT"].latest.status == "breach"
