"""What each row of an export counts as: the counting rules, written once, in SQL.

Every rule here is in DECISIONS.md with a worked example. A row ends up in exactly one
of three places:

- counted: a KPI (lib/core/kpis.py), a week, a form and region, and an outcome (good/bad);
- ignored, with a reason (another SLA metric, a target still active, a survey never
  answered, a blank or totals row, ...), counted per reason and shown to the user;
- a problem: a row in scope that cannot be read (a status outside the known values, a
  date that is not a date). One problem refuses the whole file, naming the first row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lib.core.errors import RefusedFile
from lib.core.kpis import SLA_TARGET, Family, get_kpi, kpi_keys, said_as_list, survey_kpi
from lib.reading import decisions as reading
from lib.reading.cells import STRIPPED_CHARACTERS, STRIPPED_CLASS, clean_sql
from lib.reading.decisions import NumberColumn, ReadOptions
from lib.reading.files import RawTable
from lib.reading.pivots import read_pivot_values
from lib.reading.shapes import (
    REPORT_TIME_FIELDS,
    SATISFACTION_REPORT_METRICS,
    SLA_REPORT_METRICS,
    Shape,
    normalise_header,
)

# DuckDB loads pyarrow itself when it hands a table over: a command that reads no file never loads it.
if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class NormalisedUpload:
    """One export turned into the data the store keeps: Arrow tables, owned by no connection."""

    counts: pa.Table  # kpi, week, form, segment, region, good, total, pct, rows
    coverage: pa.Table  # kpi, week, complete
    bad_events: pa.Table  # the breached targets and Bad ratings, for drill-down
    # kpi, week, form, segment, region, dimension, slice, good, total: the counted events by ticket group
    # and by priority (DECISIONS.md §16), or None when the export has neither column.
    slices: pa.Table | None
    rows_read: int
    rows_used: int
    ignored: dict[str, int]
    first_date: dt.date | None
    last_date: dt.date | None
    weeks: list[dt.date]
    warnings: list[str]
    # How the file was read, in words (kind, date order, weeks, numbers, weights), for the
    # preview and the command line; each decision a manager can flip is in ReadOptions.
    reading: dict[str, str]


# Fields compared by key (letters only, lower case) rather than by their exact text.
KEYED_FIELDS = ("metric", "rating", "segment", "form", "region")


def raw_text(raw: RawTable, field: str) -> str:
    """SQL for a field's trimmed text in the raw table ('' when the column is absent or the cell empty)."""
    index = raw.match.columns.get(field) if raw.match else None
    return "''" if index is None else f"coalesce({clean_sql(f'c{index}')}, '')"


def text(raw: RawTable, field: str) -> str:
    """A field's trimmed text, as computed once per row by ``base_sql``."""
    return f"f_{field}" if field in raw.match.columns else "''"


def field_key(raw: RawTable, field: str) -> str:
    return f"k_{field}" if field in raw.match.columns else "''"


def key(expression: str) -> str:
    """Lower-case letters only: 'First reply time' and 'first_reply_time' share a key."""
    return f"regexp_replace(lower({expression}), '[^a-z]', '', 'g')"


# Cells that vary with every row and decide no rule: kept out of the grouping.
PER_ROW_FIELDS = ("ticket_id", "group", "priority")
TOTALS_LABELS = ("total", "totals", "grand total", "grand totals", "sum", "overall", "combined", "all")
TOTALS_TEXT = "(" + ", ".join(f"'{label}'" for label in TOTALS_LABELS) + ")"
# The same tests as regular expressions on a raw cell, for the million-row scans: far cheaper
# than stripping every cell first (lib/reading/files.py STRIPPED_CLASS).
EMPTY_CELL_PATTERN = f"'{STRIPPED_CLASS}*'"
TOTALS_CELL_PATTERN = f"'(?i){STRIPPED_CLASS}*(?:{'|'.join(TOTALS_LABELS)}){STRIPPED_CLASS}*'"


def _decisive_expressions(raw: RawTable) -> list[tuple[str, str]]:
    """(SQL, name) of every cell a rule looks at, as read (``g_`` columns: trimmed only after grouping,
    so a million rows are not trimmed), plus whether the row has no ticket or is a totals row."""
    columns = [(f"c{raw.match.columns[f]}", f"g_{f}") for f in raw.match.columns if f not in PER_ROW_FIELDS]
    ticket = raw.match.columns.get("ticket_id")
    no_ticket = "true" if ticket is None else _unless_digit_first(f"c{ticket}", EMPTY_CELL_PATTERN)
    columns.append((no_ticket, "no_ticket"))
    # A totals label in the first column makes a totals row, unless the row names a ticket in another
    # column: an event row whose first column is a group called "All" or "Sum" is a ticket, not a total.
    # A table without tickets (a report) may also carry its subtotal label in the group or priority column.
    if ticket is None:
        slice_cells = [f"c{raw.match.columns[f]}" for f in SLICE_FIELDS if f in raw.match.columns]
        cells = dict.fromkeys(["c0", *slice_cells])
        totals = " OR ".join(_unless_digit_first(cell, TOTALS_CELL_PATTERN) for cell in cells)
    else:
        totals = _unless_digit_first("c0", TOTALS_CELL_PATTERN)
        if ticket != 0:
            totals = f"({no_ticket} AND {totals})"
    columns.append((totals, "is_totals"))
    return columns


def decisive_columns(raw: RawTable) -> list[str]:
    return [f"{expression} AS {name}" for expression, name in _decisive_expressions(raw)]


def _unless_digit_first(cell: str, pattern: str) -> str:
    """SQL: the raw cell fully matches ``pattern`` (an empty or a totals cell). A cell that starts with a
    digit (a ticket ID, a date) matches neither, so the regular expression runs only on the rest:
    CASE evaluates its ELSE for those rows alone, which halves the cost of a million-row scan."""
    full_match = f"regexp_full_match(coalesce({cell}, ''), {pattern})"
    return f"CASE WHEN {cell} >= '0' AND {cell} < ':' THEN false ELSE {full_match} END"


def distinct_rows_sql(raw: RawTable, *, group: bool) -> str:
    """The export's rows as distinct combinations of their decisive cells, with a count.

    A million-row export has only thousands of distinct (form, metric, status, date, region)
    combinations: the rules run once per combination, not once per row. ``source_row`` is
    the first row of each combination, so a refusal still names a real row. Weekly
    aggregates (``group=False``) keep one entry per row, so duplicate rows can be named.
    """
    columns = ", ".join(decisive_columns(raw))
    if group:
        grouped = (
            f"SELECT {columns}, count(*)::BIGINT AS n, min({raw.row_sql}) AS source_row FROM {raw.table} GROUP BY ALL"
        )
        # The combination's hash, for each row to find its combination again (``slices_sql``,
        # ``breached_rows_sql``): one number to compare rather than every cell.
        names = ", ".join(name for _, name in _decisive_expressions(raw))
        return f"SELECT *, hash({names}) AS combination FROM ({grouped})"
    return f"SELECT {columns}, 1::BIGINT AS n, {raw.row_sql} AS source_row FROM {raw.table}"


# Ticket attributes a change can be split by beyond segment, form and region (DECISIONS.md §16):
# kept per slice in their own table, so the weekly counts every chart reads stay as small as before.
SLICE_FIELDS = ("group", "priority")


def _slice_fields(raw: RawTable) -> list[str]:
    return [f for f in SLICE_FIELDS if f in raw.match.columns]


