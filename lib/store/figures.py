"""Reads of the stored weekly figures: which upload speaks for a week, its cells, rows and bad events.

The rules these queries encode (newest complete active upload per layer, a row's segment) are
explained in ``lib.metrics.kpis`` and DECISIONS.md; the metrics layer computes from what they return.
Every value is a bound parameter; the only text put into a statement is one of the fixed column
expressions below.
"""

from __future__ import annotations

import datetime as dt

CHOSEN_WEEKS_TEMPLATE = """
WITH candidates AS (
    SELECT c.kpi, c.week, c.complete, u.layer, u.id AS upload_id,
        row_number() OVER (PARTITION BY u.layer, c.kpi, c.week ORDER BY c.complete DESC, u.precedence DESC) AS rank
    FROM coverage c JOIN uploads u ON u.id = c.upload_id
    WHERE u.status = 'active'{only_sources}
)
SELECT kpi, week, complete, layer, upload_id FROM candidates WHERE rank = 1
"""
CHOSEN_WEEKS_SQL = CHOSEN_WEEKS_TEMPLATE.format(only_sources="")
# weekly_cells(sources=...): the same choice among those sources' uploads alone.
CHOSEN_WEEKS_OF_SOURCES_SQL = CHOSEN_WEEKS_TEMPLATE.format(
    only_sources=" AND ($sources IS NULL OR list_contains($sources, u.source))"
)

# Segment of a stored row (weekly_counts w, form_segments m): the one the export named, else
# the form's mapping, else Other.
SEGMENT_OF_ROW = "coalesce(w.segment, m.segment, 'Other')"
# Segment of a bad event (bad_events b, form_segments m): its form's mapping, else Other.
SEGMENT_OF_EVENT = "coalesce(m.segment, 'Other')"

SERIES_SQL = f"""
WITH chosen AS ({CHOSEN_WEEKS_OF_SOURCES_SQL})
SELECT ch.layer, ch.kpi, ch.week, ch.complete, ch.upload_id,
    {SEGMENT_OF_ROW} AS segment,
    sum(w.good) AS good, sum(w.total) AS total,
    count(*) FILTER (WHERE w.good IS NULL AND w.pct IS NOT NULL) AS pct_rows,
    avg(w.pct) FILTER (WHERE w.good IS NULL) AS pct
FROM chosen ch
JOIN weekly_counts w ON w.upload_id = ch.upload_id AND w.kpi = ch.kpi AND w.week = ch.week
LEFT JOIN form_segments m ON m.form_key = lower(w.form)
WHERE ($region IS NULL OR w.region = $region)
GROUP BY ALL
"""

# For each KPI and week, the one upload whose figure is shown on ``$layer`` (display: primary first).
SPEAKING_UPLOADS_SQL = f"""
WITH chosen AS ({CHOSEN_WEEKS_SQL})
SELECT kpi, week, complete, upload_id FROM chosen
WHERE $layer = 'display' OR layer = $layer
QUALIFY row_number() OVER (PARTITION BY kpi, week ORDER BY layer = 'primary' DESC) = 1
"""

# The bad events of a drill-down: (the bad_events b LEFT JOIN form_segments m of BAD_EVENTS_FROM).
BAD_EVENTS_FROM = "bad_events b LEFT JOIN form_segments m ON m.form_key = lower(b.form)"
BAD_EVENTS_OF_WEEK = f"""b.upload_id = $upload AND b.kpi = $kpi AND b.week = $week
    AND list_contains($segments, {SEGMENT_OF_EVENT}) AND ($region IS NULL OR b.region = $region)"""
# A drill-down's columns, as stored.
BAD_EVENT_COLUMNS = {
    "ticket_id": "b.ticket_id",
    "source_row": "b.source_row",
    "event_date": "b.event_date",
    "form": "b.form",
    "segment": SEGMENT_OF_EVENT,
    "region": "b.region",
    "ticket_group": "b.ticket_group",
    "priority": "b.priority",
}


def weekly_cells(con, *, region: str | None = None, sources: list[str] | None = None) -> list[tuple]:
    """(layer, kpi, week, complete, upload, segment, good, total, pct rows, pct) of every speaking upload, or,
    with ``sources``, of those sources' uploads alone (data trust compares the Zendesk API pull with the Explore
    export, both primary)."""
    return con.execute(SERIES_SQL, {"region": region, "sources": sources}).fetchall()


def chosen_for_week(con, kpi: str, week: dt.date) -> dict[str, tuple[int, bool]]:
    """Per layer, the upload that speaks for ``kpi`` in ``week`` and whether it covers the whole week."""
    rows = con.execute(
        f"SELECT layer, upload_id, complete FROM ({CHOSEN_WEEKS_SQL}) WHERE kpi = ? AND week = ?", [kpi, week]
    ).fetchall()
    return {layer: (upload_id, complete) for layer, upload_id, complete in rows}


