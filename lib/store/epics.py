"""GitLab epics as stored: snapshots (one active, the rest replaced and restorable) and their epics.

What may be written, by whom, and the audit row around it are ``lib.epics``'s: these run inside its
transaction.
"""

from __future__ import annotations

import datetime as dt
import json

from lib.store.rows import dict_rows, next_id

ACTIVE, REPLACED = "active", "replaced"
# The epics table's columns, in table order (each row of insert_epics has them).
EPIC_COLUMNS = (
    "snapshot_id",
    "group_path",
    "iid",
    "title",
    "state",
    "web_url",
    "labels",
    "parent_group_path",
    "parent_iid",
    "author",
    "start_date",
    "due_date",
    "created_at",
    "updated_at",
    "closed_at",
)


def new_snapshot_id(con) -> int:
    return next_id(con, "epic_snapshot_ids")


def has_snapshots(con) -> bool:
    return con.execute("SELECT count(*) FROM epic_snapshots").fetchone()[0] > 0


def has_demo_snapshots(con) -> bool:
    return con.execute("SELECT count(*) FROM epic_snapshots WHERE is_demo").fetchone()[0] > 0


def delete_demo_snapshots(con) -> None:
    """The demo snapshots and their epics, gone."""
    con.execute("DELETE FROM epics WHERE snapshot_id IN (SELECT id FROM epic_snapshots WHERE is_demo)")
    con.execute("DELETE FROM epic_snapshots WHERE is_demo")


def insert_active_snapshot(
    con,
    snapshot_id: int,
    *,
    source: str,
    shape: str,
    digest: str | None,
    archive: str | None,
    epic_count: int,
    ignored: dict[str, int],
    imported_at: dt.datetime,
    actor: str,
    is_demo: bool,
) -> None:
    """A new snapshot, now the active one (the one active until now becomes replaced)."""
    con.execute("UPDATE epic_snapshots SET status = ? WHERE status = ?", [REPLACED, ACTIVE])
    con.execute(
        "INSERT INTO epic_snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [snapshot_id, source, shape, digest, archive, epic_count, json.dumps(ignored), imported_at, actor]
        + [ACTIVE, is_demo],
    )


def insert_epics(con, rows: list[tuple]) -> None:
    """All epics in one statement from a data frame: DuckDB binds each executemany row on its own (3,000
    epics took 11 s that way, a fraction of a second this way). Each row has EPIC_COLUMNS."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(EPIC_COLUMNS)).astype(object)
    con.register("epics_batch", frame)
    try:
        con.execute(
            """INSERT INTO epics SELECT snapshot_id::BIGINT, group_path::VARCHAR, iid::BIGINT, title::VARCHAR,
                   state::VARCHAR, web_url::VARCHAR, labels::VARCHAR, parent_group_path::VARCHAR,
                   parent_iid::BIGINT, author::VARCHAR, start_date::DATE, due_date::DATE,
                   created_at::TIMESTAMP, updated_at::TIMESTAMP, closed_at::TIMESTAMP
               FROM epics_batch"""
        )
    finally:
        con.unregister("epics_batch")


def snapshot_source_and_status(con, snapshot_id: int) -> tuple[str, str] | None:
    return con.execute("SELECT source, status FROM epic_snapshots WHERE id = ?", [snapshot_id]).fetchone()


def make_snapshot_active(con, snapshot_id: int) -> None:
    """Show an earlier snapshot again; the one active until now becomes replaced."""
    con.execute("UPDATE epic_snapshots SET status = ? WHERE status = ?", [REPLACED, ACTIVE])
    con.execute("UPDATE epic_snapshots SET status = ? WHERE id = ?", [ACTIVE, snapshot_id])


def snapshots(con) -> list[dict]:
    """Every snapshot, newest first."""
    return dict_rows(
        con.execute(
            """SELECT id, source, shape, epic_count, imported_at, imported_by, status, is_demo
               FROM epic_snapshots ORDER BY imported_at DESC, id DESC"""
        )
    )


def epic_rows(con, snapshot_id: int) -> list[tuple]:
    """A snapshot's epics, EPIC_COLUMNS without snapshot_id, by group and iid."""
    columns = ", ".join(EPIC_COLUMNS[1:])
    return con.execute(
        f"""SELECT {columns}
            FROM epics WHERE snapshot_id = ? ORDER BY group_path, iid""",
        [snapshot_id],
    ).fetchall()
