"""Speed and memory of a Zendesk pull against a local server. Prints figures; asserts nothing.

    python benchmarks/zendesk_pull_benchmark.py [--events 1000000] [--per-page 1000]

Starts a stand-in Zendesk in its own process (stdlib http.server) that serves N ticket metric events
(ten a ticket, so N / 10 tickets) with Zendesk's paging: time-based ``next_page`` / ``end_time`` /
``end_of_stream`` for the events, ``after_url`` / ``after_cursor`` for the cursor tickets export.
Then measures, each as a whole process (interpreter start included):

- the pull: ``python -m lib zendesk pull --since ...`` into a new database — wall time and peak memory;
- the floor: a bare loop that downloads and parses the same pages with httpx and keeps nothing.

Goal (issue 28): the pull within 2x the bare loop; pages streamed, so peak memory does not grow with N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
BASE = int(dt.datetime(2026, 9, 7, tzinfo=dt.UTC).timestamp())
SECONDS_APART = 4  # a million events span 46 days, before today
SINCE = "2026-09-07"
EVENTS_PER_TICKET = 10


def ticket_events(index: int) -> dict:
    """Event ``index``: ticket index // 10, a first reply and a next reply, some breached first."""
    ticket, step = divmod(index, EVENTS_PER_TICKET)
    instance = 1 if step < 5 else 2
    kind = ("activate", "apply_sla", "breach", "fulfill", "pause")[step % 5]
    event = {
        "id": 1_000_000_000 + index,
        "ticket_id": ticket,
        "metric": "reply_time" if kind != "pause" else "requester_wait_time",
        "instance_id": instance,
        "type": kind,
        "time": dt.datetime.fromtimestamp(BASE + index * SECONDS_APART, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if kind == "breach":
        event["deleted"] = ticket % 9 != 0  # one ticket in nine is breached before its reply
    if kind == "apply_sla":
        event["sla"] = {"target": 60, "business_hours": False, "policy": {"id": 1, "title": "Standard"}}
    return event


def serve(port: int, events: int, per_page: int) -> None:
    tickets = events // EVENTS_PER_TICKET

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # the name http.server calls
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            base = f"http://127.0.0.1:{port}"
            if parts.path == "/api/v2/incremental/ticket_metric_events":
                first = max(0, -(-(int(query["start_time"]) - BASE) // SECONDS_APART))
                page = [ticket_events(i) for i in range(first, min(first + per_page, events))]
                end_time = BASE + (first + len(page) - 1) * SECONDS_APART if page else int(query["start_time"])
                body = {
                    "ticket_metric_events": page,
                    "next_page": f"{base}{parts.path}?start_time={end_time + 1}",
                    "count": len(page),
                    "end_time": end_time,
                    "end_of_stream": first + per_page >= events,
                }
            elif parts.path == "/api/v2/incremental/tickets/cursor.json":
                first = int(query.get("cursor", 0))
                ids = range(first, min(first + per_page, tickets))
                body = {
                    "tickets": [
                        {
                            "id": i,
                            "updated_at": "2026-11-01T00:00:00Z",
                            "ticket_form_id": 1 + i % 3,
                            "group_id": 1 + i % 2,
                            "priority": "normal",
                            "custom_fields": [],
                            "satisfaction_rating": {"score": ("good", "bad", "offered", "good")[i % 4]},
                        }
                        for i in ids
                    ],
                    "metric_sets": [{"ticket_id": i, "solved_at": "2026-10-20T10:00:00Z"} for i in ids],
                    "after_cursor": str(first + len(ids)),
                    "after_url": f"{base}{parts.path}?cursor={first + len(ids)}&include=metric_sets",
                    "end_of_stream": first + per_page >= tickets,
                }
            elif parts.path == "/api/v2/ticket_forms":
                body = {
                    "ticket_forms": [
                        {"id": 1, "name": "SaaS"},
                        {"id": 2, "name": "Self-managed"},
                        {"id": 3, "name": "L&R"},
                    ],
                    "next_page": None,
                }
            elif parts.path == "/api/v2/groups":
                body = {
                    "groups": [{"id": 1, "name": "Support EMEA"}, {"id": 2, "name": "Support AMER"}],
                    "next_page": None,
                }
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Rate-Limit", "700")
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


BARE_LOOP = textwrap.dedent(
    """
    import sys, httpx
    base = sys.argv[1]
    with httpx.Client(base_url=base, timeout=60) as client:
        for path, params, items, following in (
            ("/api/v2/incremental/ticket_metric_events", {"start_time": sys.argv[2]}, "ticket_metric_events",
             "next_page"),
            ("/api/v2/incremental/tickets/cursor.json", {"start_time": sys.argv[2], "include": "metric_sets"},
             "tickets", "after_url"),
        ):
            url = path
            while True:
                body = client.get(url, params=params).json()
                len(body[items])
                if body["end_of_stream"] or not body.get(following):
                    break
                url, params = body[following].removeprefix(base), None
    """
)


def timed(command: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak memory in MB (of this child alone) and the output of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{command[:4]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024, done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-page", type=int, default=1000)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.events, args.per_page)
        return
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--events", str(args.events), "--per-page", str(args.per_page)]
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        start_time = str(BASE - 30 * 86400)
        bare, bare_memory, _ = timed([sys.executable, "-c", BARE_LOOP, base, start_time], dict(os.environ))
        with tempfile.TemporaryDirectory() as folder:
            env = {
                **os.environ,
                "ZENDESK_BASE_URL": base,
                "ZENDESK_EMAIL": "bench@example.com",
                "ZENDESK_API_TOKEN": "bench-token",
            }
            database = str(Path(folder) / "bench.duckdb")
            pulled, pull_memory, out = timed(
                [sys.executable, "-m", "lib", "--db", database, "zendesk", "pull", "--since", SINCE, "--by", "bench"],
                env,
            )
        # The bare loop was the first child: its peak is its own; the pull's is the larger of the two.
        print(f"events served          {args.events:,} ({args.events // EVENTS_PER_TICKET:,} tickets)")
        print(f"bare download + parse  {bare:6.2f} s, peak {bare_memory:,.0f} MB")
        print(f"pull + store           {pulled:6.2f} s, peak {pull_memory:,.0f} MB")
        print(f"pull / bare loop       {pulled / bare:6.2f}x (goal: at most 2x)")
        print(f"pull said: {out.strip()[:300]}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
