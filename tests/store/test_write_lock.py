"""The write lock holds across processes: a second process waits for the first to finish writing.

Two real Python processes write to one database file. The first takes the write lock, writes and
closes; the second asks for the lock while the first holds it, and may only write after.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from lib.store import database as store

PROJECT = Path(__file__).resolve().parents[2]

FIRST = """
import sys, time
from lib.store import database as store
con = store.connect(sys.argv[1])
with store.write_lock(con):
    print("holding", flush=True)
    time.sleep(1.5)
    with store.transaction(con):
        store.record_change(con, "first process", "test", "first write")
    con.close()
    print(time.time(), flush=True)
"""

SECOND = """
import sys, time
from pathlib import Path
from lib.store import database as store
with store.file_lock(Path(sys.argv[1])):
    acquired = time.time()
    con = store.connect(sys.argv[1])
    with store.transaction(con):
        store.record_change(con, "second process", "test", "second write")
    con.close()
print(acquired, flush=True)
"""


# On PostgreSQL the second process connects at once and waits in the database's advisory lock.
SECOND_ON_POSTGRESQL = """
import sys, time
from lib.store import database as store
con = store.connect(sys.argv[1])
with store.write_lock(con):
    acquired = time.time()
    with store.transaction(con):
        store.record_change(con, "second process", "test", "second write")
con.close()
print(acquired, flush=True)
"""


def run(code: str, db_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), str(db_path)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_process_writes_only_after_the_first_releases_the_lock(db_path, backend):
    store.connect(db_path).close()
    first = run(FIRST, db_path)
    assert first.stdout.readline().strip() == "holding", first.stderr.read()
    second = run(SECOND if backend == "duckdb" else SECOND_ON_POSTGRESQL, db_path)
    first_out, first_err = first.communicate(timeout=60)
    second_out, second_err = second.communicate(timeout=60)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second_err
    released, acquired = float(first_out.strip()), float(second_out.strip())
    assert acquired >= released  # the second waited for the first to write and close
    con = store.connect(db_path)
    try:
        writers = con.execute("SELECT actor FROM change_log WHERE action = 'test' ORDER BY id").fetchall()
    finally:
        con.close()
    assert writers == [("first process",), ("second process",)]


def test_the_lock_is_reentrant_within_a_process(db_path):
    con = store.connect(db_path)
    try:
        started = time.monotonic()
        with store.write_lock(con), store.transaction(con):
            store.record_change(con, "one process", "test", "a write inside a held lock")
        assert time.monotonic() - started < 5
        assert con.execute("SELECT count(*) FROM change_log WHERE action = 'test'").fetchone()[0] == 1
    finally:
        con.close()
