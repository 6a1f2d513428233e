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
from lib.store import workgroups as stored
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


def decode_workgroup(row: dict) -> dict:
    row["trigger_weeks"] = json.loads(row["trigger_weeks"] or "[]")
    return row


def list_workgroups(con, *, deleted: bool = False) -> list[dict]:
    """Workgroups, open first, newest first within each status (or the deleted ones)."""
    workgroups = [decode_workgroup(row) for row in stored.workgroup_rows(con, deleted=deleted)]
    counts = stored.verdict_counts(con)
    members = stored.member_counts(con)
    for workgroup in workgroups:
        workgroup["hypotheses_by_verdict"] = {v: counts.get((workgroup["id"], v), 0) for v in VERDICTS}
        workgroup["member_count"] = members.get(workgroup["id"], 0)
    return workgroups


def get_workgroup(con, workgroup_id: int, *, include_deleted: bool = False) -> dict | None:
    """One workgroup with its members, hypotheses (each with evidence) and actions."""
    found = stored.workgroup_row(con, workgroup_id, deleted=None if include_deleted else False)
    if found is None:
        return None
    workgroup = decode_workgroup(found)
    workgroup["members"] = stored.members_of(con, workgroup_id)
    hypotheses = stored.hypotheses_of(con, workgroup_id)
    evidence = stored.evidence_of(con, workgroup_id)
    for hypothesis in hypotheses:
        hypothesis["evidence"] = [
            {k: e[k] for k in EVIDENCE_COLUMNS} for e in evidence if e["hypothesis_id"] == hypothesis["id"]
        ]
    workgroup["hypotheses"] = hypotheses
    workgroup["actions"] = stored.actions_of(con, workgroup_id, ACTION_COLUMNS)
    return workgroup


def find_open(con, kpi: str, scope: str = COMBINED_SCOPE) -> dict | None:
    found = stored.open_workgroup_row(con, kpi, scope)
    return decode_workgroup(found) if found else None


def open_workgroup_for(con, kpi: str) -> dict | None:
    """The open workgroup on a KPI (the combined one first), for the weekly review and the trends page."""
    found = stored.open_workgroup_row_on(con, kpi, COMBINED_SCOPE)
    if found is None:
        return None
    workgroup = decode_workgroup(found)
    hypotheses = stored.hypothesis_summaries(con, workgroup["id"])
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
        workgroup_id = stored.new_workgroup_id(con)
        with write(con, actor, "workgroup formed", f"workgroup {workgroup_id}", {"kpi": kpi, "scope": scope}):
            values = {
                "kpi": kpi,
                "scope": scope,
                "title": clean_text(title) or default_title(kpi, scope, start, end),
                "opened_on": opened_on,
                "trigger_start": start,
                "trigger_end": end,
                "trigger_weeks": json.dumps(trigger),
                "floor_at_trigger": settings.floors[kpi],
                "issue_url": clean_text(issue_url),
                "facilitator": clean_text(facilitator),
                "executive_stakeholder": clean_text(executive_stakeholder),
                "exit_criteria": clean_text(exit_criteria) or default_exit_criteria(kpi, scope, settings),
            }
            stored.insert_workgroup(con, workgroup_id, values, actor or "unknown")
            for name in names:
                stored.insert_member(con, workgroup_id, name)
    return Formed(workgroup_id, True)


def require_workgroup(con, workgroup_id: int, *, deleted: bool = False) -> dict:
    found = stored.workgroup_row(con, workgroup_id, deleted=deleted)
    if found is None:
        raise WorkgroupError(f"there is no {'deleted ' if deleted else ''}workgroup #{workgroup_id}")
    return decode_workgroup(found)


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
        with write(con, actor, "workgroup edited", f"workgroup {workgroup_id}", {"fields": sorted(changed)}):
            stored.update_workgroup(con, workgroup_id, changed, actor or "unknown")


def close_workgroup(con, actor: str | None, workgroup_id: int, closed_on: dt.date | None = None, summary=None) -> None:
    auth.require_editor("close workgroups")
    actor = actor or auth.actor()
    with store.write_lock(con):
        current = require_workgroup(con, workgroup_id)
        closed_on = parse_date(closed_on) or dt.date.today()
        if closed_on < current["opened_on"]:
            raise WorkgroupError(f"a workgroup cannot close ({closed_on}) before it opened ({current['opened_on']})")
        with write(con, actor, "workgroup closed", f"workgroup {workgroup_id}", {"closed_on": closed_on}):
            summary = None if summary is None else clean_text(summary)
            stored.close_workgroup(con, workgroup_id, closed_on, summary, actor or "unknown")


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
            stored.reopen_workgroup(con, workgroup_id, actor or "unknown")


def delete_workgroup(con, actor: str | None, workgroup_id: int) -> None:
    """Soft delete: the workgroup and everything in it stay stored, and restore_workgroup brings them back."""
    auth.require_editor("delete workgroups")
    actor = actor or auth.actor()
    with store.write_lock(con):
        require_workgroup(con, workgroup_id)
        with write(con, actor, "workgroup deleted", f"workgroup {workgroup_id}"):
            stored.delete_workgroup(con, workgroup_id, actor or "unknown")


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
            stored.undelete_workgroup(con, workgroup_id, actor or "unknown")
