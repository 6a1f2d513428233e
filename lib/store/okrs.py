"""OKRs as stored: managers, objectives, key results and check-ins, real or demo.

What may be written, by whom, how a file is checked and the audit row around a write are
``lib.okrs``'s: these run inside its transaction. Rows are keyed by name, id, or key result and date.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from lib.store.upload_records import arrow_views

if TYPE_CHECKING:
    import pandas as pd

# kind -> (table, columns in table order (after them come is_demo, created_at, updated_at), key columns).
# An upsert refreshes every other column; created_at and is_demo keep their first values.
TABLE_COLUMNS = {
    "managers": ("okr_managers", ("name", "region", "segment", "manager_since"), ("name",)),
    "objectives": ("okr_objectives", ("id", "quarter", "level", "title", "owner", "parent_id"), ("id",)),
    "key_results": ("okr_key_results", ("id", "objective_id", "title", "owner", "score", "kpi_link"), ("id",)),
    "check_ins": (
        "okr_check_ins",
        ("key_result_id", "check_in_date", "score", "note"),
        ("key_result_id", "check_in_date"),
    ),
}
# Children first, so a delete never leaves a row pointing at a deleted one.
TABLES_CHILDREN_FIRST = ("okr_check_ins", "okr_key_results", "okr_objectives", "okr_managers")


def _demo_filter(include_demo: bool) -> str:
    return "" if include_demo else "WHERE NOT is_demo"


def manager_names(con, *, include_demo: bool) -> set[str]:
    demo = _demo_filter(include_demo)
    return {row[0] for row in con.execute(f"SELECT name FROM okr_managers {demo}").fetchall()}


def objective_quarters_and_levels(con, *, include_demo: bool) -> dict[str, tuple[str, str]]:
    """Objective id -> (quarter label, level)."""
    demo = _demo_filter(include_demo)
    rows = con.execute(f"SELECT id, quarter, level FROM okr_objectives {demo}").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def key_result_ids(con, *, include_demo: bool) -> set[str]:
    demo = _demo_filter(include_demo)
    return {row[0] for row in con.execute(f"SELECT id FROM okr_key_results {demo}").fetchall()}


def has_okrs(con) -> bool:
    """Whether any OKR data is stored (a manager is the first thing a file or the demo stores)."""
    return con.execute("SELECT count(*) FROM okr_managers").fetchone()[0] > 0


def has_demo_okrs(con) -> bool:
    return con.execute("SELECT count(*) FROM okr_managers WHERE is_demo").fetchone()[0] > 0


def key_result_is_demo(con, key_result_id: str) -> bool:
    return bool(
        con.execute(
            "SELECT coalesce(any_value(is_demo), false) FROM okr_key_results WHERE id = ?", [key_result_id]
        ).fetchone()[0]
    )


def upsert(con, kind: str, records: list[dict], *, is_demo: bool, now: dt.datetime) -> None:
    """One INSERT ... SELECT ... ON CONFLICT from a data frame for the whole list: row-at-a-time inserts cost
    ~5 ms each, and 50,000 objectives bound as parameters of one statement took over twenty seconds."""
    import pandas as pd

    if not records:
        return
    table, columns, key = TABLE_COLUMNS[kind]
    rows = [(*(r[c] for c in columns), is_demo, now, now) for r in records]
    # In table order; object columns keep None as NULL (never NaN), and DuckDB converts each value to its column.
    frame = pd.DataFrame(rows, columns=[*columns, "is_demo", "created_at", "updated_at"], dtype=object)
    updates = ", ".join(f"{c} = excluded.{c}" for c in (*columns, "updated_at") if c not in key)
    with arrow_views(con, okr_rows=frame):
        con.execute(
            f"INSERT INTO {table} SELECT * FROM okr_rows ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )


def delete_demo_rows(con) -> None:
    for table in TABLES_CHILDREN_FIRST:
        con.execute(f"DELETE FROM {table} WHERE is_demo")


def delete_objective(con, objective_id: str) -> None:
    """An objective with its key results and their check-ins; objectives aligned to it become unaligned."""
    con.execute(
        """DELETE FROM okr_check_ins WHERE key_result_id IN
           (SELECT id FROM okr_key_results WHERE objective_id = ?)""",
        [objective_id],
    )
    con.execute("DELETE FROM okr_key_results WHERE objective_id = ?", [objective_id])
    con.execute("UPDATE okr_objectives SET parent_id = NULL WHERE parent_id = ?", [objective_id])
    con.execute("DELETE FROM okr_objectives WHERE id = ?", [objective_id])


def delete_key_result(con, key_result_id: str) -> None:
    """A key result with its check-ins."""
    con.execute("DELETE FROM okr_check_ins WHERE key_result_id = ?", [key_result_id])
    con.execute("DELETE FROM okr_key_results WHERE id = ?", [key_result_id])


def delete_check_in(con, key_result_id: str, day: dt.date) -> None:
    con.execute("DELETE FROM okr_check_ins WHERE key_result_id = ? AND check_in_date = ?", [key_result_id, day])


def delete_manager(con, name: str) -> None:
    con.execute("DELETE FROM okr_managers WHERE name = ?", [name])


def typed_scores(con) -> dict[str, float | None]:
    """Each key result's score as typed: its newest check-in's, else its starting score."""
    return dict(
        con.execute(
            """SELECT k.id, coalesce(
                   (SELECT c.score FROM okr_check_ins c WHERE c.key_result_id = k.id
                    ORDER BY c.check_in_date DESC LIMIT 1), k.score)
               FROM okr_key_results k"""
        ).fetchall()
    )


def okr_frame(con, kind: str, quarter_label: str | None = None) -> pd.DataFrame:
    """A kind's rows with the same column names as the template (of one quarter, or all)."""
    where, params = "", []
    if quarter_label is not None and kind == "objectives":
        where, params = "WHERE quarter = ?", [quarter_label]
    elif quarter_label is not None and kind == "key_results":
        where, params = "WHERE objective_id IN (SELECT id FROM okr_objectives WHERE quarter = ?)", [quarter_label]
    elif quarter_label is not None and kind == "check_ins":
        where = """WHERE key_result_id IN (SELECT k.id FROM okr_key_results k
                   JOIN okr_objectives o ON o.id = k.objective_id WHERE o.quarter = ?)"""
        params = [quarter_label]
    sql = {
        "managers": "SELECT name, region, segment, manager_since FROM okr_managers {w} ORDER BY region, name",
        "objectives": """SELECT id AS objective_id, quarter, level, title AS objective, owner, parent_id AS aligned_to
                         FROM okr_objectives {w} ORDER BY quarter DESC, level, id""",
        # The current score: the newest check-in's, else the starting score.
        "key_results": """SELECT id AS key_result_id, objective_id, title AS key_result, owner,
                              coalesce((SELECT c.score FROM okr_check_ins c WHERE c.key_result_id = k.id
                                        ORDER BY c.check_in_date DESC LIMIT 1), score) AS score, kpi_link
                          FROM okr_key_results k {w} ORDER BY objective_id, id""",
        "check_ins": """SELECT key_result_id, check_in_date AS date, score, note FROM okr_check_ins {w}
                        ORDER BY key_result_id, check_in_date""",
    }[kind].format(w=where)
    import pandas as pd

    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=names)


