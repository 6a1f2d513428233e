"""What a workgroup holds: its hypotheses, their evidence, its members and its actions.

Members, evidence and actions are edited as tables: a save makes the stored rows match the edited
table (``sync_rows``), and the rows it removed can be restored (``restore_rows``). Every write is one
audited transaction (``repository.write``) that only an editor may make.
"""

from __future__ import annotations

import datetime as dt
import math

from lib.core import auth
from lib.core.links import web_link
from lib.store import database as store
from lib.store import workgroups as stored
from lib.workgroups.model import (
    ACTION_KINDS,
    ACTION_STATUSES,
    HYPOTHESIS_FIELDS,
    VERDICTS,
    WorkgroupError,
    clean_text,
    parse_date,
)
from lib.workgroups.repository import require_workgroup, write


def hypothesis_values(changes: dict, today: dt.date) -> dict:
    unknown = set(changes) - set(HYPOTHESIS_FIELDS)
    if unknown:
        raise WorkgroupError(f"cannot change {', '.join(sorted(unknown))} on a hypothesis")
    values = {key: parse_date(v) if key == "verdict_on" else clean_text(v) for key, v in changes.items()}
    if "statement" in values and not values["statement"]:
        raise WorkgroupError("a hypothesis needs a testable statement")
    if "verdict" in values:
        if values["verdict"] not in VERDICTS:
            raise WorkgroupError(f"a verdict is one of {', '.join(VERDICTS)}")
        # A verdict carries the day it was reached; reopening a hypothesis clears that day.
        if values["verdict"] == "open":
            values["verdict_on"] = None
        elif not values.get("verdict_on"):
            values["verdict_on"] = today
    return values


def add_hypothesis(
    con,
    actor: str | None,
    workgroup_id: int,
    statement: str,
    *,
    title: str = "",
    falsified_if: str = "",
    approach: str = "",
    notes: str = "",
    verdict: str = "open",
    verdict_on: dt.date | None = None,
    library_id: int | None = None,
) -> int:
    auth.require_editor("add hypotheses")
    actor = actor or auth.actor()
    values = hypothesis_values(
        {
            "title": title,
            "statement": statement,
            "falsified_if": falsified_if,
            "approach": approach,
            "notes": notes,
            "verdict": verdict,
            "verdict_on": verdict_on,
        },
        dt.date.today(),
    )
    with store.write_lock(con):
        require_workgroup(con, workgroup_id)
        hypothesis_id = stored.new_hypothesis_id(con)
        with write(con, actor, "hypothesis added", f"workgroup {workgroup_id}", {"hypothesis_id": hypothesis_id}):
            stored.insert_hypothesis(con, hypothesis_id, workgroup_id, {**values, "library_id": library_id})
    return hypothesis_id


def hypothesis_row(con, hypothesis_id: int, *, deleted: bool = False) -> dict:
    found = stored.hypothesis_row(con, hypothesis_id, deleted=deleted)
    if found is None:
        raise WorkgroupError(f"there is no {'deleted ' if deleted else ''}hypothesis #{hypothesis_id}")
    return found


def update_hypothesis(con, actor: str | None, hypothesis_id: int, *, today: dt.date | None = None, **changes) -> None:
    """Edit a hypothesis; setting a verdict dates it (today unless verdict_on is given)."""
    auth.require_editor("edit hypotheses")
    actor = actor or auth.actor()
    values = hypothesis_values(changes, today or dt.date.today())
    with store.write_lock(con):
        current = hypothesis_row(con, hypothesis_id)
        same_day = "verdict_on" not in changes or parse_date(changes["verdict_on"]) == current["verdict_on"]
        if values.get("verdict") == current["verdict"] and same_day:
            values.pop("verdict_on", None)  # re-saving the same verdict keeps the day it was reached
        changed = {k: v for k, v in values.items() if v != current[k]}
        if not changed:
            return
        detail = {"hypothesis_id": hypothesis_id, "fields": sorted(changed)}
        if "verdict" in changed:
            detail["verdict"] = changed["verdict"]
        with write(con, actor, "hypothesis edited", f"workgroup {current['workgroup_id']}", detail):
            stored.update_hypothesis(con, hypothesis_id, changed)


def delete_hypothesis(con, actor: str | None, hypothesis_id: int) -> None:
    auth.require_editor("delete hypotheses")
    actor = actor or auth.actor()
    with store.write_lock(con):
        current = hypothesis_row(con, hypothesis_id)
        with write(con, actor, "hypothesis deleted", f"workgroup {current['workgroup_id']}", {"id": hypothesis_id}):
            stored.delete_hypothesis(con, hypothesis_id)


def restore_hypothesis(con, actor: str | None, hypothesis_id: int) -> None:
    auth.require_editor("restore hypotheses")
    actor = actor or auth.actor()
    with store.write_lock(con):
        current = hypothesis_row(con, hypothesis_id, deleted=True)
        with write(con, actor, "hypothesis restored", f"workgroup {current['workgroup_id']}", {"id": hypothesis_id}):
            stored.undelete_hypothesis(con, hypothesis_id)


# --- tables edited as a whole (members, evidence, actions) --------------------------------------


def clean_member(row: dict) -> dict:
    return {"name": clean_text(row.get("name")), "role": clean_text(row.get("role"))}


def clean_evidence(row: dict) -> dict:
    link = clean_text(row.get("link"))
    if link and web_link(link) is None:  # shown in a link column, which opens whatever scheme it holds
        raise WorkgroupError(f"an evidence link is an http:// or https:// address, not “{link[:80]}”")
    return {"link": link, "note": clean_text(row.get("note"))}


