"""Fetching epics from GitLab, against a local HTTP server that answers as GitLab documents it.

The server speaks ``GET /api/v4/groups/:id/epics`` with GitLab's paging headers (X-Page,
X-Next-Page, X-Total-Pages and a ``Link: <...>; rel="next"``), a 401 for a wrong token, and a
reply slower than the client's timeout. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from lib import epics, epics_fetch
from lib.epics_fetch import FetchFailed, GitLabSource

GOOD_TOKEN = "glpat-test-token"
GROUP = "gitlab-com/support"


def epic(iid: int, title: str, parent: int | None = None) -> dict:
    return {
        "id": 9000 + iid,
        "iid": iid,
        "title": title,
        "state": "opened",
        "web_url": f"https://gitlab.example/groups/{GROUP}/-/epics/{iid}",
        "parent_id": None if parent is None else 9000 + parent,
        "parent_iid": parent,
        "labels": [],
        "author": {"name": "Morgan Hayes"},
        "start_date": None,
        "due_date": "2026-12-31",
        "created_at": "2026-10-01T09:00:00.000Z",
        "updated_at": "2026-11-20T09:00:00.000Z",
        "closed_at": None,
    }


PAGES = [
    [epic(1, "area: Hiring and onboarding (Priya Nair)"), epic(2, "Interview loop", parent=1)],
    [epic(3, "area: Tooling (Alex Rivera)"), epic(4, "Dashboards", parent=3)],
    [epic(5, "area: Docs")],
]


class GitLabHandler(BaseHTTPRequestHandler):
    delay = 0.0
    requests_seen: list[str] = []

    def log_message(self, *args):  # keep the test output quiet
        pass

    def do_GET(self):  # the name http.server calls
        type(self).requests_seen.append(self.path)
        if self.delay:
            time.sleep(self.delay)
        if self.headers.get("PRIVATE-TOKEN") != GOOD_TOKEN:
            self.reply(401, {"message": "401 Unauthorized"}, {})
            return
        url = urlparse(self.path)
        if url.path != "/api/v4/groups/gitlab-com%2Fsupport/epics":
            self.reply(404, {"message": "404 Group Not Found"}, {})
            return
        query = parse_qs(url.query)
        page = int(query.get("page", ["1"])[0])
        headers = {"X-Page": str(page), "X-Per-Page": "2", "X-Total-Pages": str(len(PAGES)), "X-Total": "5"}
        if page < len(PAGES):
            host = f"http://{self.headers['Host']}"
            headers["X-Next-Page"] = str(page + 1)
            headers["Link"] = f'<{host}{url.path}?page={page + 1}&per_page=100&state=all>; rel="next"'
        self.reply(200, PAGES[page - 1], headers)

    def reply(self, status: int, body, headers: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the timed-out client has gone
            self.wfile.write(data)


@pytest.fixture
def gitlab_server():
    GitLabHandler.delay = 0.0
    GitLabHandler.requests_seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitLabHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


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
    view = epics.epics_view(con, epics.store.load_settings(con), epics.dt.date(2026, 11, 26))
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