def segment_totals(con, upload_id: int, kpi: str, week: dt.date, region: str | None) -> list[tuple]:
    """(segment, forms, rows, good, total, rows with a percentage only) of one upload's week."""
    return con.execute(
        f"""SELECT {SEGMENT_OF_ROW} AS segment, string_agg(DISTINCT w.form, ', ' ORDER BY w.form),
                   sum(w.rows), sum(w.good), sum(w.total),
                   count(*) FILTER (WHERE w.good IS NULL AND w.pct IS NOT NULL)
            FROM weekly_counts w LEFT JOIN form_segments m ON m.form_key = lower(w.form)
            WHERE w.upload_id = $upload AND w.kpi = $kpi AND w.week = $week
              AND ($region IS NULL OR w.region = $region)
            GROUP BY 1 ORDER BY 1""",
        {"upload": upload_id, "kpi": kpi, "week": week, "region": region},
    ).fetchall()


def uploads_covering(con, kpi: str, week: dt.date) -> list[tuple[int, bool]]:
    """(upload, covers the whole week) of every upload, active or not, with this KPI and week."""
    return con.execute("SELECT upload_id, complete FROM coverage WHERE kpi = ? AND week = ?", [kpi, week]).fetchall()


def _week_filter(upload_id: int, kpi: str, week: dt.date, segments, region: str | None) -> dict:
    return {"upload": upload_id, "kpi": kpi, "week": week, "segments": list(segments), "region": region}


def bad_event_count(con, upload_id: int, kpi: str, week: dt.date, segments, region: str | None) -> int:
    """How many bad events one upload holds for a week, over ``segments``."""
    params = _week_filter(upload_id, kpi, week, segments, region)
    return con.execute(f"SELECT count(*) FROM {BAD_EVENTS_FROM} WHERE {BAD_EVENTS_OF_WEEK}", params).fetchone()[0]


def bad_events(con, upload_id, kpi, week, segments, region, *, columns, limit: int) -> list[dict]:
    """The first ``limit`` bad events of one upload's week (in date and file order), with ``columns``."""
    unknown = set(columns) - set(BAD_EVENT_COLUMNS)
    if unknown:
        raise ValueError(f"no bad-event column {', '.join(sorted(unknown))}")
    select = ", ".join(f"{BAD_EVENT_COLUMNS[column]} AS {column}" for column in columns)
    cursor = con.execute(
        f"""SELECT {select} FROM {BAD_EVENTS_FROM} WHERE {BAD_EVENTS_OF_WEEK}
            ORDER BY b.event_date, b.source_row LIMIT $limit""",
        {**_week_filter(upload_id, kpi, week, segments, region), "limit": limit},
    )
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def bad_events_by(con, upload_id, kpi, week, segments, region, *, column: str) -> list[tuple[str, int]]:
    """One upload's bad events of a week counted by ``column`` (a BAD_EVENT_COLUMNS key), largest first."""
    if column not in BAD_EVENT_COLUMNS:
        raise ValueError(f"cannot count bad events by {column!r}")
    rows = con.execute(
        f"""SELECT coalesce({BAD_EVENT_COLUMNS[column]}, '(none)') AS value, count(*) AS n
            FROM {BAD_EVENTS_FROM} WHERE {BAD_EVENTS_OF_WEEK} GROUP BY 1 ORDER BY 2 DESC, 1""",
        _week_filter(upload_id, kpi, week, segments, region),
    ).fetchall()
    return [(value, n) for value, n in rows]


def bad_events_by_day(con, kpi: str, weeks: list[dt.date], segments, region: str | None) -> list[tuple]:
    """(week, day, bad events) of the uploads that speak for ``weeks``, over ``segments`` (and a region)."""
    return con.execute(
        f"""WITH picked AS ({SPEAKING_UPLOADS_SQL})
            SELECT b.week, b.event_date, count(*) AS bad
            FROM picked p
            JOIN bad_events b ON b.upload_id = p.upload_id AND b.kpi = p.kpi AND b.week = p.week
            LEFT JOIN form_segments m ON m.form_key = lower(b.form)
            WHERE p.kpi = $kpi AND list_contains($weeks, p.week)
              AND list_contains($segments, {SEGMENT_OF_EVENT})
              AND ($region IS NULL OR b.region = $region)
            GROUP BY ALL ORDER BY 1, 2""",
        {"kpi": kpi, "weeks": weeks, "segments": list(segments), "region": region, "layer": "display"},
    ).fetchall()


def source_freshness_rows(con, aggregate_shape: str) -> list[tuple]:
    """Per source: (source, layer, data through, newest week, last upload at, its file, by whom).

    A weekly aggregate's (``aggregate_shape``) date is the week's label, so its data runs to the end of that week.
    """
    return con.execute(
        """WITH weeks AS (SELECT upload_id, max(week) AS newest_week FROM coverage GROUP BY 1),
           per_upload AS (
               SELECT u.source, u.layer, u.uploaded_at, u.file_name, u.uploaded_by, w.newest_week,
                   CASE WHEN u.shape = $aggregate THEN w.newest_week + 6 ELSE u.last_date END AS data_through
               FROM uploads u LEFT JOIN weeks w ON w.upload_id = u.id
               WHERE u.status = 'active')
           SELECT source, any_value(layer), max(data_through), max(newest_week), max(uploaded_at),
               arg_max(file_name, uploaded_at), arg_max(uploaded_by, uploaded_at)
           FROM per_upload GROUP BY source ORDER BY any_value(layer), source""",
        {"aggregate": aggregate_shape},
    ).fetchall()


