"""The workgroup's GitLab issue on the Workgroups page (AppTest), against the local GitLab server: open it,
follow it back, and GitLab's own text (labels, names) shown as text, never live Markdown."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from gitlab_server import GOOD_TOKEN, PROJECT, GitLabHandler, running_gitlab
from streamlit.testing.v1 import AppTest

from lib.store import database as store
from lib.store import workgroup_issues
from lib.workgroups import gitlab_issue, repository

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "2_Workgroups.py")


@pytest.fixture
def gitlab_server():
    with running_gitlab() as url:
        yield url


@pytest.fixture
def workgroup_id(demo_db):
    with store.connect(demo_db) as con:
        formed = repository.form_workgroup(con, "ana", store.load_settings(con), "FRT", opened_on=dt.date(2026, 11, 20))
    return formed.workgroup_id


def workgroup_page(workgroup_id: int, gitlab: dict) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.secrets["gitlab"] = gitlab
    at.query_params["wg"] = str(workgroup_id)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def link_buttons(at: AppTest) -> dict[str, str]:
    return {button.proto.label: button.proto.url for button in at.get("link_button")}


def stored(db, workgroup_id):
    with store.connect(db) as con:
        return workgroup_issues.stored_issue(con, workgroup_id)


def test_an_editor_opens_the_issue_and_sees_it_followed_back_with_the_flag(demo_db, gitlab_server, workgroup_id):
    at = workgroup_page(workgroup_id, {"url": gitlab_server, "issue_token": GOOD_TOKEN})

    at.button(key=f"issue_open_{workgroup_id}").click().run()

    assert not at.exception
    assert link_buttons(at)["GitLab issue #1"] == f"https://gitlab.example/{PROJECT}/-/issues/1"
    assert [t.value for t in at.toast] == ["GitLab issue #1 made."]
    assert not [b for b in at.button if b.key == f"issue_open_{workgroup_id}"]  # no second press offered
    GitLabHandler.issues[0].update(
        state="closed",
        labels=["[click](http://evil.example)"],
        assignees=[{"name": "**Priya**"}],
        updated_at="2026-11-30T16:05:00Z",
    )

    at.button(key=f"issue_refresh_{workgroup_id}").click().run()

    captions = [c.value for c in at.caption]
    line = next(c for c in captions if c.startswith("GitLab\\: closed"))
    assert "\\*\\*Priya\\*\\*" in line and "\\[click\\]\\(http\\:\u2060//evil\\.example\\)" in line
    assert "updated 30 Nov 2026 16\\:05 UTC" in line
    flag = "Closed in GitLab, FRT not recovered: 0 of 2 weeks above the floor"
    assert flag in [w.value for w in at.warning]
    assert len(GitLabHandler.issues) == 1 and stored(demo_db, workgroup_id)["state"] == "closed"


def test_a_refused_token_says_what_to_do_and_stores_nothing(demo_db, gitlab_server, workgroup_id):
    at = workgroup_page(workgroup_id, {"url": gitlab_server, "token": "glpat-wrong"})

    at.button(key=f"issue_open_{workgroup_id}").click().run()

    assert any("refused the token \\(401\\)" in e.value for e in at.error)
    assert stored(demo_db, workgroup_id) is None and GitLabHandler.issues == []
    assert "GitLab issue #1" not in link_buttons(at)


def test_without_gitlab_configured_the_editor_is_told_how(demo_db, workgroup_id):
    at = workgroup_page(workgroup_id, {})

    assert not [b for b in at.button if (b.key or "").startswith("issue_")]
    assert any("`issue_token`" in c.value for c in at.caption)


def test_the_weekly_review_links_the_open_workgroups_issue(demo_db, gitlab_server, workgroup_id):
    with store.connect(demo_db) as con:
        target = gitlab_issue.IssueTarget(gitlab_server, PROJECT, GOOD_TOKEN)
        gitlab_issue.open_issue(con, target, store.load_settings(con), workgroup_id, "ana")
    at = AppTest.from_file(str(Path(PAGE).parents[1] / "app.py"), default_timeout=30).run()

    assert not at.exception
    assert link_buttons(at)["Workgroup issue"] == f"https://gitlab.example/{PROJECT}/-/issues/1"


def test_a_notifications_link_to_a_segment_breach_opens_the_form_on_that_segment(demo_db):
    at = AppTest.from_file(PAGE, default_timeout=30)
    for name, value in {"kpi": "FRT", "start": "2026-11-02", "end": "2026-11-16", "scope": "GitLab SaaS"}.items():
        at.query_params[name] = value
    at.run()

    assert not at.exception
    assert at.selectbox(key="draft::form::scope").value == "GitLab SaaS"
