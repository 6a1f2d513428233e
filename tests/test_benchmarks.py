"""Every script in benchmarks/ runs at a tiny size, so a rename in lib/ breaks a test rather than a
README figure nobody can reproduce. Each run is a real process; the check is that it finishes and
prints its figures (the sizes are too small for the figures themselves to mean anything).

The Chromium ones (browser_benchmark.py, soak.py) run in tests/browser/test_benchmarks_browser.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
RUN_HERE = {
    "ingest_benchmark.py",
    "page_benchmark.py",
    "explain_benchmark.py",
    "size_limits_benchmark.py",
    "zendesk_pull_benchmark.py",
}
RUN_IN_BROWSER_TESTS = {"browser_benchmark.py", "soak.py"}
SERVED_BY_BROWSER_BENCHMARK = {"bare_page.py"}


def run_benchmark(script: str, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def ingest_run(tmp_path_factory) -> tuple[str, Path]:
    """The ingest benchmark on a 3,000-row export; its database (kept) is the one the other two read."""
    folder = tmp_path_factory.mktemp("benchmarks")
    done = run_benchmark("ingest_benchmark.py", "--rows", "3000", "--repeat", "1", "--keep", str(folder))
    return done.stdout, folder / "bench.duckdb"


def test_every_benchmark_script_has_a_smoke_run():
    scripts = {path.name for path in BENCHMARKS.glob("*.py")}
    assert scripts == RUN_HERE | RUN_IN_BROWSER_TESTS | SERVED_BY_BROWSER_BENCHMARK


def test_ingest_benchmark_prints_the_ratio_to_a_bare_read_and_the_status_query(ingest_run):
    stdout, _ = ingest_run
    assert "accepted  explore_sla_5y.csv" in stdout
    assert "ingest / bare read" in stdout
    assert "status query in-process" in stdout


def test_page_benchmark_prints_both_meeting_pages(ingest_run):
    _, database = ingest_run
    stdout = run_benchmark("page_benchmark.py", "--db", str(database), "--reruns", "1").stdout
    assert "app.py" in stdout
    assert "pages/1_KPI_trends.py" in stdout


def test_explain_benchmark_prints_every_split_and_the_dialog(ingest_run):
    _, database = ingest_run
    stdout = run_benchmark("explain_benchmark.py", "--db", str(database)).stdout
    for by in ("segment", "region", "form", "group", "priority"):
        assert f"explain FRT by {by}, against previous" in stdout, stdout
    assert "KPI trends: open Why did it change?" in stdout


def test_size_limits_benchmark_prints_the_refusal_the_import_and_the_page():
    stdout = run_benchmark("size_limits_benchmark.py", "--objectives", "200", "--epics", "100").stdout
    assert "epics, 1,000,000 tiny items (27 MB): refused in" in stdout
    assert "epics, 100 REST epics" in stdout and "listing (" in stdout
    assert "OKRs, 200 objectives: checked and imported in" in stdout and "page errors []" in stdout


def test_zendesk_pull_benchmark_prints_the_ratio_to_a_bare_download_and_the_peak_memory():
    stdout = run_benchmark("zendesk_pull_benchmark.py", "--events", "3000", "--per-page", "500").stdout
    assert "pull / bare loop" in stdout
    assert "peak" in stdout and "stored as upload" in stdout


def test_soak_refuses_no_replicas_before_starting_anything():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "soak.py"), "--replicas", "0"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "--replicas: expected at least 1 app process, got 0" in done.stderr
    assert "Traceback" not in done.stderr
