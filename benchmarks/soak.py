"""Soak: many viewers switching pages for minutes while uploads and rollbacks go on. Prints figures.

    python benchmarks/soak.py [--minutes 5] [--sessions 20] [--keep DIR]
    python benchmarks/soak.py --replicas 2 [--database-url postgresql://…] [--minutes 5] [--sessions 20]

Starts ``streamlit run serve.py`` on a free loopback port with a scratch demo database, then for
``--minutes``:

- ``--sessions`` viewers, each a Streamlit session over the app's own websocket protocol (the
  messages a browser tab exchanges with the server, without a browser drawing them: twenty
  Chromium tabs on a two-core machine measure Chromium, not the app). Each switches between the
  app's pages as a sidebar click does, with a person's pause between clicks, and now and then
  reconnects as a new session (a link opened afresh). A switch's time is from the request to
  the server's "script finished".
- one uploader, a real Chromium page: it drops a new export on the Upload page, stores it,
  rolls it back from the history, and again. DuckDB lets one process write the database, so
  every write goes through the running app, as a manager's would.
- at the end, the same Chromium page opens every page once more and looks for exceptions.

Everything is on 127.0.0.1; the browser is refused any other address. Reports errors (an
exception shown on a page, a run that failed or did not finish in two minutes, a connection
that failed, an upload or rollback that did not complete: the goal is zero), page-switch times
(the slowest is the figure to watch), and the server's resident memory (RSS, from /proc): cold,
once every session has loaded a page (the start), and at the end (goal: no more than 20 % above
the start). Exit status 1 when a goal is missed.

With ``--replicas N`` the store is on PostgreSQL, as several replicas behind a load balancer run:
the demo year is loaded once into the database ``--database-url`` names (an empty one), or into a
PostgreSQL the script starts itself (the tests' tests/postgres_server.py, on 127.0.0.1 in a temporary
directory), and N ``streamlit run`` processes share it (one FLOORLINE_DATABASE_URL, one FLOORLINE_DB
folder for the archive). The viewers are spread over the replicas in turn, the uploader works on
replica A, and after each upload and each rollback a session on replica B reruns the Upload page:
its history must open on that upload with its new status ("active", "rolled back"), or B showed
figures from before A's commit, an error. Replica A's warm-up includes one upload and rollback (in
the counts). Figures are reported per replica.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import datetime as dt
import io
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from playwright.async_api import Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "tests"))
from chromium_location import find_chromium  # noqa: E402  (the browser tests' Chromium)
from postgres_server import PostgresServer  # noqa: E402  (the tests' PostgreSQL, for --replicas)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-extensions"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CONTENT = "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']"
EXCEPTION = "[data-testid='stException']"
RUN_TIMEOUT_S = 120
GROWTH_GOAL = 0.20
RECONNECT_SHARE = 0.15  # of switches made as a new session
EXPLORE_HEADER = [
    "Ticket ID",
    "Ticket form",
    "SLA metric",
    "SLA metric status",
    "SLA target status",
    "Time - SLA status update - Date",
    "Preferred Region for Support",
]


@dataclass
class Figures:
    renders: list[tuple[float, str, float]] = field(default_factory=list)  # (seconds, page, minute)
    new_sessions: int = 0
    exceptions: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    upload_failures: list[str] = field(default_factory=list)
    server_log_errors: list[str] = field(default_factory=list)
    uploads: int = 0
    rollbacks: int = 0
    browser_loads: list[tuple[float, str]] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (minute, MB)
    sessions: int = 0
    sessions_held: int = 0  # viewers whose every run finished, to the end
    changes_seen: int = 0  # another replica's upload or rollback, seen here on the next rerun
    stale_views: list[str] = field(default_factory=list)  # ... or not seen: figures from before its commit

    @property
    def problems(self) -> list[str]:
        return self.exceptions + self.failed + self.upload_failures + self.stale_views + self.server_log_errors

    @property
    def errors(self) -> int:
        return len(self.problems)


@dataclass
class Replica:
    """One ``streamlit run`` process and what was measured on it."""

    name: str
    base: str
    pid: int
    log_path: Path
    figures: Figures = field(default_factory=Figures)
    memory: dict = field(default_factory=dict)  # MB: cold, start, end, after_sessions_closed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def store_env(db_path: Path, database_url: str | None) -> dict:
    """The app's environment: its DuckDB file, or PostgreSQL with ``db_path`` naming the archive's folder."""
    env = {key: value for key, value in os.environ.items() if key != "FLOORLINE_DATABASE_URL"}
    env["FLOORLINE_DB"] = str(db_path)
    if database_url:
        env["FLOORLINE_DATABASE_URL"] = database_url
    return env


def build_demo(db_path: Path, database_url: str | None = None) -> None:
    env = store_env(db_path, database_url)
    subprocess.run([sys.executable, "-m", "lib", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)


def start_server(db_path: Path, port: int, log_path: Path, database_url: str | None = None) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "serve.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    env = store_env(db_path, database_url)
    with log_path.open("w") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_health(url: str, server: subprocess.Popen, log_path: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy in {seconds:.0f} s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- viewers: Streamlit sessions over the websocket -----------------------------------------


class Session:
    """One Streamlit session, spoken to as the browser speaks to it."""

    def __init__(self, base: str):
        self.uri = base.replace("http://", "ws://") + "/_stcore/stream"
        self.socket = None
        self.pages: dict[str, str] = {}  # url path ("" for the landing page) -> page script hash
        self.shown_choices: dict[str, str] = {}  # the last run's selectboxes: label -> the option shown

    async def connect(self) -> None:
        self.socket = await websockets.connect(self.uri, subprotocols=["streamlit"], max_size=None)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def run(self, path: str) -> tuple[float, list[str]]:
        """Ask for a page's run (a sidebar click); return its time and any exceptions it showed."""
        request = BackMsg()
        request.rerun_script.query_string = ""
        request.rerun_script.page_script_hash = self.pages.get(path, "")
        request.rerun_script.page_name = "" if path in self.pages else path
        begin = time.monotonic()
        await self.socket.send(request.SerializeToString())
        exceptions = []
        self.shown_choices = {}
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self.socket.recv())
            kind = message.WhichOneof("type")
            if kind == "navigation":
                self.pages = {page.url_pathname: page.page_script_hash for page in message.navigation.app_pages}
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                if element.WhichOneof("type") == "exception":
                    exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
                elif element.WhichOneof("type") == "selectbox" and element.selectbox.options:
                    box = element.selectbox
                    self.shown_choices[box.label] = box.options[box.default if box.HasField("default") else 0]
            elif kind == "script_finished":
                if message.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    exceptions.append(f"the run ended with status {message.script_finished}")
                return time.monotonic() - begin, exceptions


