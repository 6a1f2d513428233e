"""Roles are checked where data changes, not only by hiding buttons."""

from __future__ import annotations

import contextvars
import datetime as dt

import pytest
from export_builders import sla_rows, span_rows, write_sla

from lib.core import auth
from lib.core.errors import PermissionDenied
from lib.store import database as store
from lib.store import upload_records as records
from lib.store.history import change_log
from lib.uploads import ingest
from lib.uploads import status as upload_status

SECRETS = {
    "auth": {"client_id": "x"},
    "floorline": {"allowed_domains": ["gitlab.com"], "editors": ["lead@gitlab.com", "@ops.gitlab.com"]},
}


def test_policy_reads_domains_and_editors():
    policy = auth.AccessPolicy.from_secrets(SECRETS)
    assert policy.configured
    assert policy.domain_allowed("someone@gitlab.com")
    assert not policy.domain_allowed("someone@example.com")
    assert policy.role_of("lead@gitlab.com") == auth.EDITOR
    assert policy.role_of("viewer@gitlab.com") == auth.VIEWER
    assert not auth.AccessPolicy.from_secrets({}).configured


POLICY = auth.AccessPolicy.from_secrets(SECRETS)


ABSENT = object()


def claims(email, verified: object = True) -> dict:
    return {"email": email, "name": "x"} | ({} if verified is ABSENT else {"email_verified": verified})


@pytest.mark.parametrize(
    ("email", "verified", "admitted"),
    [
        ("lead@gitlab.com", True, auth.Principal("lead@gitlab.com", auth.EDITOR, True)),
        # The role is decided on the normalised address: case, and full-width forms mapped as mail routes them.
        ("Lead@GitLab.COM", True, auth.Principal("lead@gitlab.com", auth.EDITOR, True)),
        ("LEAD@ｇｉｔｌａｂ．ｃｏｍ", True, auth.Principal("lead@gitlab.com", auth.EDITOR, True)),
        ("viewer@gitlab.com", True, auth.Principal("viewer@gitlab.com", auth.VIEWER, True)),
        # A provider that writes every claim as a string: "true" is its yes.
        ("lead@gitlab.com", "true", auth.Principal("lead@gitlab.com", auth.EDITOR, True)),
    ],
)
def test_an_address_the_provider_vouches_for_gets_in_with_the_role_of_its_normalised_form(email, verified, admitted):
    assert POLICY.admit(claims(email, verified)) == admitted


@pytest.mark.parametrize(
    ("verified", "reason"),
    [
        (False, "has not verified"),
        ("false", "has not verified"),
        ("False", "has not verified"),
        ("0", "has not verified"),
        (0, "has not verified"),
        (1, "has not verified"),
        ("yes", "has not verified"),
        ("TRUE ", "has not verified"),
        (None, "has not verified"),
        ([True], "has not verified"),
        (ABSENT, "did not say it verified"),
    ],
)
def test_an_address_the_provider_does_not_vouch_for_is_refused_even_an_editors(verified, reason):
    with pytest.raises(auth.SignInRefused, match=reason):
        POLICY.admit(claims("lead@gitlab.com", verified))


def test_a_provider_that_never_sends_email_verified_is_trusted_only_when_the_policy_says_so():
    secrets = {**SECRETS, "floorline": {**SECRETS["floorline"], "provider_omits_email_verified": True}}
    trusting = auth.AccessPolicy.from_secrets(secrets)
    assert trusting.admit(claims("lead@gitlab.com", ABSENT)).role == auth.EDITOR
    with pytest.raises(auth.SignInRefused, match="has not verified"):  # a claim it does send still counts
        trusting.admit(claims("lead@gitlab.com", False))
    for not_a_yes in ("true", 1, "yes"):  # only TOML's true turns it on
        secrets["floorline"]["provider_omits_email_verified"] = not_a_yes
        with pytest.raises(auth.SignInRefused, match="did not say"):
            auth.AccessPolicy.from_secrets(secrets).admit(claims("lead@gitlab.com", ABSENT))


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("boss@evil.example?@gitlab.com", "2 @ signs"),
        ("boss@evil.example\x00@gitlab.com", "U\\+0000"),
        ("lead@gitlab.com\x00", "U\\+0000"),
        ("lead\u200b@gitlab.com", "U\\+200B"),  # zero-width space: looks like the editor
        ("lead@gitlab.com\u202e", "U\\+202E"),  # right-to-left override
        (" lead@gitlab.com", "U\\+0020"),
        ("lead@gitlab.com\n", "U\\+000A"),
        ("lead@\u00a0gitlab.com", "U\\+00A0"),
        ("leadgitlab.com", "0 @ signs"),
        ("@gitlab.com", "before the @"),
        (".lead@gitlab.com", "before the @"),
        ("le..ad@gitlab.com", "before the @"),
        ('"lead"@gitlab.com', "before the @"),
        ("<lead@gitlab.com>", "before the @"),
        ("a" * 65 + "@gitlab.com", "before the @"),
        ("lead@", "not a valid host name|two or more labels"),
        ("lead@gitlab", "two or more labels"),
        ("lead@gitlab.com.", "two or more labels"),
        ("lead@127.0.0.1", "IP address"),
        ("lead@[127.0.0.1]", "not a valid host name"),
        ("lead@-gitlab.com", "not a valid host name"),
        ("lead@gitlab_com.com", "not a valid host name"),
        ("lead@" + "a" * 64 + ".com", "not a valid host name"),
        ("lead@" + ".".join(["abcdefghi"] * 26) + ".com", "longer than|not a valid host name"),
    ],
)
def test_anything_but_one_well_formed_mailbox_is_refused(email, reason):
    with pytest.raises(auth.SignInRefused, match=reason):
        POLICY.admit(claims(email))


