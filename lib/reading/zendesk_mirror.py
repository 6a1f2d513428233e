"""The Zendesk pull's own DuckDB file (the *mirror*), and from it the rows of an Explore SLA and
satisfaction export.

Like the reader's in-memory DuckDB, the mirror is not the Floorline database: it is a cache of what
Zendesk's API said, turned here into the exports Explore would give, so the pull goes through the very
reading rules an upload does (DECISIONS.md §1, §2, §32). ``lib.zendesk.pull`` fetches the pages and
hands them here; it holds no DuckDB itself. The pull keeps every metric event and the latest version of
every ticket. The rules, in short:

- An SLA target is one (ticket, ``reply_time``, instance) that had an ``apply_sla`` event. Instance 1
  is "First reply time", every later instance (a reopened ticket's next reply) "Next reply time".
  Other metrics are not read: no Floorline figure uses them.
- Its breach is the earliest ``breach`` event not marked ``deleted`` (Zendesk marks a scheduled breach
  deleted when the target was fulfilled in time or the policy changed).
- Fulfilled (a ``fulfill`` event): Completed, Achieved unless that breach came at or before the
  fulfilment, then Breached; dated the day of the fulfilment, when its SLA status last changed.
- Not fulfilled: Active (Paused when its latest activate/pause event is a pause), Breached once a
  breach has happened, dated the day of the breach, else of the latest ``apply_sla``. Never counted.
- Satisfaction: the ticket's ``satisfaction_rating.score`` (good, bad, offered, unoffered), dated the
  day it was solved (``metric_set.solved_at``).
Dates are UTC days.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

# Keys without PRIMARY KEY constraints: a million-row index costs more to keep than the merge's
# delete-and-insert by key (merge_staging) costs to run.
MIRROR_KEYS = {"events": "id", "tickets": "id", "forms": "id", "groups": "id", "region_options": "value"}
MIRROR_TABLES = {
    "events": "id BIGINT, ticket_id BIGINT, metric VARCHAR, instance_id BIGINT, type VARCHAR, "
    "time TIMESTAMP, deleted BOOLEAN",
    "tickets": "id BIGINT, form_id BIGINT, group_id BIGINT, priority VARCHAR, region VARCHAR, "
    "satisfaction VARCHAR, solved_at TIMESTAMP, updated_at TIMESTAMP",
    "forms": "id BIGINT, name VARCHAR",
    "groups": "id BIGINT, name VARCHAR",
    "region_options": "value VARCHAR, name VARCHAR",
}

# The names a ticket's ids stand for, as Explore writes them.
TICKET_NAMES = """
    SELECT t.id, coalesce(f.name, '') AS form, coalesce(g.name, '') AS grp,
           coalesce(upper(t.priority[1]) || t.priority[2:], '') AS priority,
           coalesce(r.name, t.region, '') AS region, t.satisfaction, t.solved_at
    FROM tickets t
    LEFT JOIN forms f ON f.id = t.form_id
    LEFT JOIN groups g ON g.id = t.group_id
    LEFT JOIN region_options r ON r.value = t.region"""

SLA_TARGETS = """
    WITH targets AS (
        SELECT ticket_id, instance_id,
               max(time) FILTER (WHERE type = 'apply_sla') AS applied_at,
               min(time) FILTER (WHERE type = 'fulfill') AS fulfilled_at,
               min(time) FILTER (WHERE type = 'breach' AND NOT coalesce(deleted, false)) AS breached_at,
               arg_max(type, time) FILTER (WHERE type IN ('activate', 'pause', 'fulfill')) AS clock
        FROM events WHERE metric = 'reply_time'
        GROUP BY ALL
        HAVING count(*) FILTER (WHERE type = 'apply_sla') > 0
    ), outcomes AS (
        SELECT *,
            CASE WHEN fulfilled_at IS NOT NULL THEN 'Completed'
                 WHEN clock = 'pause' THEN 'Paused' ELSE 'Active' END AS metric_status,
            CASE WHEN breached_at IS NOT NULL AND (fulfilled_at IS NULL OR breached_at <= fulfilled_at)
                 THEN 'Breached' WHEN fulfilled_at IS NOT NULL THEN 'Achieved' ELSE '' END AS target_status,
            CAST(CASE WHEN fulfilled_at IS NOT NULL THEN fulfilled_at
                      ELSE coalesce(breached_at, applied_at) END AS DATE) AS status_date
        FROM targets
    )
    SELECT o.ticket_id AS "Ticket ID", coalesce(n.form, '') AS "Ticket form",
           CASE WHEN o.instance_id = 1 THEN 'First reply time' ELSE 'Next reply time' END AS "SLA metric",
           o.metric_status AS "SLA metric status", o.target_status AS "SLA target status",
           strftime(o.status_date, '%Y-%m-%d') AS "Time - SLA status update - Date",
           coalesce(n.region, '') AS "Preferred Region for Support",
           coalesce(n.grp, '') AS "Ticket group", coalesce(n.priority, '') AS "Ticket priority"
    FROM outcomes o LEFT JOIN ({names}) n ON n.id = o.ticket_id
    WHERE o.status_date >= $first_day
    ORDER BY o.status_date, o.ticket_id, o.instance_id"""

SATISFACTION = """
    SELECT id AS "Ticket ID", form AS "Ticket form",
           upper(satisfaction[1]) || satisfaction[2:] AS "Ticket satisfaction rating",
           coalesce(strftime(CAST(solved_at AS DATE), '%Y-%m-%d'), '') AS "Ticket solved - Date",
           region AS "Preferred Region for Support", grp AS "Ticket group", priority AS "Ticket priority"
    FROM ({names})
    WHERE satisfaction IN ('good', 'bad', 'offered', 'unoffered')
      AND (solved_at IS NULL OR CAST(solved_at AS DATE) >= $first_day)
    ORDER BY solved_at NULLS LAST, id"""


SLA_EXPORT_SQL = SLA_TARGETS.format(names=TICKET_NAMES)
SATISFACTION_EXPORT_SQL = SATISFACTION.format(names=TICKET_NAMES)


def write_exports(mirror, first_day, sla_path: Path, satisfaction_path: Path) -> tuple[int, int]:
    """Write both exports from the mirror's tables, from ``first_day`` on, as CSV files; the targets and
    the answered surveys among them (what would count, so a file with none is not stored)."""
    for query, path in ((SLA_EXPORT_SQL, sla_path), (SATISFACTION_EXPORT_SQL, satisfaction_path)):
        # COPY takes no parameter for its target: the path is the pull's own temporary file, quoted.
        target = str(path).replace("'", "''")
        mirror.execute(f"COPY ({query}) TO '{target}' (HEADER)", {"first_day": first_day})
    targets = mirror.execute(
        f"""SELECT count(*) FILTER (WHERE "SLA metric status" = 'Completed')
            FROM ({SLA_EXPORT_SQL})""",
        {"first_day": first_day},
    ).fetchall()[0][0]
    rated = mirror.execute(
        f"""SELECT count(*) FILTER (WHERE "Ticket satisfaction rating" IN ('Good', 'Bad'))
            FROM ({SATISFACTION_EXPORT_SQL})""",
        {"first_day": first_day},
    ).fetchall()[0][0]
    return targets, rated


class RowsNotAsDocumented(ValueError):
    """A page's items do not fit the mirror's columns (a text where an id should be, a bad time)."""


@contextlib.contextmanager
def open_mirror(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The mirror file, with this pull's staging tables empty and ready; closed on the way out."""
    with contextlib.closing(duckdb.connect(str(path))) as mirror:
        mirror.execute("SET TimeZone = 'UTC'")
        for name, columns in MIRROR_TABLES.items():
            mirror.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
            # Staging: what this pull read, before it is known to be complete.
            mirror.execute(f"CREATE OR REPLACE TABLE new_{name} AS SELECT * FROM {name} WHERE false")
        mirror.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        yield mirror


