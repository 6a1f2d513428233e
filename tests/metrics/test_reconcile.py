"""Explore against Sisense: matching the two sources week by week, and the tolerance."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from export_builders import csv_text, sla_rows, span_rows, weeks_from, write_sla

from lib.core.settings import COMBINED_SEGMENTS, DEFAULT_FORM_SEGMENTS
from lib.metrics import reconcile
from lib.metrics.kpis import WeekValue
from lib.store import database as store
from lib.uploads import ingest
from lib.uploads import status as upload_status

MONDAY = dt.date(2026, 9, 7)
WEEKS = weeks_from(MONDAY, 4)
SISENSE_HEADER = ["week_start", "ticket_form", "kpi", "achieved", "total"]


def explore_upload(con, tmp_path: Path, weekly: dict, *, name="explore.csv", last_day: dt.date | None = None):
    """weekly: {week: {form: (achieved, breached)}} of FRT targets; the export's dates span whole weeks."""
    weeks = sorted(weekly)
    rows = span_rows(weeks[0], last_day or weeks[-1] + dt.timedelta(days=6))
    for week, forms in weekly.items():
        for form, (achieved, breached) in forms.items():
            rows += sla_rows(week, form, "First reply time", achieved, breached)
    return ingest.ingest_file(con, write_sla(tmp_path / name, rows), uploaded_by="ana@example.com")


def sisense_upload(con, tmp_path: Path, rows: list[list], *, name="sisense.csv", header=SISENSE_HEADER, is_demo=False):
    path = tmp_path / name
    path.write_text(csv_text(header, rows))
    return ingest.ingest_file(con, path, source="sisense", uploaded_by="ben@example.com", is_demo=is_demo)


def sisense_rows(weekly: dict, kpi="FRT") -> list[list]:
    """weekly: {week: {form: (achieved, total)}} as a Sisense chart downloads it."""
    return [
        [week.isoformat(), form, kpi, achieved, total]
        for week, forms in weekly.items()
        for form, (achieved, total) in forms.items()
    ]


def compared(con) -> dict[tuple[dt.date, str], reconcile.Comparison]:
    result = reconcile.reconcile(con, store.load_settings(con))
    return {(c.week, c.scope): c for c in result.comparisons if c.kpi == "FRT"}


EXPLORE_WEEK = {"SaaS": (90, 10), "Self-Managed": (95, 5), "L&R": (45, 5)}
SISENSE_SAME = {"SaaS": (90, 100), "Self-Managed": (95, 100), "L&R": (45, 50)}


def test_each_segment_and_combined_are_compared_week_by_week(con, tmp_path):
    explore_upload(con, tmp_path, {WEEKS[0]: EXPLORE_WEEK, WEEKS[1]: EXPLORE_WEEK})
    wrong_saas = {**SISENSE_SAME, "SaaS": (86, 100)}
    sisense_upload(con, tmp_path, sisense_rows({WEEKS[0]: SISENSE_SAME, WEEKS[1]: wrong_saas}))

    pairs = compared(con)

    assert set(pairs) == {(week, scope) for week in WEEKS[:2] for scope in reconcile.SCOPES}
    assert all(pairs[(WEEKS[0], scope)].status == reconcile.AGREE for scope in reconcile.SCOPES)
    saas = pairs[(WEEKS[1], "GitLab SaaS")]
    assert (saas.primary.value, saas.secondary.value) == (90.0, 86.0)
    assert saas.difference == pytest.approx(-4.0)
    assert saas.flagged
    # Combined pools the counts on each side: (90 + 95 + 45) / 250 against (86 + 95 + 45) / 250.
    combined = pairs[(WEEKS[1], reconcile.COMBINED)]
    assert (combined.primary.good, combined.primary.total) == (230, 250)
    assert (combined.secondary.good, combined.secondary.total) == (226, 250)
    assert combined.difference == pytest.approx(-1.6)
    assert combined.flagged
    assert not pairs[(WEEKS[1], "GitLab SM")].flagged

    summary = reconcile.reconcile(con, store.load_settings(con)).summaries["FRT"]
    assert (summary.segments.compared, summary.segments.flagged, summary.segments.sisense_lower) == (6, 1, 1)
    assert (summary.combined.compared, summary.combined.flagged) == (2, 1)
    assert (summary.weeks_compared, summary.weeks_flagged) == (2, 1)
    assert summary.largest is saas or summary.largest.difference == pytest.approx(-4.0)


def test_a_difference_of_exactly_the_tolerance_is_not_flagged(con, tmp_path):
    explore_upload(con, tmp_path, {WEEKS[0]: {"SaaS": (93, 7)}, WEEKS[1]: {"SaaS": (930, 70)}})
    # Week 0: 94 % against 93 %, exactly 1 point. Week 1: 94.1 % against 93.0 %, 1.1 points.
    sisense_upload(con, tmp_path, sisense_rows({WEEKS[0]: {"SaaS": (94, 100)}, WEEKS[1]: {"SaaS": (941, 1000)}}))

    pairs = compared(con)

    at_tolerance = pairs[(WEEKS[0], "GitLab SaaS")]
    assert at_tolerance.difference == pytest.approx(1.0)
    assert at_tolerance.status == reconcile.AGREE
    assert pairs[(WEEKS[1], "GitLab SaaS")].flagged


