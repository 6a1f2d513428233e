"""Workgroups as stored: their rows, members, hypotheses, evidence and actions, and the hypothesis library.

Reads return plain rows (dictionaries or tuples); writes change exactly the rows named. What may be
written, by whom, and the audit row around it are ``lib.workgroups``'s: these run inside its transaction.
Rows are soft-deleted (``deleted_at``) so every delete can be undone.
"""

from __future__ import annotations

import datetime as dt

from lib.store.rows import dict_rows, next_id

WORKGROUP_SELECT = "SELECT * FROM workgroups"
# Tables edited as a whole in the app: table -> (parent column, id sequence).
EDITED_TABLES = {
    "workgroup_members": ("workgroup_id", "workgroup_member_ids"),
    "hypothesis_evidence": ("hypothesis_id", "hypothesis_evidence_ids"),
    "workgroup_actions": ("workgroup_id", "workgroup_action_ids"),
}
# The columns a new workgroup is given, in table order.
WORKGROUP_FORMED_COLUMNS = (
    "kpi",
    "scope",
    "title",
    "opened_on",
    "trigger_start",
    "trigger_end",
    "trigger_weeks",
    "floor_at_trigger",
    "issue_url",
    "facilitator",
    "executive_stakeholder",
    "exit_criteria",
)


def _deleted_condition(deleted: bool) -> str:
    return "deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL"


def _edited(table: str) -> str:
    """``table`` if it is one of the tables edited as a whole (so only those are ever named in a statement)."""
    if table not in EDITED_TABLES:
        raise ValueError(f"{table!r} is not a table edited in the app")
    return table


# --- workgroups -----------------------------------------------------------------------------------


def workgroup_rows(con, *, deleted: bool = False) -> list[dict]:
    """Workgroup rows, open first and newest first within each status (or the deleted ones, latest deleted first)."""
    condition = _deleted_condition(deleted)
    order = "deleted_at DESC" if deleted else "status = 'open' DESC, opened_on DESC, id DESC"
    return dict_rows(con.execute(f"{WORKGROUP_SELECT} WHERE {condition} ORDER BY {order}"))


def verdict_counts(con) -> dict[tuple[int, str], int]:
    """(workgroup, verdict) -> how many of its live hypotheses have that verdict."""
    rows = con.execute(
        "SELECT workgroup_id, verdict, count(*) FROM workgroup_hypotheses WHERE deleted_at IS NULL GROUP BY ALL"
    ).fetchall()
    return {(workgroup_id, verdict): count for workgroup_id, verdict, count in rows}


def member_counts(con) -> dict[int, int]:
    """Workgroup -> how many live members it has."""
    return dict(
        con.execute(
            "SELECT workgroup_id, count(*) FROM workgroup_members WHERE deleted_at IS NULL GROUP BY ALL"
        ).fetchall()
    )


def workgroup_row(con, workgroup_id: int, *, deleted: bool | None = False) -> dict | None:
    """One workgroup's row: live (``deleted=False``), deleted (True) or either (None)."""
    condition = "" if deleted is None else " AND " + _deleted_condition(deleted)
    found = dict_rows(con.execute(f"{WORKGROUP_SELECT} WHERE id = ?{condition}", [workgroup_id]))
    return found[0] if found else None


def open_workgroup_row(con, kpi: str, scope: str) -> dict | None:
    """The newest open workgroup on a KPI and scope."""
    found = dict_rows(
        con.execute(
            f"""{WORKGROUP_SELECT} WHERE kpi = ? AND scope = ? AND status = 'open' AND deleted_at IS NULL
                ORDER BY opened_on DESC, id DESC LIMIT 1""",
            [kpi, scope],
        )
    )
    return found[0] if found else None


def open_workgroup_row_on(con, kpi: str, first_scope: str) -> dict | None:
    """The open workgroup on a KPI in any scope, one on ``first_scope`` first, else the newest."""
    found = dict_rows(
        con.execute(
            f"""{WORKGROUP_SELECT} WHERE kpi = ? AND status = 'open' AND deleted_at IS NULL
                ORDER BY scope = ? DESC, opened_on DESC, id DESC LIMIT 1""",
            [kpi, first_scope],
        )
    )
    return found[0] if found else None


def members_of(con, workgroup_id: int) -> list[dict]:
    return dict_rows(
        con.execute(
            "SELECT id, name, role FROM workgroup_members WHERE workgroup_id = ? AND deleted_at IS NULL ORDER BY id",
            [workgroup_id],
        )
    )