def test_a_refusal_shows_the_address_with_hidden_characters_named_and_cut_short():
    with pytest.raises(auth.SignInRefused) as refused:
        POLICY.admit(claims("lead\u202e\x00@gitlab.com"))
    assert "The address lead<U+202E><U+0000>@gitlab.com is not one" in str(refused.value)
    with pytest.raises(auth.SignInRefused) as refused:
        POLICY.admit(claims("a" * 100_000 + "@gitlab.com"))
    assert len(str(refused.value)) < 300


@pytest.mark.parametrize("email", [None, "", 5, ["lead@gitlab.com"], {"lead@gitlab.com": 1}])
def test_a_missing_or_non_text_address_is_refused(email):
    with pytest.raises(auth.SignInRefused, match="sent no e-mail address"):
        POLICY.admit(claims(email))


def test_domains_are_compared_after_idna_and_case_normalisation():
    secrets = {"auth": {}, "floorline": {"allowed_domains": ["Bücher.Example"], "editors": ["Ann@BÜCHER.example"]}}
    policy = auth.AccessPolicy.from_secrets(secrets)
    assert policy.admit(claims("ann@xn--bcher-kva.example")).role == auth.EDITOR
    assert policy.admit(claims("ANN@bücher.EXAMPLE")) == auth.Principal("ann@xn--bcher-kva.example", auth.EDITOR, True)
    assert policy.admit(claims("bo@BUCHER.example".replace("U", "Ü"))).role == auth.VIEWER
    with pytest.raises(auth.SignInRefused, match="not from a domain allowed"):
        policy.admit(claims("ann@bucher.example"))  # a look-alike without the umlaut is another domain


def test_a_policy_entry_no_address_could_match_is_an_error_naming_it():
    for setting, entry in (("editors", "lead@@gitlab.com"), ("allowed_domains", "gitlab")):
        with pytest.raises(ValueError, match=f"{setting} entry “{entry}”"):
            auth.AccessPolicy.from_secrets({"auth": {}, "floorline": {setting: [entry]}})


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
        run_as(viewer, ingest.ingest_file, con, export(tmp_path))
    assert records.list_uploads(con) == []
    # A preview changes nothing, so a viewer may look.
    assert run_as(viewer, ingest.ingest_file, con, export(tmp_path), preview=True).status == "preview"
    editor = auth.Principal("lead@gitlab.com", auth.EDITOR, signed_in=True)
    upload = run_as(editor, ingest.ingest_file, con, export(tmp_path))
    for change in (
        lambda: upload_status.rollback(con, upload.upload_id),
        lambda: store.save_setting(con, "stale_after_days", 3),
        lambda: store.set_form_segment(con, "Billing", "L&R"),
        lambda: upload_status.remove_demo(con),
    ):
        with pytest.raises(PermissionDenied):
            run_as(viewer, change)
    assert records.list_uploads(con)[0]["status"] == "active"


def test_changes_record_the_signed_in_address(con, tmp_path):
    editor = auth.Principal("lead@gitlab.com", auth.EDITOR, signed_in=True)
    upload = run_as(editor, ingest.ingest_file, con, export(tmp_path))
    run_as(editor, upload_status.rollback, con, upload.upload_id)
    assert records.list_uploads(con)[0]["uploaded_by"] == "lead@gitlab.com"
    history = change_log(con)
    assert [(actor, action) for _, actor, action, *_ in history[:2]] == [
        ("lead@gitlab.com", "rollback"),
        ("lead@gitlab.com", "upload"),
    ]


def test_without_sign_in_everyone_may_edit(con, tmp_path):
    upload = run_as(auth.OPEN_PRINCIPAL, ingest.ingest_file, con, export(tmp_path))
    assert records.list_uploads(con)[0]["uploaded_by"] == "unknown"
    assert upload.status == "accepted"


def test_once_a_server_requires_sign_in_a_write_from_a_run_with_no_principal_is_refused(con):
    # The command line (no principal, sign-in never required) may write; a server page run that
    # somehow recorded no principal may not, once the server has seen that sign-in is configured.
    run_as(None, store.save_setting, con, "sustained_weeks", 2)
    auth.require_sign_in()
    with pytest.raises(PermissionDenied, match="sign in as an editor"):
        run_as(None, store.save_setting, con, "sustained_weeks", 3)
    assert store.load_settings(con).sustained_weeks == 2
