"""Stored OKRs: reads and writes. Every write is one transaction with a change-log row and a version bump."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lib.core import auth
from lib.core.errors import RefusedFile
from lib.metrics import fiscal
from lib.metrics.fiscal import FiscalQuarter
from lib.okrs.checks import Known, check_tables
from lib.okrs.imports import OkrTable, read_okr_file, table_from_editor
from lib.okrs.model import KEY_COLUMN, KINDS, SHEET_NAMES, Batch, counts_text, text_of
from lib.store import database as store

if TYPE_CHECKING:
    import pandas as pd


def known_items(con, *, include_demo: bool) -> Known:
    demo = "" if include_demo else "WHERE NOT is_demo"
    return Known(
        managers={row[0] for row in con.execute(f"SELECT name FROM okr_managers {demo}").fetchall()},
        objectives={
            row[0]: (row[1], row[2])
            for row in con.execute(f"SELECT id, quarter, level FROM okr_objectives {demo}").fetchall()
        },
        key_results={row[0] for row in con.execute(f"SELECT id FROM okr_key_results {demo}").fetchall()},
    )


@dataclass
class ImportResult:
    counts: dict[str, int]
    removed: dict[str, int] = field(default_factory=dict)
    replaced_demo: bool = False

    def summary(self) -> str:
        stored = counts_text(self.counts)
        removed = counts_text(self.removed)
        text = f"stored {stored or 'nothing'}"
        if removed:
            text += f"; removed {removed}"
        if self.replaced_demo:
            text += "; the demo OKRs were removed"
        return text


# Columns in table order (after the key columns come is_demo, created_at, updated_at) and what an
# upsert refreshes; created_at and is_demo keep their first values.
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


def upsert(con, kind: str, records: list[dict], *, is_demo: bool, now: dt.datetime) -> None:
    """One INSERT ... SELECT ... ON CONFLICT from a data frame for the whole list: row-at-a-time inserts cost
    ~5 ms each, and 50,000 objectives bound as parameters of one statement took over twenty seconds."""
    import pandas as pd

    if not records:
        return
    table, columns, key = TABLE_COLUMNS[kind]
    rows = [(*(r[c] for c in columns), is_demo, now, now) for r in records]
    # In table order; object columns keep None as NULL (never NaN), and DuckDB converts each value to its column.
    frame = pd.DataFrame(rows, columns=[*columns, "is_demo", "created_at", "updated_at"], dtype=object)  # noqa: F841
    updates = ", ".join(f"{c} = excluded.{c}" for c in (*columns, "updated_at") if c not in key)
    # DuckDB reads the local data frame by its name (a replacement scan): registering it would first need every
    # earlier result of this connection fetched to the end.
    con.execute(f"INSERT INTO {table} SELECT * FROM frame ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")


def has_demo_okrs(con) -> bool:
    return con.execute("SELECT count(*) FROM okr_managers WHERE is_demo").fetchone()[0] > 0


def delete_demo_rows(con) -> None:
    for table in ("okr_check_ins", "okr_key_results", "okr_objectives", "okr_managers"):
        con.execute(f"DELETE FROM {table} WHERE is_demo")


def delete_items(con, removed: dict[str, list]) -> dict[str, int]:
    """Delete by key; an objective takes its key results and their check-ins with it, and objectives
    aligned to it become unaligned (shown as gaps)."""
    counts = {}
    for objective_id in removed.get("objectives", []):
        con.execute(
            """DELETE FROM okr_check_ins WHERE key_result_id IN
               (SELECT id FROM okr_key_results WHERE objective_id = ?)""",
            [objective_id],
        )
        con.execute("DELETE FROM okr_key_results WHERE objective_id = ?", [objective_id])
        con.execute("UPDATE okr_objectives SET parent_id = NULL WHERE parent_id = ?", [objective_id])
        con.execute("DELETE FROM okr_objectives WHERE id = ?", [objective_id])
    for key_result_id in removed.get("key_results", []):
        con.execute("DELETE FROM okr_check_ins WHERE key_result_id = ?", [key_result_id])
        con.execute("DELETE FROM okr_key_results WHERE id = ?", [key_result_id])
    for key_result_id, day in removed.get("check_ins", []):
        con.execute("DELETE FROM okr_check_ins WHERE key_result_id = ? AND check_in_date = ?", [key_result_id, day])
    for name in removed.get("managers", []):
        con.execute("DELETE FROM okr_managers WHERE name = ?", [name])
    for kind, keys in removed.items():
        counts[kind] = len(keys)
    return counts


def write_batch(
    con,
    batch: Batch,
    actor: str,
    *,
    action: str,
    subject: str,
    is_demo: bool = False,
    removed: dict[str, list] | None = None,
) -> ImportResult:
    """One transaction: retire demo OKRs on the first real write of a file, delete, upsert, log, bump."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = ImportResult(counts=batch.counts())
    with store.transaction(con):
        if action == "import" and not is_demo and has_demo_okrs(con):
            delete_demo_rows(con)
            result.replaced_demo = True
        result.removed = delete_items(con, removed or {})
        for kind in KINDS:
            upsert(con, kind, list(getattr(batch, kind).values()), is_demo=is_demo, now=now)
        store.record_change(con, actor, f"okr {action}", subject, {"stored": result.counts, "removed": result.removed})
        store.bump_data_version(con)
    return result


def check_okr_file(con, path: Path | str, *, file_name: str | None = None) -> Batch:
    """Read and check a file without storing it; raises RefusedFile naming the row and column.

    While demo OKRs are present, references are checked against real rows only, because
    the import will replace the demo OKRs.
    """
    file_name = file_name or Path(path).name
    tables = read_okr_file(path, file_name)
    batch = check_tables(tables, known_items(con, include_demo=not has_demo_okrs(con)))
    if not any(batch.counts().values()):
        raise RefusedFile(file_name, "there are no rows to import", expected="one row per item under the header")
    return batch