def slices_sql(raw: RawTable, norm: str, week: str, report: bool, weighted: bool) -> str:
    """Counted events per (kpi, week, form, region) and slice of each of ``slice_fields``.

    One more pass over the rows: each row finds its decisive combination by hash (the counting
    rules ran once per combination) and counts as the combination's events per row (its weight,
    or 1) for a ticket-level export, or as the row's own counts for a report, in its slices.
    """
    if report:
        good, total = "good", "total"
    else:
        events = "n // file_rows" if weighted else "1"
        good, total = f"CASE WHEN outcome = 'good' THEN {events} ELSE 0 END", events
    fields = _slice_fields(raw)
    expressions = ", ".join(expression for expression, _ in _decisive_expressions(raw))
    cells = ", ".join(f"r.c{raw.match.columns[f]} AS s_{f}" for f in fields)
    # One aggregation of the rows by every slice field at once (thousands of cells), then one small
    # one per field: grouping sets would first copy the joined rows once per field.
    per_field = " UNION ALL ".join(
        f"""SELECT kpi, week, form, NULL::VARCHAR AS segment, region, '{f}' AS dimension,
                nullif(coalesce({clean_sql(f"s_{f}")}, ''), '') AS slice, sum(good)::BIGINT AS good,
                sum(total)::BIGINT AS total
            FROM by_cells GROUP BY ALL"""
        for f in fields
    )
    return f"""
        WITH counted AS (
            SELECT combination, kpi, {week} AS week, form, region, {good} AS good, {total} AS total
            FROM {norm} WHERE ignore_reason IS NULL),
        by_cells AS (
            SELECT c.kpi, c.week, c.form, c.region, {cells}, sum(c.good) AS good, sum(c.total) AS total
            FROM {raw.table} r JOIN counted c ON c.combination = hash({expressions}) GROUP BY ALL)
        {per_field}"""


def _slices_match_counts(con, slices: str, counts: str) -> bool:
    """Every dimension's slices add up to the weekly counts, cell by cell (a hash collision would not)."""
    return not con.execute(
        f"""WITH sums AS (
                SELECT kpi, week, form, region, dimension, sum(good) AS good, sum(total) AS total
                FROM {slices} GROUP BY ALL),
            cells AS (
                SELECT kpi, week, form, region, sum(good) AS good, sum(total) AS total FROM {counts} GROUP BY ALL),
            dimensions AS (SELECT DISTINCT dimension FROM {slices})
            SELECT count(*) FROM cells c CROSS JOIN dimensions d
            FULL JOIN sums s ON s.kpi = c.kpi AND s.week = c.week AND s.form IS NOT DISTINCT FROM c.form
                AND s.region IS NOT DISTINCT FROM c.region AND s.dimension = d.dimension
            WHERE s.good IS DISTINCT FROM c.good OR s.total IS DISTINCT FROM c.total"""
    ).fetchone()[0]


OUTCOME_FIELD = {
    "explore_sla": "target_status",
    "dbt_sla_policies": "is_breach",
    "explore_satisfaction": "rating",
    "dbt_ticket_metrics": "rating",
}


def breached_rows_sql(raw: RawTable, norm: str, distinct: str, week_start: int, *, by_hash: bool) -> str:
    """Back to single rows, for the breached targets and Bad ratings only (the drill-down).

    Each row finds its combination ``by_hash`` (one number to compare), or by every decisive cell:
    the caller falls back to the latter if the rows found do not match the breached count.
    """
    if by_hash:
        expressions = ", ".join(expression for expression, _ in _decisive_expressions(raw))
        decisive, join = f"hash({expressions}) AS combination", "r.combination = b.combination"
    else:
        decisive = ", ".join(decisive_columns(raw))
        join = " AND ".join(f"r.{c} IS NOT DISTINCT FROM b.{c}" for c in _group_columns(raw))
    # The cell that decides good or bad rules out most rows cheaply before the full match.
    outcome = OUTCOME_FIELD[raw.match.shape.name]
    return f"""
        WITH bad AS (
            SELECT d.*, n.kpi, n.event_date, n.form, n.region
            FROM {norm} n JOIN {distinct} d ON d.source_row = n.source_row  -- the first row: one per combination
            WHERE n.ignore_reason IS NULL AND n.outcome = 'bad'),
        rows AS (
            SELECT {raw.row_sql} AS row_number, {raw_text(raw, "ticket_id")} AS ticket_id,
                nullif({raw_text(raw, "group")}, '') AS ticket_group,
                nullif({raw_text(raw, "priority")}, '') AS priority, {decisive}
            FROM {raw.table}
            WHERE c{raw.match.columns[outcome]} IN (SELECT DISTINCT g_{outcome} FROM bad))
        SELECT r.row_number AS source_row, r.ticket_id, b.kpi, b.event_date,
            {week_sql("b.event_date", week_start)} AS week, b.form, b.region, r.ticket_group, r.priority
        FROM rows r JOIN bad b ON {join}"""


def _group_columns(raw: RawTable) -> list[str]:
    return [f"g_{f}" for f in raw.match.columns if f not in PER_ROW_FIELDS] + ["no_ticket", "is_totals"]


def base_sql(raw: RawTable, distinct_table: str, date_field: str | None, day_first: bool) -> str:
    """Trimmed text, keys and the parsed date added to each distinct combination.

    Each is worked out once per distinct *cell as read* (three metrics, a few hundred dates) and
    joined back on that cell, not once per combination: a million-row export has 140,000
    combinations but only a few hundred distinct cells in any column.
    """
    columns, joins = ["d.*"], []
    fields = [f for f in raw.match.columns if f not in PER_ROW_FIELDS]
    for index, field in enumerate(fields):  # a date field passed in is always mapped
        derived = {f"f_{field}": "v"}  # column name -> SQL over the trimmed cell v
        if field in KEYED_FIELDS:
            derived[f"k_{field}"] = key("v")
        if field == date_field:
            derived["parsed_date"] = _parse_date_sql("v", day_first)
        alias = f"l{index}"
        columns += [f"{alias}.{name}" for name in derived]
        expressions = ", ".join(f"{sql} AS {name}" for name, sql in derived.items())
        joins.append(
            f"LEFT JOIN (SELECT g, {expressions} FROM (SELECT g, coalesce({clean_sql('g')}, '') AS v "
            f"FROM (SELECT DISTINCT g_{field} AS g FROM {distinct_table}))) {alias} "
            f"ON {alias}.g IS NOT DISTINCT FROM d.g_{field}"
        )
    return f"SELECT {', '.join(columns)} FROM {distinct_table} d {' '.join(joins)}"


def _parse_date_sql(expression: str, day_first: bool) -> str:
    slash = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    # ISO dates (with or without a time), by far the most common, take the cheap cast; the patterns
    # only see the rest. Each reads the whole cell: a date followed by anything but a time is not a date.
    time = "(?:[ T]\\d.*)?$"
    return f"""coalesce(
        try_cast({expression} AS DATE),
        try_strptime(regexp_extract({expression}, '^(\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}){time}', 1), '%Y-%m-%d'),
        try_strptime(regexp_extract({expression}, '^(\\d{{4}}/\\d{{1,2}}/\\d{{1,2}}){time}', 1), '%Y/%m/%d'),
        try_strptime(regexp_extract({expression}, '^(\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}){time}', 1), '{slash}'),
        try_strptime(regexp_extract({expression}, '^(\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{4}}){time}', 1), '%d.%m.%Y'),
        try_strptime(regexp_extract({expression}, '^([A-Za-z]{{3,9}}\\.? \\d{{1,2}}, \\d{{4}}){time}', 1),
                     ['%b %d, %Y', '%B %d, %Y']),
        try_strptime(regexp_extract({expression}, '^(\\d{{1,2}} [A-Za-z]{{3,9}}\\.? \\d{{4}}){time}', 1),
                     ['%d %b %Y', '%d %B %Y']),
        CASE WHEN regexp_full_match({expression}, '{reading.EXCEL_SERIAL_DAY}')
             THEN DATE '1899-12-30' + CAST(floor(CAST({expression} AS DOUBLE)) AS INTEGER) END,
        {iso_week_sql(expression)}
    )::DATE"""


