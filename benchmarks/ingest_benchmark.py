"""Speed and memory of the data core on a large export. Prints figures; asserts nothing.

    python benchmarks/ingest_benchmark.py [--rows 1000000] [--keep DIR] [--without-dimensions]

Generates an Explore SLA export of N rows (five years of a large team), then measures, each
as a whole process (interpreter start included, as a user would run it):

- ingest: ``python -m lib ingest FILE`` into a new database — wall time, CPU time and peak memory;
- the floor: DuckDB's bare ``read_csv`` of the same file into a table;
- status: ``python -m lib status --json`` on the result, and the status query alone in-process.

Goals: ingest within 1.3x the bare read (issue 26; 1.1x for an export without region, group and
priority), peak memory under 1 GB, status under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]

GENERATE_SQL = """
COPY (
    SELECT 500000 + i // 3 AS "Ticket ID",
        ['SaaS', 'SaaS Account', 'Self-Managed', 'L&R', 'GitLab Dedicated', 'Billing'][(1 + hash(i) % 6)::BIGINT]
            AS "Ticket form",
        CASE WHEN i % 3 = 0 THEN 'First reply time' WHEN i % 20 = 1 THEN 'Requester wait time'
             ELSE 'Next reply time' END AS "SLA metric",
        CASE WHEN i % 97 = 0 THEN 'Active' ELSE 'Completed' END AS "SLA metric status",
        CASE WHEN i % 97 = 0 THEN '' WHEN (hash(i * 7) % 100)::BIGINT < 8 THEN 'Breached' ELSE 'Achieved' END
            AS "SLA target status",
        strftime(DATE '2021-11-22' + (i * 1825 // $rows)::INTEGER, '%Y-%m-%d') AS "Time - SLA status update - Date"
        {dimensions}
    FROM range($rows) t(i)
) TO '{path}' (HEADER, DELIMITER ',')
"""
# Region, ticket group and priority, as a real export has them (left out with --without-dimensions).
DIMENSIONS_SQL = """,
        ['Americas, USA', 'Asia Pacific', 'Europe, Middle East, Africa'][(1 + hash(i * 3) % 3)::BIGINT]
            AS "Preferred Region for Support",
        'Support ' || ['AMER', 'APAC', 'EMEA'][(1 + hash(i * 5) % 3)::BIGINT] AS "Ticket group",
        ['Low', 'Normal', 'High', 'Urgent'][(1 + hash(i * 11) % 4)::BIGINT] AS "Ticket priority"
"""


def timed_process(args: list[str], env: dict | None = None) -> tuple[float, float, float, str]:
    """Run a command; return (wall seconds, CPU seconds and peak resident MB of that child, stdout)."""
    code = textwrap.dedent(
        f"""
        import resource, subprocess, sys, time
        start = time.perf_counter()
        done = subprocess.run({args!r}, capture_output=True, text=True)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode:
            sys.stderr.write(done.stdout + done.stderr)
            sys.exit(done.returncode)
        print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
        sys.stdout.write(done.stdout)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    first, _, rest = result.stdout.partition("\n")
    wall, cpu, peak = map(float, first.split())
    return wall, cpu, peak, rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="keep the export and database in this folder")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the bare read and of ingest (medians shown)")
    parser.add_argument(
        "--without-dimensions", action="store_true", help="an export without region, ticket group and priority"
    )
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="floorline-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "explore_sla_5y.csv"
    db = folder / "bench.duckdb"
    for stale in (db, Path(f"{db}.wal"), folder / "bare.duckdb"):
        stale.unlink(missing_ok=True)

    start = time.perf_counter()
    dimensions = "" if args.without_dimensions else DIMENSIONS_SQL
    duckdb.execute(GENERATE_SQL.format(path=export, dimensions=dimensions).replace("$rows", str(args.rows)))
    size_mb = export.stat().st_size / 1024**2
    print(f"generated {args.rows:,} rows, {size_mb:.0f} MB in {time.perf_counter() - start:.1f} s")

    bare_db = folder / "bare.duckdb"
    bare_code = (
        f"import duckdb; con = duckdb.connect({str(bare_db)!r}); "
        f'con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv({str(export)!r})"); con.close()'
    )
    env = {**os.environ, "FLOORLINE_DB": str(db)}
    # Alternate the two, each run on a new database, and keep the medians: on a shared
    # machine one run of either can be off by a third.
    bare_runs, ingest_runs = [], []
    for _ in range(args.repeat):
        bare_runs.append(timed_process([sys.executable, "-c", bare_code]))
        for stale in (db, Path(f"{db}.wal"), folder / "archive"):
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)
        ingest_runs.append(timed_process([sys.executable, "-m", "lib", "ingest", str(export)], env))
    bare_wall, bare_cpu = (statistics.median(run[i] for run in bare_runs) for i in (0, 1))
    bare_peak = max(run[2] for run in bare_runs)
    ingest_wall, ingest_cpu = (statistics.median(run[i] for run in ingest_runs) for i in (0, 1))
    ingest_peak = max(run[2] for run in ingest_runs)
    ingest_out = ingest_runs[-1][3]
    status_wall, *_ = timed_process([sys.executable, "-m", "lib", "status", "--json"], env)

    sys.path.insert(0, str(ROOT))
    from lib.metrics.kpis import status_report
    from lib.store import database as store

    con = store.connect(db)
    settings = store.load_settings(con)
    status_report(con, settings)
    start = time.perf_counter()
    runs = 5
    for _ in range(runs):
        status_report(con, settings)
    status_query = (time.perf_counter() - start) / runs
    con.close()

    print(ingest_out.strip())
    print()
    print(f"{'measure':<44}{'value':>12}")
    print(f"{'runs (medians shown)':<44}{args.repeat:>10}")
    bare = f"{bare_wall:>10.2f} s   CPU {bare_cpu:.2f} s   peak {bare_peak:,.0f} MB"
    print(f"{'bare DuckDB read_csv into a table (process)':<44}{bare}")
    ingest = f"{ingest_wall:>10.2f} s   CPU {ingest_cpu:.2f} s   peak {ingest_peak:,.0f} MB"
    print(f"{'python -m lib ingest (process)':<44}{ingest}")
    goal = 1.1 if args.without_dimensions else 1.3
    ratio = f"{ingest_wall / bare_wall:>10.2f} x   CPU {ingest_cpu / bare_cpu:.2f} x   (goal <= {goal})"
    print(f"{'ingest / bare read':<44}{ratio}")
    print(f"{'load average (1, 5, 15 min)':<44}{' '.join(Path('/proc/loadavg').read_text().split()[:3]):>10}")
    print(f"{'python -m lib status --json (process)':<44}{status_wall:>10.2f} s")
    print(f"{'status query in-process (mean of 5)':<44}{status_query:>10.3f} s   (goal < 0.5)")
    print(f"{'database size':<44}{db.stat().st_size / 1024**2:>10.0f} MB")


if __name__ == "__main__":
    main()
