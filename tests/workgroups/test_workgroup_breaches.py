"""A workgroup's recovery: consecutive complete weeks above the floor after its trigger (DECISIONS.md §11)."""

from __future__ import annotations

import datetime as dt

import pytest
from export_builders import sla_rows, span_rows, weeks_from, write_sla

from lib.metrics.kpis import WeekValue
from lib.store import database as store
from lib.uploads import ingest
from lib.workgroups import breaches, repository


def week(day: str, status: str, value: float | None = 95.0) -> WeekValue:
    return WeekValue(dt.date.fromisoformat(day), value, None, None, status)


def test_recovery_needs_consecutive_complete_weeks_above_the_floor_after_the_trigger():
    series = [
        week("2026-01-05", "breach", 90),
        week("2026-01-12", "breach", 90),  # trigger ends here
        week("2026-01-19", "ok"),
        week("2026-01-26", "breach", 91),  # the run starts again
        week("2026-02-02", "ok"),
        week("2026-02-09", "gap", None),  # a week nobody can vouch for breaks the run
        week("2026-02-16", "ok"),
        week("2026-02-23", "ok"),
    ]
    recovery = breaches.recovery_of(series, dt.date(2026, 1, 12), 2)
    assert recovery.recovered
    assert recovery.recovered_on == dt.date(2026, 2, 23)
    assert "23 Feb 2026" in recovery.describe()

    not_yet = breaches.recovery_of(series[:6], dt.date(2026, 1, 12), 2)
    assert not not_yet.recovered and not_yet.weeks_above == 0
    assert breaches.recovery_of(series, dt.date(2026, 1, 12), 3).recovered is False


def test_a_partial_newest_week_neither_counts_nor_restarts_the_run():
    """Partial week at the end of the recovery run: the export simply ends before the week does."""
    series = [week("2026-01-05", "breach", 90), week("2026-01-12", "ok"), week("2026-01-19", "partial", 97)]
    recovery = breaches.recovery_of(series, dt.date(2026, 1, 5), 2)
    assert not recovery.recovered
    assert recovery.weeks_above == 1
    assert recovery.describe() == "Not recovered: 1 of 2 weeks above the floor so far"
    # Once that week is complete and above the floor, the run of two is there.
    completed = [*series[:2], week("2026-01-19", "ok", 97)]
    assert breaches.recovery_of(completed, dt.date(2026, 1, 5), 2).recovered_on == dt.date(2026, 1, 19)


def test_a_partial_week_right_after_the_trigger_restarts_the_count():
    """Partial week at the start of the recovery run."""
    series = [
        week("2026-01-05", "breach", 90),
        week("2026-01-12", "partial", 97),
        week("2026-01-19", "ok"),
        week("2026-01-26", "ok"),
    ]
    recovery = breaches.recovery_of(series, dt.date(2026, 1, 5), 2)
    assert recovery.recovered and recovery.recovered_on == dt.date(2026, 1, 26)
    assert recovery.weeks_observed == 2


def test_a_partial_week_in_the_middle_of_the_run_restarts_the_count_and_recovery_still_comes():
    """DECISIONS §11: 94.0, (partial), 95.1, 93.4, 96.0 after the trigger recovers at 93.4."""
    series = [
        week("2026-01-05", "breach", 92.1),
        week("2026-01-12", "breach", 91.5),
        week("2026-01-19", "breach", 92.6),  # trigger ends here
        week("2026-01-26", "ok", 94.0),
        week("2026-02-02", "partial", 97.0),  # restarts the count
        week("2026-02-09", "ok", 95.1),
        week("2026-02-16", "ok", 93.4),
        week("2026-02-23", "ok", 96.0),
    ]
    assert breaches.recovery_of(series[:6], dt.date(2026, 1, 19), 2).describe() == (
        "Not recovered: 1 of 2 weeks above the floor so far"
    )
    recovery = breaches.recovery_of(series, dt.date(2026, 1, 19), 2)
    assert recovery.recovered and recovery.recovered_on == dt.date(2026, 2, 16)
    assert recovery.weeks_observed == 3  # the partial week is not a complete week