def iso_week_sql(expression: str) -> str:
    """The Monday of an ISO week label; NULL for anything else, or a week the year does not have (2026-W53)."""
    year = f"CAST(regexp_extract({expression}, '^{reading.ISO_WEEK_LABEL}$', 1) AS INTEGER)"
    week = f"CAST(regexp_extract({expression}, '^{reading.ISO_WEEK_LABEL}$', 2) AS INTEGER)"
    # ISO week 1 is the week holding 4 January; its Monday is that day less its ISO weekday, plus one.
    monday = f"(make_date({year}, 1, 4) - CAST(isodow(make_date({year}, 1, 4)) - 1 - 7 * ({week} - 1) AS INTEGER))"
    return f"""CASE WHEN regexp_full_match({expression}, '{reading.ISO_WEEK_LABEL}')
             AND {week} BETWEEN 1 AND 53 AND isoyear({monday}) = {year} THEN {monday} END"""


def week_sql(date_expression: str, week_start_index: int) -> str:
    """The first day of the week a date falls in (Monday-start by default)."""
    return f"({date_expression} - ((isodow({date_expression}) - 1 - {week_start_index} + 7) % 7)::INTEGER)"


def region_sql(expression: str, region_key: str) -> str:
    return f"""CASE
        WHEN {region_key} IN ('americasusa', 'americas', 'amer', 'na', 'northamerica') THEN 'AMER'
        WHEN {region_key} IN ('asiapacific', 'apac', 'apj') THEN 'APAC'
        WHEN {region_key} IN ('europemiddleeastafrica', 'emea', 'europe') THEN 'EMEA'
        WHEN {region_key} IN ('allregions', 'all', 'global') THEN 'All regions'
        WHEN {expression} = '' THEN NULL
        ELSE {expression} END"""


def _kpi_sql(metric_key: str, family: Family | None = None) -> str:
    """SQL: the KPI a metric name counts toward (of one family, or any), by the names the registry gives it."""
    branches = " ".join(
        f"WHEN {metric_key} IN ({', '.join(repr(k) for k in get_kpi(kpi).metric_keys)}) THEN '{kpi}'"
        for kpi in kpi_keys(family)
    )
    return f"CASE {branches} END"


def _sla_metric_expected() -> str:
    """What an empty SLA metric cell should have held: 'First reply time, Next reply time or another SLA metric'."""
    return ", ".join(get_kpi(kpi).metric_names[0] for kpi in kpi_keys(SLA_TARGET)) + " or another SLA metric"


TOTALS_WORDS = "('total', 'totals', 'grandtotal', 'sum', 'overall', 'combined', 'all')"


def _blank_and_totals_sql(raw: RawTable) -> tuple[str, str]:
    mapped = [text(raw, f) for f in raw.match.columns if f not in PER_ROW_FIELDS]
    blank = " AND ".join([*(f"{m} = ''" for m in mapped), "no_ticket"])
    return blank, "is_totals"


# SLA metric statuses of a target with no outcome yet: never counted (DECISIONS.md §1). Zendesk
# pauses a metric by its conditions (requester wait time while Pending, agent work time while Pending
# or On-hold) before it is fulfilled: like an Active target, it has no outcome yet.
RUNNING_METRIC_STATUSES = ("active", "paused")
METRIC_STATUSES = ("", "completed", *RUNNING_METRIC_STATUSES)


def _still_running(raw: RawTable) -> str:
    """SQL: the row's SLA metric status says its target has no outcome yet (false without the column)."""
    if "metric_status" not in raw.match.columns:
        return "false"
    statuses = ", ".join(f"'{s}'" for s in RUNNING_METRIC_STATUSES)
    return f"lower({text(raw, 'metric_status')}) IN ({statuses})"


def _metric_status_problem(raw: RawTable) -> str:
    """A CASE branch refusing a metric status outside the known ones ('' without the column)."""
    if "metric_status" not in raw.match.columns:
        return ""
    known = ", ".join(f"'{s}'" for s in METRIC_STATUSES)
    return f"""WHEN lower({text(raw, "metric_status")}) NOT IN ({known})
        THEN ['SLA metric status', '''' || {text(raw, "metric_status")} || ''' is not a metric status',
              'Active, Paused or Completed']"""


def _ticket_level_sql(raw: RawTable, shape: Shape, distinct_table: str, day_first: bool) -> str:
    """SELECT producing one normalised entry per distinct combination of a ticket-level export."""
    blank, totals = _blank_and_totals_sql(raw)
    date_text = text(raw, "date")
    date_label = shape.field("date").label
    if shape.name in ("explore_sla", "dbt_sla_policies"):
        metric = text(raw, "metric")
        kpi = _kpi_sql(field_key(raw, "metric"), SLA_TARGET)
        if shape.name == "explore_sla":
            status = f"lower({text(raw, 'target_status')})"
            metric_status = f"lower({text(raw, 'metric_status')})"
            active = f"({_still_running(raw)} OR {status} = 'active' OR ({status} = '' AND {metric_status} = ''))"
            outcome = f"CASE {status} WHEN 'achieved' THEN 'good' WHEN 'breached' THEN 'bad' END"
            status_problem = f"""CASE
                {_metric_status_problem(raw)}
                WHEN {outcome} IS NULL
                    THEN ['SLA target status',
                          CASE WHEN {status} = '' THEN 'the target status is empty on a completed target'
                               ELSE '''' || {text(raw, "target_status")} || ''' is not a target status' END,
                          'Achieved or Breached'] END"""
        else:
            active = f"lower({text(raw, 'is_active')}) IN ('true', 't', '1', 'yes')"
            breach = f"lower({text(raw, 'is_breach')})"
            outcome = f"""CASE WHEN {breach} IN ('true', 't', '1', 'yes') THEN 'bad'
                               WHEN {breach} IN ('false', 'f', '0', 'no') THEN 'good' END"""
            status_problem = f"""CASE WHEN {outcome} IS NULL
                THEN ['is_sla_breach', '''' || {text(raw, "is_breach")} || ''' is not true or false', 'TRUE or FALSE']
                END"""
        ignore = f"""CASE
            WHEN {blank} THEN 'blank row'
            WHEN {totals} THEN 'totals row'
            WHEN {metric} <> '' AND {kpi} IS NULL THEN 'other SLA metric'
            WHEN {metric} <> '' AND {active} THEN 'target still active'
            WHEN {metric} <> '' AND {date_text} = '' THEN 'no date' END"""
        problem = f"""CASE
            WHEN {metric} = '' THEN ['{shape.field("metric").label}', 'the SLA metric is empty',
                                     '{_sla_metric_expected()}']
            ELSE {status_problem} END"""
    else:
        rating_text = text(raw, "rating")
        rating = field_key(raw, "rating")
        outcome = f"CASE WHEN {rating} LIKE 'good%' THEN 'good' WHEN {rating} LIKE 'bad%' THEN 'bad' END"
        kpi = f"'{survey_kpi().key}'"
        unanswered = f"{rating} IN ('', 'offered', 'unoffered', 'notoffered')"
        date_empty_reason = "'not solved'" if shape.name == "dbt_ticket_metrics" else "'no date'"
        ignore = f"""CASE
            WHEN {blank} THEN 'blank row'
            WHEN {totals} THEN 'totals row'
            WHEN {unanswered} THEN 'survey not answered'
            WHEN {date_text} = '' THEN {date_empty_reason} END"""
        problem = f"""CASE WHEN {outcome} IS NULL
            THEN ['{shape.field("rating").label}', '''' || {rating_text} || ''' is not a satisfaction rating',
                  'Good, Bad, Offered or Unoffered'] END"""
    event_date = "parsed_date"
    # An ignored row's date still stretches the export's span (which decides complete weeks) and
    # adds weeks to the upload, so it must be a date Floorline accepts at all; otherwise it counts
    # as no date, like an unreadable one. (A counted row with such a date refuses the file.)
    ignored_row_date = f"""CASE WHEN {event_date} BETWEEN DATE '2000-01-01' AND current_date + 1
        THEN {event_date} END"""
    date_problem = f"""CASE
        WHEN {event_date} IS NULL
            THEN ['{date_label}', '''' || {date_text} || ''' is not a date', 'a date such as 2026-11-16']
        WHEN {event_date} < DATE '2000-01-01' OR {event_date} > current_date + 1
            THEN ['{date_label}', 'the date ' || {date_text} || ' is before 2000 or in the future',
                  'a date between 2000-01-01 and today'] END"""
    return f"""
        SELECT *,
            {text(raw, "form")} AS form,
            {region_sql(text(raw, "region"), field_key(raw, "region"))} AS region,
            {kpi} AS kpi,
            {date_text} AS date_text,
            CASE WHEN ign IS NULL THEN {event_date}
                 WHEN ign NOT IN ('blank row', 'totals row') THEN {ignored_row_date} END AS event_date,
            CASE WHEN ign IS NULL THEN {outcome} END AS outcome,
            ign AS ignore_reason,
            CASE WHEN ign IS NULL THEN coalesce({problem}, {date_problem}) END AS problem,
            NULL::VARCHAR AS segment, NULL::BIGINT AS good, NULL::BIGINT AS total, NULL::DOUBLE AS pct
        FROM (SELECT *, {ignore} AS ign FROM ({base_sql(raw, distinct_table, "date", day_first)}))"""