async def viewer(base: str, number: int, deadline: float, started: float, figures: Figures, ready) -> None:
    """One person: opens the app, then switches pages with a pause between clicks until the deadline."""
    generator = random.Random(number)
    session = Session(base)
    current = ""
    figures.sessions += 1
    held = True
    try:
        await session.connect()
        await asyncio.wait_for(session.run(current), RUN_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001 - counted, never fatal to the soak
        figures.failed.append(f"session {number}, first load: {type(error).__name__}: {error}"[:300])
        held = False
    ready.set_result(None)
    while time.monotonic() < deadline:
        await asyncio.sleep(generator.uniform(1.0, 4.0))
        if time.monotonic() >= deadline:
            break
        target = generator.choice([path for path in session.pages if path != current] or [""])
        begin_minute = (time.monotonic() - started) / 60
        try:
            if generator.random() < RECONNECT_SHARE:
                await session.close()  # the same person opens a link afresh: a new session
                await session.connect()
                figures.new_sessions += 1
            seconds, exceptions = await asyncio.wait_for(session.run(target), RUN_TIMEOUT_S)
            figures.renders.append((seconds, "/" + target, begin_minute))
            figures.exceptions += [f"session {number} /{target}: {text}" for text in exceptions]
            current = target
        except Exception as error:  # noqa: BLE001 - counted, never fatal to the soak
            figures.failed.append(f"session {number} /{current} -> /{target}: {type(error).__name__}: {error}"[:300])
            held = False
            with contextlib.suppress(Exception):  # start again as a new session
                await session.close()
                await session.connect()
    await session.close()
    figures.sessions_held += held


# --- the uploader: a real browser on the Upload page ----------------------------------------


def export_for_upload(folder: Path, cycle: int) -> Path:
    """A new Explore SLA export each cycle (new ticket numbers, so a new file): one complete past week."""
    today = dt.date.today()
    monday = today - dt.timedelta(days=today.weekday() + 7 * (2 + cycle % 10))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPLORE_HEADER)
    for index in range(400):
        day = monday + dt.timedelta(days=index % 7)
        outcome = "Breached" if index % 9 == 0 else "Achieved"
        metric = "First reply time" if index % 2 else "Next reply time"
        form = ("SaaS", "Self-Managed", "L&R")[index % 3]
        writer.writerow([10_000_000 + cycle * 1000 + index, form, metric, "Completed", outcome, day.isoformat(), ""])
    path = folder / f"soak-upload-{cycle:03d}.csv"
    path.write_text(buffer.getvalue())
    return path


