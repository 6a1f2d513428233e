"""Workgroups stored: one open workgroup per breach, soft delete with undo, the audit trail, roles."""

from __future__ import annotations

import contextvars
import datetime as dt
import inspect

import pytest
from workgroup_builders import FRT_BREACH, OPENED, audit_actions

from lib.core import auth
from lib.core.errors import PermissionDenied
from lib.store import database as store
from lib.store.history import change_log
from lib.workgroups import annotations, breaches, contents, library, model, repository

# --- forming: one open workgroup per breach ---------------------------------------------------------------


def test_forming_captures_the_demo_breach_and_a_second_form_returns_the_open_one(demo, settings):
    formed = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED, members=["Ana", "Bo"])
    assert formed.created
    workgroup = repository.get_workgroup(demo, formed.workgroup_id)
    assert workgroup["status"] == "open"
    assert (workgroup["trigger_start"], workgroup["trigger_end"]) == (FRT_BREACH[0], FRT_BREACH[-1])
    assert [w["week"] for w in workgroup["trigger_weeks"]] == [str(d) for d in FRT_BREACH]
    assert all(w["value"] < 93 and w["status"] == "breach" for w in workgroup["trigger_weeks"])
    assert workgroup["created_at"] and workgroup["updated_at"]
    assert [m["name"] for m in workgroup["members"]] == ["Ana", "Bo"]

    again = repository.form_workgroup(
        demo, "bo", settings, "FRT", start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 16), title="A second try"
    )
    assert again == repository.Formed(formed.workgroup_id, False)
    assert len(repository.list_workgroups(demo)) == 1

    summary = repository.open_workgroup_for(demo, "FRT")
    assert summary["id"] == formed.workgroup_id
    assert summary["opened_on"] == OPENED
    assert summary["breach_weeks"] == FRT_BREACH
    assert (summary["facilitator"], summary["issue_url"], summary["hypotheses"]) == ("", "", [])
    hypothesis = contents.add_hypothesis(demo, "ana", formed.workgroup_id, "FRT fell because many people took time off")
    assert repository.open_workgroup_for(demo, "FRT")["hypotheses"] == [
        ("FRT fell because many people took time off", "Open (no verdict yet)")
    ]
    assert hypothesis
    assert repository.open_workgroup_for(demo, "NRT") is None


def test_a_closed_workgroup_lets_a_new_one_form_and_cannot_reopen_beside_it(demo, settings):
    first = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    segment = repository.form_workgroup(demo, "ana", settings, "FRT", scope="L&R", opened_on=OPENED)
    assert segment.created, "a segment's breach is a different workgroup from the combined one"
    repository.close_workgroup(demo, "ana", first, dt.date(2026, 11, 25), summary="Staffing moved back.")
    second = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=dt.date(2026, 11, 26))
    assert second.created and second.workgroup_id != first
    with pytest.raises(model.WorkgroupError, match="already open"):
        repository.reopen_workgroup(demo, "ana", first)
    listed = repository.list_workgroups(demo)
    assert [w["status"] for w in listed] == ["open", "open", "closed"], "open workgroups come first"


def test_forming_needs_a_breach_and_sensible_dates(demo, settings):
    with pytest.raises(model.WorkgroupError, match="no sustained breach"):
        repository.form_workgroup(demo, "ana", settings, "SSAT")
    with pytest.raises(model.WorkgroupError, match="after it ends"):
        repository.form_workgroup(demo, "ana", settings, "SSAT", start=dt.date(2026, 11, 16), end=dt.date(2026, 11, 2))
    formed = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED)
    with pytest.raises(model.WorkgroupError, match="before it opened"):
        repository.close_workgroup(demo, "ana", formed.workgroup_id, dt.date(2026, 11, 1))


def test_a_late_workgroup_forms_on_the_latest_sustained_breach(demo, settings):
    """NRT's one-week dip is no sustained breach, but the breach weeks can be given by hand."""
    nrt = breaches.scope_series(demo, settings, "NRT")
    dip = next(w.week for w in nrt if w.status == "breach")
    formed = repository.form_workgroup(demo, "ana", settings, "NRT", start=dip, end=dip, opened_on=OPENED)
    workgroup = repository.get_workgroup(demo, formed.workgroup_id)
    assert [w["week"] for w in workgroup["trigger_weeks"]] == [str(dip)]
    recovery = breaches.recovery_of(nrt, workgroup["trigger_end"], settings.recovery_weeks)
    assert recovery.recovered and recovery.recovered_on == dip + dt.timedelta(weeks=2)


