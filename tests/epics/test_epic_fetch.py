"""Fetching epics from GitLab, against a local HTTP server that answers as GitLab documents it.

The server (tests/gitlab_server.py) pages with X-Next-Page and a Link header, answers a wrong
token with 401, and can answer slower than the client's timeout. Nothing leaves loopback.
"""

from __future__ import annotations

import datetime as dt

import pytest
from gitlab_server import GOOD_TOKEN, GROUP, GitLabHandler, running_gitlab

from lib.epics import fetch as epics_fetch
from lib.epics import overview as epic_overview
from lib.epics.fetch import FetchFailed, GitLabSource
from lib.store import database as store


@pytest.fixture
def gitlab_server():
    with running_gitlab() as url:
        yield url


def test_every_page_is_fetched_following_the_link_header_and_stored_as_one_snapshot(con, gitlab_server):
    heard = []
    source = GitLabSource(gitlab_server, GROUP, GOOD_TOKEN)

    result = epics_fetch.fetch_and_import(con, source, "ann@example.com", lambda f, text: heard.append((f, text)))

    assert result.epic_count == 5
    assert [path.split("?")[0] for path in GitLabHandler.requests_seen] == [
        "/api/v4/groups/gitlab-com%2Fsupport/epics"
    ] * 3
    assert "page 1 of 3 read (1 epics so far)" in [text for _, text in heard]
    assert "page 3 of 3 read (5 epics so far)" in [text for _, text in heard]
    assert [f for f, _ in heard] == sorted(f for f, _ in heard)  # progress only moves forward
    view = epic_overview.epics_view(con, store.load_settings(con), dt.date(2026, 11, 26))
    assert view.snapshot["source"] == f"{gitlab_server}/groups/{GROUP}"
    assert {m.area: (m.children_open, m.flags) for m in view.masters} == {
        "Hiring and onboarding": (1, ["DRI not on roster"]),  # no roster in this database
        "Tooling": (1, ["DRI not on roster"]),
        "Docs": (0, ["No DRI"]),
    }
    change = con.execute("SELECT actor, action, subject FROM change_log ORDER BY id DESC LIMIT 1").fetchone()
    assert change == ("ann@example.com", "epics import", f"{gitlab_server}/groups/{GROUP}")


def test_a_wrong_token_is_refused_with_what_to_check_and_nothing_is_stored(con, gitlab_server):
    source = GitLabSource(gitlab_server, GROUP, "glpat-wrong")

    with pytest.raises(FetchFailed, match=r"refused the token .*\(401\).*read_api") as refused:
        epics_fetch.fetch_and_import(con, source, "ann@example.com")

    assert "glpat-wrong" not in str(refused.value)
    assert con.execute("SELECT count(*) FROM epic_snapshots").fetchone()[0] == 0


def test_a_server_slower_than_the_timeout_stores_nothing(con, gitlab_server):
    GitLabHandler.delay = 2.0
    source = GitLabSource(gitlab_server, GROUP, GOOD_TOKEN)

    with pytest.raises(FetchFailed, match=r"did not answer within 0.5 seconds"):
        epics_fetch.fetch_and_import(con, source, "ann@example.com", timeout=0.5)

    assert con.execute("SELECT count(*) FROM epic_snapshots").fetchone()[0] == 0


def test_fetch_is_offered_only_when_url_group_and_token_are_all_configured():
    assert GitLabSource.from_secrets({}) is None
    assert GitLabSource.from_secrets({"gitlab": {"url": "https://gitlab.com", "group": GROUP}}) is None
    source = GitLabSource.from_secrets({"gitlab": {"url": "https://gitlab.com/", "group": GROUP, "token": "t"}})
    assert source == GitLabSource("https://gitlab.com", GROUP, "t")