SEGMENT_KEYS = {
    "L&R": ("lr", "lnr", "licenseandrenewals", "licensingandrenewals", "licensingrenewals", "licensing"),
    "GitLab SM": ("gitlabsm", "sm", "selfmanaged", "gitlabselfmanaged"),
    "GitLab SaaS": ("gitlabsaas", "saas", "gitlabcom", "gitlabdotcom"),
    "Other": ("other",),
}


def _aggregate_sql(
    raw: RawTable, distinct_table: str, day_first: bool, numbers: str, fraction_percentages: bool
) -> str:
    """SELECT producing one normalised row per weekly aggregate row (Sisense or hand-made).

    Counts and percentages are read in the file's one number format (``numbers``, from
    ``create_number_lookup``): '1.050' beside '94,2' is 1,050."""
    blank, totals = _blank_and_totals_sql(raw)
    week_text = text(raw, "week")
    form = text(raw, "form")
    segment_text = text(raw, "segment")
    segment_key = field_key(raw, "segment")
    segment = "CASE " + " ".join(
        f"WHEN {segment_key} IN ({', '.join(repr(k) for k in keys)}) THEN '{name}'"
        for name, keys in SEGMENT_KEYS.items()
    )
    segment += " END"
    metric = text(raw, "metric")
    kpi = _kpi_sql(field_key(raw, "metric"))
    good_text, total_text = text(raw, "good"), text(raw, "total")
    # A count read in the file's number format; one no format reads as whole, or beyond 2^53 (where a
    # DOUBLE is no longer exact), is NULL, so the row is refused rather than a count rounded.
    number_fields = [f for f in ("good", "total", "pct") if f in raw.match.columns]
    value = {f: f"num_{f}" if f in number_fields else "NULL::DOUBLE" for f in ("good", "total", "pct")}
    good, total = (
        f"CASE WHEN {value[f]} = floor({value[f]}) AND {value[f]} BETWEEN 0 AND 9007199254740992 "
        f"THEN {value[f]}::BIGINT END"
        for f in ("good", "total")
    )
    pct_text = text(raw, "pct")
    # NaN and inf are no number format's, but are still named as outside 0 to 100.
    non_finite = f"try_cast(replace(replace({pct_text}, '%', ''), ' ', '') AS DOUBLE)"
    pct_number = f"coalesce({value['pct']}, CASE WHEN NOT isfinite({non_finite}) THEN {non_finite} END)"
    number_joins = " ".join(f"LEFT JOIN {numbers} n_{f} ON n_{f}.v = b.f_{f}" for f in number_fields)
    looked_up = "".join(f", n_{f}.value AS num_{f}" for f in number_fields)
    scale = f"CASE WHEN {pct_text} LIKE '%\\%%' ESCAPE '\\' THEN 1 ELSE {100 if fraction_percentages else 1} END"
    pct = f"{pct_number} * {scale}"
    has_counts = f"({good_text} <> '' OR {total_text} <> '')"
    event_date = "parsed_date"
    segment_of_row = f"CASE WHEN {segment_text} <> '' THEN {segment_key} ELSE {field_key(raw, 'form')} END"
    ignore = f"""CASE
        WHEN {blank} THEN 'blank row'
        WHEN {totals} OR {segment_of_row} IN {TOTALS_WORDS} THEN 'totals row'
        WHEN {metric} <> '' AND {kpi} IS NULL THEN 'other metric' END"""
    problem = f"""CASE
        WHEN {metric} = '' THEN ['metric', 'the metric is empty', '{said_as_list(kpi_keys())}']
        WHEN {form} = '' AND {segment_text} = '' THEN ['segment', 'no ticket form or segment', 'a form or a segment']
        WHEN {segment_text} <> '' AND {segment} IS NULL
            THEN ['segment', '''' || {segment_text} || ''' is not a segment', 'L&R, GitLab SM, GitLab SaaS or Other']
        WHEN {event_date} IS NULL THEN ['week', '''' || {week_text} || ''' is not a date', 'a date such as 2026-11-16']
        WHEN {event_date} < DATE '2000-01-01' OR {event_date} > current_date + 1
            THEN ['week', 'the week ' || {week_text} || ' is before 2000 or in the future',
                  'a week between 2000 and today']
        WHEN {has_counts} AND ({good} IS NULL OR {total} IS NULL)
            THEN ['good/total', 'counts ''' || {text(raw, "good")} || ''' / ''' || {text(raw, "total")}
                  || ''' are not whole numbers of zero or more', 'two whole numbers, good and total']
        WHEN {has_counts} AND {good} > {total}
            THEN ['good/total', 'good (' || {good} || ') is greater than total (' || {total} || ')',
                  'good at most total']
        WHEN NOT {has_counts} AND {pct_text} = ''
            THEN ['percentage', 'the row has neither counts nor a percentage', 'good and total, or a percentage']
        WHEN NOT {has_counts} AND {pct_number} IS NULL
            THEN ['percentage', '''' || {pct_text} || ''' is not a number', 'a percentage such as 92.5 or 92.5%']
        WHEN NOT {has_counts} AND ({pct} < 0 OR {pct} > 100)
            THEN ['percentage', 'the percentage ' || {pct_text} || ' is outside 0 to 100', 'a value from 0 to 100']
        END"""
    return f"""
        SELECT *,
            nullif({form}, '') AS form,
            {region_sql(text(raw, "region"), field_key(raw, "region"))} AS region,
            {kpi} AS kpi,
            {week_text} AS date_text,
            CASE WHEN ign IS NULL OR ign NOT IN ('blank row', 'totals row') THEN {event_date} END AS event_date,
            NULL::VARCHAR AS outcome,
            ign AS ignore_reason,
            CASE WHEN ign IS NULL THEN {problem} END AS problem,
            CASE WHEN {segment_text} <> '' THEN {segment} END AS segment,
            CASE WHEN {has_counts} THEN {good} END AS good,
            CASE WHEN {has_counts} THEN {total} END AS total,
            CASE WHEN NOT {has_counts} THEN {pct} END AS pct
        FROM (SELECT *, {ignore} AS ign FROM (
            SELECT b.*{looked_up}
            FROM ({base_sql(raw, distinct_table, "week", day_first)}) b {number_joins}))"""


