"""A local stand-in for the parts of Zendesk's API a pull reads, served by pytest-httpserver (werkzeug).

Each endpoint pages the way Zendesk documents it (developer.zendesk.com, incremental exports):

- ``/api/v2/incremental/ticket_metric_events``: time-based, ``start_time`` in, ``next_page`` (a URL with
  the next ``start_time``), ``count``, ``end_time`` and ``end_of_stream`` out. Like Zendesk's, a page's
  last second is read again by the next page, so an event can arrive twice.
- ``/api/v2/incremental/tickets/cursor.json``: cursor-based, ``start_time`` or ``cursor`` in,
  ``after_cursor``, ``after_url`` and ``end_of_stream`` out; ``include=metric_sets`` sideloads each
  ticket's metric set (``solved_at``).
- ``/api/v2/ticket_forms``, ``/api/v2/groups`` (``next_page``), ``/api/v2/ticket_fields/{id}``.

Every answer carries Zendesk's rate-limit headers. ``faults`` queues answers given instead of the real
one, per path, to test failures; ``requests`` records every path and query asked.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import dataclass, field

from werkzeug import Request, Response

EMAIL = "reports@floorline.example"
TOKEN = "zd-test-token-Secr3t-0123456789"
REGION_FIELD_ID = 360000111222
EVENTS_PATH = "/api/v2/incremental/ticket_metric_events"
TICKETS_PATH = "/api/v2/incremental/tickets/cursor.json"
FORMS_PATH = "/api/v2/ticket_forms"
GROUPS_PATH = "/api/v2/groups"
FIELD_PATH = f"/api/v2/ticket_fields/{REGION_FIELD_ID}"


def epoch(moment: str) -> int:
    return int(dt.datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp())


def good_auth(request: Request) -> bool:
    """Basic auth as "{email}/token:{api token}", or an OAuth bearer token: both as Zendesk takes them."""
    basic = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    return request.headers.get("Authorization") in (f"Basic {basic}", f"Bearer {TOKEN}")


@dataclass
class FakeZendesk:
    events: list[dict] = field(default_factory=list)
    tickets: dict[int, dict] = field(default_factory=dict)
    solved: dict[int, str] = field(default_factory=dict)
    forms: dict[int, str] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    region_options: dict[str, str] = field(default_factory=dict)
    per_page: int = 1000
    faults: dict[str, list[Response | None]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    base_url: str = ""

    def install(self, httpserver) -> str:
        self.base_url = httpserver.url_for("").rstrip("/")
        httpserver.expect_request(re.compile(r"^/api/v2/.*")).respond_with_handler(self.handle)
        return self.base_url

    def handle(self, request: Request) -> Response:
        self.requests.append(request.full_path)
        fault = self.faults[request.path].pop(0) if self.faults.get(request.path) else None
        if fault is not None:  # None in the queue: this request is answered as usual
            return fault
        if not good_auth(request):
            return self.json({"error": "Couldn't authenticate you"}, status=401)
        route = {
            EVENTS_PATH: self.metric_events,
            TICKETS_PATH: self.ticket_export,
            FORMS_PATH: lambda r: self.listing(r, "ticket_forms", self.forms),
            GROUPS_PATH: lambda r: self.listing(r, "groups", self.groups),
            FIELD_PATH: self.region_field,
        }.get(request.path)
        if route is None:
            return self.json({"error": "InvalidEndpoint", "description": "Not found"}, status=404)
        return route(request)

    def json(self, body, status: int = 200, headers: dict | None = None) -> Response:
        return Response(
            json.dumps(body),
            status=status,
            content_type="application/json; charset=utf-8",
            headers={"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "699", **(headers or {})},
        )

    def metric_events(self, request: Request) -> Response:
        start = int(request.args["start_time"])
        ordered = sorted((e for e in self.events if epoch(e["time"]) >= start), key=lambda e: (e["time"], e["id"]))
        page = ordered[: self.per_page]
        end_of_stream = len(ordered) <= self.per_page
        end_time = epoch(page[-1]["time"]) if page else start
        return self.json(
            {
                "ticket_metric_events": page,
                "next_page": f"{self.base_url}{EVENTS_PATH}?start_time={end_time}",
                "count": len(page),
                "end_time": end_time,
                "end_of_stream": end_of_stream,
            }
        )

    def ticket_export(self, request: Request) -> Response:
        def position(ticket):
            return (epoch(ticket["updated_at"]), ticket["id"])

        if "cursor" in request.args:
            after = tuple(int(p) for p in base64.b64decode(request.args["cursor"]).decode().split("|"))
        else:
            after = (int(request.args["start_time"]) - 1, 2**62)
        ordered = sorted((t for t in self.tickets.values() if position(t) > after), key=position)
        page = ordered[: self.per_page]
        last = position(page[-1]) if page else after
        cursor = base64.b64encode(f"{last[0]}|{last[1]}".encode()).decode()
        body = {
            "tickets": page,
            "after_url": f"{self.base_url}{TICKETS_PATH}?cursor={cursor}&include=metric_sets",
            "after_cursor": cursor,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": len(ordered) <= self.per_page,
        }
        if request.args.get("include") == "metric_sets":
            body["metric_sets"] = [
                {"id": 70000 + t["id"], "ticket_id": t["id"], "solved_at": self.solved.get(t["id"])} for t in page
            ]
        return self.json(body)

    def listing(self, request: Request, items: str, names: dict[int, str]) -> Response:
        page_number = int(request.args.get("page", 1))
        ordered = sorted(names.items())
        chunk = ordered[(page_number - 1) * 2 : page_number * 2]  # two a page: the paging is exercised
        more = len(ordered) > page_number * 2
        return self.json(
            {
                items: [{"id": key, "name": name} for key, name in chunk],
                "next_page": f"{self.base_url}{request.path}?page={page_number + 1}" if more else None,
                "count": len(ordered),
            }
        )

    def region_field(self, request: Request) -> Response:
        options = [{"id": index, "name": n, "value": v} for index, (v, n) in enumerate(self.region_options.items())]
        return self.json({"ticket_field": {"id": REGION_FIELD_ID, "custom_field_options": options}})


def ticket(ticket_id: int, updated_at: str, *, form: int, group: int, priority="normal", region=None, score=None):
    return {
        "id": ticket_id,
        "updated_at": updated_at,
        "ticket_form_id": form,
        "group_id": group,
        "priority": priority,
        "custom_fields": [{"id": REGION_FIELD_ID, "value": region}],
        "satisfaction_rating": {"score": score} if score else None,
    }
