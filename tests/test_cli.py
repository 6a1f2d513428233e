"""The command line as a user runs it: a real process, a real database file."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
from export_builders import SLA_HEADER, sla_rows, span_rows, write_sla

from lib.core.kpis import kpi_keys
from lib.store import database as store
from lib.store.history import change_log

ROOT = Path(__file__).resolve().parents[1]
MONDAY = dt.date(2026, 9, 7)


def run(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLOORLINE_DB": str(db_path)}
    return subprocess.run(
        [sys.executable, "-m", "lib", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def two_weeks(tmp_path: Path, name: str, second_good: int) -> Path:
    weeks = [MONDAY, MONDAY + dt.timedelta(days=7)]
    rows = span_rows(weeks[0], weeks[1] + dt.timedelta(days=6))
    rows += sla_rows(weeks[0], "SaaS", "First reply time", 92, 8)
    rows += sla_rows(weeks[1], "Self-Managed", "First reply time", second_good, 100 - second_good)
    return write_sla(tmp_path / name, rows)


def test_ingest_status_uploads_rollback(tmp_path):
    db = tmp_path / "cli.duckdb"
    good = two_weeks(tmp_path, "explore.csv", 93)
    bad = tmp_path / "broken.csv"
    bad.write_text(
        "Ticket ID,Ticket form,SLA metric,SLA target status,Date\n1,SaaS,First reply time,Maybe,2026-09-08\n"
    )

    ingest = run(db, "ingest", str(good), str(bad))
    assert ingest.returncode == 2
    assert "Traceback" not in ingest.stdout + ingest.stderr
    lines = ingest.stdout.splitlines()
    assert lines[0].startswith("accepted") and "upload 1" in lines[0] and "2 weeks" in lines[0]
    assert "          kind: Explore SLA events" in lines  # how the file was read, under its line
    refused = [line for line in lines if line.startswith("refused")]
    assert len(refused) == 1 and "broken.csv" in refused[0] and "row 2" in refused[0]

    status = json.loads(run(db, "status", "--json").stdout)
    assert status["latest_week"] == "2026-09-14"
    frt = status["kpis"]["FRT"]
    assert frt["floor"] == 93.0 and frt["latest_value"] == 93.0
    assert frt["weeks_at_or_below"] == 2 and frt["sustained_breach"] is True
    assert frt["weekly"] == {"2026-09-07": 92.0, "2026-09-14": 93.0}
    assert tuple(status["kpis"]) == kpi_keys()

    uploads = json.loads(run(db, "uploads", "--json").stdout)
    assert [(u["id"], u["file"], u["status"]) for u in uploads] == [(1, "explore.csv", "active")]
    assert len(uploads[0]["sha256"]) == 64

    restore_active = run(db, "restore", "1")
    assert restore_active.returncode == 2
    assert "Upload 1 (explore.csv) is already active: nothing changed." in restore_active.stderr
    connection = store.connect(db)
    assert [row[2] for row in change_log(connection)] == ["upload"]  # no restore was logged
    connection.close()

    assert run(db, "rollback", "1").returncode == 0
    assert json.loads(run(db, "uploads", "--json").stdout)[0]["status"] == "rolled_back"
    second = run(db, "rollback", "1")
    assert second.returncode == 2 and "is already rolled back: nothing changed." in second.stderr
    assert json.loads(run(db, "status", "--json").stdout)["latest_week"] is None
    assert run(db, "rollback", "99").returncode == 2


def test_ingest_exits_zero_when_every_file_is_accepted(tmp_path):
    db = tmp_path / "cli.duckdb"
    result = run(db, "ingest", str(two_weeks(tmp_path, "a.csv", 96)), "--source", "explore")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ingest_starts_without_the_server_database_and_zendesk_clients(tmp_path):
    """An upload from the command line loads what storing a file needs, not psycopg (PostgreSQL) or httpx
    (the Zendesk pull): each would add to every ingest's start."""
    code = (
        "import sys; from lib.cli import main; exit_code = main(sys.argv[1:]); "
        "print(exit_code, sorted(name for name in ('psycopg', 'httpx') if name in sys.modules))"
    )
    export = two_weeks(tmp_path, "explore.csv", 96)
    env = {**os.environ, "FLOORLINE_DB": str(tmp_path / "cli.duckdb")}
    done = subprocess.run(
        [sys.executable, "-c", code, "ingest", str(export)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.stdout.startswith("accepted"), done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "0 []"


def test_demo_builds_a_database_with_the_sustained_frt_breach(tmp_path):
    db = tmp_path / "demo.duckdb"
    built = run(db, "demo", "--end", "2026-11-26")
    assert built.returncode == 0, built.stderr
    status = json.loads(run(db, "status", "--json").stdout)
    assert status["latest_week"] == "2026-11-16"
    assert status["kpis"]["FRT"]["sustained_breach"] is True
    assert status["kpis"]["FRT"]["weeks_at_or_below"] == 3
    assert status["kpis"]["NRT"]["sustained_breach"] is False
    assert len(status["kpis"]["NRT"]["episodes"]) == 0
    nrt_breaches = [v for v in status["kpis"]["NRT"]["weekly"].values() if v <= 83]
    assert len(nrt_breaches) == 1
    assert status["kpis"]["SSAT"]["weeks_at_or_below"] == 0
    # People read the plain output: percentages and dates as every page writes them.
    frt_line = next(line for line in run(db, "status").stdout.splitlines() if line.strip().startswith("FRT"))
    assert "floor 93\u00a0%" in frt_line and "SUSTAINED BREACH" in frt_line and "(3 weeks at or below)" in frt_line
    uploads = json.loads(run(db, "uploads", "--json").stdout)
    assert {u["source"] for u in uploads} == {"explore", "sisense"}
    assert all(u["is_demo"] for u in uploads)


def test_first_real_upload_replaces_the_demo(tmp_path):
    db = tmp_path / "demo.duckdb"
    run(db, "demo", "--end", "2026-11-26")
    result = run(db, "ingest", str(two_weeks(tmp_path, "real.csv", 96)))
    assert "demo data was removed" in result.stdout
    status = json.loads(run(db, "status", "--json").stdout)
    assert status["kpis"]["FRT"]["weekly"] == {"2026-09-07": 92.0, "2026-09-14": 96.0}


def test_a_database_another_process_holds_is_explained_without_a_traceback(locked_db):
    path, pid = locked_db
    result = run(path, "status")
    assert result.returncode == 1
    assert "is in use by python" in result.stderr and f"(process {pid})" in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_says_how_it_read_a_file_and_takes_the_reading_flags(tmp_path):
    db = tmp_path / "cli.duckdb"
    report = tmp_path / "frt_by_day.csv"
    report.write_text(
        "SLA update - Date;Ticket form;SLA metric;Achieved SLA targets;Breached SLA targets\n"
        "03/04/2026;SaaS;First reply time;1.000;20\n"
        "04/03/2026;SaaS;First reply time;980;20\n"
    )

    refused = run(db, "ingest", str(report))
    assert refused.returncode == 2
    assert "day-first or month-first" in refused.stdout and "--dates dmy or --dates mdy" in refused.stdout

    accepted = run(db, "ingest", str(report), "--dates", "dmy", "--thousands", "dot")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    lines = accepted.stdout.splitlines()
    assert lines[0].startswith("accepted") and "2 weeks (02 Mar 2026 to 30 Mar 2026)" in lines[0]
    assert "          date order: day first (DD/MM/YYYY), as you chose" in lines
    assert any(line.startswith("          numbers: decimal comma, thousands separator dot") for line in lines)
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT week, good, total FROM weekly_counts ORDER BY week").fetchall()
    assert stored == [(dt.date(2026, 3, 2), 980, 1000), (dt.date(2026, 3, 30), 1000, 1020)]


def test_ingest_names_the_sheet_of_a_workbook_it_read(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    stale = workbook.active
    stale.title = "Old"
    stale.sheet_state = "hidden"
    export = workbook.create_sheet("Export")
    monday = dt.date(2026, 9, 7)
    for row in [
        SLA_HEADER,
        *span_rows(monday, monday + dt.timedelta(days=6)),
        *sla_rows(monday, "SaaS", "First reply time", 9, 1),
    ]:
        export.append(row)
    workbook.active = 1
    workbook.save(tmp_path / "week.xlsx")

    ingest = run(tmp_path / "floorline.duckdb", "ingest", str(tmp_path / "week.xlsx"))

    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    lines = ingest.stdout.splitlines()
    assert "          file: XLSX, sheet 'Export'" in lines
    assert "          warning: Hidden sheets are never read: 'Old'." in lines