def _distinct_texts(con, table: str, column: str) -> list[tuple[str, int]]:
    """Each distinct trimmed text of a column (of the distinct table), with the first row holding it."""
    return con.execute(
        f"""SELECT {clean_sql("g")} AS t, min(first_row) FROM (
                SELECT {column} AS g, min(source_row) AS first_row FROM {table} GROUP BY 1)
            WHERE coalesce({clean_sql("g")}, '') <> '' GROUP BY 1 ORDER BY 2"""
    ).fetchall()


def _decide_day_first(con, raw: RawTable, distinct: str, options: ReadOptions, file_name: str, notes) -> bool:
    """Day-first or month-first, from every date-like cell of the file (lib/reading/decisions.py)."""
    fields = [f for f in ("date", "week") if f in raw.match.columns]
    if not fields:  # weeks numbered beside a year: no dates to read
        return False
    texts = [found for f in fields for found in _distinct_texts(con, distinct, f"g_{f}")]
    day_first, how = reading.decide_date_order(texts, options, file_name, raw.header[raw.match.columns[fields[0]]])
    notes["date order"] = how
    return day_first


def _create_number_lookup(
    con,
    raw: RawTable,
    distinct: str,
    fields,
    whole,
    options,
    file_name,
    table,
    notes,
    *,
    unreadable_counts_say_nothing=False,
):
    """A table of every distinct numeric cell of ``fields`` and its value, read in the file's one number format.

    With ``unreadable_counts_say_nothing`` (weekly aggregates), a count no export setting reads as whole
    ('-1', '2.5', '1e3') is left out of the decision and of the table: the row is refused by its rule,
    naming the row's good and total."""
    columns = []
    for name in fields:
        texts = _distinct_texts(con, distinct, f"g_{name}")
        if unreadable_counts_say_nothing and name in whole:
            texts = [(t, r) for t, r in texts if any(reading.reads_as_count(t, c) for c in reading.CANDIDATE_FORMATS)]
        columns.append(NumberColumn(raw.header[raw.match.columns[name]], texts, name in whole))
    number_format, how = reading.decide_number_format(columns, options, file_name)
    notes["numbers"] = how
    values = sorted({found for column in columns for found, _ in column.values})
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (v VARCHAR, value DOUBLE)")
    if values:
        con.executemany(f"INSERT INTO {table} VALUES (?, ?)", reading.number_lookup(values, number_format))


def _weigh_rows(con, raw: RawTable, distinct: str, options, file_name, prefix, notes) -> None:
    """An event row carrying a count metric (`SLA targets` = 2) stands for that many events."""
    numbers = f"{prefix}_weights"
    _create_number_lookup(con, raw, distinct, ["weight"], {"weight"}, options, file_name, numbers, notes)
    # Rows as the file has them, for "rows read" (a blank line weighs nothing but is still a line).
    con.execute(f"ALTER TABLE {distinct} ADD COLUMN file_rows BIGINT")
    con.execute(f"UPDATE {distinct} SET file_rows = n")
    # An empty metric cell is how Explore prints a count of nothing.
    con.execute(
        f"""UPDATE {distinct} d SET n = d.n * coalesce(
                (SELECT w.value FROM {numbers} w WHERE w.v = {clean_sql("d.g_weight")}), 0)::BIGINT"""
    )
    label = raw.header[raw.match.columns["weight"]]
    notes["rows weighted"] = f"each row counts as many events as its '{label}' value says"


def _refuse_missing_report_columns(raw: RawTable, file_name: str) -> str:
    """The KPI family of a report table ('sla' or 'satisfaction'), or a refusal naming what to add."""
    columns = raw.match.columns
    has_sla = any(f in columns for f in SLA_REPORT_METRICS)
    has_satisfaction = any(f in columns for f in SATISFACTION_REPORT_METRICS)
    if has_sla and has_satisfaction:
        raise RefusedFile(
            file_name,
            "the table mixes SLA metrics and satisfaction metrics; Floorline reads one report at a time",
            expected="one export per Explore report (SLA, or satisfaction)",
        )
    if "form" not in columns:
        grouped = "is grouped by Ticket group, not Ticket form" if "group" in columns else "has no Ticket form"
        raise RefusedFile(
            file_name,
            f"the table {grouped}; Floorline needs the Ticket form to tell L&R, GitLab SM and GitLab SaaS apart. "
            "In Explore, add the Ticket form attribute to the report's rows and export again",
            expected="a 'Ticket form' column",
        )
    if not any(f in columns for f in REPORT_TIME_FIELDS):
        by_month = any(normalise_header(h).endswith("month") for h in raw.header)
        raise RefusedFile(
            file_name,
            (
                "the table is by month, and a month cannot be cut into weeks"
                if by_month
                else "the table has no day or week"
            )
            + "; weekly floors need a day or a week. In Explore, use a time attribute such as 'SLA update - Date', "
            "'SLA update - Week', or 'Week of year' beside 'Year' (for satisfaction: 'Ticket solved - Date'), "
            "and export again",
            expected="a date or week column",
        )
    if "week_of_year" in columns and not any(f in columns for f in ("year", "date", "week")):
        raise RefusedFile(
            file_name,
            "the table has a Week of year but no Year; add the Year attribute beside it in Explore and export again",
            expected="a '... - Year' column beside '... - Week of year'",
        )
    if has_sla:
        if "metric" not in columns:
            raise RefusedFile(
                file_name,
                "the table has no SLA metric, so first and next reply targets cannot be told apart. In Explore, "
                "add the SLA metric attribute to the report's rows and export again",
                expected="an 'SLA metric' column",
            )
        has_outcomes = "achieved" in columns and "breached" in columns
        if not has_outcomes and not ("target_status" in columns and "sla_targets" in columns):
            raise RefusedFile(
                file_name,
                "the table needs both 'Achieved SLA targets' and 'Breached SLA targets': "
                f"{said_as_list(kpi_keys(SLA_TARGET), 'and')} are Achieved ÷ (Achieved + Breached), and "
                "'SLA targets' also counts targets still active, so it "
                "cannot stand in. Add the missing metric in Explore and export again",
                expected="'Achieved SLA targets' and 'Breached SLA targets' columns",
            )
        return "sla"
    if not ("good" in columns and ("bad" in columns or "rated" in columns)):
        raise RefusedFile(
            file_name,
            "the table needs 'Good satisfaction tickets' and 'Bad satisfaction tickets' (or 'Rated satisfaction "
            f"tickets'): {survey_kpi().key} is Good ÷ (Good + Bad), and a percentage alone cannot be pooled "
            "across forms. Add them in Explore and export again",
            expected="'Good satisfaction tickets' and 'Bad satisfaction tickets' columns",
        )
    return "satisfaction"


REPORT_COUNT_FIELDS = ("achieved", "breached", "good", "bad", "rated", "sla_targets")


def _report_time_field(raw: RawTable) -> str:
    return next(f for f in REPORT_TIME_FIELDS if f in raw.match.columns)