def quarter_labels(con) -> list[str]:
    """The quarters objectives are stored for, as labels (in no particular order)."""
    return [row[0] for row in con.execute("SELECT DISTINCT quarter FROM okr_objectives").fetchall()]


def manager_rows(con) -> list[tuple]:
    """(name, region, segment, manager since) of every manager, by region and name."""
    return con.execute("SELECT name, region, segment, manager_since FROM okr_managers ORDER BY region, name").fetchall()


def manager_regions(con) -> dict[str, str]:
    """Manager name -> region."""
    return dict(con.execute("SELECT name, region FROM okr_managers ORDER BY name").fetchall())


def objective_rows(con, quarter_label: str) -> list[tuple]:
    """(id, level, title, owner, aligned to) of a quarter's objectives, by level and id."""
    return con.execute(
        "SELECT id, level, title, owner, parent_id FROM okr_objectives WHERE quarter = ? ORDER BY level, id",
        [quarter_label],
    ).fetchall()


def objective_levels(con) -> dict[str, str]:
    """Objective id -> level, every quarter."""
    return dict(con.execute("SELECT id, level FROM okr_objectives").fetchall())


def objective_quarters(con) -> dict[str, str]:
    """Objective id -> quarter label, every quarter."""
    return dict(con.execute("SELECT id, quarter FROM okr_objectives").fetchall())


def key_result_rows(con, quarter_label: str, as_of: dt.date) -> list[tuple]:
    """(id, objective, title, owner, starting score, KPI link, last check-in day, its score) of a quarter's
    key results, the check-ins counted up to ``as_of``."""
    return con.execute(
        """SELECT k.id, k.objective_id, k.title, k.owner, k.score, k.kpi_link,
                  (SELECT max(c.check_in_date) FROM okr_check_ins c
                   WHERE c.key_result_id = k.id AND c.check_in_date <= ?),
                  (SELECT c.score FROM okr_check_ins c WHERE c.key_result_id = k.id AND c.check_in_date <= ?
                   ORDER BY c.check_in_date DESC LIMIT 1)
           FROM okr_key_results k JOIN okr_objectives o ON o.id = k.objective_id
           WHERE o.quarter = ? ORDER BY k.id""",
        [as_of, as_of, quarter_label],
    ).fetchall()


def key_results_with_quarter(con) -> list[tuple]:
    """(id, title, owner, quarter label) of every key result."""
    return con.execute(
        """SELECT k.id, k.title, k.owner, o.quarter FROM okr_key_results k
           JOIN okr_objectives o ON o.id = k.objective_id ORDER BY k.id"""
    ).fetchall()