async def load(page: Page, url: str, figures: Figures) -> None:
    begin = time.monotonic()
    await page.goto(url, timeout=RUN_TIMEOUT_S * 1000)
    await page.wait_for_selector(CONTENT, timeout=RUN_TIMEOUT_S * 1000)
    await page.wait_for_selector(IDLE, timeout=RUN_TIMEOUT_S * 1000)
    figures.browser_loads.append((time.monotonic() - begin, url.split("/", 3)[-1]))


async def exceptions_on(page: Page, where: str, figures: Figures) -> None:
    shown = page.locator(EXCEPTION)
    if await shown.count():
        text = (await shown.first.inner_text())[:300].replace("\n", " ")
        figures.exceptions.append(f"browser, {where}: {text}")


class OtherReplicaView:
    """A session on another replica that reruns the Upload page after each change made through replica A:
    its history opens on the newest upload, "Upload 412 · soak-upload-003.csv · active"."""

    HISTORY = "Choose an upload to download"

    def __init__(self, replica: Replica):
        self.replica = replica
        self.session = Session(replica.base)

    async def open(self) -> None:
        await self.session.connect()
        await self.session.run("")  # learns the pages
        await self.session.run("Upload")  # its page cache now holds the figures from before

    async def expect(self, file_name: str, status: str, change: str) -> None:
        figures = self.replica.figures
        try:
            _, exceptions = await asyncio.wait_for(self.session.run("Upload"), RUN_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - counted, never fatal to the soak
            figures.failed.append(f"replica {self.replica.name}, rerun after {change}: {type(error).__name__}: {error}")
            with contextlib.suppress(Exception):
                await self.session.close()
                await self.open()
            return
        figures.exceptions += [f"replica {self.replica.name} /Upload after {change}: {text}" for text in exceptions]
        shown = next((text for label, text in self.session.shown_choices.items() if label.startswith(self.HISTORY)), "")
        if f"· {file_name} · {status}" in shown:
            figures.changes_seen += 1
        else:
            figures.stale_views.append(
                f"replica {self.replica.name} after {change} of {file_name} through replica A had committed: "
                f"its history opened on {shown or 'nothing'!r}"
            )


async def upload_and_roll_back(
    page: Page, base: str, export: Path, figures: Figures, other: OtherReplicaView | None
) -> None:
    """Store ``export`` through the Upload page, then roll it back from the history; ``other``, a session on
    another replica, must see each of the two changes on its next rerun."""
    step = "open the Upload page"
    try:
        await load(page, base + "/Upload", figures)
        step = "drop the file"
        await page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(export))
        step = "preview"
        store = page.get_by_role("button", name="Store 1 file")
        await store.wait_for(timeout=RUN_TIMEOUT_S * 1000)
        await page.wait_for_selector(IDLE, timeout=RUN_TIMEOUT_S * 1000)
        step = "store"
        await store.click(timeout=RUN_TIMEOUT_S * 1000)
        await page.get_by_text(f"Stored {export.name} as upload").wait_for(timeout=RUN_TIMEOUT_S * 1000)
        figures.uploads += 1
        await exceptions_on(page, "after storing", figures)
        if other:
            await other.expect(export.name, "active", "the upload")
        step = "ask to roll back"
        await page.wait_for_selector(IDLE, timeout=RUN_TIMEOUT_S * 1000)
        # The history opens on the newest upload: the one just stored.
        await page.get_by_role("button", name="Roll back upload").first.click(timeout=RUN_TIMEOUT_S * 1000)
        step = "confirm the rollback"
        await page.get_by_role("button", name="Yes, roll back").click(timeout=RUN_TIMEOUT_S * 1000)
        # "Upload 412 (soak-upload-003.csv) rolled back.": the page's own introduction ends "every upload
        # can be rolled back.", which a bare "rolled back." matched before the rollback had committed.
        await page.get_by_text(f"({export.name}) rolled back.").wait_for(timeout=RUN_TIMEOUT_S * 1000)
        figures.rollbacks += 1
        await exceptions_on(page, "after rolling back", figures)
        if other:
            await other.expect(export.name, "rolled back", "the rollback")
    except Exception as error:  # noqa: BLE001 - counted, never fatal to the soak
        figures.upload_failures.append(f"{export.name}, {step}: {type(error).__name__}: {error}"[:300])