def newest_active_upload(con) -> tuple | None:
    """(file name, uploaded at, by whom) of the newest active upload, or None."""
    return con.execute(
        """SELECT file_name, uploaded_at, uploaded_by FROM uploads WHERE status = 'active'
           ORDER BY uploaded_at DESC, id DESC LIMIT 1"""
    ).fetchone()


def active_regions(con) -> list[str]:
    """Regions the active uploads carry."""
    rows = con.execute(
        """SELECT DISTINCT w.region FROM weekly_counts w JOIN uploads u ON u.id = w.upload_id
           WHERE u.status = 'active' AND w.region IS NOT NULL ORDER BY w.region"""
    ).fetchall()
    return [row[0] for row in rows]


def has_uploads(con) -> bool:
    """Whether anything was ever uploaded (the demo included, and rolled-back uploads)."""
    return con.execute("SELECT count(*) FROM uploads").fetchone()[0] > 0


def has_real_active_uploads(con) -> bool:
    """Whether an active upload that is not the demo's is stored."""
    return con.execute("SELECT count(*) FROM uploads WHERE NOT is_demo AND status = 'active'").fetchone()[0] > 0


# The slices a KPI change is split by, as a stored weekly row (weekly_counts w, form_segments m) names them;
# "all" is the combined value the slices of a kept dimension must add up to.
ROW_SLICES = {
    "segment": SEGMENT_OF_ROW,
    "region": "coalesce(w.region, '(no region)')",
    "form": f"coalesce(w.form, '(no form: ' || {SEGMENT_OF_ROW} || ')')",
    "all": "'all'",
}


def dimensions_kept(con, kpi: str) -> set[str]:
    """The dimensions (group, priority) whose slices an active upload of ``kpi`` kept in dimension_counts."""
    rows = con.execute(
        """SELECT DISTINCT d.dimension FROM dimension_counts d JOIN uploads u ON u.id = d.upload_id
           WHERE u.status = 'active' AND d.kpi = ?""",
        [kpi],
    ).fetchall()
    return {dimension for (dimension,) in rows}


def counts_by_row_slice(con, kpi, weeks, by: str, *, segments, region, layer) -> list[tuple]:
    """(week, upload, slice, good, counted, rows with a percentage only) of the uploads speaking for
    ``weeks`` on ``layer``, per slice of ``by`` (a key of ``ROW_SLICES``)."""
    return _speaking_counts(con, kpi, weeks, "weekly_counts", ROW_SLICES[by], None, segments, region, layer)


def counts_by_kept_slice(con, kpi, weeks, dimension: str, *, segments, region, layer) -> list[tuple]:
    """As ``counts_by_row_slice``, per slice of a kept ``dimension`` (an empty slice name where the cell was)."""
    return _speaking_counts(con, kpi, weeks, "dimension_counts", "w.slice", dimension, segments, region, layer)


def _speaking_counts(con, kpi, weeks, table, expression, dimension, segments, region, layer) -> list[tuple]:
    parameters = {"kpi": kpi, "weeks": list(weeks), "segments": list(segments), "region": region, "layer": layer}
    of_dimension, percentage_only = "", "count(*) FILTER (WHERE w.good IS NULL AND w.pct IS NOT NULL)"
    if dimension is not None:  # slices are only ever counts
        of_dimension, percentage_only = "AND w.dimension = $dimension", "0"
        parameters["dimension"] = dimension
    return con.execute(
        f"""WITH picked AS ({SPEAKING_UPLOADS_SQL})
            SELECT p.week, p.upload_id, {expression} AS slice, sum(w.good), sum(w.total), {percentage_only}
            FROM picked p
            JOIN {table} w ON w.upload_id = p.upload_id AND w.kpi = p.kpi AND w.week = p.week
            LEFT JOIN form_segments m ON m.form_key = lower(w.form)
            WHERE p.kpi = $kpi AND list_contains($weeks, p.week)
              AND list_contains($segments, {SEGMENT_OF_ROW})
              AND ($region IS NULL OR w.region = $region)
              {of_dimension}
            GROUP BY ALL""",
        parameters,
    ).fetchall()


def upload_file_names(con, upload_ids: list[int]) -> dict[int, str]:
    """The file name of each of ``upload_ids``."""
    return dict(
        con.execute("SELECT id, file_name FROM uploads WHERE list_contains($ids, id)", {"ids": upload_ids}).fetchall()
    )


def days_covered(con, upload_ids) -> tuple[dt.date | None, dt.date | None]:
    """(first day, last day) of the rows of ``upload_ids`` together."""
    return con.execute(
        "SELECT min(first_date), max(last_date) FROM uploads WHERE list_contains($ids, id)", {"ids": list(upload_ids)}
    ).fetchone()