def first_day(mirror) -> dt.date | None:
    """The first day the mirror's exports cover (the earliest first pull's week), None for a new mirror."""
    rows = mirror.execute("SELECT CAST(value AS DATE) FROM meta WHERE key = 'first_day'").fetchall()
    return rows[0][0] if rows else None


def drop_staging(mirror) -> None:
    for name in MIRROR_TABLES:
        mirror.execute(f"DROP TABLE IF EXISTS new_{name}")


def insert_rows(mirror, table: str, rows: list[dict], schema: pa.Schema, times: tuple[str, ...] = ()) -> None:
    """Rows into a staging table, through Arrow; the ``times`` columns' ISO 8601 text becomes UTC timestamps.
    Raises RowsNotAsDocumented when an item does not fit."""
    if not rows:
        return
    columns = ", ".join(
        f"CAST({name} AS TIMESTAMPTZ)::TIMESTAMP AS {name}" if name in times else name for name in schema.names
    )
    try:
        page = pa.Table.from_pylist(rows, schema=schema)
        mirror.register("page", page)
        try:
            mirror.execute(f"INSERT INTO {table} SELECT {columns} FROM page")
        finally:
            mirror.unregister("page")
    except (pa.ArrowException, TypeError, ValueError, duckdb.ConversionException) as error:
        raise RowsNotAsDocumented(type(error).__name__) from None


def merge_staging(mirror, first_pulled_day: dt.date | None) -> None:
    """The staging tables into the mirror, newest version of each row winning, in one transaction."""
    mirror.execute("BEGIN")
    try:
        for name, key in MIRROR_KEYS.items():
            # A row read twice in one pull (time-based paging repeats items at page edges): keep the last.
            mirror.execute(f"DELETE FROM {name} WHERE {key} IN (SELECT {key} FROM new_{name})")
            mirror.execute(
                f"""INSERT INTO {name}
                    SELECT * EXCLUDE (seen) FROM (SELECT *, row_number() OVER () AS seen FROM new_{name})
                    QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY seen DESC) = 1"""
            )
            mirror.execute(f"DROP TABLE new_{name}")
        if first_pulled_day is not None:
            mirror.execute(
                """INSERT INTO meta VALUES ('first_day', ?) ON CONFLICT DO UPDATE
                   SET value = least(CAST(value AS DATE), CAST(excluded.value AS DATE))::VARCHAR""",
                [first_pulled_day.isoformat()],
            )
        mirror.execute("COMMIT")
    except BaseException:
        mirror.execute("ROLLBACK")
        raise
