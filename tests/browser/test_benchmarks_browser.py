"""The Chromium benchmarks run at a tiny size, so a rename in lib/ breaks a test rather than a README
figure nobody can reproduce (the others: tests/test_benchmarks.py). Each is a real process with its
own servers; the check is that it finishes and prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lib.ui.navigation import PAGES

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def run_benchmark(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_browser_benchmark_prints_same_tab_and_new_tab_figures_for_every_page():
    done = run_benchmark("browser_benchmark.py", "--rounds", "1")

    assert done.returncode == 0, done.stderr[-3000:]
    assert "load average (1 min)" in done.stdout
    same_tab, _, new_tab = done.stdout.partition("new tab")
    for table in (same_tab, new_tab):
        assert "bare page (3 metrics, 3 charts)" in table
        assert "bare page at a page's address" in table
        for entry in PAGES:
            assert entry.label in table, done.stdout


def test_browser_benchmark_measures_only_the_pages_asked_for_against_the_bare_page():
    done = run_benchmark("browser_benchmark.py", "--rounds", "1", "--pages", "Data trust")

    assert done.returncode == 0, done.stderr[-3000:]
    assert "bare page (3 metrics, 3 charts)" in done.stdout
    assert "Data trust" in done.stdout
    assert "KPI trends" not in done.stdout, done.stdout


def test_soak_finishes_with_no_errors_and_prints_its_memory(tmp_path):
    # Too short to store and roll back an upload, so it reports its goals missed (exit 1) by design.
    done = run_benchmark("soak.py", "--minutes", "0.1", "--sessions", "2", "--keep", str(tmp_path))

    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "errors: 0 " in done.stdout, done.stdout
    assert "server memory (RSS)" in done.stdout


def test_soak_across_two_replicas_on_one_postgresql_meets_its_goals_and_prints_each_replica(tmp_path):
    # Starts its own PostgreSQL (tests/postgres_server.py), two `streamlit run` on it; replica A's warm-up
    # stores and rolls back one upload, which replica B must see on its next rerun.
    done = run_benchmark("soak.py", "--replicas", "2", "--minutes", "0.5", "--sessions", "2", "--keep", str(tmp_path))

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for replica in ("A", "B"):
        assert f"\nreplica {replica} (http://127.0.0.1:" in done.stdout
    assert done.stdout.count("errors: 0 (") == 2
    assert done.stdout.count("server memory (RSS)") == 2
    assert "replica A's uploads and rollbacks seen here on the next rerun: " in done.stdout
    assert "across the replicas: 2 of 2 sessions held" in done.stdout
