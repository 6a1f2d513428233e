"""Where a weekly number comes from: its upload, rows, rules, the uploads set aside, and the drill-down."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from export_builders import DEMO_END, csv_text, sla_rows, span_rows, weeks_from, write_sla

from lib.core.settings import PROJECT_ROOT
from lib.metrics import provenance
from lib.metrics.kpis import kpi_summaries
from lib.store import database as store
from lib.uploads import status as upload_status
from lib.uploads.ingest import ingest_file

MONDAY = dt.date(2026, 9, 7)
WEEKS = weeks_from(MONDAY, 3)
FRT = "First reply time"


def explore_file(
    tmp_path: Path, name: str, weekly: dict, *, first_day: dt.date | None = None, last_day: dt.date | None = None
) -> Path:
    """weekly: {week: [(form, achieved, breached), ...]} of FRT targets, plus out-of-scope rows to ignore.

    The export's dates run from ``first_day`` to ``last_day`` (default: whole weeks).
    """
    weeks = sorted(weekly)
    first = first_day or weeks[0]
    rows = span_rows(first, last_day or weeks[-1] + dt.timedelta(days=6))  # 2 "Requester wait time" rows
    for week, parts in weekly.items():
        day = max(2, (first - week).days)
        for form, achieved, breached in parts:
            rows += sla_rows(week, form, FRT, achieved, breached, region="Europe, Middle East, Africa", day=day)
        rows.append(["", "SaaS", FRT, "Active", "", (week + dt.timedelta(days=3)).isoformat(), ""])
    # Ticket IDs of our own, so the drill-down can be checked for them.
    numbered = [[f"T-{name[:3]}-{i}", *row[1:]] for i, row in enumerate(rows)]
    return write_sla(tmp_path / name, numbered)


def ingest(con, path: Path, by="ana@example.com"):
    return ingest_file(con, path, uploaded_by=by)


def sisense_file(tmp_path: Path, rows: list[list], name="sisense.csv") -> Path:
    path = tmp_path / name
    path.write_text(csv_text(["week_start", "ticket_form", "kpi", "achieved", "total"], rows))
    return path


def where(con, week, segments=None, layer="display", region=None) -> provenance.Provenance:
    return provenance.provenance(con, store.load_settings(con), "FRT", week, segments, layer, region=region)


def test_a_value_names_its_upload_rows_and_rules(con, tmp_path):
    path = explore_file(tmp_path, "old.csv", {WEEKS[0]: [("SaaS", 90, 10), ("L&R", 40, 10), ("Billing", 5, 5)]})
    stored = ingest(con, path)

    prov = where(con, WEEKS[0])

    assert (prov.value.good, prov.value.total, prov.value.value) == (130, 150, pytest.approx(100 * 130 / 150))
    upload = prov.upload
    assert upload.id == stored.upload_id
    assert (upload.file_name, upload.uploaded_by, upload.source, upload.layer) == (
        "old.csv",
        "ana@example.com",
        "explore",
        "primary",
    )
    assert upload.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert isinstance(upload.uploaded_at, dt.datetime)
    assert prov.complete is True
    # Rows this week: 150 in the value, 10 (Billing) counted as Other, outside it.
    assert prov.rows_in_value == 150 and prov.rows_outside_value == 10
    by_segment = {row.segment: row for row in prov.segment_rows}
    assert (by_segment["GitLab SaaS"].rows, by_segment["GitLab SaaS"].forms) == (100, "SaaS")
    assert not by_segment["Other"].in_value
    # Ignored rows are per upload: 2 other SLA metric rows, 1 active target.
    assert upload.ignored_reasons == {"other SLA metric": 2, "target still active": 1}
    sections = [rule.section for rule in prov.rules]
    assert sections == [1, 2, 3, 4, 7, 8]
    assert "130 of 150 is at or below the floor (a breach)" in prov.rules[3].text
    assert "old.csv" in prov.rules[4].text
    assert prov.set_aside == []


def test_every_rule_points_at_a_section_that_exists_in_decisions_md():
    headings = re.findall(r"^## (\d+)\. (.+)$", (PROJECT_ROOT / "DECISIONS.md").read_text(), flags=re.MULTILINE)
    assert {int(number): title for number, title in headings if int(number) in provenance.DECISIONS_SECTIONS} == (
        provenance.DECISIONS_SECTIONS
    )


def test_the_segment_counts_add_up_to_the_value_the_pages_show(con, tmp_path):
    ingest(con, explore_file(tmp_path, "a.csv", {week: [("SaaS", 80, 20), ("Self-Managed", 70, 5)] for week in WEEKS}))
    series = kpi_summaries(con, store.load_settings(con))["FRT"].series
    for week_value in series:
        prov = where(con, week_value.week)
        assert (prov.value.good, prov.value.total) == (week_value.good, week_value.total)
        in_value = [row for row in prov.segment_rows if row.in_value]
        assert sum(row.good for row in in_value) == week_value.good
        assert sum(row.total for row in in_value) == week_value.total


def test_after_a_newer_upload_replaced_a_week_each_week_names_the_upload_that_speaks(con, tmp_path):
    old = ingest(con, explore_file(tmp_path, "old.csv", {WEEKS[0]: [("SaaS", 90, 10)], WEEKS[1]: [("SaaS", 90, 10)]}))
    new = ingest(con, explore_file(tmp_path, "new.csv", {WEEKS[1]: [("SaaS", 97, 3)]}), by="ben@example.com")

    first, second = where(con, WEEKS[0]), where(con, WEEKS[1])

    assert (first.upload.file_name, first.value.value) == ("old.csv", 90.0)
    assert first.set_aside == []
    assert (second.upload.file_name, second.upload.uploaded_by, second.value.value) == (
        "new.csv",
        "ben@example.com",
        97.0,
    )
    (replaced,) = second.set_aside
    assert replaced.upload.id == old.upload_id
    assert replaced.reason == f"replaced for this week by upload {new.upload_id}, uploaded or restored later"


def test_after_a_rollback_the_older_upload_speaks_again_and_the_rolled_back_one_is_named(con, tmp_path):
    old = ingest(con, explore_file(tmp_path, "old.csv", {WEEKS[0]: [("SaaS", 90, 10)], WEEKS[1]: [("SaaS", 90, 10)]}))
    new = ingest(con, explore_file(tmp_path, "new.csv", {WEEKS[1]: [("SaaS", 97, 3)]}))

    upload_status.rollback(con, new.upload_id, actor="lead")
    rolled_back = where(con, WEEKS[1])

    assert (rolled_back.upload.id, rolled_back.value.value) == (old.upload_id, 90.0)
    (set_aside,) = rolled_back.set_aside
    assert set_aside.upload.id == new.upload_id and set_aside.upload.status == "rolled_back"
    assert set_aside.reason.startswith("rolled back")

    upload_status.restore(con, new.upload_id, actor="lead")
    restored = where(con, WEEKS[1])
    assert (restored.upload.id, restored.value.value) == (new.upload_id, 97.0)
    assert [other.upload.id for other in restored.set_aside] == [old.upload_id]


def test_a_newer_export_covering_a_week_only_in_part_does_not_speak_for_it(con, tmp_path):
    old = ingest(con, explore_file(tmp_path, "full.csv", {WEEKS[0]: [("SaaS", 90, 10)]}))
    thursday = WEEKS[0] + dt.timedelta(days=3)
    newer = ingest(
        con,
        explore_file(
            tmp_path,
            "from-thursday.csv",
            {WEEKS[0]: [("SaaS", 5, 0)], WEEKS[1]: [("SaaS", 9, 1)]},
            first_day=thursday,
        ),
    )

    prov = where(con, WEEKS[0])

    assert prov.upload.id == old.upload_id and prov.complete
    (partial,) = prov.set_aside
    assert partial.upload.id == newer.upload_id and not partial.complete
    assert partial.reason == f"covers only part of this week; upload {old.upload_id} covers all of it"


def test_sisense_is_named_beside_explore_and_speaks_only_where_explore_has_no_figure(con, tmp_path):
    explore = ingest(con, explore_file(tmp_path, "explore.csv", {WEEKS[0]: [("SaaS", 90, 10)]}))
    sisense = ingest(
        con,
        sisense_file(
            tmp_path, [[WEEKS[0].isoformat(), "SaaS", "FRT", 88, 100], [WEEKS[1].isoformat(), "SaaS", "FRT", 91, 100]]
        ),
    )

    shown = where(con, WEEKS[0])
    assert shown.upload.id == explore.upload_id
    assert [(other.upload.id, other.reason) for other in shown.set_aside] == [
        (sisense.upload_id, "Sisense's figure for the same week, kept for comparison (Data trust page)")
    ]

    only_sisense = where(con, WEEKS[1])
    assert (only_sisense.upload.id, only_sisense.speaking_layer, only_sisense.value.value) == (
        sisense.upload_id,
        "secondary",
        91.0,
    )
    assert "Explore has no figure for this week, so Sisense's is shown" in only_sisense.rules[-1].text
    assert only_sisense.rules[0].section == 9  # a weekly aggregate's own rules

    asked_for_sisense = where(con, WEEKS[0], layer="secondary")
    assert (asked_for_sisense.upload.id, asked_for_sisense.value.value) == (sisense.upload_id, 88.0)
    assert asked_for_sisense.set_aside == []  # Explore is another layer: not part of this question


def test_a_week_without_data_says_so(con, tmp_path):
    ingest(con, explore_file(tmp_path, "a.csv", {WEEKS[0]: [("SaaS", 90, 10)]}))
    prov = where(con, WEEKS[2])
    assert prov.upload is None and prov.value.status == "gap"
    assert provenance.drill_down(con, prov).available is False
    with pytest.raises(ValueError):
        provenance.provenance(con, store.load_settings(con), "CSAT", WEEKS[0])


def test_the_drill_down_lists_the_breached_targets_and_is_safe_to_share_by_default(con, tmp_path):
    ingest(con, explore_file(tmp_path, "tickets.csv", {WEEKS[0]: [("SaaS", 90, 10), ("L&R", 45, 5)]}))
    prov = where(con, WEEKS[0])

    safe = provenance.drill_down(con, prov)

    assert safe.safe and safe.available and safe.what == "breached targets"
    assert safe.total == len(safe.rows) == prov.value.total - prov.value.good == 15
    assert "ticket_id" not in safe.columns and "source_row" not in safe.columns
    assert all(set(row) == set(provenance.SAFE_COLUMNS) for row in safe.rows)
    assert not any("T-tic" in str(value) for row in safe.rows for value in row.values())
    assert {row["segment"] for row in safe.rows} == {"GitLab SaaS", "L&R"}
    assert {row["region"] for row in safe.rows} == {"EMEA"}

    shown = provenance.drill_down(con, prov, safe=False)
    assert not shown.safe
    assert all(row["ticket_id"].startswith("T-tic") for row in shown.rows)
    assert all(isinstance(row["source_row"], int) for row in shown.rows)


def test_the_drill_down_follows_the_segments_and_counts_by_field(con, tmp_path):
    ingest(con, explore_file(tmp_path, "tickets.csv", {WEEKS[0]: [("SaaS", 90, 10), ("L&R", 45, 5)]}))
    prov = where(con, WEEKS[0], segments=("L&R",))

    detail = provenance.drill_down(con, prov)

    assert detail.total == 5 and {row["form"] for row in detail.rows} == {"L&R"}
    assert provenance.drill_down_breakdown(con, prov, "form") == [("L&R", 5)]
    assert provenance.drill_down_breakdown(con, where(con, WEEKS[0]), "segment") == [("GitLab SaaS", 10), ("L&R", 5)]
    with pytest.raises(ValueError):
        provenance.drill_down_breakdown(con, prov, "ticket_id")


def test_a_weekly_aggregate_has_no_rows_to_drill_into(con, tmp_path):
    ingest(con, sisense_file(tmp_path, [[WEEKS[0].isoformat(), "SaaS", "FRT", 88, 100]]))
    detail = provenance.drill_down(con, where(con, WEEKS[0]))
    assert not detail.available and detail.rows == []
    assert "weekly aggregate" in detail.note


def test_demo_frt_breach_week_comes_from_the_explore_export_with_sisense_kept_beside_it(demo):
    week = dt.date(2026, 11, 16)
    prov = provenance.provenance(demo, store.load_settings(demo), "FRT", week)

    assert prov.value.status == "breach"
    assert prov.upload.file_name == "explore_sla_events_demo.csv" and prov.upload.is_demo
    assert [other.upload.file_name for other in prov.set_aside] == ["sisense_weekly_kpis_demo.csv"]
    detail = provenance.drill_down(demo, prov)
    assert detail.total == prov.value.total - prov.value.good
    assert sum(n for _, n in provenance.drill_down_breakdown(demo, prov, "ticket_group")) == detail.total

    partial = provenance.provenance(demo, store.load_settings(demo), "FRT", dt.date(2026, 11, 23))
    assert partial.value.status == "partial" and partial.complete is False
    assert 6 in [rule.section for rule in partial.rules]


def test_freshness_per_source_reads_a_weekly_aggregate_to_the_end_of_its_week(demo):
    fresh = {source.source: source for source in provenance.source_freshness(demo)}
    assert fresh["explore"].data_through == DEMO_END
    assert fresh["sisense"].newest_week == dt.date(2026, 11, 16)
    assert fresh["sisense"].data_through == dt.date(2026, 11, 22)
    assert fresh["sisense"].age_days(DEMO_END) == 4