def hypotheses_of(con, workgroup_id: int) -> list[dict]:
    """A workgroup's live hypotheses, each with the title of the library entry it was copied from."""
    return dict_rows(
        con.execute(
            """SELECT h.*, l.title AS library_title FROM workgroup_hypotheses h
               LEFT JOIN hypothesis_library l ON l.id = h.library_id
               WHERE h.workgroup_id = ? AND h.deleted_at IS NULL ORDER BY h.id""",
            [workgroup_id],
        )
    )


def evidence_of(con, workgroup_id: int) -> list[dict]:
    """The live evidence of a workgroup's hypotheses: id, hypothesis_id, link, note."""
    return dict_rows(
        con.execute(
            """SELECT e.id, e.hypothesis_id, e.link, e.note FROM hypothesis_evidence e
               JOIN workgroup_hypotheses h ON h.id = e.hypothesis_id
               WHERE h.workgroup_id = ? AND e.deleted_at IS NULL ORDER BY e.id""",
            [workgroup_id],
        )
    )


def actions_of(con, workgroup_id: int, columns: tuple[str, ...]) -> list[dict]:
    """A workgroup's live actions, with ``columns`` (column names of workgroup_actions)."""
    return dict_rows(
        con.execute(
            f"""SELECT {", ".join(columns)} FROM workgroup_actions
                WHERE workgroup_id = ? AND deleted_at IS NULL ORDER BY id""",
            [workgroup_id],
        )
    )


def hypothesis_summaries(con, workgroup_id: int) -> list[dict]:
    """Title, statement, verdict, verdict day and library title of a workgroup's live hypotheses."""
    return dict_rows(
        con.execute(
            """SELECT h.title, h.statement, h.verdict, h.verdict_on, l.title AS library_title
               FROM workgroup_hypotheses h LEFT JOIN hypothesis_library l ON l.id = h.library_id
               WHERE h.workgroup_id = ? AND h.deleted_at IS NULL ORDER BY h.id""",
            [workgroup_id],
        )
    )


def new_workgroup_id(con) -> int:
    return next_id(con, "workgroup_ids")


def insert_workgroup(con, workgroup_id: int, values: dict, actor: str) -> None:
    """A new open workgroup; ``values`` holds every column a form sets, by name."""
    con.execute(
        """INSERT INTO workgroups VALUES (?, ?, ?, ?, 'open', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, '',
           now()::TIMESTAMP, ?, now()::TIMESTAMP, ?, NULL, NULL)""",
        [
            workgroup_id,
            *(values[column] for column in WORKGROUP_FORMED_COLUMNS),
            actor,
            actor,
        ],
    )


def insert_member(con, workgroup_id: int, name: str) -> None:
    con.execute(
        """INSERT INTO workgroup_members VALUES (nextval('workgroup_member_ids'), ?, ?, '',
           now()::TIMESTAMP, now()::TIMESTAMP, NULL)""",
        [workgroup_id, name],
    )


def update_workgroup(con, workgroup_id: int, changed: dict, actor: str) -> None:
    """Set a workgroup's own fields (``changed``: column -> value, columns the caller checked)."""
    assignments = ", ".join(f"{key} = ?" for key in changed)
    con.execute(
        f"UPDATE workgroups SET {assignments}, updated_at = now()::TIMESTAMP, updated_by = ? WHERE id = ?",
        [*changed.values(), actor, workgroup_id],
    )


def close_workgroup(con, workgroup_id: int, closed_on: dt.date, summary: str | None, actor: str) -> None:
    """Closed on ``closed_on``; a summary of None keeps the stored one."""
    con.execute(
        """UPDATE workgroups SET status = 'closed', closed_on = ?, summary = coalesce(?, summary),
           updated_at = now()::TIMESTAMP, updated_by = ? WHERE id = ?""",
        [closed_on, summary, actor, workgroup_id],
    )


def reopen_workgroup(con, workgroup_id: int, actor: str) -> None:
    con.execute(
        """UPDATE workgroups SET status = 'open', closed_on = NULL, updated_at = now()::TIMESTAMP,
           updated_by = ? WHERE id = ?""",
        [actor, workgroup_id],
    )


def delete_workgroup(con, workgroup_id: int, actor: str) -> None:
    """Soft delete: the row and everything in it stay stored."""
    con.execute(
        "UPDATE workgroups SET deleted_at = now()::TIMESTAMP, deleted_by = ? WHERE id = ?", [actor, workgroup_id]
    )