def _report_sql(raw: RawTable, distinct_table: str, day_first: bool, family: str, numbers: str, weeks: str) -> str:
    """SELECT producing one normalised entry per distinct row of an Explore report table."""
    blank, totals = _blank_and_totals_sql(raw)
    columns = raw.match.columns
    time_field = _report_time_field(raw)
    date_field = time_field if time_field in ("date", "week") else None
    values = {f: f"num_{f}" for f in REPORT_COUNT_FIELDS if f in columns}
    form = text(raw, "form")
    attribute_totals = " OR ".join(
        f"lower({text(raw, f)}) IN {TOTALS_TEXT}" for f in ("form", "metric", "region", time_field) if f in columns
    )
    if family == "sla":
        metric = text(raw, "metric")
        kpi = _kpi_sql(field_key(raw, "metric"), SLA_TARGET)
        # A row whose SLA metric status says the target is still running has no outcome yet, whatever
        # its counts or target status say (Explore marks a running target Breached once its time is up).
        inactive = _still_running(raw)
        if "achieved" in values and "breached" in values:
            good = values["achieved"]
            total = f"{values['achieved']} + {values['breached']}"
            counted_columns = "achieved/breached"
        else:  # rows by SLA target status, counted by 'SLA targets'
            counted_columns = "sla_targets"
            status = f"lower({text(raw, 'target_status')})"
            good = f"CASE WHEN {status} = 'achieved' THEN {values['sla_targets']} ELSE 0 END"
            total = values["sla_targets"]
            inactive += f" OR {status} NOT IN ('achieved', 'breached')"
        ignore_metric = f"""WHEN {metric} <> '' AND {kpi} IS NULL THEN 'other SLA metric'
            WHEN {inactive} THEN 'target still active'"""
        metric_problem = f"""WHEN {metric} = '' THEN ['SLA metric', 'the SLA metric is empty',
            '{_sla_metric_expected()}']
            {_metric_status_problem(raw)}"""
    else:
        kpi = f"'{survey_kpi().key}'"
        good = values["good"]
        total = f"{values['good']} + {values['bad']}" if "bad" in values else values["rated"]
        counted_columns = "good/bad" if "bad" in values else "good/rated"
        ignore_metric = metric_problem = ""
    if time_field == "week_of_year":
        time_text = f"{text(raw, 'year')} || ' week ' || {text(raw, 'week_of_year')}"
        day = "numbered_week"
    else:
        time_text = text(raw, time_field)
        day = "parsed_date"
    time_label = raw.match.shape.field(time_field).label  # the file's header is named by file_column
    ignore = f"""CASE
        WHEN {blank} THEN 'blank row'
        WHEN {totals} OR {attribute_totals} THEN 'totals row'
        {ignore_metric} END"""
    problem = f"""CASE
        {metric_problem}
        WHEN {form} = '' THEN ['Ticket form', 'the ticket form is empty', 'a ticket form such as SaaS or L&R']
        WHEN {day} IS NULL THEN ['{time_label}', '''' || {time_text} || ''' is not a date or a week',
                                 'a date such as 2026-11-16, or a week number beside a year']
        WHEN {day} < DATE '2000-01-01' OR {day} > current_date + 1
            THEN ['{time_label}', {time_text} || ' is before 2000 or in the future',
                  'a date between 2000-01-01 and today']
        WHEN ({good}) > ({total})
            THEN ['{counted_columns}', 'more good than counted (' || ({good}) || ' of ' || ({total}) || ')',
                  'good at most the total'] END"""
    number_joins = " ".join(f"LEFT JOIN {numbers} n_{f} ON n_{f}.v = b.f_{f}" for f in values)
    week_join = f"LEFT JOIN {weeks} wk ON wk.y = b.f_year AND wk.w = b.f_week_of_year" if day == "numbered_week" else ""
    looked_up = "".join(f", coalesce(n_{f}.value, 0) AS num_{f}" for f in values)
    if week_join:
        looked_up += ", wk.week AS numbered_week"
    return f"""
        SELECT *,
            {form} AS form,
            {region_sql(text(raw, "region"), field_key(raw, "region"))} AS region,
            {kpi} AS kpi,
            {time_text} AS date_text,
            CASE WHEN ign IS NULL OR ign NOT IN ('blank row', 'totals row') THEN {day} END AS event_date,
            NULL::VARCHAR AS outcome,
            ign AS ignore_reason,
            CASE WHEN ign IS NULL THEN {problem} END AS problem,
            NULL::VARCHAR AS segment,
            CASE WHEN ign IS NULL THEN ({good})::BIGINT END AS good,
            CASE WHEN ign IS NULL THEN ({total})::BIGINT END AS total,
            NULL::DOUBLE AS pct
        FROM (SELECT *, {ignore} AS ign FROM (
            SELECT b.*{looked_up}
            FROM ({base_sql(raw, distinct_table, date_field, day_first)}) b {number_joins} {week_join}))"""


def _create_week_numbers(con, raw: RawTable, distinct, options, week_start, file_name, table, notes) -> None:
    """Database weeks for each (Year, Week of year) pair of a report, as Explore numbers them."""
    pairs = []
    for year_text, week_text, row in con.execute(
        f"""SELECT coalesce({clean_sql("g_year")}, ''), {clean_sql("g_week_of_year")}, min(source_row)
            FROM {distinct} WHERE coalesce({clean_sql("g_week_of_year")}, '') <> '' GROUP BY 1, 2 ORDER BY 3"""
    ).fetchall():
        year, week = _only_number(year_text), _only_number(week_text)
        if year is not None and week is not None and 2000 <= year <= 2100:
            pairs.append((year, week, row, year_text, week_text))
    label = raw.header[raw.match.columns["week_of_year"]]
    mapping, how = reading.decide_week_numbering(
        [(y, w, r) for y, w, r, _, _ in pairs], options, week_start, file_name, label
    )
    notes["weeks"] = how
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (y VARCHAR, w VARCHAR, week DATE)")
    rows = [(year_text, week_text, mapping[(y, w)]) for y, w, _, year_text, week_text in pairs]
    if rows:
        con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", rows)


def _only_number(value: str) -> int | None:
    """The one number in a cell such as '2026', 'Week 47' or 'W47'; None when there is not exactly one."""
    found = re.findall(r"\d+", value)
    return int(found[0]) if len(found) == 1 else None


def _read_week_ranges(con, raw: RawTable, distinct: str, options, week_start: int, file_name: str, notes):
    """Week labels written as ranges ('Nov 2, 2026 - Nov 8, 2026'): each is rewritten, in the distinct
    table only (a few hundred labels, never the rows), as its first day, which is the week."""
    if raw.match.shape.ticket_level or "week" not in raw.match.columns:
        return None
    header = raw.header[raw.match.columns["week"]]
    texts = _distinct_texts(con, distinct, "g_week")
    ranges = reading.decide_week_ranges(texts, options, week_start, file_name, header)
    if ranges is None:
        return None
    notes["week labels"] = ranges.how
    table = f"{distinct}_week_ranges"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (label VARCHAR, week DATE)")
    con.executemany(f"INSERT INTO {table} VALUES (?, ?)", list(ranges.starts.items()))
    con.execute(
        f"""UPDATE {distinct} d SET g_week = strftime(r.week, '%Y-%m-%d') FROM {table} r
            WHERE r.label = {clean_sql("d.g_week")}"""
    )
    return ranges


def _file_week_labels(con, raw: RawTable, norm: str, options, week_start: int, file_name: str, notes) -> None:
    """Move each week label onto the database week it mostly covers (lib/reading/decisions.py), saying how."""
    labels = [
        day
        for (day,) in con.execute(
            f"SELECT DISTINCT event_date FROM {norm} WHERE event_date IS NOT NULL AND problem IS NULL ORDER BY 1"
        ).fetchall()
    ]
    if not labels:
        return
    header = raw.header[raw.match.columns["week"]]
    weekdays = sorted({day.weekday() for day in labels})
    if len(weekdays) > 1:
        names = " and ".join(f"{reading.WEEKDAY_NAMES[w]}s" for w in weekdays[:3])
        raise RefusedFile(
            file_name,
            f"the week labels fall on {names}, so Floorline cannot tell which week each stands for. "
            "Export with one label per week (its first day, or its last day with 'week ending' in the header)",
            column=header,
            expected="week labels on one weekday",
        )
    label_is_end, how = reading.decide_week_labels(labels, header, raw.title_lines, options, week_start)
    notes["week labels"] = how
    # The week holding the period's fourth day: the first day plus three, or the last day less three.
    middle = "event_date - 3" if label_is_end else "event_date + 3"
    con.execute(f"UPDATE {norm} SET event_date = {week_sql(middle, week_start)} WHERE event_date IS NOT NULL")


