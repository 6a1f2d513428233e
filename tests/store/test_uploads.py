"""The Upload page's logic: staging, preview, commit, column mappings, history, undo, two uploads at once."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import hashlib
import io
import os
import threading
import time
from pathlib import Path

import pytest
from export_builders import EVENT_HEADER, complete_weeks_csv

from lib.core.errors import RefusedFile
from lib.core.text import format_percent
from lib.metrics.kpis import kpi_summaries, status_report
from lib.store import database as store
from lib.store import upload_records as records
from lib.ui import upload_view
from lib.uploads import changes
from lib.uploads import flow as uploads

OCT_05 = dt.date(2026, 10, 5)
NOV_09 = dt.date(2026, 11, 9)
NOV_16 = dt.date(2026, 11, 16)


def explore_export(path: Path, weeks: dict, *, metric="First reply time", form="SaaS", header=EVENT_HEADER) -> Path:
    path.write_text(complete_weeks_csv(weeks, header=header, metric=metric, form=form), encoding="utf-8")
    return path


def stage(path: Path, name: str | None = None, folder: Path | None = None) -> uploads.StagedFile:
    with open(path, "rb") as handle:
        return uploads.stage_upload(handle, name or path.name, folder or path.parent / "staging")


def weekly(con, kpi: str) -> dict:
    """{week: (good, total, status)} of the figures every page shows."""
    series = kpi_summaries(con, store.load_settings(con))[kpi].series
    return {w.week: (w.good, w.total, w.status) for w in series}


def upload_count(con) -> int:
    return con.execute("SELECT count(*) FROM uploads").fetchone()[0]


@pytest.fixture
def demo_con(demo_db):
    connection = store.connect(demo_db)
    yield connection
    connection.close()


def test_a_file_refused_at_inspection_leaves_nothing_staged(con, tmp_path):
    image = tmp_path / "chart.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50_000)
    staged = stage(image)
    with pytest.raises(RefusedFile):
        uploads.inspect_file(con, staged)
    assert not staged.path.exists()
    assert list((tmp_path / "staging").iterdir()) == []


def test_what_a_session_left_staged_is_deleted_when_the_session_ends(tmp_path):
    session = uploads.SessionStaging()
    kept, stored = (
        session.add(uploads.stage_upload(io.BytesIO(b"Ticket ID\n1\n"), name, tmp_path)) for name in ("a", "b")
    )
    uploads.discard(stored)  # stored (or taken out of the uploader) before the session ends
    assert kept.path.exists()

    del session  # Streamlit drops a session's state when the session ends
    gc.collect()

    assert list(tmp_path.iterdir()) == []


def test_staged_files_older_than_a_day_are_swept(tmp_path):
    old = uploads.stage_upload(io.BytesIO(b"x"), "old.csv", tmp_path)
    fresh = uploads.stage_upload(io.BytesIO(b"y"), "fresh.csv", tmp_path)
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("not ours")
    day_and_a_bit = time.time() - uploads.STALE_STAGED_SECONDS - 60
    os.utime(old.path, (day_and_a_bit, day_and_a_bit))
    os.utime(unrelated, (day_and_a_bit, day_and_a_bit))

    uploads.remove_stale_staged_files(tmp_path)

    assert not old.path.exists() and fresh.path.exists() and unrelated.exists()


def test_an_uploaded_file_is_copied_to_disk_byte_for_byte_under_a_name_of_our_own(tmp_path):
    content = b"Ticket ID,Ticket form\r\n1,SaaS\r\n" * 50_000  # several chunks' worth would be the same
    folder = tmp_path / "staging"
    staged = uploads.stage_upload(io.BytesIO(content), "../../etc/passwd.csv", folder)
    assert staged.path.parent == folder
    assert "passwd" not in staged.path.name
    assert staged.path.read_bytes() == content
    assert staged.size == len(content)
    assert staged.sha256 == hashlib.sha256(content).hexdigest()
    assert staged.file_name == "../../etc/passwd.csv"  # kept only as a label
    uploads.discard(staged)
    assert not staged.path.exists()


def test_preview_shows_what_would_change_and_stores_nothing(demo_con, tmp_path):
    before_report = status_report(demo_con, store.load_settings(demo_con))
    before_version = store.data_version(demo_con)
    staged = stage(explore_export(tmp_path / "frt.csv", {NOV_09: (97, 3), NOV_16: (98, 2)}))

    outcome = changes.preview_file(demo_con, staged, uploads.Choice(), uploaded_by="ann@example.com")

    result = outcome.result
    assert outcome.refusal is None and outcome.can_commit
    assert (result.shape, result.source, result.rows_read, result.rows_used) == ("explore_sla", "explore", 200, 200)
    assert result.weeks == [NOV_09, NOV_16]
    assert result.replaced_demo  # the first real upload would replace the demo data
    frt_nov_16 = next(c for c in result.changes if c["kpi"] == "FRT" and c["week"] == NOV_16)
    assert frt_nov_16["old_status"] == "breach" and frt_nov_16["new_status"] == "ok"
    assert frt_nov_16["new_value"] == pytest.approx(98.0)
    assert frt_nov_16["breach_flag"] == "disappears"
    assert any(c["kpi"] == "FRT" and c["breach_flag"] == "sustained breach ends" for c in result.changes)
    table = changes.changes_table(result.changes)
    assert table[0]["Week"] == "whole series"  # the sustained breach ending is listed first
    row = next(r for r in table if r["KPI"] == "FRT" and r["Week"] == "16 Nov 2026")
    demo_value = before_report["kpis"]["FRT"]["weekly"]["2026-11-16"]
    assert (row["Before"], row["After"], row["Status after"], row["Breach flag"]) == (
        format_percent(demo_value, 93.0),
        "98.0\u00a0%",
        "above floor",
        "disappears",
    )
    assert "breach flag disappears" in changes.changes_summary(result.changes)

    assert upload_count(demo_con) == 3
    assert store.data_version(demo_con) == before_version
    assert status_report(demo_con, store.load_settings(demo_con)) == before_report
    assert staged.path.exists()  # still there to be committed


def test_commit_stores_the_file_once_records_who_and_keeps_the_original(con, tmp_path):
    export = explore_export(tmp_path / "week.csv", {NOV_09: (48, 2)})
    staged = stage(export)

    outcome = uploads.commit_file(con, staged, uploads.Choice(), uploaded_by="ann@example.com")

    assert outcome.result.status == "accepted"
    assert upload_view.commit_message(outcome) == (
        "success",
        f"Stored week.csv as upload {outcome.result.upload_id}: 50 rows counted, 1 week (09 Nov 2026).",
    )
    assert not staged.path.exists()  # the archive holds the original now
    assert weekly(con, "FRT")[NOV_09] == (48, 50, "ok")
    [row] = uploads.history(con)
    assert (row["uploaded_by"], row["file"], row["rows"], row["weeks"], row["status"]) == (
        "ann@example.com",
        "week.csv",
        50,
        "1 week (09 Nov 2026)",
        "active",
    )
    archived = uploads.archived_original(row)
    assert uploads.read_archived(archived) == export.read_bytes()
    assert row["sha256"] == hashlib.sha256(export.read_bytes()).hexdigest()

    again = uploads.commit_file(con, stage(export, "week (1).csv"), uploads.Choice(), uploaded_by="bob")
    assert again.result.status == "duplicate"
    assert upload_view.commit_message(again)[0] == "info"
    assert upload_count(con) == 1
    # The copy made while the file was read became the archived original; the duplicate's copy is gone.
    assert [path.name for path in records.archive_folder(con).iterdir()] == [Path(row["archive_path"]).name]


def test_a_re_upload_is_still_a_duplicate_when_the_archive_cannot_take_a_copy(con, tmp_path):
    export = explore_export(tmp_path / "week.csv", {NOV_09: (48, 2)})
    first = uploads.commit_file(con, stage(export), uploads.Choice(), uploaded_by="ann@example.com")
    folder = records.archive_folder(con)
    kept = folder.with_name("archive-kept")
    folder.rename(kept)
    folder.write_text("a file where the archive folder was: nothing can be copied into it")
    try:
        again = uploads.commit_file(con, stage(export, "week (1).csv"), uploads.Choice(), uploaded_by="bob")
    finally:
        folder.unlink()
        kept.rename(folder)

    assert (again.result.status, again.result.upload_id) == ("duplicate", first.result.upload_id)
    assert upload_count(con) == 1


def test_a_copy_left_half_made_by_a_crashed_upload_is_swept_after_a_day(con, tmp_path):
    folder = records.archive_folder(con)
    folder.mkdir(parents=True)
    crashed, in_flight, stored = folder / ".0a1b.part", folder / ".2c3d.part", folder / "e4f5.csv"
    for path in (crashed, in_flight, stored):
        path.write_bytes(b"x" * 10)
    day_and_a_bit = time.time() - records.STALE_PART_SECONDS - 60
    for path in (crashed, stored):
        os.utime(path, (day_and_a_bit, day_and_a_bit))

    export = explore_export(tmp_path / "week.csv", {NOV_09: (48, 2)})
    uploads.commit_file(con, stage(export), uploads.Choice(), uploaded_by="ann@example.com")

    assert not crashed.exists()
    assert in_flight.exists() and stored.exists()  # another replica's upload in flight; an archived original


def test_an_xlsx_export_counts_the_same_as_its_csv_and_is_archived_as_uploaded(con, tmp_path):
    import openpyxl

    export = explore_export(tmp_path / "week.csv", {NOV_09: (48, 2)})
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["SLA report, exported from Explore"])  # a title row above the header
    with open(export, newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    workbook.save(tmp_path / "week.xlsx")

    outcome = uploads.commit_file(con, stage(tmp_path / "week.xlsx"), uploads.Choice(), uploaded_by="ann")

    assert (outcome.result.rows_used, outcome.result.encoding) == (50, "XLSX, sheet 'Sheet'")
    assert weekly(con, "FRT")[NOV_09] == (48, 50, "ok")
    [row] = uploads.history(con)
    assert uploads.read_archived(uploads.archived_original(row)) == (tmp_path / "week.xlsx").read_bytes()


def test_a_refused_file_says_which_row_and_column_and_stores_nothing(con, tmp_path):
    export = explore_export(tmp_path / "bad.csv", {NOV_09: (3, 1)})
    export.write_text(export.read_text().replace("Breached", "Maybe"), encoding="utf-8")
    staged = stage(export)
    version = store.data_version(con)

    preview = changes.preview_file(con, staged, uploads.Choice(), uploaded_by="ann")
    committed = uploads.commit_file(con, staged, uploads.Choice(), uploaded_by="ann")

    for outcome in (preview, committed):
        assert not outcome.can_commit
        assert outcome.refusal.startswith("bad.csv: row 5, column 'SLA target status': 'Maybe' is not a target status")
        assert "expected Achieved or Breached" in outcome.refusal
    assert upload_view.commit_message(committed) == ("error", f"Not stored: {committed.refusal}")
    assert upload_count(con) == 0
    assert store.data_version(con) == version
    assert not any(records.archive_folder(con).glob("*")), "a refused file left a copy in the archive"
    assert staged.path.exists()  # kept until the user takes it out of the uploader


def test_the_size_limit_comes_from_the_one_setting(con, tmp_path):
    export = explore_export(tmp_path / "large.csv", {OCT_05 + dt.timedelta(weeks=i): (9000, 500) for i in range(3)})
    assert export.stat().st_size > 1024 * 1024
    store.save_setting(con, "max_upload_mb", 1)

    outcome = changes.preview_file(con, stage(export), uploads.Choice(), uploaded_by="ann")

    assert "over the 1 MB limit" in outcome.refusal
    assert upload_count(con) == 0


def test_headers_match_whatever_their_case_and_punctuation():
    assert uploads.header_key(["Ticket ID", "Queue Name", ""]) == uploads.header_key(["ticket_id", "QUEUE-NAME"])
    assert uploads.header_key(["Ticket ID", "Queue"]) != uploads.header_key(["Ticket ID", "Queue", "When"])


CUSTOM_HEADER = ["Case", "Queue", "Clock", "Clock state", "Outcome", "When"]
CUSTOM_MAP = {
    "ticket_id": "Case",
    "form": "Queue",
    "metric": "Clock",
    "metric_status": "Clock state",
    "target_status": "Outcome",
    "date": "When",
}


def test_a_saved_mapping_reads_unknown_headers_and_is_used_again_automatically(con, tmp_path):
    first = stage(explore_export(tmp_path / "custom.csv", {NOV_09: (8, 2)}, header=CUSTOM_HEADER))
    inspection = uploads.inspect_file(con, first)
    assert inspection.header == CUSTOM_HEADER
    assert inspection.detected_shape is None and inspection.profile is None
    assert inspection.initial_choice() is None  # the page asks for a mapping

    incomplete = {"ticket_id": "Case", "form": "Queue", "date": "When"}
    assert uploads.mapping_problems(CUSTOM_HEADER, "explore_sla", incomplete) == [
        "choose the column that holds 'SLA metric'",
        "choose the column that holds 'SLA target status'",
    ]
    assert "one column cannot be both 'Ticket ID' and 'Ticket form'" in uploads.mapping_problems(
        CUSTOM_HEADER, "explore_sla", {**CUSTOM_MAP, "form": "Case"}
    )
    with pytest.raises(ValueError, match="give the mapping a name"):
        uploads.save_profile(con, CUSTOM_HEADER, name=" ", shape="explore_sla", source="explore", column_map=CUSTOM_MAP)
    uploads.save_profile(
        con,
        CUSTOM_HEADER,
        name="Our SLA report",
        shape="explore_sla",
        source="explore",
        column_map={**CUSTOM_MAP, "region": None},
        actor="ann",
    )

    # The same headers next week, written differently: the saved mapping is found and used.
    same_headers = ["CASE", "queue", "clock", "clock_state", "outcome", "when"]
    next_week = explore_export(tmp_path / "custom-2.csv", {NOV_16: (19, 1)}, header=same_headers)
    inspection = uploads.inspect_file(con, stage(next_week))
    assert inspection.profile.name == "Our SLA report"
    choice = inspection.initial_choice()
    assert (choice.shape, choice.source, choice.profile_name) == ("explore_sla", "explore", "Our SLA report")
    outcome = uploads.commit_file(con, stage(next_week), choice, uploaded_by="ann")
    assert outcome.result.rows_used == 20
    assert weekly(con, "FRT")[NOV_16] == (19, 20, "ok")
    assert [p.name for p in uploads.list_profiles(con)] == ["Our SLA report"]

    uploads.delete_profile(con, inspection.profile.header_key, actor="ann")
    assert uploads.find_profile(con, CUSTOM_HEADER) is None


def test_suggested_mapping_starts_from_the_columns_the_app_recognises():
    cells = ["Ticket ID", "Team", "SLA metric", "SLA target status", "Created - Date"]
    assert uploads.suggested_map(cells, "explore_sla") == {
        "ticket_id": "Ticket ID",
        "metric": "SLA metric",
        "target_status": "SLA target status",
        "date": "Created - Date",
    }


def test_rollback_and_restore_previews_are_exactly_what_they_then_do(con, tmp_path):
    older_export = explore_export(tmp_path / "a.csv", {NOV_09: (95, 5)})
    newer_export = explore_export(tmp_path / "b.csv", {NOV_09: (80, 20), NOV_16: (95, 5)})
    older = uploads.commit_file(con, stage(older_export), uploads.Choice(), uploaded_by="ann")
    newer = uploads.commit_file(con, stage(newer_export), uploads.Choice(), uploaded_by="bob")
    newer_id = newer.result.upload_id
    version = store.data_version(con)
    before = weekly(con, "FRT")
    assert before[NOV_09] == (80, 100, "breach")

    rollback_changes = changes.status_change_preview(con, newer_id, "rollback")

    assert weekly(con, "FRT") == before and store.data_version(con) == version  # the preview changed nothing
    by_week = {c["week"]: c for c in rollback_changes if c["kpi"] == "FRT"}
    assert by_week[NOV_09]["old_value"] == pytest.approx(80.0)
    assert by_week[NOV_09]["new_value"] == pytest.approx(95.0)  # the older upload shows again
    assert by_week[NOV_09]["breach_flag"] == "disappears"
    assert by_week[NOV_16]["new_status"] == "no data"

    uploads.apply_action(con, newer_id, "rollback", actor="ann")
    after = weekly(con, "FRT")
    assert after[NOV_09] == (95, 100, "ok") and NOV_16 not in after
    assert next(r for r in uploads.history(con) if r["id"] == newer_id)["status"] == "rolled back"

    restore_changes = changes.status_change_preview(con, newer_id, "restore")
    assert sorted((c["week"], c["new_value"]) for c in restore_changes if c["kpi"] == "FRT") == [
        (NOV_09, pytest.approx(80.0)),
        (NOV_16, pytest.approx(95.0)),
    ]
    uploads.apply_action(con, newer_id, "restore", actor="ann")
    assert weekly(con, "FRT") == before
    assert older.result.upload_id != newer_id


def ingest_alone(tmp_path, database, name: str, export: Path) -> dict:
    con = store.connect(database)
    try:
        uploads.commit_file(con, stage(export, folder=tmp_path / name), uploads.Choice(), uploaded_by="alone")
        return {kpi: weekly(con, kpi) for kpi in ("FRT", "NRT")}
    finally:
        con.close()


def test_two_managers_committing_at_the_same_moment_both_land_with_no_figure_lost_or_doubled(
    db_path, tmp_path, other_database
):
    october = {OCT_05 + dt.timedelta(weeks=i): (2900 + 10 * i, 100) for i in range(4)}
    november = {NOV_09: (2800, 200), NOV_16: (2950, 50)}
    first = explore_export(tmp_path / "october.csv", october)
    second = explore_export(tmp_path / "november.csv", november, metric="Next reply time", form="Self-Managed")
    alone = [
        ingest_alone(tmp_path, other_database("first"), "first", first),
        ingest_alone(tmp_path, other_database("second"), "second", second),
    ]

    shared = store.connect(db_path)  # the app's one connection; every run takes a cursor of its own
    start = threading.Barrier(3)
    outcomes, errors, half_seen = {}, [], []
    october_total = sum(achieved + breached for achieved, breached in october.values())
    november_total = sum(achieved + breached for achieved, breached in november.values())
    totals = {0, october_total, november_total, october_total + november_total}

    def manager(name: str, export: Path) -> None:
        cursor = shared.cursor()
        try:
            start.wait()
            outcomes[name] = uploads.commit_file(
                cursor, stage(export, folder=tmp_path / f"staging-{name}"), uploads.Choice(), uploaded_by=name
            )
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            cursor.close()

    def viewer() -> None:
        """Someone looking at a page meanwhile: each read sees no upload, one, or both, never part of one."""
        cursor = shared.cursor()
        try:
            start.wait()
            for _ in range(60):
                total = cursor.execute(
                    """SELECT coalesce(sum(w.total), 0) FROM weekly_counts w
                       JOIN uploads u ON u.id = w.upload_id WHERE u.status = 'active'"""
                ).fetchone()[0]
                if total not in totals:
                    half_seen.append(total)
        finally:
            cursor.close()

    threads = [
        threading.Thread(target=manager, args=("ann", first)),
        threading.Thread(target=manager, args=("bob", second)),
        threading.Thread(target=viewer),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert half_seen == []
    assert {name: o.result.status for name, o in outcomes.items()} == {"ann": "accepted", "bob": "accepted"}
    assert sorted(r["uploaded_by"] for r in uploads.history(shared)) == ["ann", "bob"]
    for kpi in ("FRT", "NRT"):
        together = weekly(shared, kpi)
        expected = {**alone[0][kpi], **alone[1][kpi]}
        assert {week: together[week] for week in expected} == expected
        assert all(status == "gap" for week, (_, _, status) in together.items() if week not in expected)
    assert store.data_version(shared) == 2  # two commits, each bumped it once
    shared.close()


def test_the_same_file_committed_twice_at_once_never_doubles_a_figure(db_path, tmp_path):
    export = explore_export(tmp_path / "week.csv", {NOV_09: (95, 5), NOV_16: (92, 8)})
    shared = store.connect(db_path)
    start = threading.Barrier(2)
    errors = []

    def manager(name: str) -> None:
        cursor = shared.cursor()
        try:
            start.wait()
            uploads.commit_file(cursor, stage(export, folder=tmp_path / name), uploads.Choice(), uploaded_by=name)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            cursor.close()

    threads = [threading.Thread(target=manager, args=(name,)) for name in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert weekly(shared, "FRT") == {NOV_09: (95, 100, "ok"), NOV_16: (92, 100, "breach")}
    assert [u["status"] for u in records.list_uploads(shared)] == ["active"]  # one upload, not two
    shared.close()
