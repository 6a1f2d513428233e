"""Shared fixtures: a real DuckDB file per test (helpers to write exports are in export_builders.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from export_builders import DEMO_END
from page_cache import reset_page_resources
from postgres_server import PostgresServer

from lib.core import auth
from lib.demo.load import load_demo
from lib.store import database as store


@pytest.fixture(scope="session")
def backend() -> str:
    """Where the store lives: DuckDB, the default; tests/store and tests/metrics run on PostgreSQL too."""
    return "duckdb"


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the session (tests/postgres_server.py), started when first asked for."""
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


def copy_of(template, path: Path, backend: str, request) -> Path | str:
    """A copy of a database built once: the DuckDB file copied to ``path``, or a PostgreSQL database made from
    the template database; what ``store.connect`` opens."""
    if backend == "duckdb":
        shutil.copyfile(template, path)
        return path
    return request.getfixturevalue("postgres_server").new_database(template=template)


@pytest.fixture
def db_path(tmp_path, monkeypatch, backend, request) -> Path:
    """The database file (and the folder of the archive beside it); on PostgreSQL, an empty database of the
    test's own named by FLOORLINE_DATABASE_URL."""
    path = tmp_path / "floorline.duckdb"
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    if backend == "postgresql":
        monkeypatch.setenv("FLOORLINE_DATABASE_URL", request.getfixturevalue("postgres_server").new_database())
    return path


@pytest.fixture
def other_database(tmp_path, backend, request):
    """Makes a database besides the test's own (a path, or a PostgreSQL URL), for what ``store.connect`` opens."""

    def make(name: str) -> Path | str:
        if backend == "duckdb":
            return tmp_path / f"{name}.duckdb"
        return request.getfixturevalue("postgres_server").new_database()

    return make


@pytest.fixture
def con(db_path):
    connection = store.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_templates() -> dict:
    """The demo year per backend, built once per test run."""
    return {}


@pytest.fixture(scope="module")
def demo_template(demo_templates, tmp_path_factory, backend, request) -> Path | str:
    """The demo year (exports and OKRs) on this backend; tests copy it before changing it. Looked up by backend
    name: the folders that run on both backends define ``backend`` again, and their tests must get their own."""
    if backend not in demo_templates:
        path = tmp_path_factory.mktemp("demo") / "template.duckdb"
        if backend == "duckdb":
            target, connection = path, store.connect(path)
        else:  # the archived originals beside ``path``, as FLOORLINE_DB places them for the app
            target = request.getfixturevalue("postgres_server").new_database()
            connection = store.connect_postgres(target, path)
        load_demo(connection, end=DEMO_END)
        connection.close()
        demo_templates[backend] = target
    return demo_templates[backend]


@pytest.fixture(scope="module")
def demo(demo_template, tmp_path_factory, backend, request):
    """A connection to one copy of the demo year, shared by a module's tests that only read it."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    connection = store.connect(copy_of(demo_template, path, backend, request))
    yield connection
    connection.close()


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch, backend, request) -> Path:
    """A copy of the demo database for one test, named by FLOORLINE_DB (and FLOORLINE_DATABASE_URL)."""
    path = tmp_path / "floorline.duckdb"
    copy = copy_of(demo_template, path, backend, request)
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    if backend == "postgresql":
        monkeypatch.setenv("FLOORLINE_DATABASE_URL", copy)
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
