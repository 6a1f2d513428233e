"""Workgroups stored: reading them, and forming, editing, closing, deleting and restoring them.

Every row is soft-deleted (``deleted_at``) so a delete can be undone; every write runs in one
``store.transaction``, leaves an audit row and bumps the data version (``write``). Only an editor
may write (``auth.require_editor``, checked here and not only by the page); a write without a named
actor records the signed-in address.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from dataclasses import dataclass

from lib.core import auth
from lib.core.settings import Settings
from lib.store import database as store
from lib.workgroups.breaches import capture_trigger, current_breach, latest_sustained_episode, scope_series
from lib.workgroups.model import (
    ACTION_COLUMNS,
    COMBINED_SCOPE,
    EVIDENCE_COLUMNS,
    VERDICTS,
    WORKGROUP_FIELDS,
    WorkgroupError,
    clean_text,
    default_exit_criteria,
    default_title,
    hypothesis_heading,
    one_line,
    parse_date,
    verdict_text,
)


@contextmanager
def write(con, actor: str | None, action: str, subject: str, detail: dict | None = None):
    """One audited transaction; the caller's statements run inside it."""
    with store.transaction(con):
        yield
        store.record_change(con, actor, action, subject, detail)
        store.bump_data_version(con)


def rows_of(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


WORKGROUP_SELECT = "SELECT * FROM workgroups"


def decode_workgroup(row: dict) -> dict:
    row["trigger_weeks"] = json.loads(row["trigger_weeks"] or "[]")
    return row


def list_workgroups(con, *, deleted: bool = False) -> list[dict]:
    """Workgroups, open first, newest first within each status (or the deleted ones)."""
    condition = "deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL"
    order = "deleted_at DESC" if deleted else "status = 'open' DESC, opened_on DESC, id DESC"
    found = rows_of(con.execute(f"{WORKGROUP_SELECT} WHERE {condition} ORDER BY {order}"))
    workgroups = [decode_workgroup(row) for row in found]
    counts = {
        (workgroup_id, verdict): count
        for workgroup_id, verdict, count in con.execute(
            "SELECT workgroup_id, verdict, count(*) FROM workgroup_hypotheses WHERE deleted_at IS NULL GROUP BY ALL"
        ).fetchall()
    }
    members = dict(
        con.execute(
            "SELECT workgroup_id, count(*) FROM workgroup_members WHERE deleted_at IS NULL GROUP BY ALL"
        ).fetchall()
    )
    for workgroup in workgroups:
        workgroup["hypotheses_by_verdict"] = {v: counts.get((workgroup["id"], v), 0) for v in VERDICTS}
        workgroup["member_count"] = members.get(workgroup["id"], 0)
    return workgroups


def get_workgroup(con, workgroup_id: int, *, include_deleted: bool = False) -> dict | None:
    """One workgroup with its members, hypotheses (each with evidence) and actions."""
    condition = "" if include_deleted else " AND deleted_at IS NULL"
    found = rows_of(con.execute(f"{WORKGROUP_SELECT} WHERE id = ?{condition}", [workgroup_id]))
    if not found:
        return None
    workgroup = decode_workgroup(found[0])
    workgroup["members"] = rows_of(
        con.execute(
            "SELECT id, name, role FROM workgroup_members WHERE workgroup_id = ? AND deleted_at IS NULL ORDER BY id",
            [workgroup_id],
        )
    )
    hypotheses = rows_of(
        con.execute(
            """SELECT h.*, l.title AS library_title FROM workgroup_hypotheses h
               LEFT JOIN hypothesis_library l ON l.id = h.library_id
               WHERE h.workgroup_id = ? AND h.deleted_at IS NULL ORDER BY h.id""",
            [workgroup_id],
        )
    )
    evidence = rows_of(
        con.execute(
            """SELECT e.id, e.hypothesis_id, e.link, e.note FROM hypothesis_evidence e
               JOIN workgroup_hypotheses h ON h.id = e.hypothesis_id
               WHERE h.workgroup_id = ? AND e.deleted_at IS NULL ORDER BY e.id""",
            [workgroup_id],
        )
    )
    for hypothesis in hypotheses:
        hypothesis["evidence"] = [
            {k: e[k] for k in EVIDENCE_COLUMNS} for e in evidence if e["hypothesis_id"] == hypothesis["id"]
        ]
    workgroup["hypotheses"] = hypotheses
    workgroup["actions"] = rows_of(
        con.execute(
            f"""SELECT {", ".join(ACTION_COLUMNS)} FROM workgroup_actions
                WHERE workgroup_id = ? AND deleted_at IS NULL ORDER BY id""",
            [workgroup_id],
        )
    )
    return workgroup


def find_open(con, kpi: str, scope: str = COMBINED_SCOPE) -> dict | None:
    found = rows_of(
        con.execute(
            f"""{WORKGROUP_SELECT} WHERE kpi = ? AND scope = ? AND status = 'open' AND deleted_at IS NULL
                ORDER BY opened_on DESC, id DESC LIMIT 1""",
            [kpi, scope],
        )
    )
    return decode_workgroup(found[0]) if found else None


def open_workgroup_for(con, kpi: str) -> dict | None:
    """The open workgroup on a KPI (the combined one first), for the weekly review and the trends page."""
    found = rows_of(
        con.execute(
            f"""{WORKGROUP_SELECT} WHERE kpi = ? AND status = 'open' AND deleted_at IS NULL
                ORDER BY scope = ? DESC, opened_on DESC, id DESC LIMIT 1""",
            [kpi, COMBINED_SCOPE],
        )
    )
    if not found:
        return None
    workgroup = decode_workgroup(found[0])
    hypotheses = rows_of(
        con.execute(
            """SELECT h.title, h.statement, h.verdict, h.verdict_on, l.title AS library_title
               FROM workgroup_hypotheses h LEFT JOIN hypothesis_library l ON l.id = h.library_id
               WHERE h.workgroup_id = ? AND h.deleted_at IS NULL ORDER BY h.id""",
            [workgroup["id"]],
        )
    )
    return {
        "id": workgroup["id"],
        "title": workgroup["title"],
        "opened_on": workgroup["opened_on"],
        "scope": workgroup["scope"],
        "breach_weeks": [dt.date.fromisoformat(w["week"]) for w in workgroup["trigger_weeks"]],
        "facilitator": one_line(workgroup.get("facilitator")),
        "issue_url": one_line(workgroup.get("issue_url")),
        # (hypothesis, verdict) as the handbook export words them
        "hypotheses": [(hypothesis_heading(h), verdict_text(h)) for h in hypotheses],
    }


@dataclass(frozen=True)
class Formed:
    workgroup_id: int
    created: bool  # False: an open workgroup already covered this KPI and scope, and is returned instead


def form_workgroup(
    con,
    actor: str | None,
    settings: Settings,
    kpi: str,
    *,
    scope: str = COMBINED_SCOPE,
    start: dt.date | None = None,
    end: dt.date | None = None,
    opened_on: dt.date | None = None,
    title: str = "",
    facilitator: str = "",
    executive_stakeholder: str = "",
    members: list[str] | tuple[str, ...] = (),
    issue_url: str = "",
    exit_criteria: str = "",
) -> Formed:
    """Form a workgroup on a breach; without start/end, on the current (else latest) sustained breach.

    One open workgroup per KPI and scope: when one is open it is returned (created=False)
    and nothing is written, so forming twice from the weekly review cannot split the work.
    """
    auth.require_editor("form workgroups")
    actor = actor or auth.actor()
    series = scope_series(con, settings, kpi, scope)
    start, end = parse_date(start), parse_date(end)
    if start is None or end is None:
        episode = current_breach(series, kpi, settings) or latest_sustained_episode(series, kpi, settings)
        if episode is None:
            raise WorkgroupError(f"{kpi} ({scope}) has had no sustained breach: give the breach weeks to form one")
        start, end = start or episode.start, end or episode.end
    if start > end:
        raise WorkgroupError(f"the breach cannot start ({start}) after it ends ({end})")
    trigger = capture_trigger(series, start, end)
    opened_on = opened_on or dt.date.today()
    names = [clean_text(name) for name in members if clean_text(name)]
    with store.write_lock(con):
        existing = find_open(con, kpi, scope)
        if existing:
            return Formed(existing["id"], False)
        workgroup_id = con.execute("SELECT nextval('workgroup_ids')").fetchone()[0]
        with write(con, actor, "workgroup formed", f"workgroup {workgroup_id}", {"kpi": kpi, "scope": scope}):
            con.execute(
                """INSERT INTO workgroups VALUES (?, ?, ?, ?, 'open', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, '',
                   now()::TIMESTAMP, ?, now()::TIMESTAMP, ?, NULL, NULL)""",
                [
                    workgroup_id,
                    kpi,
                    scope,
                    clean_text(title) or default_title(kpi, scope, start, end),
                    opened_on,
                    start,
                    end,
                    json.dumps(trigger),
                    settings.floors[kpi],
                    clean_text(issue_url),
                    clean_text(facilitator),
                    clean_text(executive_stakeholder),
                    clean_text(exit_criteria) or default_exit_criteria(kpi, scope, settings),
                    actor or "unknown",
                    actor or "unknown",
                ],
            )
            for name in names:
                con.execute(
                    """INSERT INTO workgroup_members VALUES (nextval('workgroup_member_ids'), ?, ?, '',
                       now()::TIMESTAMP, now()::TIMESTAMP, NULL)""",
                    [workgroup_id, name],
                )
    return Formed(workgroup_id, True)


def require_workgroup(con, workgroup_id: int, *, deleted: bool = False) -> dict:
    condition = "deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL"
    found = rows_of(con.execute(f"{WORKGROUP_SELECT} WHERE id = ? AND {condition}", [workgroup_id]))
    if not found:
        raise WorkgroupError(f"there is no {'deleted ' if deleted else ''}workgroup #{workgroup_id}")
    return decode_workgroup(found[0])


def update_workgroup(con, actor: str | None, workgroup_id: int, **changes) -> None:
    """Change a workgroup's own fields (title, people, issue link, exit criteria, summary, dates)."""
    auth.require_editor("edit workgroups")
    actor = actor or auth.actor()
    unknown = set(changes) - set(WORKGROUP_FIELDS)
    if unknown:
        raise WorkgroupError(f"cannot change {', '.join(sorted(unknown))} this way")
    values = {key: parse_date(value) if key.endswith("_on") else clean_text(value) for key, value in changes.items()}
    if "title" in values and not values["title"]:
        raise WorkgroupError("a workgroup needs a title")
    if values.get("opened_on") is None and "opened_on" in values:
        raise WorkgroupError("a workgroup needs the date it was opened")
    with store.write_lock(con):
        current = require_workgroup(con, workgroup_id)
        opened = values.get("opened_on", current["opened_on"])
        closed = values.get("closed_on", current["closed_on"])
        if closed and closed < opened:
            raise WorkgroupError(f"a workgroup cannot close ({closed}) before it opened ({opened})")
        if current["status"] == "open" and values.get("closed_on"):
            raise WorkgroupError("close the workgroup to give it a closing date")
        changed = {k: v for k, v in values.items() if v != current[k]}
        if not changed:
            return
        assignments = ", ".join(f"{key} = ?" for key in changed)
        with write(con, actor, "workgroup edited", f"workgroup {workgroup_id}", {"fields": sorted(changed)}):
            con.execute(
                f"UPDATE workgroups SET {assignments}, updated_at = now()::TIMESTAMP, updated_by = ? WHERE id = ?",
                [*changed.values(), actor or "unknown", workgroup_id],
            )


def close_workgroup(con, actor: str | None, workgroup_id: int, closed_on: dt.date | None = None, summary=None) -> None:
    auth.require_editor("close workgroups")
    actor = actor or auth.actor()
    with store.write_lock(con):
        current = require_workgroup(con, workgroup_id)
        closed_on = parse_date(closed_on) or dt.date.today()
        if closed_on < current["opened_on"]:
            raise WorkgroupError(f"a workgroup cannot close ({closed_on}) before it opened ({current['opened_on']})")
        with write(con, actor, "workgroup closed", f"workgroup {workgroup_id}", {"closed_on": closed_on}):
            con.execute(
                """UPDATE workgroups SET status = 'closed', closed_on = ?, summary = coalesce(?, summary),
                   updated_at = now()::TIMESTAMP, updated_by = ? WHERE id = ?""",
                [closed_on, None if summary is None else clean_text(summary), actor or "unknown", workgroup_id],
            )


def reopen_workgroup(con, actor: str | None, workgroup_id: int) -> None:
    auth.require_editor("reopen workgroups")
    actor = actor or auth.actor()
    with store.write_lock(con):
        current = require_workgroup(con, workgroup_id)
        other = find_open(con, current["kpi"], current["scope"])
        if other and other["id"] != workgroup_id:
            raise WorkgroupError(
                f"workgroup #{other['id']} is already open on {current['kpi']} ({current['scope']}): close it first"
            )
        with write(con, actor, "workgroup reopened", f"workgroup {workgroup_id}"):
            con.execute(
                """UPDATE workgroups SET status = 'open', closed_on = NULL, updated_at = now()::TIMESTAMP,
                   updated_by = ? WHERE id = ?""",
                [actor or "unknown", workgroup_id],
            )


def delete_workgroup(con, actor: str | None, workgroup_id: int) -> None:
    """Soft delete: the workgroup and everything in it stay stored, and restore_workgroup brings them back."""
    auth.require_editor("delete workgroups")
    actor = actor or auth.actor()
    with store.write_lock(con):
        require_workgroup(con, workgroup_id)
        with write(con, actor, "workgroup deleted", f"workgroup {workgroup_id}"):
            con.execute(
                "UPDATE workgroups SET deleted_at = now()::TIMESTAMP, deleted_by = ? WHERE id = ?",
                [actor or "unknown", workgroup_id],
            )


def restore_workgroup(con, actor: str | None, workgroup_id: int) -> None:
    auth.require_editor("restore workgroups")
    actor = actor or auth.actor()
    with store.write_lock(con):
        current = require_workgroup(con, workgroup_id, deleted=True)
        if current["status"] == "open":
            other = find_open(con, current["kpi"], current["scope"])
            if other:
                raise WorkgroupError(
                    f"workgroup #{other['id']} is open on {current['kpi']} ({current['scope']}) now: "
                    "close it before bringing this one back"
                )
        with write(con, actor, "workgroup restored", f"workgroup {workgroup_id}"):
            con.execute(
                """UPDATE workgroups SET deleted_at = NULL, deleted_by = NULL, updated_at = now()::TIMESTAMP,
                   updated_by = ? WHERE id = ?""",
                [actor or "unknown", workgroup_id],
            )
