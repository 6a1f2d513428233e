"""Several app replicas on one PostgreSQL store: real processes, a real server (tests/postgres_server.py).

What a replica does is what the command line does: its own process, its own sessions, the store's
transactions and the advisory write lock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from export_builders import DEMO_END, sla_rows, span_rows, write_sla

from lib.store import database as store
from lib.store import figures, postgres

ROOT = Path(__file__).resolve().parents[1]
MONDAY = dt.date(2026, 9, 7)


def command(database: Path | str, folder: Path, *args: str) -> subprocess.Popen:
    """``python -m lib …`` on a DuckDB file, or on a PostgreSQL URL (the archive in ``folder``)."""
    env = {key: value for key, value in os.environ.items() if key != "FLOORLINE_DATABASE_URL"}
    env["FLOORLINE_DB"] = str(folder / "floorline.duckdb")
    if postgres.is_url(database):
        env["FLOORLINE_DATABASE_URL"] = database
    else:
        env["FLOORLINE_DB"] = str(database)
    return subprocess.Popen(
        [sys.executable, "-m", "lib", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def run(database: Path | str, folder: Path, *args: str) -> str:
    process = command(database, folder, *args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()
    return out.decode()


def export(tmp_path: Path, name: str, form: str, metric: str, achieved: int) -> Path:
    weeks = [MONDAY, MONDAY + dt.timedelta(days=7)]
    rows = span_rows(weeks[0], weeks[1] + dt.timedelta(days=6))
    for week in weeks:
        rows += sla_rows(week, form, metric, achieved, 100 - achieved)
    return write_sla(tmp_path / name, rows)


def test_the_demo_year_gives_the_same_status_on_postgresql_as_on_duckdb(postgres_server, tmp_path):
    on_duckdb, on_postgresql = tmp_path / "demo.duckdb", postgres_server.new_database()
    for database, folder in ((on_duckdb, tmp_path / "d"), (on_postgresql, tmp_path / "p")):
        folder.mkdir()
        run(database, folder, "demo", "--end", DEMO_END.isoformat())

    duckdb_status = json.loads(run(on_duckdb, tmp_path / "d", "status", "--json"))
    postgresql_status = json.loads(run(on_postgresql, tmp_path / "p", "status", "--json"))

    assert postgresql_status == duckdb_status
    assert duckdb_status["latest_week"] is not None


def test_two_replicas_uploading_at_once_both_land_with_the_figures_of_one_after_the_other(postgres_server, tmp_path):
    first = export(tmp_path, "frt.csv", "SaaS", "First reply time", 91)
    second = export(tmp_path, "nrt.csv", "Self-Managed", "Next reply time", 88)
    one_after_the_other = tmp_path / "sequential.duckdb"
    run(one_after_the_other, tmp_path, "ingest", str(first))
    run(one_after_the_other, tmp_path, "ingest", str(second))
    shared = postgres_server.new_database()
    store.connect(shared).close()  # the schema, as the replicas find it once the app has started

    replicas = [command(shared, tmp_path, "ingest", str(path)) for path in (first, second)]
    for replica in replicas:
        _, err = replica.communicate(timeout=300)
        assert replica.returncode == 0, err.decode()

    uploads = json.loads(run(shared, tmp_path, "uploads", "--json"))
    assert sorted((u["file"], u["status"]) for u in uploads) == [("frt.csv", "active"), ("nrt.csv", "active")]
    status = json.loads(run(shared, tmp_path, "status", "--json"))
    assert status == json.loads(run(one_after_the_other, tmp_path, "status", "--json"))
    assert status["kpis"]["FRT"]["weekly"] == {"2026-09-07": 91.0, "2026-09-14": 91.0}
    assert status["kpis"]["NRT"]["weekly"] == {"2026-09-07": 88.0, "2026-09-14": 88.0}


def test_a_replica_sees_another_replicas_upload_on_its_next_rerun(postgres_server, tmp_path):
    shared = postgres_server.new_database()
    replica_b = store.connect(shared)
    try:
        # What a page run reads first, from a cursor of its own: the data version that keys every cache.
        before = store.data_version(replica_b.cursor())
        run(shared, tmp_path, "ingest", str(export(tmp_path, "frt.csv", "SaaS", "First reply time", 91)))

        rerun = replica_b.cursor()
        assert store.data_version(rerun) > before
        assert figures.has_real_active_uploads(rerun)
    finally:
        replica_b.close()


def test_a_database_of_an_older_schema_version_is_upgraded_and_keeps_its_data(postgres_server, tmp_path, monkeypatch):
    url = postgres_server.new_database()
    con = store.connect(url)
    store.save_setting(con, "floors", {"FRT": 80.0}, actor="ann")
    assert con.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
    con.close()
    # The next release changes an existing table: its migration runs once on the version-1 database.
    monkeypatch.setattr(postgres, "MIGRATIONS", ["ALTER TABLE settings ADD COLUMN changed_by VARCHAR"])

    for _ in range(2):  # every start after the first finds the schema current
        con = store.connect(url)
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
        assert con.execute("SELECT key, changed_by FROM settings").fetchall() == [("floors", None)]
        assert store.load_settings(con).floors["FRT"] == 80.0
        con.close()