async def uploader(
    page: Page, base: str, folder: Path, deadline: float, figures: Figures, other: OtherReplicaView | None, cycle: int
) -> None:
    """A manager who stores an export, then rolls it back from the history, again and again."""
    while time.monotonic() < deadline - 20:
        await upload_and_roll_back(page, base, export_for_upload(folder, cycle), figures, other)
        cycle += 1
        await asyncio.sleep(3)


async def sample_memory(replica: Replica, started: float, deadline: float) -> None:
    while time.monotonic() < deadline:
        replica.figures.rss_mb.append(((time.monotonic() - started) / 60, rss_mb(replica.pid)))
        await asyncio.sleep(10)


async def warm_up(base: str) -> list[str]:
    """Every page once, so "start" is a server that has imported and cached what a page needs, not a cold
    one; the pages' url paths."""
    warm = Session(base)
    await warm.connect()
    await warm.run("")
    paths = list(warm.pages)
    for path in paths:
        await warm.run(path)
    await warm.close()
    return paths


async def soak(replicas: list[Replica], minutes: float, sessions: int, folder: Path) -> None:
    """Viewers spread over the replicas in turn, the uploader on the first; fills each replica's figures."""
    for replica in replicas:
        replica.memory["cold"] = rss_mb(replica.pid)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1400, "height": 900})

        async def loopback_only(route):
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                await route.continue_()
            else:
                await route.abort()

        await context.route("**/*", loopback_only)
        page = await context.new_page()
        for replica in replicas:
            paths = await warm_up(replica.base)
        first = replicas[0]
        other = OtherReplicaView(replicas[1]) if len(replicas) > 1 else None
        if other:
            await other.open()
            # Replica A's warm-up includes the upload path (its first ingest and rollback load what they
            # need, some 40 MB once); otherwise, with half the sessions each, a short run's first upload
            # alone reads as the memory growth the goal is there to catch.
            await upload_and_roll_back(page, first.base, export_for_upload(folder, 0), first.figures, other)
        started = time.monotonic()
        deadline = started + minutes * 60
        loop = asyncio.get_running_loop()
        readies = [loop.create_future() for _ in range(sessions)]
        viewers = []
        for n in range(sessions):
            replica = replicas[n % len(replicas)]
            viewers.append(asyncio.create_task(viewer(replica.base, n, deadline, started, replica.figures, readies[n])))
        await asyncio.wait_for(asyncio.gather(*readies), timeout=600)
        for replica in replicas:
            replica.memory["start"] = rss_mb(replica.pid)
        tasks = [
            *viewers,
            asyncio.create_task(uploader(page, first.base, folder, deadline, first.figures, other, 1 if other else 0)),
            *(asyncio.create_task(sample_memory(replica, started, deadline)) for replica in replicas),
        ]
        # Bounded: nothing waits longer than a run's timeout past the deadline.
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=minutes * 60 + 2 * RUN_TIMEOUT_S + 60)
        for replica in replicas:
            replica.memory["end"] = rss_mb(replica.pid)
        if other:
            await other.session.close()
        for replica in replicas:
            for path in paths:  # a last look at every page, in the browser, after all that
                try:
                    await load(page, f"{replica.base}/{path}", replica.figures)
                    await exceptions_on(page, f"/{path} at the end", replica.figures)
                except PlaywrightTimeout as error:
                    replica.figures.failed.append(f"browser, /{path} at the end: {error}"[:300])
        await context.close()
        await browser.close()
    await asyncio.sleep(5)
    for replica in replicas:
        replica.memory["after_sessions_closed"] = rss_mb(replica.pid)


