"""Opening a workgroup's issue in GitLab and following it back, against a local server that answers as
GitLab documents its issues API (tests/gitlab_server.py). Nothing leaves loopback."""

from __future__ import annotations

import contextvars
import dataclasses

import pytest
from gitlab_server import GOOD_TOKEN, ISSUES_PATH, PROJECT, READ_API_TOKEN, GitLabHandler, running_gitlab
from workgroup_builders import OPENED

from lib.core import auth
from lib.core.errors import PermissionDenied
from lib.store import workgroup_issues
from lib.workgroups import gitlab_issue, repository
from lib.workgroups.breaches import recovery_of, scope_series
from lib.workgroups.gitlab_issue import IssueFailed, IssueTarget


@pytest.fixture
def gitlab_server():
    with running_gitlab() as url:
        yield url


@pytest.fixture
def target(gitlab_server):
    return IssueTarget(gitlab_server, PROJECT, GOOD_TOKEN, ("Metrics Workgroup", "FRT"))


@pytest.fixture
def workgroup_id(demo, settings):
    return repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED, members=["Ana", "Bo"]).workgroup_id


def posts() -> list[str]:
    return [seen for seen in GitLabHandler.requests_seen if seen.startswith("POST")]


def nothing_stored(con, workgroup_id) -> bool:
    workgroup = repository.get_workgroup(con, workgroup_id)
    return workgroup_issues.stored_issue(con, workgroup_id) is None and not workgroup["issue_url"]


def test_opening_creates_the_template_issue_with_the_body_and_labels_and_links_it(demo, settings, target, workgroup_id):
    opened = gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana")

    assert opened.created
    [sent] = GitLabHandler.created_bodies
    workgroup = repository.get_workgroup(demo, workgroup_id)
    assert sent["title"] == f"Metrics Workgroup: {workgroup['title']}"
    assert sent["labels"] == "Metrics Workgroup,FRT"
    assert "### Trigger" in sent["description"] and "- **Member:** Ana" in sent["description"]
    assert "| 02 Nov 2026 |" in sent["description"]  # the breach weeks with their values and counts
    assert workgroup["issue_url"] == f"https://gitlab.example/{PROJECT}/-/issues/1"
    stored = workgroup_issues.stored_issue(demo, workgroup_id)
    assert (stored["iid"], stored["project"], stored["state"]) == (1, PROJECT, "opened")
    change = demo.execute("SELECT actor, action, subject FROM change_log ORDER BY id DESC LIMIT 1").fetchone()
    assert change == ("ana", "workgroup issue opened", f"workgroup {workgroup_id}")


def test_pressing_again_keeps_the_stored_issue_and_asks_gitlab_nothing(demo, settings, target, workgroup_id):
    first = gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana")
    GitLabHandler.requests_seen.clear()

    again = gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana")

    assert not again.created and again.issue["iid"] == first.issue["iid"]
    assert GitLabHandler.requests_seen == [] and len(GitLabHandler.issues) == 1


def test_a_retry_after_a_timeout_where_gitlab_did_create_it_finds_that_issue(demo, settings, target, workgroup_id):
    GitLabHandler.create_then_stall = 1.5  # GitLab makes the issue, the answer never reaches Floorline in time

    with pytest.raises(IssueFailed, match=r"did not answer within 0.5 seconds; nothing was stored. Press again"):
        gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana", timeout=0.5)
    assert nothing_stored(demo, workgroup_id) and len(GitLabHandler.issues) == 1

    GitLabHandler.create_then_stall = 0.0
    retried = gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana")

    assert not retried.created and retried.issue["iid"] == 1
    assert len(GitLabHandler.issues) == 1 and len(posts()) == 1  # one issue, made once
    assert GitLabHandler.requests_seen[-1].startswith(ISSUES_PATH + "?")  # the search that found it
    assert "in=title" in GitLabHandler.requests_seen[-1]
    assert repository.get_workgroup(demo, workgroup_id)["issue_url"].endswith("/issues/1")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"token": "glpat-wrong"}, r"refused the token \(401\).*api scope"),
        ({"token": READ_API_TOKEN}, r"403 Forbidden .*api scope \(read_api cannot create issues\).*Guest role"),
        ({"project": "gitlab-com/support/nowhere"}, r"no project gitlab-com/support/nowhere .*\(404\).*issue_project"),
    ],
)
def test_a_refusal_says_what_to_do_and_stores_nothing(demo, settings, target, workgroup_id, change, expected):
    with pytest.raises(IssueFailed, match=expected) as refused:
        gitlab_issue.open_issue(demo, dataclasses.replace(target, **change), settings, workgroup_id, "ana")

    assert "glpat" not in str(refused.value)
    assert nothing_stored(demo, workgroup_id)