def _detect_fraction_percentages(con, raw: RawTable, distinct: str, numbers: str) -> bool:
    """A percentage column whose every value is between 0 and 1 holds fractions (0.925 = 92.5 %).

    Read from the number lookup (one entry per distinct cell), so '0,925' is a fraction too."""
    if "pct" not in raw.match.columns or "good" in raw.match.columns:
        return False
    low, high, with_sign = con.execute(
        f"""SELECT min(n.value), max(n.value), count(*) FILTER (WHERE p.t LIKE '%\\%%' ESCAPE '\\')
            FROM (SELECT DISTINCT {clean_sql("g_pct")} AS t FROM {distinct}) p JOIN {numbers} n ON n.v = p.t
            WHERE n.value IS NOT NULL"""
    ).fetchone()
    return high is not None and with_sign == 0 and low >= 0 and high <= 1


def _file_column(raw: RawTable, column: str) -> str:
    """The file's own header for a column a rule names by its field or label ('week', 'good/total'):
    the SQL never holds a file's text, so the header is put in here."""
    headers = {}
    for name, index in raw.match.columns.items():
        field = raw.match.shape.field(name)
        headers[name] = headers[field.label or name] = raw.header[index].strip(STRIPPED_CHARACTERS)
    if column in headers:
        return headers[column]
    parts = column.split("/")
    if len(parts) > 1 and all(part in headers for part in parts):
        return " / ".join(headers[part] for part in parts)
    return column


def _refuse_first_problem(con, raw: RawTable, table: str, file_name: str) -> None:
    first = con.execute(
        f"""SELECT source_row, problem[1], problem[2], problem[3], sum(n) OVER ()
            FROM {table} WHERE problem IS NOT NULL ORDER BY source_row LIMIT 1"""
    ).fetchone()
    if first:
        row, column, reason, expected, how_many = first
        if how_many > 1:
            reason += f"; {how_many - 1:,} more rows have problems"
        raise RefusedFile(file_name, reason, row=row, column=_file_column(raw, column), expected=expected)


def _refuse_duplicate_aggregates(con, table: str, file_name: str, week_start: int) -> None:
    duplicate = con.execute(
        f"""SELECT min(source_row), max(source_row), kpi, {week_sql("event_date", week_start)} AS week,
                coalesce(segment, form)
            FROM {table} WHERE ignore_reason IS NULL
            GROUP BY kpi, week, form, segment, region HAVING count(*) > 1
            ORDER BY 1 LIMIT 1"""
    ).fetchone()
    if duplicate:
        first, second, kpi, week, scope = duplicate
        raise RefusedFile(
            file_name,
            f"rows {first} and {second} both give {kpi} for {scope} in the week of {week}; "
            "Floorline cannot tell which is right",
            row=second,
            expected="one row per week, metric and form or segment",
        )


RULE_HELPER_COLUMNS = "^(f|k|num|g)_|^(parsed_date|numbered_week|ign|date_text|no_ticket|is_totals)$"


def normalise(
    con, raw: RawTable, file_name: str, week_start: int, prefix: str, options: ReadOptions | None = None
) -> NormalisedUpload:
    """Apply the counting rules to a loaded export; refuse it if any row in scope is unreadable.

    The steps: refuse a header named twice; read the distinct rows and decide how the file is written
    (date order, number format, weights); give each row its KPI, week, outcome, ignore reason or problem;
    refuse the first problem; then sum the counted rows into weekly counts, coverage, slices and the bad
    events behind them.
    """
    options = options or ReadOptions()
    shape = raw.match.shape
    report = shape.name == "explore_report"
    if raw.rows == 0:
        raise RefusedFile(file_name, "the file has a header but no data rows")
    _refuse_repeated_headers(raw, file_name, report=report)
    raw = read_pivot_values(con, raw, options, file_name)
    notes = {"kind": shape.title, **raw.reading}
    family = _refuse_missing_report_columns(raw, file_name) if report else None
    distinct = f"{prefix}_distinct"
    # Report tables are summed, so equal rows (an attribute Floorline does not read) may merge.
    grouped = shape.ticket_level or report
    con.execute(f"CREATE OR REPLACE TEMP TABLE {distinct} AS {distinct_rows_sql(raw, group=grouped)}")
    ranges = _read_week_ranges(con, raw, distinct, options, week_start, file_name, notes)
    day_first = _decide_day_first(con, raw, distinct, options, file_name, notes)
    if ranges:
        notes["date order"] = ranges.date_order or "the week ranges name their months, which read only one way"
    if shape.ticket_level and "weight" in raw.match.columns:
        _weigh_rows(con, raw, distinct, options, file_name, prefix, notes)
    norm = f"{prefix}_norm"
    select = _rules_select(con, raw, distinct, day_first, family, options, week_start, file_name, prefix, notes)
    # The cells as read and the rules' helper columns (trimmed cells, keys, parsed values) are left out of
    # the stored table: writing them cost more than computing them. The cells stay in the distinct table.
    kept = f"COLUMNS(lambda c: NOT regexp_matches(c, '{RULE_HELPER_COLUMNS}'))"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {norm} AS SELECT {kept} FROM ({select})")
    _refuse_first_problem(con, raw, norm, file_name)
    if not shape.ticket_level and not report:
        _refuse_duplicate_aggregates(con, norm, file_name, week_start)
    if "week" in raw.match.columns and not shape.ticket_level and not ranges:
        _file_week_labels(con, raw, norm, options, week_start, file_name, notes)

    week = week_sql("event_date", week_start)
    counts, coverage, bad_events = f"{prefix}_counts", f"{prefix}_coverage", f"{prefix}_bad"
    # A weighted row stands for several events (n) but is one row of the file (file_rows): rows are
    # said in rows, events in the figures.
    weighted = shape.ticket_level and "weight" in raw.match.columns
    file_rows = "file_rows" if weighted else "n"
    _create_weekly_counts(con, raw, norm, counts, week, file_rows)
    daily = shape.ticket_level or (report and _report_time_field(raw) == "date")
    _create_coverage(con, norm, counts, coverage, week, daily=daily)
    slices, dropped_slices = None, False
    if grouped and _slice_fields(raw):
        slices = f"{prefix}_slices"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {slices} AS {slices_sql(raw, norm, week, report, weighted)}")
        if not _slices_match_counts(con, slices, counts):
            slices = None  # never a split that does not add up: kept without it, and said so below
            dropped_slices = True
    _create_bad_events(con, raw, norm, distinct, bad_events, week_start, file_rows)

    used_rows, events = con.execute(
        f"SELECT coalesce(sum({file_rows}), 0), coalesce(sum(n), 0) FROM {norm} WHERE ignore_reason IS NULL"
    ).fetchone()
    if events == 0:
        raise RefusedFile(
            file_name,
            f"nothing in scope: no row counts toward {said_as_list(kpi_keys())}",
            expected=f"{shape.title} rows with an outcome (for example Achieved/Breached or Good/Bad)",
        )
    if weighted:
        unit = "SLA targets" if shape.name == "explore_sla" else "tickets"
        notes["rows weighted"] += f": the {used_rows:,} rows counted stand for {events:,} {unit}"
    ignored = dict(
        con.execute(
            f"""SELECT ignore_reason, sum({file_rows})::BIGINT FROM {norm} WHERE ignore_reason IS NOT NULL
                AND ignore_reason <> 'blank row' GROUP BY 1 ORDER BY 2 DESC"""
        ).fetchall()
    )
    blank_rows = con.execute(
        f"SELECT coalesce(sum({file_rows}), 0) FROM {norm} WHERE ignore_reason = 'blank row'"
    ).fetchone()[0]
    first_date, last_date = con.execute(
        f"SELECT min(event_date), max(event_date) FROM {norm} WHERE ignore_reason IS NULL"
    ).fetchone()
    weeks = [w for (w,) in con.execute(f"SELECT DISTINCT week FROM {coverage} ORDER BY 1").fetchall()]
    warnings = []
    if dropped_slices:
        warnings.append("its ticket group and priority counts did not add up to the weekly counts and were not kept")
    if shape.ticket_level and "region" not in raw.match.columns:
        warnings.append("no region column: regional filters will not include this file")
    _drop_all_but(con, {counts, coverage, bad_events, slices})
    return NormalisedUpload(
        arrow_of(con, counts),
        arrow_of(con, coverage),
        arrow_of(con, bad_events),
        arrow_of(con, slices) if slices else None,
        raw.rows - blank_rows,
        used_rows,
        ignored,
        first_date,
        last_date,
        weeks,
        warnings,
        notes,
    )