def test_the_issue_sequence_of_uploads_recovers_at_93_4(con, tmp_path):
    """SaaS FRT 92.1, 91.5, 92.6 (trigger), 94.0; an export from Thursday to Sunday of the next week
    (partial, then complete at 95.1); then 93.4 and 96.0: recovered in the week of 93.4."""
    weeks = weeks_from(dt.date(2026, 6, 1), 8)
    frt = "First reply time"

    def sunday(week_start):
        return week_start + dt.timedelta(days=6)

    first = span_rows(weeks[0], sunday(weeks[3]))
    for week_start, achieved in zip(weeks[:4], (921, 915, 926, 940), strict=True):
        first += sla_rows(week_start, "SaaS", frt, achieved, 1000 - achieved)
    ingest.ingest_file(con, write_sla(tmp_path / "june.csv", first), uploaded_by="ana")
    thursday = weeks[4] + dt.timedelta(days=3)
    second = span_rows(thursday, sunday(weeks[5]))
    second += sla_rows(weeks[4], "SaaS", frt, 97, 3, day=4) + sla_rows(weeks[5], "SaaS", frt, 951, 49)
    ingest.ingest_file(con, write_sla(tmp_path / "thursday-to-sunday.csv", second), uploaded_by="ana")
    third = span_rows(weeks[6], sunday(weeks[7]))
    third += sla_rows(weeks[6], "SaaS", frt, 934, 66) + sla_rows(weeks[7], "SaaS", frt, 960, 40)
    ingest.ingest_file(con, write_sla(tmp_path / "july.csv", third), uploaded_by="ana")

    settings = store.load_settings(con)
    series = breaches.scope_series(con, settings, "FRT")
    assert [w.status for w in series] == ["breach"] * 3 + ["ok", "partial", "ok", "ok", "ok"]
    formed = repository.form_workgroup(con, "ana", settings, "FRT", opened_on=weeks[3])
    workgroup = repository.get_workgroup(con, formed.workgroup_id)
    assert workgroup["trigger_end"] == weeks[2]
    recovery = breaches.recovery_of(series, workgroup["trigger_end"], settings.recovery_weeks)
    assert recovery.recovered and recovery.recovered_on == weeks[6]
    assert recovery.describe() == "Recovered: 2 weeks above the floor by the week of 13 Jul 2026"


def test_recovery_from_uploaded_weeks_uses_the_recovery_setting(con, tmp_path):
    first = dt.date(2026, 1, 5)
    weeks = weeks_from(first, 7)
    # ok, breach, breach (the trigger), ok, breach, ok, ok: recovered in the seventh week
    breached = [3, 10, 10, 4, 9, 4, 4]
    rows = span_rows(first, weeks[-1] + dt.timedelta(days=6))
    for week_start, bad in zip(weeks, breached, strict=True):
        rows += sla_rows(week_start, "SaaS", "First reply time", 100 - bad, bad)
    ingest.ingest_file(con, write_sla(tmp_path / "explore.csv", rows), uploaded_by="ana")
    settings = store.load_settings(con)
    formed = repository.form_workgroup(con, "ana", settings, "FRT", opened_on=weeks[3])
    workgroup = repository.get_workgroup(con, formed.workgroup_id)
    assert [w["week"] for w in workgroup["trigger_weeks"]] == [str(weeks[1]), str(weeks[2])]
    assert workgroup["trigger_weeks"][0]["value"] == pytest.approx(90.0)

    series = breaches.scope_series(con, settings, "FRT")
    recovery = breaches.recovery_of(series, workgroup["trigger_end"], settings.recovery_weeks)
    assert recovery.recovered and recovery.recovered_on == weeks[6]

    store.save_setting(con, "recovery_weeks", 3, actor="ana")
    stricter = store.load_settings(con)
    assert not breaches.recovery_of(series, workgroup["trigger_end"], stricter.recovery_weeks).recovered
