"""Render times of the meeting pages on a large database. Prints figures; asserts nothing.

    python benchmarks/page_benchmark.py [--db FILE] [--rows 1000000]

Without ``--db`` it builds the database the ingest benchmark builds (an Explore SLA export of
``--rows`` rows, five years) in a temporary folder. Each page is run with Streamlit's AppTest,
in this process: the *first render* starts from empty caches (a new server, say), the *cached
rerun* is the same page run again, as when a viewer changes nothing or switches back to it.

Goals (issue 3): first render under 1.5 s, cached rerun under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("app.py", "pages/1_KPI_trends.py")


def build_database(rows: int) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="floorline-page-bench-"))
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ingest_benchmark.py"), "--rows", str(rows), "--keep", str(folder)],
        check=True,
        capture_output=True,
    )
    return folder / "bench.duckdb"


def time_page(page: str, reruns: int) -> tuple[float, list[float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"{page} raised: {[e.message for e in at.exception]}")
    times = []
    for _ in range(reruns):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="an existing Floorline database (default: build one)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reruns", type=int, default=10)
    args = parser.parse_args()
    db = args.db or build_database(args.rows)
    os.environ["FLOORLINE_DB"] = str(db)
    sys.path.insert(0, str(ROOT))
    print(f"database {db} ({db.stat().st_size / 1024**2:.0f} MB)")
    print(f"{'page':<26}{'first render':>14}{'cached rerun (median)':>24}{'slowest rerun':>16}")
    for page in PAGES:
        first, reruns = time_page(page, args.reruns)
        print(f"{page:<26}{first:>12.2f} s{statistics.median(reruns) * 1000:>21.0f} ms{max(reruns) * 1000:>13.0f} ms")


if __name__ == "__main__":
    main()