def import_okr_file(con, path: Path | str, actor: str | None = None, *, file_name: str | None = None) -> ImportResult:
    """Store every row of an OKR workbook or CSV, or raise RefusedFile and store nothing.

    Items are added or replaced by their key (name, objective_id, key_result_id, key result
    and date); an import deletes nothing. The first file imported replaces the demo OKRs.
    """
    auth.require_editor("import OKRs")
    file_name = file_name or Path(path).name
    return import_checked(con, check_okr_file(con, path, file_name=file_name), actor, file_name=file_name)


def import_checked(con, batch: Batch, actor: str | None = None, *, file_name: str) -> ImportResult:
    """Store a batch ``check_okr_file`` just returned (the page checks a file once, to preview and to store)."""
    auth.require_editor("import OKRs")
    return write_batch(con, batch, actor or auth.actor(), action="import", subject=file_name)


def save_table(
    con, kind: str, frame: pd.DataFrame, actor: str | None = None, *, original_keys: list, today: dt.date
) -> ImportResult:
    """Store an edited in-app table: its rows are checked like a file's; keys no longer present are deleted.

    A changed score on a key result is recorded as a check-in dated ``today``, so the rule
    "a key result's score is its newest check-in" keeps holding and the change counts as a
    check-in.
    """
    auth.require_editor("edit OKRs")
    actor = actor or auth.actor()
    table = table_from_editor(kind, frame)
    known = known_items(con, include_demo=True)
    current_keys = set()
    for _, record in table.rows:
        current_keys.add(row_key(kind, record))
    removed_keys = [key for key in original_keys if key not in current_keys]
    forget_removed(known, kind, removed_keys)
    batch = check_tables([table], known)
    if kind == "key_results":
        scores = effective_typed_scores(con)
        for key_result_id, record in batch.key_results.items():
            before = scores.get(key_result_id)
            if record["score"] is not None and (before is None or abs(before - record["score"]) > 1e-9):
                batch.check_ins[(key_result_id, today)] = {
                    "key_result_id": key_result_id,
                    "check_in_date": today,
                    "score": record["score"],
                    "note": "score changed in the app",
                }
    return write_batch(
        con,
        batch,
        actor,
        action="edit",
        subject=SHEET_NAMES[kind],
        is_demo=False,
        removed={kind: removed_keys} if removed_keys else None,
    )


def row_key(kind: str, record: dict):
    if kind == "check_ins":
        day = record.get("date")
        if isinstance(day, dt.datetime):
            day = day.date()
        elif isinstance(day, str):
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(day.strip()[:10])
        return (text_of(record.get("key_result_id")), day)
    return text_of(record.get(KEY_COLUMN[kind]))


def forget_removed(known: Known, kind: str, removed_keys: list) -> None:
    if kind == "managers":
        known.managers -= set(removed_keys)
    elif kind == "objectives":
        for key in removed_keys:
            known.objectives.pop(key, None)
    elif kind == "key_results":
        known.key_results -= set(removed_keys)


def effective_typed_scores(con) -> dict[str, float | None]:
    """Each key result's score as typed: its newest check-in's, else its starting score."""
    return dict(
        con.execute(
            """SELECT k.id, coalesce(
                   (SELECT c.score FROM okr_check_ins c WHERE c.key_result_id = k.id
                    ORDER BY c.check_in_date DESC LIMIT 1), k.score)
               FROM okr_key_results k"""
        ).fetchall()
    )


def add_check_in(
    con, key_result_id: str, day: dt.date, score: float, note: str | None, actor: str | None = None
) -> None:
    """Record one check-in (a second one the same day replaces the first)."""
    auth.require_editor("check in on key results")
    actor = actor or auth.actor()
    table = OkrTable(
        "check_ins",
        "the check-in",
        [(1, {"key_result_id": key_result_id, "date": day, "score": score, "note": note})],
    )
    batch = check_tables([table], known_items(con, include_demo=True))
    is_demo = bool(
        con.execute(
            "SELECT coalesce(any_value(is_demo), false) FROM okr_key_results WHERE id = ?", [key_result_id]
        ).fetchone()[0]
    )
    write_batch(con, batch, actor, action="check-in", subject=key_result_id, is_demo=is_demo)


def remove_demo_okrs(con, actor: str | None = None) -> None:
    auth.require_editor("remove the demo OKRs")
    actor = actor or auth.actor()
    with store.transaction(con):
        delete_demo_rows(con)
        store.record_change(con, actor, "okr demo removed", "demo OKRs", {})
        store.bump_data_version(con)


def stored_frame(con, kind: str, quarter: FiscalQuarter | None = None) -> pd.DataFrame:
    """A kind's rows with the same column names as the template (for an editor or a download)."""
    where, params = "", []
    if quarter is not None and kind == "objectives":
        where, params = "WHERE quarter = ?", [quarter.label]
    elif quarter is not None and kind == "key_results":
        where, params = "WHERE objective_id IN (SELECT id FROM okr_objectives WHERE quarter = ?)", [quarter.label]
    elif quarter is not None and kind == "check_ins":
        where = """WHERE key_result_id IN (SELECT k.id FROM okr_key_results k
                   JOIN okr_objectives o ON o.id = k.objective_id WHERE o.quarter = ?)"""
        params = [quarter.label]
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


def quarters_with_okrs(con) -> list[FiscalQuarter]:
    return sorted(
        {fiscal.parse_label(row[0]) for row in con.execute("SELECT DISTINCT quarter FROM okr_objectives").fetchall()}
    )
