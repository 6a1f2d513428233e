"""Stored epics snapshots: reads and writes, each write one transaction with a change-log row and a version bump."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lib.core import auth
from lib.core.settings import Settings
from lib.epics.imports import check_size, parse_epics
from lib.epics.masters import master_pattern, name_key
from lib.epics.model import ACTIVE, Epic, ParsedFile
from lib.store import database as store
from lib.store import epics as stored
from lib.store import okrs as stored_okrs
from lib.store import upload_records as records
from lib.store import workgroups as stored_workgroups


@contextlib.contextmanager
def audited(con, actor: str, action: str, subject: str, detail: dict | None = None):
    """One transaction: the caller's statements, then the change-log row and the data-version bump."""
    with store.transaction(con):
        yield
        store.record_change(con, actor, action, subject, detail)
        store.bump_data_version(con)


@dataclass
class ImportResult:
    snapshot_id: int
    epic_count: int
    shape: str
    ignored: dict[str, int]
    warnings: list[str]
    replaced_demo: bool = False

    def summary(self) -> str:
        text = f"snapshot {self.snapshot_id}: {self.epic_count} epics from the {self.shape}"
        if self.ignored:
            text += "; left out " + ", ".join(f"{n} {why}" for why, n in self.ignored.items())
        if self.replaced_demo:
            text += "; the demo epics were removed"
        return text


def import_epics_file(
    con,
    path: Path | str,
    actor: str | None = None,
    *,
    file_name: str | None = None,
    is_demo: bool = False,
    shape: str | None = None,
    source: str | None = None,
) -> ImportResult:
    """Store a saved API response as the newest snapshot, or raise RefusedFile and store nothing."""
    if not is_demo:
        auth.require_editor("import epics")
    actor = actor or auth.actor()
    path = Path(path)
    file_name = file_name or path.name
    check_size(path.stat().st_size, file_name)
    parsed = parse_epics(path.read_bytes(), file_name)
    digest = records.sha256_of(path)
    archive = records.archive_original(con, path, digest, "json")
    return write_snapshot(
        con,
        parsed,
        actor,
        source=source or file_name,
        shape=shape or parsed.shape,
        digest=digest,
        archive=str(archive),
        is_demo=is_demo,
    )


def write_snapshot(
    con,
    parsed: ParsedFile,
    actor: str,
    *,
    source: str,
    shape: str,
    digest: str | None,
    archive: str | None,
    is_demo: bool,
) -> ImportResult:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    snapshot_id = stored.new_snapshot_id(con)
    action = "epics demo" if is_demo else "epics import"
    detail = {"snapshot_id": snapshot_id, "epics": len(parsed.epics), "shape": shape, "ignored": parsed.ignored}
    with audited(con, actor, action, source, detail):
        replaced_demo = not is_demo and stored.has_demo_snapshots(con)
        if replaced_demo:
            stored.delete_demo_snapshots(con)
        stored.insert_active_snapshot(
            con,
            snapshot_id,
            source=source,
            shape=shape,
            digest=digest,
            archive=archive,
            epic_count=len(parsed.epics),
            ignored=parsed.ignored,
            imported_at=now,
            actor=actor,
            is_demo=is_demo,
        )
        rows = [
            (snapshot_id, e.group_path, e.iid, e.title, e.state, e.web_url, json.dumps(list(e.labels)))
            + (e.parent_group_path, e.parent_iid, e.author, e.start_date, e.due_date)
            + (e.created_at, e.updated_at, e.closed_at)
            for e in parsed.epics
        ]
        stored.insert_epics(con, rows)
    return ImportResult(snapshot_id, len(parsed.epics), shape, parsed.ignored, parsed.warnings, replaced_demo)


def restore_snapshot(con, snapshot_id: int, actor: str | None = None) -> None:
    """Show an earlier snapshot again (the one shown until now becomes 'replaced', restorable in turn)."""
    auth.require_editor("restore epics")
    actor = actor or auth.actor()
    found = stored.snapshot_source_and_status(con, snapshot_id)
    if found is None:
        raise LookupError(f"there is no epics snapshot {snapshot_id}")
    if found[1] == ACTIVE:
        return
    with audited(con, actor, "epics restore", found[0], {"snapshot_id": snapshot_id}):
        stored.make_snapshot_active(con, snapshot_id)


def remove_demo_epics(con, actor: str | None = None) -> None:
    """Take the demo epics out (the page then waits for a real import)."""
    auth.require_editor("remove the demo epics")
    actor = actor or auth.actor()
    with audited(con, actor, "epics demo removed", "demo epics"):
        stored.delete_demo_snapshots(con)


def snapshots(con) -> list[dict]:
    """Every snapshot, newest first."""
    return stored.snapshots(con)


def active_snapshot(con) -> dict | None:
    return next((s for s in snapshots(con) if s["status"] == ACTIVE), None)


def stored_epics(con, snapshot_id: int) -> list[Epic]:
    rows = stored.epic_rows(con, snapshot_id)
    return [
        Epic(g, iid, t, s, url, tuple(json.loads(labels or "[]")), pg, piid, a, sd, dd, ca, ua, cl)
        for g, iid, t, s, url, labels, pg, piid, a, sd, dd, ca, ua, cl in rows
    ]


def open_workgroups_by_person(con) -> dict[str, list[str]]:
    """Open workgroups each person sits on (member or facilitator), by name key."""
    rows = stored_workgroups.open_workgroup_people(con)
    found: dict[str, list[str]] = defaultdict(list)
    for workgroup_id, title, name in rows:
        label = f"#{workgroup_id} {title}"
        if label not in found[name_key(name)]:
            found[name_key(name)].append(label)
    return found


def roster(con) -> dict[str, str]:
    """The OKR page's manager roster: name → region."""
    return stored_okrs.manager_regions(con)


def save_page_settings(con, settings: Settings, pattern: str, stale_days: int, actor: str | None = None) -> None:
    """Store the master-epic pattern and the stale days where they changed; a pattern that is no regular
    expression raises ValueError and nothing is stored."""
    master_pattern(settings.with_overrides({"epic_master_pattern": pattern}))
    if pattern != settings.epic_master_pattern:
        store.save_setting(con, "epic_master_pattern", pattern, actor)
    if int(stale_days) != settings.epic_stale_after_days:
        store.save_setting(con, "epic_stale_after_days", int(stale_days), actor)