# --- soft delete, undo, audit ---------------------------------------------------------------------------------------


def test_deleting_a_workgroup_can_be_undone(demo, settings, analysed):
    workgroup_id = analysed["id"]
    repository.delete_workgroup(demo, "ana", workgroup_id)
    assert repository.list_workgroups(demo) == []
    assert [w["id"] for w in repository.list_workgroups(demo, deleted=True)] == [workgroup_id]
    assert repository.get_workgroup(demo, workgroup_id) is None
    assert repository.open_workgroup_for(demo, "FRT") is None
    assert annotations.trend_annotations(demo, "FRT") == []
    assert library.library(demo, "time off")[0]["past"] == [], "a deleted workgroup's verdicts are not offered"

    repository.restore_workgroup(demo, "ana", workgroup_id)
    restored = repository.get_workgroup(demo, workgroup_id)
    assert restored["hypotheses"][0]["evidence"] == analysed["hypotheses"][0]["evidence"]
    assert restored["actions"] == analysed["actions"]
    assert repository.open_workgroup_for(demo, "FRT")["id"] == workgroup_id

    repository.delete_workgroup(demo, "ana", workgroup_id)
    newer = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    with pytest.raises(model.WorkgroupError, match=f"#{newer} is open"):
        repository.restore_workgroup(demo, "ana", workgroup_id)


def test_deleting_a_hypothesis_can_be_undone(demo, analysed):
    hypothesis_id = analysed["hypotheses"][0]["id"]
    contents.delete_hypothesis(demo, "ana", hypothesis_id)
    assert repository.get_workgroup(demo, analysed["id"])["hypotheses"] == []
    with pytest.raises(model.WorkgroupError):
        contents.update_hypothesis(demo, "ana", hypothesis_id, notes="edited after delete")
    contents.restore_hypothesis(demo, "ana", hypothesis_id)
    assert repository.get_workgroup(demo, analysed["id"])["hypotheses"][0]["id"] == hypothesis_id


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,x", "//evil.example/x", "evil.example/x"])
def test_an_evidence_link_that_is_not_http_is_refused_and_nothing_changes(demo, analysed, link):
    hypothesis = analysed["hypotheses"][0]
    with pytest.raises(model.WorkgroupError, match="an evidence link is an http:// or https:// address"):
        contents.save_evidence(demo, "ana", hypothesis["id"], [{"link": link, "note": "see here"}])
    assert repository.get_workgroup(demo, analysed["id"])["hypotheses"][0]["evidence"] == hypothesis["evidence"]


def test_every_write_is_audited_and_moves_the_data_version(demo, settings):
    before = store.data_version(demo)
    workgroup_id = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    repository.update_workgroup(demo, "ana", workgroup_id, facilitator="Fay", summary="Working on it")
    repository.update_workgroup(demo, "ana", workgroup_id, facilitator="Fay")  # no change, no write
    repository.delete_workgroup(demo, "ana", workgroup_id)
    repository.restore_workgroup(demo, "ana", workgroup_id)
    assert audit_actions(demo) == ["workgroup restored", "workgroup deleted", "workgroup edited", "workgroup formed"]
    assert store.data_version(demo) == before + 4
    row = demo.execute("SELECT updated_by, updated_at > created_at FROM workgroups WHERE id = ?", [workgroup_id])
    assert row.fetchone() == ("ana", True)
    with pytest.raises(model.WorkgroupError, match="cannot change"):
        repository.update_workgroup(demo, "ana", workgroup_id, status="closed")


# --- roles: checked here, not only by the page ------------------------------------------------------------

VIEWER = auth.Principal("viewer@example.com", auth.VIEWER, signed_in=True)
EDITOR = auth.Principal("lead@example.com", auth.EDITOR, signed_in=True)


def run_as(principal, function, *args, **kwargs):
    """Run in a fresh context, as one Streamlit script run would."""

    def body():
        auth.set_principal(principal)
        return function(*args, **kwargs)

    return contextvars.copy_context().run(body)


