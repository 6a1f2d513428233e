"""A local stand-in for GitLab's epics and issues REST API (loopback only), for the fetch and issue tests.

It speaks ``GET /api/v4/groups/:id/epics`` with GitLab's paging headers (X-Page, X-Next-Page,
X-Total-Pages and a ``Link: <...>; rel="next"``), answers 401 to a wrong token, and can be
made slower than a client's timeout.

For issues, ``/api/v4/projects/gitlab-com%2Fsupport%2Fmetrics/issues`` answers as GitLab documents it:
``POST`` creates (201, the issue JSON; 400 ``{"message": {"title": [...]}}`` for a title over 255
characters; 403 ``insufficient_scope`` for a read_api token), ``GET`` lists with ``search`` and ``in=title``,
``GET .../issues/:iid`` reads one; any other project is 404 ``Project Not Found``. ``create_then_stall``
makes the issue and then answers later than the client waits (the lost-response case).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

GOOD_TOKEN = "glpat-test-token"
READ_API_TOKEN = "glpat-read-api-only"
GROUP = "gitlab-com/support"
PROJECT = "gitlab-com/support/metrics"
ISSUES_PATH = "/api/v4/projects/gitlab-com%2Fsupport%2Fmetrics/issues"


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


def issue(iid: int, title: str, description: str = "", labels=(), state: str = "opened") -> dict:
    """An issue as GitLab's REST API returns it (the fields Floorline reads, and a few it does not)."""
    return {
        "id": 5000 + iid,
        "iid": iid,
        "project_id": 77,
        "title": title,
        "description": description,
        "state": state,
        "labels": list(labels),
        "assignees": [],
        "author": {"name": "Floorline bot", "username": "project_77_bot"},
        "created_at": "2026-11-27T09:00:00.000Z",
        "updated_at": "2026-11-27T09:00:00.000Z",
        "closed_at": None,
        "web_url": f"https://gitlab.example/{PROJECT}/-/issues/{iid}",
    }


class GitLabHandler(BaseHTTPRequestHandler):
    delay = 0.0
    requests_seen: list[str] = []
    issues: list[dict] = []
    created_bodies: list[dict] = []
    create_then_stall = 0.0  # seconds to wait after creating an issue, before answering

    def log_message(self, *args):  # keep the test output quiet
        pass

    def do_GET(self):  # the name http.server calls
        type(self).requests_seen.append(self.path)
        if self.delay:
            time.sleep(self.delay)
        if self.headers.get("PRIVATE-TOKEN") not in (GOOD_TOKEN, READ_API_TOKEN):
            self.reply(401, {"message": "401 Unauthorized"}, {})
            return
        url = urlparse(self.path)
        if url.path.startswith("/api/v4/projects/"):
            self.issues_get(url)
            return
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

    def issues_get(self, url) -> None:
        if not url.path.startswith(ISSUES_PATH):
            self.reply(404, {"message": "404 Project Not Found"}, {})
            return
        rest = url.path[len(ISSUES_PATH) :].strip("/")
        if rest:
            found = [item for item in self.issues if str(item["iid"]) == rest]
            self.reply(200, found[0], {}) if found else self.reply(404, {"message": "404 Not found"}, {})
            return
        query = parse_qs(url.query)
        search = query.get("search", [""])[0].casefold()
        found = [item for item in self.issues if search in item["title"].casefold()]
        self.reply(200, found, {"X-Page": "1", "X-Total-Pages": "1", "X-Total": str(len(found))})

    def do_POST(self):  # the name http.server calls
        type(self).requests_seen.append(f"POST {self.path}")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        token = self.headers.get("PRIVATE-TOKEN")
        if token not in (GOOD_TOKEN, READ_API_TOKEN):
            self.reply(401, {"message": "401 Unauthorized"}, {})
            return
        if urlparse(self.path).path != ISSUES_PATH:
            self.reply(404, {"message": "404 Project Not Found"}, {})
            return
        if token == READ_API_TOKEN:
            self.reply(
                403,
                {
                    "error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than provided by the access token.",
                    "scope": "api",
                },
                {},
            )
            return
        if len(body.get("title") or "") > 255:
            self.reply(400, {"message": {"title": ["is too long (maximum is 255 characters)"]}}, {})
            return
        labels = [label for label in (body.get("labels") or "").split(",") if label]
        created = issue(len(self.issues) + 1, body["title"], body.get("description", ""), labels)
        type(self).issues.append(created)
        type(self).created_bodies.append(body)
        if self.create_then_stall:
            time.sleep(self.create_then_stall)
        self.reply(201, created, {})

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


@contextlib.contextmanager
def running_gitlab() -> Iterator[str]:
    """Yield the base URL of a fake GitLab on a free loopback port."""
    GitLabHandler.delay = 0.0
    GitLabHandler.requests_seen = []
    GitLabHandler.issues = []
    GitLabHandler.created_bodies = []
    GitLabHandler.create_then_stall = 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitLabHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