def report_replica(replica: Replica, several: bool) -> bool:
    """One replica's figures; whether its goals (no error, memory) were met."""
    figures, memory = replica.figures, replica.memory
    times = sorted(seconds for seconds, _, _ in figures.renders)
    slowest = max(figures.renders, default=(0.0, "-", 0.0))
    growth = memory["end"] / memory["start"] - 1
    if several:
        print(f"\nreplica {replica.name} ({replica.base}):")
    print(f"viewer sessions: {figures.sessions}, held to the end with every run finished: {figures.sessions_held}")
    print(f"page switches: {len(times):,} ({figures.new_sessions:,} of them as new sessions)")
    print(
        f"errors: {figures.errors} (exceptions shown: {len(figures.exceptions)}, failed or unfinished runs: "
        f"{len(figures.failed)}, upload/rollback cycles failed: {len(figures.upload_failures)}, "
        f"another replica's change not seen on the next rerun: {len(figures.stale_views)}, "
        f"tracebacks in the server log: {len(figures.server_log_errors)})"
    )
    for line in figures.problems[:10]:
        print(f"  - {line}")
    if times:
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(
            f"page switch (request to script finished): median {statistics.median(times):.2f} s, "
            f"95th percentile {p95:.2f} s, slowest {slowest[0]:.2f} s ({slowest[1]} at minute {slowest[2]:.1f})"
        )
        for page in sorted({p for _, p, _ in figures.renders}):
            values = [s for s, p, _ in figures.renders if p == page]
            print(f"  {page:<16} {len(values):>5} switches, median {statistics.median(values):.2f} s, "
                  f"slowest {max(values):.2f} s")  # fmt: skip
    if figures.browser_loads:
        loads = [seconds for seconds, _ in figures.browser_loads]
        print(
            f"browser page loads (Chromium, drawn): {len(loads)}, median {statistics.median(loads):.2f} s, "
            f"slowest {max(loads):.2f} s"
        )
    if figures.uploads or figures.upload_failures:
        print(f"uploads stored: {figures.uploads}, rolled back: {figures.rollbacks} (through the Upload page)")
    if figures.changes_seen or figures.stale_views:
        print(
            f"replica A's uploads and rollbacks seen here on the next rerun: {figures.changes_seen} of "
            f"{figures.changes_seen + len(figures.stale_views)}"
        )
    peak = max([m for _, m in figures.rss_mb] + [memory["end"]])
    print(
        f"server memory (RSS): start {memory['start']:.0f} MB (all sessions open), end {memory['end']:.0f} MB, "
        f"growth {growth:+.1%} (goal at most +{GROWTH_GOAL:.0%}); cold {memory['cold']:.0f} MB, peak {peak:.0f} MB, "
        f"{memory['after_sessions_closed']:.0f} MB 5 s after the sessions closed"
    )
    print("memory by minute: " + ", ".join(f"{minute:.1f}: {mb:.0f}" for minute, mb in figures.rss_mb))
    return figures.errors == 0 and growth <= GROWTH_GOAL