def _drop_all_but(con, kept: set[str | None]) -> None:
    """Drop the reading connection's tables but ``kept``, before they are handed over.

    The file's cells and the rules' working tables are most of what reading holds; dropped first (and given
    back to the system: ``lib.reading.export`` configures the connection so), they are not still held while
    the kept tables are copied out as Arrow data and pyarrow is loaded (measured in DECISIONS.md §29).
    """
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    for (table,) in tables:
        if table not in kept:
            con.execute(f'DROP TABLE "{table}"')


def arrow_of(con, table: str) -> pa.Table:
    """A table of the reading connection as Arrow data, which outlives the connection."""
    return con.table(table).to_arrow_table()


def _refuse_repeated_headers(raw: RawTable, file_name: str, *, report: bool) -> None:
    """A field read from two columns is ambiguous: refuse the file, naming the header and its columns."""
    for field_name, positions in raw.match.duplicates.items():
        if field_name in raw.match.columns:
            label = raw.header[positions[0]]
            columns = ", ".join(str(p + 1) for p in positions)
            if report and field_name in REPORT_COUNT_FIELDS:
                # A pivot: an attribute (SLA metric, Ticket form) spread across the columns, one block each.
                raise RefusedFile(
                    file_name,
                    f"'{label}' heads {len(positions)} columns ({columns}): the report puts an attribute such as "
                    "SLA metric or Ticket form in its columns; in Explore, move that attribute to the rows and "
                    "export again",
                    column=label,
                    expected="one column per metric, with SLA metric and Ticket form as rows",
                )
            raise RefusedFile(
                file_name,
                f"the header '{label}' appears {len(positions)} times (columns {columns})",
                column=label,
                expected="each column name once",
            )


def _rules_select(con, raw: RawTable, distinct, day_first, family, options, week_start, file_name, prefix, notes):
    """The SELECT giving each distinct row its KPI, week, outcome or counts, ignore reason and problem,
    by the export's kind: an Explore report table, ticket-level events, or weekly aggregates."""
    shape = raw.match.shape
    if shape.name == "explore_report":
        numbers, weeks = f"{prefix}_numbers", f"{prefix}_weeks"
        count_fields = [f for f in REPORT_COUNT_FIELDS if f in raw.match.columns]
        # Every numeric column is evidence of the number format: Active SLA targets (a count, never summed)
        # and the percentages too.
        evidence = [f for f in ("active", "pct_achieved", "pct_satisfaction") if f in raw.match.columns]
        whole = {*count_fields, "active"}
        _create_number_lookup(con, raw, distinct, count_fields + evidence, whole, options, file_name, numbers, notes)
        if _report_time_field(raw) == "week_of_year":
            _create_week_numbers(con, raw, distinct, options, week_start, file_name, weeks, notes)
        return _report_sql(raw, distinct, day_first, family, numbers, weeks)
    if shape.ticket_level:
        return _ticket_level_sql(raw, shape, distinct, day_first)
    numbers = f"{prefix}_numbers"
    number_fields = [f for f in ("good", "total", "pct") if f in raw.match.columns]
    counts = {"good", "total"} & set(number_fields)
    _create_number_lookup(
        con,
        raw,
        distinct,
        number_fields,
        counts,
        options,
        file_name,
        numbers,
        notes,
        unreadable_counts_say_nothing=True,
    )
    return _aggregate_sql(raw, distinct, day_first, numbers, _detect_fraction_percentages(con, raw, distinct, numbers))


def _create_weekly_counts(con, raw: RawTable, norm: str, counts: str, week: str, file_rows: str) -> None:
    """kpi, week, form, segment, region, good, total, pct, rows: the counted rows summed into weeks."""
    shape = raw.match.shape
    if shape.ticket_level:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {counts} AS
            SELECT kpi, {week} AS week, form, NULL::VARCHAR AS segment, region,
                coalesce(sum(n) FILTER (WHERE outcome = 'good'), 0)::BIGINT AS good, sum(n)::BIGINT AS total,
                NULL::DOUBLE AS pct, sum({file_rows})::BIGINT AS rows
            FROM {norm} WHERE ignore_reason IS NULL GROUP BY ALL"""
        )
    elif shape.name == "explore_report":
        # A daily table sums into weeks; a weekly one has one week per label.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {counts} AS
            SELECT kpi, {week} AS week, form, NULL::VARCHAR AS segment, region,
                sum(good * n)::BIGINT AS good, sum(total * n)::BIGINT AS total,
                NULL::DOUBLE AS pct, sum(n)::BIGINT AS rows
            FROM {norm} WHERE ignore_reason IS NULL GROUP BY ALL"""
        )
    else:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {counts} AS
            SELECT kpi, {week} AS week, form, segment, region, good, total, pct, 1 AS rows
            FROM {norm} WHERE ignore_reason IS NULL"""
        )


def _create_coverage(con, norm: str, counts: str, coverage: str, week: str, *, daily: bool) -> None:
    """kpi, week, complete: which weeks the export covers whole."""
    if daily:
        # A week is complete when the export's dates (any row's) span all seven of its days.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {coverage} AS
            WITH span AS (SELECT min(event_date) AS first_day, max(event_date) AS last_day
                          FROM {norm} WHERE event_date IS NOT NULL)
            SELECT DISTINCT kpi, {week} AS week,
                ({week} >= span.first_day AND {week} + 6 <= span.last_day) AS complete
            FROM {norm}, span WHERE kpi IS NOT NULL AND event_date IS NOT NULL"""
        )
    else:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {coverage} AS
            SELECT DISTINCT kpi, week, true AS complete FROM {counts}"""
        )


def _create_bad_events(con, raw: RawTable, norm, distinct, bad_events, week_start: int, file_rows: str) -> None:
    """The single rows behind the breached targets and Bad ratings (ticket-level exports only), for drill-down."""
    if raw.match.shape.ticket_level:
        found = breached_rows_sql(raw, norm, distinct, week_start, by_hash=True)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {bad_events} AS {found}")
        rows_found, rows_breached = con.execute(
            f"""SELECT (SELECT count(*) FROM {bad_events}),
                (SELECT coalesce(sum({file_rows}), 0) FROM {norm} WHERE ignore_reason IS NULL AND outcome = 'bad')"""
        ).fetchone()
        if rows_found != rows_breached:  # two combinations share a hash: match every cell instead
            exact = breached_rows_sql(raw, norm, distinct, week_start, by_hash=False)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {bad_events} AS {exact}")
    else:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {bad_events} AS
            SELECT source_row, NULL::VARCHAR AS ticket_id, kpi, event_date, event_date AS week, form, region,
                NULL::VARCHAR AS ticket_group, NULL::VARCHAR AS priority
            FROM {norm} WHERE false"""
        )