def test_a_viewer_cannot_change_any_workgroup_and_an_editor_is_recorded_by_address(demo, settings):
    formed = run_as(EDITOR, repository.form_workgroup, demo, None, settings, "FRT", members=["Ana", "Bo"])
    workgroup_id = formed.workgroup_id
    hypothesis_id = run_as(EDITOR, contents.add_hypothesis, demo, None, workgroup_id, "FRT fell because of time off")
    assert [actor for _, actor, *_ in change_log(demo)[:2]] == ["lead@example.com", "lead@example.com"]
    assert repository.get_workgroup(demo, workgroup_id)["created_by"] == "lead@example.com"

    before = (store.data_version(demo), change_log(demo), repository.get_workgroup(demo, workgroup_id))
    writes = {
        "form_workgroup": lambda: repository.form_workgroup(
            demo, None, settings, "NRT", start=dt.date(2026, 7, 6), end=dt.date(2026, 7, 6)
        ),
        "update_workgroup": lambda: repository.update_workgroup(demo, None, workgroup_id, title="Renamed"),
        "close_workgroup": lambda: repository.close_workgroup(demo, None, workgroup_id),
        "reopen_workgroup": lambda: repository.reopen_workgroup(demo, None, workgroup_id),
        "delete_workgroup": lambda: repository.delete_workgroup(demo, None, workgroup_id),
        "restore_workgroup": lambda: repository.restore_workgroup(demo, None, workgroup_id),
        "add_hypothesis": lambda: contents.add_hypothesis(demo, None, workgroup_id, "Tickets got harder"),
        "update_hypothesis": lambda: contents.update_hypothesis(demo, None, hypothesis_id, verdict="falsified"),
        "delete_hypothesis": lambda: contents.delete_hypothesis(demo, None, hypothesis_id),
        "restore_hypothesis": lambda: contents.restore_hypothesis(demo, None, hypothesis_id),
        "save_members": lambda: contents.save_members(demo, None, workgroup_id, [{"name": "Eve"}]),
        "save_evidence": lambda: contents.save_evidence(demo, None, hypothesis_id, [{"note": "PTO calendar"}]),
        "add_evidence": lambda: contents.add_evidence(demo, None, hypothesis_id, note="Checked against the data"),
        "save_actions": lambda: contents.save_actions(demo, None, workgroup_id, [{"change": "Stagger PTO"}]),
        "restore_rows": lambda: contents.restore_rows(demo, None, "workgroup_members", [1]),
        "copy_from_library": lambda: library.copy_from_library(demo, None, workgroup_id, 1),
        "add_to_library": lambda: library.add_to_library(demo, None, "A new common cause"),
    }
    # Every function that records an actor is a write, and every one of them is tried here.
    takes_actor = {
        name
        for module in (repository, contents, library)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and "actor" in inspect.signature(function).parameters
    }
    assert takes_actor - {"write"} == set(writes)
    for write in writes.values():
        with pytest.raises(PermissionDenied, match="viewer@example.com may view Floorline but not"):
            run_as(VIEWER, write)
    assert (
        store.data_version(demo),
        change_log(demo),
        repository.get_workgroup(demo, workgroup_id),
    ) == before
    assert repository.list_workgroups(demo, deleted=True) == [] and len(repository.list_workgroups(demo)) == 1


def test_a_failed_write_leaves_nothing_behind(demo, settings):
    before = store.data_version(demo)
    with pytest.raises(model.WorkgroupError), repository.write(demo, "ana", "half a change", "workgroup"):
        demo.execute("UPDATE hypothesis_library SET title = 'changed' WHERE id = 1")
        raise model.WorkgroupError("refused halfway")
    assert (
        demo.execute("SELECT title FROM hypothesis_library WHERE id = 1").fetchone()[0] == "Ticket volume is too high"
    )
    assert store.data_version(demo) == before and audit_actions(demo) == []


def test_the_schema_is_created_by_store_connect(con):
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"workgroups", "workgroup_members", "workgroup_hypotheses", "hypothesis_evidence"} <= tables
    assert {"workgroup_actions", "hypothesis_library"} <= tables
    for table in (
        "workgroups",
        "workgroup_members",
        "workgroup_hypotheses",
        "hypothesis_evidence",
        "workgroup_actions",
    ):
        columns = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
            ).fetchall()
        }
        assert {"created_at", "updated_at", "deleted_at"} <= columns, table
