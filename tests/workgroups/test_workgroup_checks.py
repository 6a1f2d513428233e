"""Library hypotheses checked against the data for a workgroup's breach weeks, on exports built here."""

from __future__ import annotations

import datetime as dt

import pytest
from export_builders import SLA_HEADER, sla_rows, span_rows, weeks_from, write_sla

from lib.metrics import explain
from lib.store import database as store
from lib.store.history import change_log
from lib.uploads import ingest
from lib.workgroups import checks, library, repository

MONDAY = dt.date(2026, 9, 7)
AMER, APAC, EMEA = "Americas, USA", "Asia Pacific", "Europe, Middle East, Africa"
TODAY = dt.date(2026, 11, 30)


def ingest_apac_breach(con, tmp_path, *, breach_volume=1000, groups=False):
    """Six weeks: four at 96 %, then two breach weeks in which APAC's own rate falls from 96 % to 80 %.

    With ``groups``, each region's targets are its support group's (Support AMER, ...), at Normal priority.
    """
    weeks = weeks_from(MONDAY, 6)
    rows = span_rows(weeks[0], weeks[-1] + dt.timedelta(days=6))
    for week in weeks[:4]:
        rows += sla_rows(week, "SaaS", "First reply time", 480, 20, region=AMER)
        rows += sla_rows(week, "SaaS", "First reply time", 192, 8, region=APAC)
        rows += sla_rows(week, "SaaS", "First reply time", 288, 12, region=EMEA)
    for week in weeks[4:]:
        scale = breach_volume // 1000
        rows += sla_rows(week, "SaaS", "First reply time", 480 * scale, 20 * scale, region=AMER)
        rows += sla_rows(week, "SaaS", "First reply time", 160 * scale, 40 * scale, region=APAC)  # 80 %
        rows += sla_rows(week, "SaaS", "First reply time", 288 * scale, 12 * scale, region=EMEA)
    header = None
    if groups:
        header = [*SLA_HEADER, "Ticket group", "Ticket priority"]
        names = {AMER: "Support AMER", APAC: "Support APAC", EMEA: "Support EMEA", "": ""}
        rows = [[*row, names[row[6]], "Normal" if row[6] else ""] for row in rows]
    ingest.ingest_file(con, write_sla(tmp_path / "apac.csv", rows, header=header))
    return weeks


def workgroup_with(con, library_ids):
    settings = store.load_settings(con)
    formed = repository.form_workgroup(con, "ann@example.com", settings, "FRT")
    for library_id in library_ids:
        library.copy_from_library(con, "ann@example.com", formed.workgroup_id, library_id)
    workgroup = repository.get_workgroup(con, formed.workgroup_id)
    return settings, workgroup, {h["library_id"]: h for h in workgroup["hypotheses"]}


def test_one_region_check_names_the_region_and_its_own_fall(con, tmp_path):
    weeks = ingest_apac_breach(con, tmp_path)
    settings, workgroup, hypotheses = workgroup_with(con, [6])
    assert checks.breach_weeks(workgroup) == weeks[4:]
    result = checks.run_check(con, settings, workgroup, hypotheses[6], by="region", today=TODAY)
    # 96.0 % -> 92.8 %: APAC (share 0.2 both times) carries the whole 3.2-point drop, its rate fell 16 points.
    assert result.words.startswith("APAC accounts for 3.20 of the 3.20-point drop by region (100 % of it)")
    assert "its own rate fell 16.0 pts, 96.0\u00a0% → 80.0\u00a0%" in result.words
    assert result.suggested == "supported"
    assert result.data_version == store.data_version(con)
    assert result.evidence_note().startswith(
        f"Checked against the data on 2026-11-30 (data version {result.data_version}): APAC accounts for"
    )