def test_a_title_gitlab_finds_invalid_is_reported_with_its_reason(demo, settings, target, workgroup_id):
    repository.update_workgroup(demo, "ana", workgroup_id, title="x" * 300)

    with pytest.raises(IssueFailed, match=r"invalid \(400: .*is too long \(maximum is 255 characters\)"):
        gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana")

    assert nothing_stored(demo, workgroup_id)


def test_following_back_reads_state_assignees_labels_and_flags_a_close_before_recovery(
    demo, settings, target, workgroup_id
):
    gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana")
    GitLabHandler.issues[0].update(
        state="closed",
        assignees=[{"name": "Priya Nair", "username": "pnair"}],
        labels=["Metrics Workgroup", "workflow::done"],
        updated_at="2026-11-30T16:05:00.000Z",
    )

    problems = gitlab_issue.follow_every_issue(demo, target)

    assert problems == []
    stored = workgroup_issues.stored_issue(demo, workgroup_id)
    assert stored["state"] == "closed" and stored["assignees"] == ["Priya Nair"]
    assert stored["labels"] == ["Metrics Workgroup", "workflow::done"]
    assert f"{stored['gitlab_updated_at']:%d %b %Y %H:%M}" == "30 Nov 2026 16:05"
    workgroup = repository.get_workgroup(demo, workgroup_id)
    series = scope_series(demo, settings, "FRT", workgroup["scope"])
    recovery = recovery_of(series, workgroup["trigger_end"], settings.recovery_weeks)
    flag = gitlab_issue.closed_but_not_recovered("FRT", stored, recovery)
    weeks = f"{recovery.weeks_above} of {settings.recovery_weeks} weeks above the floor"
    assert flag == f"closed in GitLab, FRT not recovered: {weeks}"
    recovered = dataclasses.replace(recovery, recovered=True)
    assert gitlab_issue.closed_but_not_recovered("FRT", stored, recovered) is None
    assert gitlab_issue.closed_but_not_recovered("FRT", stored | {"state": "opened"}, recovery) is None


def test_following_back_a_gitlab_that_refuses_says_so_and_keeps_what_was_known(demo, settings, target, workgroup_id):
    gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana")

    problems = gitlab_issue.follow_every_issue(demo, dataclasses.replace(target, token="glpat-wrong"))

    [problem] = problems
    assert problem.startswith(f"Workgroup #{workgroup_id}'s issue could not be read: GitLab refused the token (401)")
    assert workgroup_issues.stored_issue(demo, workgroup_id)["state"] == "opened"


def test_issues_are_offered_when_url_and_a_token_are_configured():
    assert IssueTarget.from_secrets({}) is None
    assert IssueTarget.from_secrets({"gitlab": {"url": "https://gitlab.com"}}) is None
    epics_only = IssueTarget.from_secrets({"gitlab": {"url": "https://gitlab.com/", "group": "g", "token": "t"}})
    assert epics_only == IssueTarget("https://gitlab.com", "gitlab-com/support/metrics", "t", ("Metrics Workgroup",))
    table = {"url": "https://gl.example", "token": "t", "issue_token": "i", "issue_project": "a/b/"}
    table["issue_labels"] = "x"
    own = IssueTarget.from_secrets({"gitlab": table})
    assert own == IssueTarget("https://gl.example", "a/b", "i", ("x",))


def test_an_answer_that_is_not_an_issue_is_refused_and_nothing_is_stored(demo, settings, target, workgroup_id):
    gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana")
    GitLabHandler.issues[0]["state"] = "closed"
    del GitLabHandler.issues[0]["web_url"]

    [problem] = gitlab_issue.follow_every_issue(demo, target)

    assert problem.endswith("GitLab's answer was not an issue as its API documents one; nothing was stored.")
    assert workgroup_issues.stored_issue(demo, workgroup_id)["state"] == "opened"  # what was known stays


def test_a_viewer_can_neither_open_nor_refresh_an_issue_and_gitlab_is_not_asked(demo, settings, target, workgroup_id):
    viewer = auth.Principal("viewer@example.com", auth.VIEWER, signed_in=True)

    def as_viewer(function, *args):
        def body():
            auth.set_principal(viewer)
            return function(*args)

        return contextvars.copy_context().run(body)

    with pytest.raises(PermissionDenied, match="viewer@example.com may view Floorline but not open workgroup issues"):
        as_viewer(gitlab_issue.open_issue, demo, target, settings, workgroup_id)
    gitlab_issue.open_issue(demo, target, settings, workgroup_id, "ana")
    GitLabHandler.requests_seen.clear()
    with pytest.raises(PermissionDenied, match="not refresh workgroup issues from GitLab"):
        as_viewer(gitlab_issue.follow_issue, demo, target, workgroup_id)

    assert GitLabHandler.requests_seen == [] and len(GitLabHandler.issues) == 1
