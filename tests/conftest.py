"""Shared fixtures: a real DuckDB file per test (helpers to write exports are in export_builders.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from export_builders import DEMO_END
from page_cache import reset_page_resources

from lib.core import auth
from lib.demo.load import load_demo
from lib.store import database as store


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "floorline.duckdb"
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    return path


@pytest.fixture
def con(db_path):
    connection = store.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo year (exports and OKRs), built once per test run; tests copy it before changing it."""
    path = tmp_path_factory.mktemp("demo") / "template.duckdb"
    connection = store.connect(path)
    load_demo(connection, end=DEMO_END)
    connection.close()
    return path


@pytest.fixture(scope="module")
def demo(demo_template, tmp_path_factory):
    """A connection to one copy of the demo year, shared by a module's tests that only read it."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    shutil.copyfile(demo_template, path)
    connection = store.connect(path)
    yield connection
    connection.close()


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch) -> Path:
    """A copy of the demo database for one test, named by FLOORLINE_DB."""
    path = tmp_path / "floorline.duckdb"
    shutil.copy(demo_template, path)
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    yield path
    reset_page_resources()


@pytest.fixture
def demo_con(demo_db):
    """A connection to this test's copy of the demo year, which the test may change."""
    connection = store.connect(demo_db)
    yield connection
    connection.close()


@pytest.fixture
def locked_db(db_path):
    """The database file, held open by a second process (as a second server or a CLI command would)."""
    store.connect(db_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
            str(db_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ready"
    reset_page_resources()
    yield db_path, holder.pid
    holder.stdin.close()
    holder.wait(timeout=30)
    reset_page_resources()


@pytest.fixture(autouse=True)
def sign_in_not_yet_required(monkeypatch):
    # A page run with sign-in configured makes the whole process refuse writes without a principal,
    # as a server should; each test starts as a fresh process would.
    monkeypatch.setattr(auth, "_sign_in_required", False)
