"""The store is the only package that runs SQL against the database file.

Features, metrics, the demo and the UI ask ``lib.store``'s repository functions; ``lib.reading`` runs
SQL too, on its own in-memory DuckDB. The scan reads the source with ``ast``, so a module added later
is checked too; the same command (README, Architecture) counts the modules before and after.
"""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SQL_CALLS = {"execute", "executemany", "sql", "query"}
ALLOWED = ("lib/store/", "lib/reading/")


def sql_calls(source: str) -> int:
    """How many ``.execute(`` / ``.executemany(`` / ``.sql(`` / ``.query(`` calls a module's source makes."""
    return sum(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS
        for node in ast.walk(ast.parse(source))
    )


def modules_running_sql(root: Path) -> dict[str, int]:
    """Every module under app.py, pages/ and lib/ outside the store and reading that runs SQL, with its calls."""
    paths = [root / "app.py", *(root / "pages").glob("*.py"), *(root / "lib").rglob("*.py")]
    found = {}
    for path in paths:
        name = path.relative_to(root).as_posix()
        calls = sql_calls(path.read_text())
        if calls and not name.startswith(ALLOWED):
            found[name] = calls
    return found


def test_only_the_store_and_reading_run_sql():
    assert modules_running_sql(PROJECT) == {}


def test_the_scan_sees_a_query_anywhere_it_is_written():
    # The shapes a query takes in this code: a cursor's execute, a connection's sql, inside a with block.
    source = """
def read(con):
    with con.cursor() as cursor:
        return cursor.execute("SELECT 1").fetchone(), con.sql("SELECT 2")
"""
    assert sql_calls(source) == 2
    assert sql_calls("def read(frame):\n    return frame.groupby('a').sum()\n") == 0


def test_the_store_does_run_the_queries():
    # The scan is not blind: the store's repository modules are where the SQL is.
    store_modules = {path.name for path in (PROJECT / "lib" / "store").glob("*.py") if sql_calls(path.read_text())}
    assert {"figures.py", "workgroups.py", "okrs.py", "epics.py"} <= store_modules


if __name__ == "__main__":  # python tests/test_sql_seam.py [checkout]: the count in README's Architecture section
    import sys

    root = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT
    found = modules_running_sql(root)
    for name, calls in sorted(found.items()):
        print(f"{calls:4} {name}")
    print(f"{len(found)} modules outside lib/store and lib/reading run SQL ({sum(found.values())} calls)")
