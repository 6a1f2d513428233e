"""Shared fixtures: a real DuckDB file per test (helpers to write exports are in export_builders.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from export_builders import DEMO_END

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


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch) -> Path:
    """A copy of the demo database for one test, named by FLOORLINE_DB, with Streamlit's caches empty."""
    path = tmp_path / "floorline.duckdb"
    shutil.copy(demo_template, path)
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


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
    st.cache_resource.clear()
    yield db_path, holder.pid
    holder.stdin.close()
    holder.wait(timeout=30)
    st.cache_resource.clear()
