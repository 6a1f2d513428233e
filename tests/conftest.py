"""Shared fixtures: a real DuckDB file per test (helpers to write exports are in export_builders.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib import store


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