def report(replicas: list[Replica], minutes: float, sessions: int) -> bool:
    several = len(replicas) > 1
    where = f" over {len(replicas)} replicas on one PostgreSQL" if several else ""
    uploader_at = " on replica A" if several else ""
    print(
        f"Floorline soak: {sessions} viewer sessions (websocket){where} + 1 uploader (Chromium){uploader_at}, "
        f"{minutes:g} min, loopback"
    )
    met = all([report_replica(replica, several) for replica in replicas])
    first = replicas[0].figures
    met = met and first.uploads > 0 and first.rollbacks > 0
    if several:
        seen = replicas[1].figures.changes_seen
        met = met and seen > 0
        print(
            f"\nacross the replicas: {sum(r.figures.sessions_held for r in replicas)} of {sessions} sessions held, "
            f"{sum(len(r.figures.renders) for r in replicas):,} page switches, "
            f"{sum(r.figures.errors for r in replicas)} errors; replica B saw {seen} of A's "
            f"{first.uploads + first.rollbacks} uploads and rollbacks on its next rerun"
        )
    print("goals met" if met else "GOALS MISSED")
    return met


def start_postgres(stack: contextlib.ExitStack) -> str:
    """A PostgreSQL of the script's own (the tests' server: 127.0.0.1, a temporary directory); its URL."""
    server = PostgresServer()
    server.start()
    stack.callback(server.stop)
    return server.new_database()


def at_least_one(text: str) -> int:
    """A count of app processes: a whole number, 1 or more (argparse says so on anything else)."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of app processes, got {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 app process, got {count}")
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="keep the scratch database and the server log in this folder")
    parser.add_argument(
        "--replicas", type=at_least_one, default=1, help="app processes on one PostgreSQL store (default 1)"
    )
    parser.add_argument(
        "--database-url",
        help="an empty PostgreSQL database for the store (default with --replicas above 1: start a PostgreSQL)",
    )
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="floorline-soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "floorline.duckdb"  # on PostgreSQL: names the replicas' shared archive folder
    several = args.replicas > 1
    with contextlib.ExitStack() as stack:  # stopped in reverse: the app servers, then PostgreSQL
        database_url = args.database_url or (start_postgres(stack) if several else None)
        if database_url or not db_path.exists():
            build_demo(db_path, database_url)
        replicas, servers = [], []
        for index in range(args.replicas):
            name = chr(ord("A") + index)
            port = free_port()
            log_path = folder / (f"streamlit-{name.lower()}.log" if several else "streamlit.log")
            server = start_server(db_path, port, log_path, database_url)
            stack.callback(stop_server, server)
            servers.append(server)
            replicas.append(Replica(name, f"http://127.0.0.1:{port}", server.pid, log_path))
        for replica, server in zip(replicas, servers, strict=True):
            wait_for_health(replica.base, server, replica.log_path)
        asyncio.run(soak(replicas, args.minutes, args.sessions, folder))
    for replica in replicas:
        # An error in a callback or a thread may never reach a page: the server's log has it.
        log_lines = replica.log_path.read_text(errors="replace").splitlines()
        replica.figures.server_log_errors = [
            line[:300] for line in log_lines if "Traceback" in line or " ERROR " in line
        ]
    met = report(replicas, args.minutes, args.sessions)
    if args.keep or not met:
        print(f"database and server log: {folder}")
    else:
        shutil.rmtree(folder)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
