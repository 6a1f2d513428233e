"""A local stand-in for GitLab's epics REST API (loopback only), for the fetch tests.

It speaks ``GET /api/v4/groups/:id/epics`` with GitLab's paging headers (X-Page, X-Next-Page,
X-Total-Pages and a ``Link: <...>; rel="next"``), answers 401 to a wrong token, and can be
made slower than a client's timeout.
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


@contextlib.contextmanager
def running_gitlab() -> Iterator[str]:
    """Yield the base URL of a fake GitLab on a free loopback port."""
    GitLabHandler.delay = 0.0
    GitLabHandler.requests_seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitLabHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
