"""Epics snapshots in the store: reimport, restore, refusals that store nothing, demo removal, who may write."""

from __future__ import annotations

import json

import pytest
from epic_builders import GROUP, TODAY, rest_epic, write

from lib.core.errors import RefusedFile
from lib.core.settings import DEFAULTS
from lib.demo import epics as epic_demo
from lib.epics import overview as epic_overview
from lib.epics import repository as epic_repository
from lib.store import database as store
from lib.store import history
from lib.store import upload_records as records

# --- snapshots in the store ---------------------------------------------------------------------


def test_reimport_replaces_the_snapshot_the_old_one_can_be_restored_and_both_are_in_the_history(con, tmp_path):
    first = write(tmp_path, "epics-monday.json", json.dumps([rest_epic(1, "area: A (Priya Nair)")]))
    second = write(
        tmp_path, "epics-friday.json", json.dumps([rest_epic(1, "area: A (Alex Rivera)"), rest_epic(2, "area: B")])
    )

    one = epic_repository.import_epics_file(con, first, "ann@example.com")
    two = epic_repository.import_epics_file(con, second, "bob@example.com")

    view = epic_overview.epics_view(con, DEFAULTS, TODAY)
    assert view.snapshot["id"] == two.snapshot_id
    assert [m.dri_written for m in view.masters] == ["Alex Rivera", None]
    assert [(s["id"], s["status"]) for s in epic_repository.snapshots(con)] == [
        (two.snapshot_id, "active"),
        (one.snapshot_id, "replaced"),
    ]

    epic_repository.restore_snapshot(con, one.snapshot_id, "carol@example.com")

    assert [m.dri_written for m in epic_overview.epics_view(con, DEFAULTS, TODAY).masters] == ["Priya Nair"]
    assert history.area_of("epics import") == history.area_of("epics restore") == history.EPICS
    log = con.execute("SELECT actor, action, subject FROM change_log ORDER BY id").fetchall()
    assert log == [
        ("ann@example.com", "epics import", "epics-monday.json"),
        ("bob@example.com", "epics import", "epics-friday.json"),
        ("carol@example.com", "epics restore", "epics-monday.json"),
    ]
    archived = records.archive_path(con, records.sha256_of(first), "json")
    assert archived.read_bytes() == first.read_bytes()
    with pytest.raises(LookupError):
        epic_repository.restore_snapshot(con, 99, "carol@example.com")


def test_a_refused_file_stores_nothing_and_changes_no_version(con, tmp_path):
    epic_repository.import_epics_file(con, write(tmp_path, "good.json", json.dumps([rest_epic(1, "area: A")])), "ann")
    version = store.data_version(con)

    with pytest.raises(RefusedFile, match="bad.json"):
        epic_repository.import_epics_file(con, write(tmp_path, "bad.json", "[{"), "ann")

    assert store.data_version(con) == version
    assert len(epic_repository.snapshots(con)) == 1


def test_the_first_real_import_removes_the_demo_epics(con, tmp_path):
    epic_demo.load_demo_epics(con, TODAY)
    assert epic_repository.active_snapshot(con)["is_demo"]

    result = epic_repository.import_epics_file(
        con, write(tmp_path, "real.json", json.dumps([rest_epic(1, "area: A")])), "ann"
    )

    assert result.replaced_demo
    assert [s["is_demo"] for s in epic_repository.snapshots(con)] == [False]
    assert con.execute("SELECT count(*) FROM epics").fetchone()[0] == 1


def test_the_demo_epics_can_be_removed_and_the_removal_is_recorded(con):
    epic_demo.load_demo_epics(con, TODAY)

    epic_repository.remove_demo_epics(con, "ann@example.com")

    assert epic_repository.snapshots(con) == [] and epic_overview.epics_view(con, DEFAULTS, TODAY).snapshot is None
    assert con.execute("SELECT count(*) FROM epics").fetchone()[0] == 0
    last = con.execute("SELECT actor, action FROM change_log ORDER BY id DESC LIMIT 1").fetchone()
    assert last == ("ann@example.com", "epics demo removed")


def test_a_viewer_cannot_import_restore_or_fetch_epics(con, tmp_path):
    import contextvars

    from lib.core import auth
    from lib.core.errors import PermissionDenied
    from lib.epics import fetch as epics_fetch

    viewer = auth.Principal("viewer@example.com", auth.VIEWER, signed_in=True)
    path = write(tmp_path, "epics.json", json.dumps([rest_epic(1, "area: A")]))
    source = epics_fetch.GitLabSource("http://127.0.0.1:9", GROUP, "token")  # never reached: refused first
    for change in (
        lambda: epic_repository.import_epics_file(con, path),
        lambda: epic_repository.restore_snapshot(con, 1),
        lambda: epics_fetch.fetch_and_import(con, source),
    ):

        def as_viewer(change=change):
            auth.set_principal(viewer)
            return change()

        with pytest.raises(PermissionDenied, match="viewer@example.com may view Floorline"):
            contextvars.copy_context().run(as_viewer)
    assert epic_repository.snapshots(con) == []