def test_the_tolerance_is_the_setting(con, tmp_path):
    explore_upload(con, tmp_path, {WEEKS[0]: {"SaaS": (93, 7)}, WEEKS[1]: {"SaaS": (930, 70)}})
    sisense_upload(con, tmp_path, sisense_rows({WEEKS[0]: {"SaaS": (94, 100)}, WEEKS[1]: {"SaaS": (941, 1000)}}))

    store.save_setting(con, "reconciliation_tolerance_points", 0.5, actor="lead")
    assert reconcile.reconcile(con, store.load_settings(con)).tolerance == 0.5
    # Only SaaS tickets: Combined is the same figure as GitLab SaaS, and is flagged with it.
    assert pairs_flagged(con) == {(week, scope) for week in WEEKS[:2] for scope in ("GitLab SaaS", "Combined")}

    store.save_setting(con, "reconciliation_tolerance_points", 2, actor="lead")
    assert pairs_flagged(con) == set()


def pairs_flagged(con) -> set:
    return {key for key, comparison in compared(con).items() if comparison.flagged}


def test_counts_are_compared_exactly_so_float_noise_cannot_flag_a_difference_at_the_tolerance():
    # 7/300 - 4/300 is exactly 1 point; in floating point 100*7/300 - 100*4/300 = 1.0000000000000002.
    explore = WeekValue(MONDAY, 100 * 4 / 300, 4, 300, "ok")
    sisense = WeekValue(MONDAY, 100 * 7 / 300, 7, 300, "ok")
    assert sisense.value - explore.value > 1
    assert not reconcile.beyond_tolerance(explore, sisense, 1.0)
    assert reconcile.compare("FRT", "GitLab SaaS", explore, sisense, 1.0).status == reconcile.AGREE


def test_a_percentage_only_segment_is_compared_there_but_combined_cannot_be_pooled(con, tmp_path):
    explore_upload(con, tmp_path, {WEEKS[0]: EXPLORE_WEEK})
    rows = [
        [WEEKS[0].isoformat(), "GitLab SaaS", "FRT", "86%"],
        [WEEKS[0].isoformat(), "GitLab SM", "FRT", "95%"],
        [WEEKS[0].isoformat(), "L&R", "FRT", "90%"],
    ]
    sisense_upload(con, tmp_path, rows, header=["week", "segment", "metric", "pct"])

    pairs = compared(con)

    saas = pairs[(WEEKS[0], "GitLab SaaS")]
    assert (saas.secondary.value, saas.difference, saas.flagged) == (86.0, pytest.approx(-4.0), True)
    assert pairs[(WEEKS[0], "GitLab SM")].status == reconcile.AGREE
    combined = pairs[(WEEKS[0], reconcile.COMBINED)]
    assert combined.status == reconcile.NOT_COMPARABLE
    assert combined.difference is None and not combined.flagged
    assert "cannot pool" in combined.note
    summary = reconcile.reconcile(con, store.load_settings(con)).summaries["FRT"]
    assert summary.combined.compared == 0 and summary.segments.compared == 3


def test_a_week_explore_covers_only_in_part_is_shown_but_not_flagged(con, tmp_path):
    # Explore's export ends on the Wednesday of week 1: that week is partial.
    explore_upload(
        con,
        tmp_path,
        {WEEKS[0]: {"SaaS": (95, 5)}, WEEKS[1]: {"SaaS": (40, 10)}},
        last_day=WEEKS[1] + dt.timedelta(days=2),
    )
    sisense_upload(con, tmp_path, sisense_rows({WEEKS[0]: {"SaaS": (95, 100)}, WEEKS[1]: {"SaaS": (95, 100)}}))

    partial = compared(con)[(WEEKS[1], "GitLab SaaS")]

    assert partial.primary.status == "partial"
    assert partial.status == reconcile.PARTIAL
    assert partial.difference == pytest.approx(15.0)
    assert not partial.flagged
    assert reconcile.reconcile(con, store.load_settings(con)).summaries["FRT"].segments.compared == 1


def test_the_newest_sisense_upload_speaks_and_a_rollback_brings_the_older_back(con, tmp_path):
    explore_upload(con, tmp_path, {WEEKS[0]: EXPLORE_WEEK, WEEKS[1]: EXPLORE_WEEK})
    wrong = sisense_upload(
        con, tmp_path, sisense_rows({WEEKS[0]: SISENSE_SAME, WEEKS[1]: {**SISENSE_SAME, "L&R": (40, 50)}})
    )
    assert pairs_flagged(con) == {(WEEKS[1], "L&R"), (WEEKS[1], reconcile.COMBINED)}

    fixed = sisense_upload(con, tmp_path, sisense_rows({WEEKS[1]: SISENSE_SAME}), name="sisense-fixed.csv")
    assert pairs_flagged(con) == set()
    assert compared(con)[(WEEKS[1], "L&R")].secondary.upload_ids == (fixed.upload_id,)
    assert compared(con)[(WEEKS[0], "L&R")].secondary.upload_ids == (wrong.upload_id,)

    upload_status.rollback(con, fixed.upload_id, actor="lead")
    assert pairs_flagged(con) == {(WEEKS[1], "L&R"), (WEEKS[1], reconcile.COMBINED)}
    upload_status.restore(con, fixed.upload_id, actor="lead")
    assert pairs_flagged(con) == set()