def undelete_workgroup(con, workgroup_id: int, actor: str) -> None:
    con.execute(
        """UPDATE workgroups SET deleted_at = NULL, deleted_by = NULL, updated_at = now()::TIMESTAMP,
           updated_by = ? WHERE id = ?""",
        [actor, workgroup_id],
    )


# --- hypotheses -----------------------------------------------------------------------------------

# The columns a new hypothesis is given after its id and workgroup, in table order.
HYPOTHESIS_COLUMNS = ("library_id", "title", "statement", "falsified_if", "approach", "verdict", "verdict_on", "notes")


def new_hypothesis_id(con) -> int:
    return next_id(con, "workgroup_hypothesis_ids")


def insert_hypothesis(con, hypothesis_id: int, workgroup_id: int, values: dict) -> None:
    con.execute(
        """INSERT INTO workgroup_hypotheses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
           now()::TIMESTAMP, now()::TIMESTAMP, NULL)""",
        [hypothesis_id, workgroup_id, *(values[column] for column in HYPOTHESIS_COLUMNS)],
    )


def hypothesis_row(con, hypothesis_id: int, *, deleted: bool = False) -> dict | None:
    condition = _deleted_condition(deleted)
    found = dict_rows(con.execute(f"SELECT * FROM workgroup_hypotheses WHERE id = ? AND {condition}", [hypothesis_id]))
    return found[0] if found else None


def hypothesis_ids_of(con, workgroup_id: int) -> set[int]:
    """Every hypothesis of a workgroup, deleted ones included."""
    rows = con.execute("SELECT id FROM workgroup_hypotheses WHERE workgroup_id = ?", [workgroup_id]).fetchall()
    return {row[0] for row in rows}


def update_hypothesis(con, hypothesis_id: int, changed: dict) -> None:
    """Set a hypothesis's fields (``changed``: column -> value, columns the caller checked)."""
    assignments = ", ".join(f"{key} = ?" for key in changed)
    con.execute(
        f"UPDATE workgroup_hypotheses SET {assignments}, updated_at = now()::TIMESTAMP WHERE id = ?",
        [*changed.values(), hypothesis_id],
    )


def delete_hypothesis(con, hypothesis_id: int) -> None:
    con.execute("UPDATE workgroup_hypotheses SET deleted_at = now()::TIMESTAMP WHERE id = ?", [hypothesis_id])


def undelete_hypothesis(con, hypothesis_id: int) -> None:
    con.execute(
        "UPDATE workgroup_hypotheses SET deleted_at = NULL, updated_at = now()::TIMESTAMP WHERE id = ?",
        [hypothesis_id],
    )


def new_evidence_id(con) -> int:
    return next_id(con, "hypothesis_evidence_ids")


def insert_evidence(con, evidence_id: int, hypothesis_id: int, link: str, note: str) -> None:
    con.execute(
        """INSERT INTO hypothesis_evidence (id, hypothesis_id, link, note, created_at, updated_at)
           VALUES (?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP)""",
        [evidence_id, hypothesis_id, link, note],
    )


# --- members, evidence and actions, edited as tables -----------------------------------------------


def live_rows(con, table: str, parent_id: int) -> dict[int, dict]:
    """An edited table's live rows of one parent (workgroup or hypothesis), by id."""
    parent_column, _ = EDITED_TABLES[table]
    rows = dict_rows(
        con.execute(f"SELECT * FROM {table} WHERE {parent_column} = ? AND deleted_at IS NULL", [parent_id])
    )
    return {row["id"]: row for row in rows}


def update_row(con, table: str, row_id: int, values: dict) -> None:
    """Set an edited table's row's columns (``values``: column -> value, columns the caller checked)."""
    table = _edited(table)
    assignments = ", ".join(f"{k} = ?" for k in values)
    con.execute(
        f"UPDATE {table} SET {assignments}, updated_at = now()::TIMESTAMP WHERE id = ?", [*values.values(), row_id]
    )


def insert_row(con, table: str, parent_id: int, values: dict) -> None:
    """A new row of an edited table under ``parent_id``, its id from the table's sequence."""
    parent_column, sequence = EDITED_TABLES[table]
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    con.execute(
        f"""INSERT INTO {table} (id, {parent_column}, {columns}, created_at, updated_at)
            VALUES (nextval('{sequence}'), ?, {marks}, now()::TIMESTAMP, now()::TIMESTAMP)""",
        [parent_id, *values.values()],
    )


