"""Viewers reading while an upload commits see the figures before it or after it, never a mix.

The app keeps one DuckDB connection and gives every page run a cursor of its own; uploads,
rollbacks and restores commit from another run's thread. Here reader threads poll
``status_report`` (each poll on a fresh cursor of the shared connection, as a page run
does) while a writer thread uploads an export that moves every KPI in many weeks, then
rolls it back and restores it, over and over. Every report a reader sees must be exactly
the "before" report or exactly the "after" one.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from export_builders import SATISFACTION_HEADER, SLA_HEADER, csv_text, sla_rows, span_rows, weeks_from

from lib.core.errors import DatabaseLocked
from lib.metrics.kpis import status_report
from lib.store import database as store
from lib.uploads import ingest
from lib.uploads import status as upload_status

FIRST_MONDAY = dt.date(2026, 6, 1)
WEEKS = 12
CYCLES = 3  # upload, then (rollback, restore) this many times


def export(path, achieved: int, breached: int, good: int, bad: int) -> list:
    """SLA and satisfaction exports over WEEKS whole weeks, the same outcome mix every week."""
    sla, satisfaction = [], []
    for week in weeks_from(FIRST_MONDAY, WEEKS):
        sla += sla_rows(week, "SaaS", "First reply time", achieved, breached)
        sla += sla_rows(week, "L&R", "Next reply time", achieved, breached, day=4)
        sunday = (week + dt.timedelta(days=6)).isoformat()
        satisfaction += [["", "Self-Managed", "Good", sunday]] * good + [["", "Self-Managed", "Bad", sunday]] * bad
    last_day = FIRST_MONDAY + dt.timedelta(days=7 * WEEKS - 1)
    sla += span_rows(FIRST_MONDAY, last_day)
    numbered = [[str(10_000 + i), *row[1:]] for i, row in enumerate(sla)]
    sla_path = path / f"sla_{achieved}_{breached}.csv"
    sla_path.write_text(csv_text(SLA_HEADER, numbered))
    rated = [[str(90_000 + i), *row[1:]] for i, row in enumerate(satisfaction)]
    satisfaction_path = path / f"satisfaction_{good}_{bad}.csv"
    satisfaction_path.write_text(csv_text(SATISFACTION_HEADER, rated))
    return [sla_path, satisfaction_path]


def test_status_polled_during_uploads_rollbacks_and_restores_is_old_or_new_never_a_mix(con, tmp_path):
    for path in export(tmp_path, achieved=95, breached=5, good=96, bad=4):
        ingest.ingest_file(con, path)
    # One file that moves FRT and NRT in every week (newest wins), big enough that committing takes a while.
    newer = export(tmp_path, achieved=900, breached=100, good=0, bad=0)[0]
    before = json.dumps(status_report(con, store.load_settings(con)), sort_keys=True)

    seen: list[str] = []
    writing = threading.Event()
    done = threading.Event()
    errors: list[BaseException] = []

    settings = store.load_settings(con)

    def read() -> None:
        try:
            writing.wait()
            while not done.is_set():
                cursor = con.cursor()  # a page run's own cursor on the shared connection
                try:
                    seen.append(json.dumps(status_report(cursor, settings), sort_keys=True))
                finally:
                    cursor.close()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    def write() -> None:
        cursor = con.cursor()  # the Upload page's run writes through its own cursor too
        try:
            writing.set()
            upload_id = ingest.ingest_file(cursor, newer).upload_id
            for _ in range(CYCLES):
                upload_status.rollback(cursor, upload_id)
                upload_status.restore(cursor, upload_id)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            cursor.close()
            done.set()

    readers = [threading.Thread(target=read) for _ in range(2)]
    writer = threading.Thread(target=write)
    for thread in [*readers, writer]:
        thread.start()
    for thread in [writer, *readers]:
        thread.join(timeout=120)

    assert not errors, errors
    after = json.dumps(status_report(con, store.load_settings(con)), sort_keys=True)
    assert before != after
    mixed = [report for report in seen if report not in (before, after)]
    assert not mixed, f"{len(mixed)} of {len(seen)} reports mixed old and new figures: {mixed[0][:600]}"
    assert len(seen) > 20 and before in seen and after in seen
    # Both states, and the switches between them, were seen while the writes went on.
    switches = sum(1 for a, b in zip(seen, seen[1:], strict=False) if a != b)
    assert switches >= 1


def test_a_database_held_by_another_process_is_refused_with_what_to_do(locked_db):
    path, pid = locked_db
    with pytest.raises(DatabaseLocked) as refused:
        store.connect(path)
    message = str(refused.value)
    assert f"The database file {path} is in use by python" in message and f"(process {pid})" in message
    assert "Stop that program" in message
    assert "IO Error" not in message and "duckdb.org" not in message
