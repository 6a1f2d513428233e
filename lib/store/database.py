"""The database seam: open it, one write lock across processes, transactions and rehearsals, settings
and the change log.

Every write is ``transaction(con)``; a preview is ``rehearsal(con)``, always rolled back. Features pass
``con`` (a connection or a cursor) in; the store's other modules (``upload_records``, ``history``,
``schema``) hold the SQL of their tables.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
from filelock import FileLock

from lib.core import auth
from lib.core import settings as settings_module
from lib.core.errors import DatabaseLocked
from lib.core.settings import DEFAULT_FORM_SEGMENTS, Settings
from lib.store import postgres, schema


@dataclass(frozen=True)
class SharedLock:
    """A lock across threads, processes and replicas: a thread lock orders this process's threads, a file
    lock beside the DuckDB file orders the processes, an advisory lock orders PostgreSQL's replicas."""

    threads: threading.RLock
    file_suffix: str
    advisory_key: int


# Writers take turns: DuckDB allows one writing process, two transactions appending to the same tables from
# two threads would conflict at commit, and replicas on a server database must not interleave a check and the
# write it guards.
WRITING = SharedLock(threading.RLock(), ".lock", postgres.WRITE_LOCK_KEY)
# Notification senders take turns with each other only: a message on the network must not hold back uploads.
SENDING = SharedLock(threading.RLock(), ".sending.lock", postgres.SENDING_LOCK_KEY)
FILE_LOCKS: dict[Path, FileLock] = {}


@contextlib.contextmanager
def held(con, lock: SharedLock):
    """``lock`` held across threads, processes and replicas; reentrant."""
    with lock.threads:
        if isinstance(con, postgres.PostgresConnection):
            con.take_advisory_lock(lock.advisory_key)
            try:
                yield
            finally:
                con.release_advisory_lock(lock.advisory_key)
            return
        file = database_path_of(con)
        with file_lock(Path(file), lock.file_suffix) if file else contextlib.nullcontext():
            yield


def write_lock(con):
    """Held by every write, and by a check that decides one; reentrant, so a write inside a held lock is fine."""
    return held(con, WRITING)


def sending_lock(con):
    """Held while a notification is decided, sent and recorded (which takes the write lock inside it)."""
    return held(con, SENDING)


def file_lock(db_path: Path, suffix: str = ".lock") -> FileLock:
    """The lock file beside the database (``floorline.duckdb.lock``); one object per file, held under its
    thread lock, so it is reentrant within the process."""
    path = Path(f"{db_path.resolve()}{suffix}")
    if path not in FILE_LOCKS:
        FILE_LOCKS[path] = FileLock(str(path), thread_local=False)
    return FILE_LOCKS[path]


@contextlib.contextmanager
def transaction(con):
    """Every write: one transaction under the write lock, rolled back on any error, so a failed change
    leaves every stored figure as it was."""
    with write_lock(con):
        con.execute("BEGIN")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


@contextlib.contextmanager
def rehearsal(con):
    """A change tried out and always rolled back, under the write lock: a preview measures what a write
    would do, and nothing of it stays."""
    with write_lock(con):
        con.execute("BEGIN")
        try:
            yield con
        finally:
            con.execute("ROLLBACK")


# DuckDB's words when another process holds the file: "Could not set lock on file ...: Conflicting
# lock is held in /usr/bin/python3 (PID 1234)".
LOCK_HELD = re.compile(r"Could not set lock on file.*?held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
# Any other reason the file cannot be opened (not a database, no permission): the name the command line
# catches, so that only the store imports DuckDB.
CannotOpen = duckdb.IOException


def connect(path: Path | str | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database and make sure its schema is current: PostgreSQL when
    ``path`` or ``FLOORLINE_DATABASE_URL`` (or ``[database] url`` in the secrets) is a postgresql:// URL."""
    url = path if postgres.is_url(path) else settings_module.database_url()
    if url:
        return connect_postgres(url, Path(path) if path and not postgres.is_url(path) else None)
    db_path = Path(path) if path else settings_module.database_path()
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.IOException as error:
        locked = LOCK_HELD.search(str(error))
        if not locked:
            raise
        raise DatabaseLocked(str(db_path), Path(locked["program"]).name, int(locked["pid"])) from error
    if read_only:
        return con
    # Every stored time is UTC, whatever the server's zone: the pages label them so.
    con.execute("SET TimeZone = 'UTC'")
    with transaction(con):
        for tables in schema.EVERY_SCHEMA:
            con.execute(tables)
        seed_defaults(con)
    return con


def seed_defaults(con) -> None:
    """What a new database starts with: the default form mapping and data version 0."""
    if con.execute("SELECT count(*) FROM form_segments").fetchone()[0] == 0:
        con.executemany(
            "INSERT INTO form_segments VALUES (lower(?), ?, ?)",
            [(form, form, segment) for form, segment in DEFAULT_FORM_SEGMENTS.items()],
        )
    con.execute("INSERT INTO meta VALUES ('data_version', 0) ON CONFLICT DO NOTHING")


def connect_postgres(url: str, path: Path | None) -> postgres.PostgresConnection:
    """The store on PostgreSQL; ``path`` (else FLOORLINE_DB) names the folder of the archived originals."""
    con = postgres.PostgresConnection(url, path or settings_module.database_path())
    con.execute("SET TimeZone = 'UTC'")
    with transaction(con):
        postgres.create_or_upgrade_schema(con, schema.EVERY_SCHEMA)
        seed_defaults(con)
    return con


def database_path_of(con) -> str | None:
    """The database's file, or None for an in-memory database."""
    if isinstance(con, postgres.PostgresConnection):
        return str(con.database_file)
    return con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]


def database_file(con) -> Path:
    return Path(database_path_of(con))


def load_settings(con) -> Settings:
    overrides = {key: json.loads(value) for key, value in con.execute("SELECT key, value FROM settings").fetchall()}
    return Settings().with_overrides(overrides)


def save_setting(con, key: str, value, actor: str | None = None) -> None:
    auth.require_editor("change settings")
    actor = actor or auth.actor()
    with transaction(con):
        con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, json.dumps(value)])
        record_change(con, actor, "setting", key, {"value": value})
        bump_data_version(con)


def data_version(con) -> int:
    """A number that changes whenever any stored figure could have changed (cache key for pages)."""
    return con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0]


def bump_data_version(con) -> None:
    con.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")


def record_change(con, actor: str | None, action: str, subject: str, detail: dict | None = None) -> None:
    con.execute(
        "INSERT INTO change_log VALUES (nextval('change_ids'), now()::TIMESTAMP, ?, ?, ?, ?)",
        [actor or "unknown", action, subject, json.dumps(detail or {}, default=str)],
    )


def form_segments(con) -> dict[str, str]:
    return dict(con.execute("SELECT form, segment FROM form_segments ORDER BY form").fetchall())


def mapped_form_keys(con) -> set[str]:
    """The forms the mapping names, lower case (as ``form_key``)."""
    return {key for (key,) in con.execute("SELECT form_key FROM form_segments").fetchall()}


def set_form_segment(con, form: str, segment: str, actor: str | None = None) -> None:
    auth.require_editor("change the form mapping")
    actor = actor or auth.actor()
    with transaction(con):
        con.execute("INSERT OR REPLACE INTO form_segments VALUES (lower(trim(?)), trim(?), ?)", [form, form, segment])
        record_change(con, actor, "form mapping", form, {"segment": segment})
        bump_data_version(con)