def test_weeks_only_one_source_has_are_counted_but_not_compared(con, tmp_path):
    explore_upload(con, tmp_path, {week: EXPLORE_WEEK for week in WEEKS[:3]})
    sisense_upload(con, tmp_path, sisense_rows({WEEKS[1]: SISENSE_SAME, WEEKS[3]: SISENSE_SAME}))

    result = reconcile.reconcile(con, store.load_settings(con))

    assert {c.week for c in result.comparisons if c.kpi == "FRT"} == {WEEKS[1]}
    summary = result.summaries["FRT"]
    assert (summary.weeks_only_primary, summary.weeks_only_secondary) == (2, 1)
    assert "agree within 1 point" in reconcile.summary_sentence(summary, result.tolerance)


def test_without_sisense_nothing_is_compared(con, tmp_path):
    explore_upload(con, tmp_path, {WEEKS[0]: EXPLORE_WEEK})
    result = reconcile.reconcile(con, store.load_settings(con))
    assert result.comparisons == [] and not result.has_both_sources
    assert reconcile.summary_sentence(result.summaries["All"], 1.0).startswith("No week has figures from both")


def planted_disagreements(con) -> set[tuple[str, dt.date, str]]:
    """Ground truth, straight from the stored rows: where the Sisense counts differ from Explore's, per form."""
    rows = con.execute(
        """WITH explore AS (
               SELECT w.kpi, w.week, w.form, sum(w.good) AS good, sum(w.total) AS total
               FROM weekly_counts w JOIN uploads u ON u.id = w.upload_id WHERE u.source = 'explore' GROUP BY ALL),
           sisense AS (
               SELECT w.kpi, w.week, w.form, w.good, w.total
               FROM weekly_counts w JOIN uploads u ON u.id = w.upload_id WHERE u.source = 'sisense')
           SELECT s.kpi, s.week, s.form FROM sisense s JOIN explore e USING (kpi, week, form)
           WHERE s.good <> e.good OR s.total <> e.total"""
    ).fetchall()
    return {(kpi, week, DEFAULT_FORM_SEGMENTS[form]) for kpi, week, form in rows}


def test_the_demo_sisense_export_disagrees_exactly_where_it_was_planted(demo):
    result = reconcile.reconcile(demo, store.load_settings(demo))
    flagged_segments = {(c.kpi, c.week, c.scope) for c in result.flagged if c.scope in COMBINED_SEGMENTS}

    planted = planted_disagreements(demo)
    assert len(planted) == 3
    assert flagged_segments == planted
    for comparison in result.flagged:
        if comparison.scope != reconcile.COMBINED:
            assert 2 <= abs(comparison.difference) <= 6
    # The latest complete weeks, the ones the meeting discusses, agree.
    latest = max(c.week for c in result.comparisons)
    assert not [c for c in result.flagged if c.week >= latest - dt.timedelta(days=7)]
    assert result.summaries["All"].segments.flagged == 3
    assert result.summaries["All"].segments.compared == 3 * 3 * 52


def test_a_corrected_sisense_week_clears_the_demo_flag(demo_con, tmp_path):
    result = reconcile.reconcile(demo_con, store.load_settings(demo_con))
    segment_flags = [c for c in result.flagged if c.scope in DEFAULT_FORM_SEGMENTS.values()]
    first = min(segment_flags, key=lambda c: (c.week, c.kpi))
    forms = [form for form, segment in DEFAULT_FORM_SEGMENTS.items() if segment == first.scope]
    explore = demo_con.execute(
        """SELECT form, sum(good), sum(total) FROM weekly_counts w JOIN uploads u ON u.id = w.upload_id
           WHERE u.source = 'explore' AND w.kpi = ? AND w.week = ? AND list_contains(?, form) GROUP BY form""",
        [first.kpi, first.week, forms],
    ).fetchall()
    sisense_upload(
        demo_con,
        tmp_path,
        [[first.week.isoformat(), form, first.kpi, good, total] for form, good, total in explore],
        name="sisense-correction.csv",
        is_demo=True,  # a real upload would retire the demo data; this one corrects it instead
    )
    after = reconcile.reconcile(demo_con, store.load_settings(demo_con))
    assert (first.kpi, first.week, first.scope) not in {(c.kpi, c.week, c.scope) for c in after.flagged}
    assert after.summaries["All"].segments.flagged == 2
