"""Where the browser tests find Chromium, and what happens on a machine without one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from chromium_location import ENVIRONMENT_VARIABLE, ChromiumNotFound, find_chromium

ROOT = Path(__file__).resolve().parents[2]
ONE_BROWSER_TEST = "tests/browser/test_page_browser.py"


def _run_browser_tests(environment: dict[str, str]) -> subprocess.CompletedProcess:
    """pytest on one browser module with a PATH that holds Python and no browser."""
    env = {key: value for key, value in os.environ.items() if key not in ("CI", ENVIRONMENT_VARIABLE)}
    env["PATH"] = str(Path(sys.executable).parent)
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-m", "pytest", ONE_BROWSER_TEST, "-q", "-p", "no:cacheprovider", "-rs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_variable_names_a_browser_anywhere(tmp_path, monkeypatch):
    browser = tmp_path / "my chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(browser))
    assert find_chromium() == str(browser)


def test_a_named_browser_that_is_not_there_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path / "nowhere"))
    with pytest.raises(ChromiumNotFound, match="nowhere"):
        find_chromium()


def test_without_a_browser_a_developer_run_skips_saying_how_to_name_one():
    run = _run_browser_tests({})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "skipped" in run.stdout and "passed" not in run.stdout
    assert ENVIRONMENT_VARIABLE in run.stdout and "apt-get install chromium" in run.stdout


def test_under_ci_a_missing_browser_fails_the_run_instead_of_skipping():
    run = _run_browser_tests({"CI": "true"})
    assert run.returncode != 0
    assert "the browser tests must run" in run.stdout + run.stderr


def test_a_browser_named_but_missing_fails_the_run_instead_of_skipping(tmp_path):
    run = _run_browser_tests({ENVIRONMENT_VARIABLE: str(tmp_path / "nowhere")})
    assert run.returncode != 0
    assert "nowhere" in run.stdout + run.stderr