def test_one_group_check_uses_the_ticket_groups_where_the_export_has_them(con, tmp_path):
    ingest_apac_breach(con, tmp_path, groups=True)
    settings, workgroup, hypotheses = workgroup_with(con, [6])
    assert checks.portion_dimensions(con, "FRT") == ("segment", "region", "form", "group", "priority")
    result = checks.run_check(con, settings, workgroup, hypotheses[6], by="group", today=TODAY)
    assert result.words.startswith(
        "Support APAC accounts for 3.20 of the 3.20-point drop by ticket group (100 % of it)"
    )
    assert result.suggested == "supported"
    # Every target is Normal: one priority carries the whole drop, too alone to judge a portion by.
    by_priority = checks.run_check(con, settings, workgroup, hypotheses[6], by="priority", today=TODAY)
    assert by_priority.suggested == "inconclusive" and "Only one priority has enough events" in by_priority.words


def test_without_group_columns_the_portions_offered_are_segment_region_and_form(con, tmp_path):
    ingest_apac_breach(con, tmp_path)
    settings, workgroup, hypotheses = workgroup_with(con, [6])
    assert checks.portion_dimensions(con, "FRT") == ("segment", "region", "form")
    with pytest.raises(
        explain.CannotExplain, match=r"Ticket group is not kept with the counts of upload 1 \(apac.csv\)"
    ):
        checks.run_check(con, settings, workgroup, hypotheses[6], by="group", today=TODAY)


def test_a_check_attaches_dated_evidence_and_leaves_the_verdict_to_the_workgroup(con, tmp_path):
    ingest_apac_breach(con, tmp_path)
    settings, workgroup, hypotheses = workgroup_with(con, [6])
    result = checks.run_check(con, settings, workgroup, hypotheses[6], by="region", today=TODAY)
    checks.attach(con, "ann@example.com", result)
    [hypothesis] = repository.get_workgroup(con, workgroup["id"])["hypotheses"]
    assert [e["note"] for e in hypothesis["evidence"]] == [result.evidence_note()]
    assert hypothesis["verdict"] == "open"
    assert change_log(con, 1)[0][2] == "evidence added"


def test_volume_check_says_whether_the_breach_weeks_were_above_the_usual_range(con, tmp_path):
    ingest_apac_breach(con, tmp_path, breach_volume=2000)
    settings, workgroup, hypotheses = workgroup_with(con, [1])
    result = checks.run_check(con, settings, workgroup, hypotheses[1], today=TODAY)
    assert "averaged 1,000 (range 1,000–1,000)" in result.words
    assert "2 of 2 breach weeks were above that range" in result.words
    assert result.suggested == "supported"


def test_single_bad_day_check_counts_breaches_per_day(con, tmp_path):
    weeks = weeks_from(MONDAY, 6)
    rows = span_rows(weeks[0], weeks[-1] + dt.timedelta(days=6))
    for week in weeks[:4]:
        rows += sla_rows(week, "SaaS", "First reply time", 97, 3)
    for week in weeks[4:]:
        rows += sla_rows(week, "SaaS", "First reply time", 90, 2, day=0)
        rows += sla_rows(week, "SaaS", "First reply time", 0, 8, day=3)  # Thursday: 8 of the week's 10 breaches
    ingest.ingest_file(con, write_sla(tmp_path / "day.csv", rows))
    settings, workgroup, hypotheses = workgroup_with(con, [8])
    result = checks.run_check(con, settings, workgroup, hypotheses[8], today=TODAY)
    assert result.suggested == "supported"
    assert "the worst day, Thu 08 Oct, held 8 of its 10 breached targets (80 %)" in result.words


def test_hypotheses_the_data_cannot_speak_to_say_so(con, tmp_path):
    ingest_apac_breach(con, tmp_path)
    settings, workgroup, hypotheses = workgroup_with(con, [5, 6])
    assert checks.check_kind(hypotheses[5]) is None
    assert "PTO and staffing are not in the exports" in checks.cannot_check_reason(hypotheses[5])
    with pytest.raises(explain.CannotExplain, match="PTO"):
        checks.run_check(con, settings, workgroup, hypotheses[5])
    with pytest.raises(explain.CannotExplain, match="Ticket group is not kept"):
        checks.run_check(con, settings, workgroup, hypotheses[6], by="group")
