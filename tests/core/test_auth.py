"""Roles are checked where data changes, not only by hiding buttons."""

from __future__ import annotations

import contextvars
import datetime as dt

import pytest
from export_builders import sla_rows, span_rows, write_sla

from lib.core import auth
from lib.core.errors import PermissionDenied
from lib.store import database as store

SECRETS = {
    "auth": {"client_id": "x"},
    "floorline": {"allowed_domains": ["gitlab.com"], "editors": ["lead@gitlab.com", "@ops.gitlab.com"]},
}


def test_policy_reads_domains_and_editors():
    policy = auth.AccessPolicy.from_secrets(SECRETS)
    assert policy.configured
    assert policy.domain_allowed("someone@gitlab.com")
    assert not policy.domain_allowed("someone@example.com")
    assert policy.role_of("Lead@GitLab.com") == auth.EDITOR
    assert policy.role_of("viewer@gitlab.com") == auth.VIEWER
    assert not auth.AccessPolicy.from_secrets({}).configured


def run_as(principal, function, *args, **kwargs):
    """Run in a fresh context, as one Streamlit script run would."""

    def body():
        auth.set_principal(principal)
        return function(*args, **kwargs)

    return contextvars.copy_context().run(body)


def export(tmp_path):
    week = dt.date(2026, 9, 7)
    rows = span_rows(week, week + dt.timedelta(days=6)) + sla_rows(week, "SaaS", "First reply time", 9, 1)
    return write_sla(tmp_path / "e.csv", rows)


def test_a_viewer_cannot_upload_roll_back_or_change_settings(con, tmp_path):
    viewer = auth.Principal("viewer@gitlab.com", auth.VIEWER, signed_in=True)
    with pytest.raises(PermissionDenied, match="may view"):
        run_as(viewer, store.ingest_file, con, export(tmp_path))
    assert store.list_uploads(con) == []
    # A preview changes nothing, so a viewer may look.
    assert run_as(viewer, store.ingest_file, con, export(tmp_path), preview=True).status == "preview"
    editor = auth.Principal("lead@gitlab.com", auth.EDITOR, signed_in=True)
    upload = run_as(editor, store.ingest_file, con, export(tmp_path))
    for change in (
        lambda: store.rollback(con, upload.upload_id),
        lambda: store.save_setting(con, "stale_after_days", 3),
        lambda: store.set_form_segment(con, "Billing", "L&R"),
        lambda: store.remove_demo(con),
    ):
        with pytest.raises(PermissionDenied):
            run_as(viewer, change)
    assert store.list_uploads(con)[0]["status"] == "active"


def test_changes_record_the_signed_in_address(con, tmp_path):
    editor = auth.Principal("lead@gitlab.com", auth.EDITOR, signed_in=True)
    upload = run_as(editor, store.ingest_file, con, export(tmp_path))
    run_as(editor, store.rollback, con, upload.upload_id)
    assert store.list_uploads(con)[0]["uploaded_by"] == "lead@gitlab.com"
    history = store.change_history(con)
    assert [(actor, action) for _, actor, action, _, _ in history[:2]] == [
        ("lead@gitlab.com", "rollback"),
        ("lead@gitlab.com", "upload"),
    ]


def test_without_sign_in_everyone_may_edit(con, tmp_path):
    upload = run_as(auth.OPEN_PRINCIPAL, store.ingest_file, con, export(tmp_path))
    assert store.list_uploads(con)[0]["uploaded_by"] == "unknown"
    assert upload.status == "accepted"


def test_once_a_server_requires_sign_in_a_write_from_a_run_with_no_principal_is_refused(con):
    # The command line (no principal, sign-in never required) may write; a server page run that
    # somehow recorded no principal may not, once the server has seen that sign-in is configured.
    run_as(None, store.save_setting, con, "sustained_weeks", 2)
    auth.require_sign_in()
    with pytest.raises(PermissionDenied, match="sign in as an editor"):
        run_as(None, store.save_setting, con, "sustained_weeks", 3)
    assert store.load_settings(con).sustained_weeks == 2