def delete_rows(con, table: str, ids: list[int]) -> None:
    """Soft-delete rows of an edited table."""
    table = _edited(table)
    con.execute(f"UPDATE {table} SET deleted_at = now()::TIMESTAMP WHERE list_contains(?, id)", [list(ids)])


def undelete_rows(con, table: str, ids: list[int]) -> None:
    table = _edited(table)
    con.execute(
        f"UPDATE {table} SET deleted_at = NULL, updated_at = now()::TIMESTAMP WHERE list_contains(?, id)", [list(ids)]
    )


# --- the hypothesis library ----------------------------------------------------------------------

LIBRARY_COLUMNS = ("title", "statement", "falsified_if", "approach", "shaping_actions")


def library_entries(con) -> list[dict]:
    """The live library entries: id and LIBRARY_COLUMNS, in id order."""
    columns = ", ".join(LIBRARY_COLUMNS)
    return dict_rows(con.execute(f"SELECT id, {columns} FROM hypothesis_library WHERE deleted_at IS NULL ORDER BY id"))


def library_conclusions(con) -> list[dict]:
    """Every verdict reached on a hypothesis copied from the library, newest first, with its workgroup."""
    return dict_rows(
        con.execute(
            """SELECT h.library_id, h.id AS hypothesis_id, h.verdict, h.verdict_on, h.notes,
                      w.id AS workgroup_id, w.title AS workgroup_title, w.kpi, w.scope, w.opened_on
               FROM workgroup_hypotheses h JOIN workgroups w ON w.id = h.workgroup_id
               WHERE h.library_id IS NOT NULL AND h.deleted_at IS NULL AND w.deleted_at IS NULL
                 AND h.verdict <> 'open'
               ORDER BY h.verdict_on DESC NULLS LAST, h.id DESC"""
        )
    )


def library_entry(con, library_id: int) -> dict | None:
    found = dict_rows(con.execute("SELECT * FROM hypothesis_library WHERE id = ? AND deleted_at IS NULL", [library_id]))
    return found[0] if found else None


def new_library_id(con) -> int:
    return next_id(con, "hypothesis_library_ids")


def insert_library_entry(con, library_id: int, values: dict) -> None:
    """A new library entry; ``values`` holds LIBRARY_COLUMNS."""
    con.execute(
        "INSERT INTO hypothesis_library VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP, NULL)",
        [library_id, *(values[column] for column in LIBRARY_COLUMNS)],
    )


# --- what other pages read of workgroups ----------------------------------------------------------


def workgroup_dates(con, kpi: str) -> list[tuple]:
    """(id, scope, opened on, closed on) of the live workgroups on a KPI, oldest first."""
    return con.execute(
        """SELECT id, scope, opened_on, closed_on FROM workgroups
           WHERE kpi = ? AND deleted_at IS NULL ORDER BY opened_on, id""",
        [kpi],
    ).fetchall()


def shipped_actions(con, kpi: str) -> list[tuple]:
    """(workgroup, kind, shipped on) of the live actions shipped by live workgroups on a KPI, in shipping order."""
    return con.execute(
        """SELECT a.workgroup_id, a.kind, a.shipped_on FROM workgroup_actions a
           JOIN workgroups w ON w.id = a.workgroup_id
           WHERE w.kpi = ? AND w.deleted_at IS NULL AND a.deleted_at IS NULL
             AND a.status = 'shipped' AND a.shipped_on IS NOT NULL
           ORDER BY a.shipped_on, a.id""",
        [kpi],
    ).fetchall()


def open_workgroup_people(con) -> list[tuple]:
    """(workgroup, title, name) of everyone on an open workgroup, member or facilitator, by workgroup."""
    return con.execute(
        """SELECT w.id, w.title, m.name FROM workgroups w JOIN workgroup_members m ON m.workgroup_id = w.id
           WHERE w.status = 'open' AND w.deleted_at IS NULL AND m.deleted_at IS NULL
           UNION
           SELECT id, title, facilitator FROM workgroups
           WHERE status = 'open' AND deleted_at IS NULL AND coalesce(facilitator, '') <> ''
           ORDER BY 1"""
    ).fetchall()


def live_actions(con) -> list[tuple]:
    """(workgroup, change, owner, workgroup title) of every live action of a live workgroup."""
    return con.execute(
        """SELECT a.workgroup_id, a.change, a.owner, w.title FROM workgroup_actions a
           JOIN workgroups w ON w.id = a.workgroup_id
           WHERE a.deleted_at IS NULL AND w.deleted_at IS NULL ORDER BY a.id"""
    ).fetchall()
