"""The pulls table in the Floorline database: one row a stored pull, with the cursor the next one starts from."""

from __future__ import annotations

import datetime as dt
import json

PULLS_TABLE = """CREATE TABLE IF NOT EXISTS zendesk_pulls (
    id BIGINT PRIMARY KEY,
    pulled_at TIMESTAMP NOT NULL,
    pulled_by VARCHAR NOT NULL,
    range_start TIMESTAMP NOT NULL,   -- the window read: events and tickets changed from here ...
    range_end TIMESTAMP NOT NULL,     -- ... to here (the metric events' end_time)
    events_end_time BIGINT NOT NULL,  -- the next pull's start_time for ticket metric events
    tickets_cursor VARCHAR NOT NULL,  -- the next pull's cursor for the tickets export
    upload_ids VARCHAR NOT NULL,      -- JSON list: the uploads this pull stored
    counts VARCHAR NOT NULL           -- JSON: events, tickets, SLA targets and rated tickets read
)"""


def ensure_table(con) -> None:
    con.execute(PULLS_TABLE)


def has_table(con) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'zendesk_pulls'").fetchall()[0][
            0
        ]
    )


def last_pull(con) -> dict | None:
    """The newest stored pull whose uploads are not all rolled back, else None (the next pull starts afresh)."""
    if not has_table(con):
        return None
    rows = con.execute(
        """SELECT id, pulled_at, pulled_by, range_start, range_end, events_end_time, tickets_cursor, upload_ids,
                  counts
           FROM zendesk_pulls ORDER BY id DESC"""
    ).fetchall()
    for row in rows:
        upload_ids = json.loads(row[7])
        active = con.execute(
            "SELECT count(*) FROM uploads WHERE id IN (SELECT unnest(?::BIGINT[])) AND status = 'active'",
            [upload_ids],
        ).fetchall()[0][0]
        if active or not upload_ids:
            return {
                "id": row[0],
                "pulled_at": row[1],
                "pulled_by": row[2],
                "range_start": row[3],
                "range_end": row[4],
                "events_end_time": row[5],
                "tickets_cursor": row[6],
                "upload_ids": upload_ids,
                "counts": json.loads(row[8]),
            }
    return None


def record_pull(
    con,
    *,
    pulled_by: str,
    range_start: dt.datetime,
    range_end: dt.datetime,
    events_end_time: int,
    tickets_cursor: str,
    upload_ids: list[int],
    counts: dict,
) -> int:
    pull_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM zendesk_pulls").fetchall()[0][0]
    con.execute(
        "INSERT INTO zendesk_pulls VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?)",
        [
            pull_id,
            pulled_by,
            range_start,
            range_end,
            events_end_time,
            tickets_cursor,
            json.dumps(upload_ids),
            json.dumps(counts),
        ],
    )
    return pull_id
