"""One pull: read what changed in Zendesk since the last pull, and store it as the exports Explore would give.

In order (DECISIONS.md §32):

1. Every page of the ticket metric events, tickets (with their metric sets), ticket forms, groups and the
   region field's options is written, as it arrives, into staging tables of the pull's own DuckDB file
   (``<database>.zendesk.duckdb``, the *mirror*, kept by ``lib.reading.zendesk_mirror``: this package
   holds no DuckDB). A failed request ends the pull there: the staging
   tables are dropped and nothing else has changed.
2. The staging rows are merged into the mirror (events by id, tickets by id, newest version wins), and
   the mirror is written out as an Explore SLA export and an Explore satisfaction export.
3. Both go through the same ingest as one upload (``ingest.ingest_parts``), with source "Zendesk API";
   the pull's window, cursor, counts and the weekly figures that moved are recorded in its transaction.

The mirror is a cache of what Zendesk says, not a figure: step 3 failing leaves the stored figures and
the cursor as they were, and the next pull reads the window again.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Full, Queue

import pyarrow as pa

from lib.core import auth
from lib.reading import zendesk_mirror
from lib.store import database as store
from lib.store import zendesk_pulls
from lib.uploads import changes as figure_changes
from lib.uploads import ingest
from lib.zendesk.client import Page, ZendeskClient, not_as_documented
from lib.zendesk.settings import ZendeskSettings

SOURCE = "zendesk"
# A first pull without --since reads this many weeks back.
DEFAULT_WEEKS = 13
# Events are read from this long before the first day shown, so that a target applied before it and
# fulfilled after it is still known as a target (its apply_sla event comes first).
LOOKBACK = dt.timedelta(days=30)
# Rows held before they are written to the staging table: fifty pages of metric events.
BATCH_ROWS = 50_000
PREFETCH_PAGES = 2
PULL_LOCK = threading.Lock()

EVENT_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("ticket_id", pa.int64()),
        ("metric", pa.string()),
        ("instance_id", pa.int64()),
        ("type", pa.string()),
        ("time", pa.string()),
        ("deleted", pa.bool_()),
    ]
)
TICKET_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("form_id", pa.int64()),
        ("group_id", pa.int64()),
        ("priority", pa.string()),
        ("region", pa.string()),
        ("satisfaction", pa.string()),
        ("solved_at", pa.string()),
        ("updated_at", pa.string()),
    ]
)


class NothingToPull(Exception):
    """Zendesk is not configured: the message says how."""


@dataclass
class PullResult:
    status: str  # stored, unchanged
    range_start: dt.datetime
    range_end: dt.datetime
    counts: dict
    uploads: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)

    @property
    def summary(self) -> str:
        window = f"{self.range_start:%d %b %Y %H:%M} to {self.range_end:%d %b %Y %H:%M} UTC"
        read = f"{self.counts['events']:,} metric events and {self.counts['tickets']:,} tickets changed from {window}"
        if self.status == "unchanged":
            return f"{read}; no weekly figure changes, nothing stored."
        stored = ", ".join(f"upload {u['upload_id']} ({u['status']})" for u in self.uploads)
        return f"{read}; stored as {stored}. {figure_changes.changes_summary(self.changes)}"

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "range_start": self.range_start.isoformat(),
            "range_end": self.range_end.isoformat(),
            "counts": self.counts,
            "uploads": self.uploads,
            "changes": [{**c, "week": str(c["week"]) if c["week"] else None} for c in self.changes],
            "summary": self.summary,
        }


def mirror_path(con) -> Path:
    database = store.database_file(con)
    return database.with_name(f"{database.stem}.zendesk.duckdb")


def epoch(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.UTC).timestamp())


def from_epoch(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


def week_start(day: dt.date, week_start_index: int) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - week_start_index) % 7)


def pull(
    con,
    settings: ZendeskSettings | None,
    *,
    since: dt.date | None = None,
    pulled_by: str | None = None,
    client: ZendeskClient | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> PullResult:
    """Pull what changed since the last pull (or since ``since``) and store it; PullFailed stores nothing."""
    if settings is None:
        raise NothingToPull(
            "Zendesk is not configured: add a [zendesk] table to .streamlit/secrets.toml "
            "or set ZENDESK_SUBDOMAIN and ZENDESK_EMAIL + ZENDESK_API_TOKEN (see README)"
        )
    auth.require_editor("pull from Zendesk")
    pulled_by = pulled_by or auth.actor()
    progress = on_progress or (lambda text: None)
    with store.write_lock(con):
        zendesk_pulls.ensure_table(con)
    # One pull at a time in this process: two editors pressing the button would share the mirror's
    # staging tables, and the second must start from where the first ended.
    with PULL_LOCK:
        return pull_once(con, settings, since, pulled_by, client, progress)


def pull_once(con, settings, since, pulled_by, client, progress) -> PullResult:
    week_start_index = store.load_settings(con).week_start_index
    previous = None if since else zendesk_pulls.last_pull(con)
    if since is None and previous is None:
        since = dt.date.today() - dt.timedelta(weeks=DEFAULT_WEEKS)
    first_day = week_start(since, week_start_index) if since else None
    path = mirror_path(con)
    created = not path.exists()
    with zendesk_mirror.open_mirror(path) as mirror:
        if first_day is None and not zendesk_mirror.first_day(mirror):
            # The mirror file was lost: read afresh rather than build exports from the changes alone.
            first_day = week_start(dt.date.today() - dt.timedelta(weeks=DEFAULT_WEEKS), week_start_index)
        if first_day is not None:
            events_start = epoch(dt.datetime.combine(first_day, dt.time()) - LOOKBACK)
            tickets_cursor = ""
        else:
            events_start, tickets_cursor = previous["events_end_time"], previous["tickets_cursor"]
        own_client = client or ZendeskClient(settings)
        try:
            fetched = fetch_into_staging(own_client, settings, mirror, events_start, tickets_cursor, progress)
        except BaseException:
            zendesk_mirror.drop_staging(mirror)
            if created:  # a first pull that failed leaves no file behind either
                mirror.close()
                for leftover in (path, path.with_name(path.name + ".wal")):
                    leftover.unlink(missing_ok=True)
            raise
        finally:
            if client is None:
                own_client.close()
        zendesk_mirror.merge_staging(mirror, first_day)
        range_start = from_epoch(events_start)
        range_end = from_epoch(fetched["events_end_time"])
        counts = {"events": fetched["events"], "tickets": fetched["tickets"]}
        with tempfile.TemporaryDirectory(prefix="floorline-zendesk-") as folder:
            sla_path, satisfaction_path = Path(folder) / "sla.csv", Path(folder) / "satisfaction.csv"
            counts["sla_targets"], counts["rated_tickets"] = zendesk_mirror.write_exports(
                mirror, zendesk_mirror.first_day(mirror), sla_path, satisfaction_path
            )
            progress("storing")
            return store_pull(
                con,
                sla_path,
                satisfaction_path,
                pulled_by=pulled_by,
                range_start=range_start,
                range_end=range_end,
                next_cursor=(fetched["events_end_time"], fetched["tickets_cursor"]),
                counts=counts,
            )


class StagingWriter:
    """Rows into one staging table, a batch at a time: memory holds at most BATCH_ROWS of them, and DuckDB
    gets one statement per batch rather than one per page (each statement costs milliseconds)."""

    def __init__(self, endpoint: str, mirror, table: str, schema: pa.Schema, times: tuple[str, ...] = ()):
        self.endpoint, self.mirror, self.table, self.schema, self.times = endpoint, mirror, table, schema, times
        self.rows: list[dict] = []

    def add(self, rows: list[dict]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        try:
            zendesk_mirror.insert_rows(self.mirror, self.table, self.rows, self.schema, self.times)
        except zendesk_mirror.RowsNotAsDocumented as error:
            raise not_as_documented(self.endpoint, f"an item is not shaped as documented ({error})") from None
        self.rows = []


def prefetched(pages: Iterator[Page]) -> Iterator[Page]:
    """The same pages, the next one fetched by a thread while this one is written: the wait for Zendesk
    and the writing overlap. A failure in the thread is raised here, in order; if the reader stops
    early (its own failure), the thread stops too rather than wait for ever."""
    queue: Queue = Queue(maxsize=PREFETCH_PAGES)
    stopped = threading.Event()

    def hand_over(item) -> None:
        while not stopped.is_set():
            try:
                queue.put(item, timeout=0.1)
                return
            except Full:
                continue

    def fetch() -> None:
        try:
            for page in pages:
                hand_over(page)
                if stopped.is_set():
                    return
        except Exception as error:  # noqa: BLE001 - handed over to the reading thread, which raises it
            hand_over(error)
        else:
            hand_over(None)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stopped.set()
        worker.join()


def fetch_into_staging(client: ZendeskClient, settings, mirror, events_start, tickets_cursor, progress) -> dict:
    """Every page of every endpoint into the staging tables, as the pages arrive."""
    fetched = {"events": 0, "tickets": 0, "events_end_time": events_start, "tickets_cursor": tickets_cursor}
    endpoint = "ticket metric events export"
    staging = StagingWriter(endpoint, mirror, "new_events", EVENT_SCHEMA, ("time",))
    pages = client.pages(
        endpoint,
        "/api/v2/incremental/ticket_metric_events",
        {"start_time": events_start},
        "ticket_metric_events",
        "next_page",
    )
    for page in prefetched(pages):
        # Arrow takes the schema's keys from each event as it is (sla and the rest are left out): no copy in Python.
        rows = page.body["ticket_metric_events"]
        staging.add(rows)
        fetched["events"] += len(rows)
        if isinstance(page.body.get("end_time"), int):
            fetched["events_end_time"] = page.body["end_time"]
        progress(f"{fetched['events']:,} metric events read")
    staging.flush()
    endpoint = "tickets export"
    staging = StagingWriter(endpoint, mirror, "new_tickets", TICKET_SCHEMA, ("solved_at", "updated_at"))
    params = {"include": "metric_sets"}
    params.update({"cursor": tickets_cursor} if tickets_cursor else {"start_time": events_start})
    pages = client.pages(endpoint, "/api/v2/incremental/tickets/cursor.json", params, "tickets", "after_url")
    for page in prefetched(pages):
        solved = {
            metric_set.get("ticket_id"): metric_set.get("solved_at")
            for metric_set in page.body.get("metric_sets") or []
            if isinstance(metric_set, dict)
        }
        if not all(isinstance(ticket, dict) for ticket in page.body["tickets"]):
            raise not_as_documented(endpoint, "a ticket is not a JSON object")
        rows = [ticket_row(ticket, solved, settings.region_field_id) for ticket in page.body["tickets"]]
        staging.add(rows)
        fetched["tickets"] += len(rows)
        fetched["tickets_cursor"] = str(page.body.get("after_cursor") or fetched["tickets_cursor"])
        progress(f"{fetched['tickets']:,} tickets read")
    staging.flush()
    for endpoint, path, items, table in (
        ("ticket forms", "/api/v2/ticket_forms", "ticket_forms", "new_forms"),
        ("groups", "/api/v2/groups", "groups", "new_groups"),
    ):
        for page in client.pages(endpoint, path, {}, items, "next_page"):
            rows = [{"id": item.get("id"), "name": item.get("name")} for item in page.body[items]]
            zendesk_mirror.insert_rows(mirror, table, rows, pa.schema([("id", pa.int64()), ("name", pa.string())]))
    if settings.region_field_id:
        endpoint = f"ticket field {settings.region_field_id}"
        body = client.get(endpoint, f"/api/v2/ticket_fields/{settings.region_field_id}").body
        options = (body.get("ticket_field") or {}).get("custom_field_options") or []
        rows = [{"value": o.get("value"), "name": o.get("name")} for o in options if isinstance(o, dict)]
        zendesk_mirror.insert_rows(
            mirror, "new_region_options", rows, pa.schema([("value", pa.string()), ("name", pa.string())])
        )
    return fetched


def ticket_row(ticket: dict, solved: dict, region_field_id: int | None) -> dict:
    rating = ticket.get("satisfaction_rating")
    region = next(
        (
            field.get("value")
            for field in ticket.get("custom_fields") or []
            if isinstance(field, dict) and field.get("id") == region_field_id
        ),
        None,
    )
    return {
        "id": ticket.get("id"),
        "form_id": ticket.get("ticket_form_id"),
        "group_id": ticket.get("group_id"),
        "priority": ticket.get("priority"),
        "region": None if region is None else str(region),
        "satisfaction": rating.get("score") if isinstance(rating, dict) else None,
        "solved_at": solved.get(ticket.get("id")),
        "updated_at": ticket.get("updated_at"),
    }


def store_pull(
    con, sla_path, satisfaction_path, *, pulled_by, range_start, range_end, next_cursor, counts
) -> PullResult:
    """Both exports stored as one upload from "Zendesk API" (rollback and restore take the whole pull),
    with the pull's window, cursor and the weekly figures that moved recorded in the same transaction:
    one entry in the change history."""
    parts = [
        path for path, rows in ((sla_path, counts["sla_targets"]), (satisfaction_path, counts["rated_tickets"])) if rows
    ]
    if not parts:
        return PullResult("unchanged", range_start, range_end, counts)
    archive = Path(sla_path).with_name("zendesk-pull.zip")
    zip_parts(archive, parts)
    name = f"Zendesk API pull to {range_end:%Y-%m-%d %H%M}.zip"
    before = figure_changes.current_figures(con)
    moved: list[dict] = []

    def recorded_as(cursor, upload_id: int) -> tuple[str, dict]:
        moved.extend(figure_changes.figure_changes(before, figure_changes.current_figures(cursor)))
        pull_id = zendesk_pulls.record_pull(
            cursor,
            pulled_by=pulled_by,
            range_start=range_start,
            range_end=range_end,
            events_end_time=next_cursor[0],
            tickets_cursor=next_cursor[1],
            upload_ids=[upload_id],
            counts=counts,
        )
        return "zendesk pull", {
            "pull_id": pull_id,
            "upload_id": upload_id,
            "range": f"{range_start:%Y-%m-%d %H:%M} to {range_end:%Y-%m-%d %H:%M} UTC",
            "read": f"{counts['events']:,} metric events, {counts['tickets']:,} tickets",
            "figures moved": figure_changes.changes_summary(moved),
        }

    stored = ingest.ingest_parts(
        con, parts, archive, file_name=name, source=SOURCE, uploaded_by=pulled_by, recorded_as=recorded_as
    )
    if stored.status == "restored":
        # The very figures of an earlier pull, rolled back since: restored (and logged) as that upload.
        moved = figure_changes.figure_changes(before, figure_changes.current_figures(con))
    upload = {"upload_id": stored.upload_id, "status": stored.status, "file_name": name}
    status = "unchanged" if stored.status == "duplicate" else "stored"
    return PullResult(status, range_start, range_end, counts, [upload], moved)


def zip_parts(archive: Path, parts: list[Path]) -> None:
    """The parts in one zip whose bytes depend only on their contents (fixed member times), so pulling the
    same window twice gives the same file, found stored before by its digest."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for part in parts:
            bundle.writestr(zipfile.ZipInfo(part.name, date_time=(1980, 1, 1, 0, 0, 0)), part.read_bytes())