def clean_action(row: dict, today: dt.date) -> dict:
    kind = clean_text(row.get("kind")) or "temporary"
    status = clean_text(row.get("status")) or "planned"
    if kind not in ACTION_KINDS:
        raise WorkgroupError(f"an action is {' or '.join(ACTION_KINDS)}")
    if status not in ACTION_STATUSES:
        raise WorkgroupError(f"an action's status is one of {', '.join(ACTION_STATUSES)}")
    shipped_on = parse_date(row.get("shipped_on"))
    if status == "shipped" and shipped_on is None:
        shipped_on = today  # shipping is dated, so the trends chart can mark it
    hypothesis_id = row.get("hypothesis_id")
    hypothesis_id = None if hypothesis_id in (None, "") or hypothesis_id != hypothesis_id else int(hypothesis_id)
    return {
        "change": clean_text(row.get("change")),
        "kind": kind,
        "owner": clean_text(row.get("owner")),
        "due_on": parse_date(row.get("due_on")),
        "status": status,
        "shipped_on": shipped_on,
        "hypothesis_id": hypothesis_id,
    }


# Each table edited as a whole (lib.store.workgroups.EDITED_TABLES) -> the column a row cannot be without.
REQUIRED_COLUMN = {"workgroup_members": "name", "hypothesis_evidence": None, "workgroup_actions": "change"}


def row_id(row: dict) -> int | None:
    value = row.get("id")
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def sync_rows(con, table: str, parent_id: int, rows: list[dict]) -> dict:
    """Make a parent's rows match an edited table: insert new rows, update changed ones, soft-delete the rest.

    Returns {"added": n, "changed": n, "removed": [ids]} (the removed ids are what an undo restores).
    """
    required = REQUIRED_COLUMN[table]
    existing = stored.live_rows(con, table, parent_id)
    kept: set[int] = set()
    added = changed = 0
    for row in rows:
        identifier = row_id(row)
        values = {k: v for k, v in row.items() if k != "id"}
        if not any(v not in (None, "") for k, v in values.items() if k not in ("kind", "status")):
            continue  # a row left empty in the editor is not a row
        if required and not values[required]:
            raise WorkgroupError(f"every row needs a {required.replace('_', ' ')}")
        if identifier in existing:
            kept.add(identifier)
            current = existing[identifier]
            if any(current[k] != v for k, v in values.items()):
                stored.update_row(con, table, identifier, values)
                changed += 1
        else:
            stored.insert_row(con, table, parent_id, values)
            added += 1
    removed = sorted(set(existing) - kept)
    if removed:
        stored.delete_rows(con, table, removed)
    return {"added": added, "changed": changed, "removed": removed}


def save_members(con, actor: str | None, workgroup_id: int, rows: list[dict]) -> dict:
    auth.require_editor("edit workgroup members")
    actor = actor or auth.actor()
    cleaned = [{"id": row_id(row), **clean_member(row)} for row in rows]
    with store.write_lock(con):
        require_workgroup(con, workgroup_id)
        with write(con, actor, "members saved", f"workgroup {workgroup_id}"):
            return sync_rows(con, "workgroup_members", workgroup_id, cleaned)


def save_evidence(con, actor: str | None, hypothesis_id: int, rows: list[dict]) -> dict:
    auth.require_editor("edit evidence")
    actor = actor or auth.actor()
    cleaned = [{"id": row_id(row), **clean_evidence(row)} for row in rows]
    with store.write_lock(con):
        current = hypothesis_row(con, hypothesis_id)
        detail = {"hypothesis_id": hypothesis_id}
        with write(con, actor, "evidence saved", f"workgroup {current['workgroup_id']}", detail):
            return sync_rows(con, "hypothesis_evidence", hypothesis_id, cleaned)


def add_evidence(con, actor: str | None, hypothesis_id: int, *, link: str = "", note: str = "") -> int:
    """One more piece of evidence (a check's result, say), leaving the others as they are."""
    auth.require_editor("edit evidence")
    actor = actor or auth.actor()
    with store.write_lock(con):
        current = hypothesis_row(con, hypothesis_id)
        evidence_id = stored.new_evidence_id(con)
        detail = {"hypothesis_id": hypothesis_id, "evidence_id": evidence_id}
        with write(con, actor, "evidence added", f"workgroup {current['workgroup_id']}", detail):
            stored.insert_evidence(con, evidence_id, hypothesis_id, clean_text(link), clean_text(note))
    return evidence_id


def save_actions(con, actor: str | None, workgroup_id: int, rows: list[dict], *, today: dt.date | None = None) -> dict:
    auth.require_editor("edit workgroup actions")
    actor = actor or auth.actor()
    cleaned = [{"id": row_id(row), **clean_action(row, today or dt.date.today())} for row in rows]
    with store.write_lock(con):
        require_workgroup(con, workgroup_id)
        own = stored.hypothesis_ids_of(con, workgroup_id)
        if any(row["hypothesis_id"] is not None and row["hypothesis_id"] not in own for row in cleaned):
            raise WorkgroupError("an action can only answer a hypothesis of its own workgroup")
        with write(con, actor, "actions saved", f"workgroup {workgroup_id}"):
            return sync_rows(con, "workgroup_actions", workgroup_id, cleaned)


def restore_rows(con, actor: str | None, table: str, ids: list[int]) -> None:
    """Undo the removals of one save (the ids sync_rows reported)."""
    auth.require_editor("restore workgroup rows")
    actor = actor or auth.actor()
    if table not in REQUIRED_COLUMN:
        raise WorkgroupError(f"cannot restore rows of {table}")
    if not ids:
        return
    with write(con, actor, "rows restored", table, {"ids": list(ids)}):
        stored.undelete_rows(con, table, ids)
