"""Speed of "why did it change?", this week so far and the hypothesis checks on a large database.

    python benchmarks/explain_benchmark.py [--db FILE] [--rows 1000000]

Without ``--db`` it builds the page benchmark's database (an Explore SLA export of ``--rows``
rows). It works on a copy (the checks form a workgroup). Prints figures; asserts nothing.
In process: each analysis from cold (first call) and its median over 5 calls; then, with
AppTest, the KPI trends page's "Why did it change?" dialog opened from empty caches and again.

Goals (page speed, issue 3): first render under 1.5 s, cached rerun under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def timed(function, runs: int = 5) -> tuple[float, float]:
    start = time.perf_counter()
    function()
    first = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def time_dialog() -> tuple[float, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/1_KPI_trends.py")
    at.session_state["explain_menu_FRT"] = True  # the menu holding the question, opened
    at.run()
    first, median = timed(lambda: at.button(key="change_FRT").click().run())
    if at.exception or not any('"waterfall"' in chart.proto.spec for chart in at.get("plotly_chart")):
        raise SystemExit(f"the dialog did not draw its waterfall: {[e.message for e in at.exception]}")
    return first, median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="an existing Floorline database (default: build one)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.db:
        source = args.db
    else:
        from page_benchmark import build_database

        source = build_database(args.rows)
    copy_folder = Path(tempfile.mkdtemp(prefix="floorline-explain-bench-"))
    db = copy_folder / "bench.duckdb"
    shutil.copy(source, db)
    os.environ["FLOORLINE_DB"] = str(db)

    from lib.metrics import explain
    from lib.metrics.kpis import kpi_summaries
    from lib.store import database as store
    from lib.workgroups import checks as hypothesis_checks
    from lib.workgroups import library, repository

    con = store.connect(db)
    settings = store.load_settings(con)
    rows = con.execute("SELECT sum(rows) FROM weekly_counts").fetchone()[0]
    summaries = kpi_summaries(con, settings)
    week = summaries["FRT"].latest.week
    print(f"database {db.stat().st_size / 1024**2:.0f} MB, {rows:,} counted rows stored; FRT week {week}")
    print(f"{'measure':<52}{'first':>10}{'median of 5':>14}")
    measures = {
        f"explain FRT by {by}, against {against}": lambda by=by, against=against: explain.explain(
            con, settings, "FRT", week, against=against, by=by
        )
        for by in explain.DIMENSION_CHOICES
        for against in explain.AGAINST
    }
    measures["dimensions a change can be split by (the dialog's choice)"] = lambda: explain.dimensions_in_data(
        con, "FRT"
    )
    measures["status --json additions (intervals, week so far)"] = lambda: explain.status_additions(
        con, kpi_summaries(con, settings), settings
    )
    episode = summaries["FRT"].episodes[-1] if summaries["FRT"].episodes else None
    if episode:
        formed = repository.form_workgroup(
            con, "bench", settings, "FRT", start=episode.start, end=episode.end
        ).workgroup_id
        for library_id in hypothesis_checks.CHECKS:
            library.copy_from_library(con, "bench", formed, library_id)
        workgroup = repository.get_workgroup(con, formed)
        for hypothesis in workgroup["hypotheses"]:
            kind = hypothesis_checks.check_kind(hypothesis)
            measures[f"hypothesis check: {kind} ({len(workgroup['trigger_weeks'])} breach weeks)"] = (
                lambda hypothesis=hypothesis: hypothesis_checks.run_check(con, settings, workgroup, hypothesis)
            )
    for name, function in measures.items():
        try:
            first, median = timed(function)
        except explain.CannotExplain as error:
            print(f"{name:<52}  cannot: {error.message}")
            continue
        print(f"{name:<52}{first * 1000:>8.0f} ms{median * 1000:>11.0f} ms")
    con.close()

    first, median = time_dialog()
    print(f"{'KPI trends: open Why did it change? (AppTest)':<52}{first * 1000:>8.0f} ms{median * 1000:>11.0f} ms")
    shutil.rmtree(copy_folder)


if __name__ == "__main__":
    main()
