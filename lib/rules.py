"""What each row of an export counts as: the counting rules, written once, in SQL.

Every rule here is in DECISIONS.md with a worked example. A row ends up in exactly one
of three places:

- counted: a KPI (FRT, NRT, SSAT), a week, a form and region, and an outcome (good/bad);
- ignored, with a reason (another SLA metric, a target still active, a survey never
  answered, a blank or totals row, ...), counted per reason and shown to the user;
- a problem: a row in scope that cannot be read (a status outside the known values, a
  date that is not a date). One problem refuses the whole file, naming the first row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lib.errors import RefusedFile
from lib.readers import RawTable, clean_sql
from lib.shapes import Shape


@dataclass(frozen=True)
class NormalisedUpload:
    """The temp tables one export was turned into, ready to store."""

    counts_table: str  # kpi, week, form, segment, region, good, total, pct, rows
    coverage_table: str  # kpi, week, complete
    bad_events_table: str  # the breached targets and Bad ratings, for drill-down
    rows_read: int
    rows_used: int
    ignored: dict[str, int]
    first_date: dt.date | None
    last_date: dt.date | None
    weeks: list[dt.date]
    warnings: list[str]


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
TOTALS_TEXT = "('total', 'totals', 'grand total', 'grand totals', 'sum', 'overall', 'combined', 'all')"


def decisive_columns(raw: RawTable) -> list[str]:
    """Every cell a rule looks at, as read (``g_`` columns: trimmed only after grouping, so a
    million rows are not trimmed), plus whether the row has no ticket or is a totals row."""
    columns = [f"c{raw.match.columns[f]} AS g_{f}" for f in raw.match.columns if f not in PER_ROW_FIELDS]
    columns.append(f"{raw_text(raw, 'ticket_id')} = '' AS no_ticket")
    columns.append(f"lower(coalesce({clean_sql('c0')}, '')) IN {TOTALS_TEXT} AS is_totals")
    return columns


def distinct_rows_sql(raw: RawTable, *, group: bool) -> str:
    """The export's rows as distinct combinations of their decisive cells, with a count.

    A million-row export has only thousands of distinct (form, metric, status, date, region)
    combinations: the rules run once per combination, not once per row. ``source_row`` is
    the first row of each combination, so a refusal still names a real row. Weekly
    aggregates (``group=False``) keep one entry per row, so duplicate rows can be named.
    """
    columns = ", ".join(decisive_columns(raw))
    if group:
        return (
            f"SELECT {columns}, count(*)::BIGINT AS n, min({raw.row_sql}) AS source_row FROM {raw.table} GROUP BY ALL"
        )
    return f"SELECT {columns}, 1::BIGINT AS n, {raw.row_sql} AS source_row FROM {raw.table}"


OUTCOME_FIELD = {
    "explore_sla": "target_status",
    "dbt_sla_policies": "is_breach",
    "explore_satisfaction": "rating",
    "dbt_ticket_metrics": "rating",
}


def breached_rows_sql(raw: RawTable, norm: str, week_start: int) -> str:
    """Back to single rows, for the breached targets and Bad ratings only (the drill-down)."""
    join = " AND ".join(f"r.{c} IS NOT DISTINCT FROM b.{c}" for c in group_columns(raw))
    # The cell that decides good or bad rules out most rows cheaply before the full match.
    outcome = OUTCOME_FIELD[raw.match.shape.name]
    return f"""
        WITH bad AS (SELECT * FROM {norm} WHERE ignore_reason IS NULL AND outcome = 'bad'),
        rows AS (
            SELECT {raw.row_sql} AS row_number, {raw_text(raw, "ticket_id")} AS ticket_id,
                nullif({raw_text(raw, "group")}, '') AS ticket_group,
                nullif({raw_text(raw, "priority")}, '') AS priority, {", ".join(decisive_columns(raw))}
            FROM {raw.table}
            WHERE c{raw.match.columns[outcome]} IN (SELECT DISTINCT g_{outcome} FROM bad))
        SELECT r.row_number AS source_row, r.ticket_id, b.kpi, b.event_date,
            {week_sql("b.event_date", week_start)} AS week, b.form, b.region, r.ticket_group, r.priority
        FROM rows r JOIN bad b ON {join}"""


def group_columns(raw: RawTable) -> list[str]:
    return [f"g_{f}" for f in raw.match.columns if f not in PER_ROW_FIELDS] + ["no_ticket", "is_totals"]


def base_sql(raw: RawTable, distinct_table: str, date_field: str, day_first: bool) -> str:
    """Keys and the parsed date added to each distinct combination.

    Each is worked out once per distinct *value* (three metrics, a few hundred dates) and
    joined back, not once per combination.
    """
    lookups = [(f"k_{field}", field, key("v")) for field in raw.match.columns if field in KEYED_FIELDS]
    lookups.append(("parsed_date", date_field, parse_date_sql("v", day_first)))
    trimmed = ", ".join(
        f"coalesce({clean_sql(f'g_{f}')}, '') AS f_{f}" for f in raw.match.columns if f not in PER_ROW_FIELDS
    )
    columns = ["d.*"]
    joins = []
    for index, (name, field, expression) in enumerate(lookups):  # the date field is always mapped
        alias = f"l{index}"
        columns.append(f"{alias}.{name}")
        joins.append(
            f"LEFT JOIN (SELECT v, {expression} AS {name} FROM (SELECT DISTINCT "
            f"coalesce({clean_sql(f'g_{field}')}, '') AS v FROM {distinct_table})) {alias} ON {alias}.v = d.f_{field}"
        )
    return f"SELECT {', '.join(columns)} FROM (SELECT *, {trimmed} FROM {distinct_table}) d {' '.join(joins)}"


def parse_date_sql(expression: str, day_first: bool) -> str:
    slash = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    # ISO dates (with or without a time), by far the most common, take the cheap cast; the patterns
    # only see the rest. Each reads the whole cell: a date followed by anything but a time is not a date.
    time = "(?:[ T]\\d.*)?$"
    return f"""coalesce(
        try_cast({expression} AS DATE),
        try_strptime(regexp_extract({expression}, '^(\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}){time}', 1), '%Y-%m-%d'),
        try_strptime(regexp_extract({expression}, '^(\\d{{4}}/\\d{{1,2}}/\\d{{1,2}}){time}', 1), '%Y/%m/%d'),
        try_strptime(regexp_extract({expression}, '^(\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}){time}', 1), '{slash}'),
        try_strptime(regexp_extract({expression}, '^(\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{4}}){time}', 1), '%d.%m.%Y')
    )::DATE"""


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


KPI_FROM_METRIC = {
    "FRT": ("firstreplytime", "frt", "firstreplytimesla", "firstresponsetime", "firstreply"),
    "NRT": ("nextreplytime", "nrt", "nextreplytimesla", "nextresponsetime", "nextreply"),
    "SSAT": ("ssat", "csat", "satisfaction", "supportsatisfaction", "customersatisfaction", "satisfactionrating"),
}


def kpi_sql(metric_key: str, kpis: tuple[str, ...]) -> str:
    branches = " ".join(
        f"WHEN {metric_key} IN ({', '.join(repr(a) for a in KPI_FROM_METRIC[k])}) THEN '{k}'" for k in kpis
    )
    return f"CASE {branches} END"


TOTALS_WORDS = "('total', 'totals', 'grandtotal', 'sum', 'overall', 'combined', 'all')"


def blank_and_totals_sql(raw: RawTable) -> tuple[str, str]:
    mapped = [text(raw, f) for f in raw.match.columns if f not in PER_ROW_FIELDS]
    blank = " AND ".join([*(f"{m} = ''" for m in mapped), "no_ticket"])
    return blank, "is_totals"


def ticket_level_sql(raw: RawTable, shape: Shape, distinct_table: str, day_first: bool) -> str:
    """SELECT producing one normalised entry per distinct combination of a ticket-level export."""
    blank, totals = blank_and_totals_sql(raw)
    date_text = text(raw, "date")
    date_label = shape.field("date").label
    if shape.name in ("explore_sla", "dbt_sla_policies"):
        metric = text(raw, "metric")
        kpi = kpi_sql(field_key(raw, "metric"), ("FRT", "NRT"))
        if shape.name == "explore_sla":
            status = f"lower({text(raw, 'target_status')})"
            metric_status = f"lower({text(raw, 'metric_status')})"
            active = f"({metric_status} = 'active' OR {status} = 'active' OR ({status} = '' AND {metric_status} = ''))"
            outcome = f"CASE {status} WHEN 'achieved' THEN 'good' WHEN 'breached' THEN 'bad' END"
            status_problem = f"""CASE
                WHEN {metric_status} NOT IN ('', 'completed', 'active')
                    THEN ['SLA metric status', '''' || {text(raw, "metric_status")} || ''' is not a metric status',
                          'Active or Completed']
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
                                     'First reply time, Next reply time or another SLA metric']
            ELSE {status_problem} END"""
    else:
        rating_text = text(raw, "rating")
        rating = field_key(raw, "rating")
        outcome = f"CASE WHEN {rating} LIKE 'good%' THEN 'good' WHEN {rating} LIKE 'bad%' THEN 'bad' END"
        kpi = "'SSAT'"
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


def aggregate_sql(raw: RawTable, distinct_table: str, day_first: bool, fraction_percentages: bool) -> str:
    """SELECT producing one normalised row per weekly aggregate row (Sisense or hand-made)."""
    blank, totals = blank_and_totals_sql(raw)
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
    kpi = kpi_sql(field_key(raw, "metric"), ("FRT", "NRT", "SSAT"))
    good_text = f"replace(replace({text(raw, 'good')}, ',', ''), ' ', '')"
    total_text = f"replace(replace({text(raw, 'total')}, ',', ''), ' ', '')"
    # The whole-number part, cast exactly: no detour through DOUBLE (which rounds above 2^53), and
    # a count too large for 64 bits is NULL, so the row is refused rather than the upload failing.
    good = f"try_cast(regexp_extract({good_text}, '^(\\d+)(\\.0+)?$', 1) AS BIGINT)"
    total = f"try_cast(regexp_extract({total_text}, '^(\\d+)(\\.0+)?$', 1) AS BIGINT)"
    pct_text = text(raw, "pct")
    pct_number = f"try_cast(replace(replace({pct_text}, '%', ''), ' ', '') AS DOUBLE)"
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
        WHEN {metric} = '' THEN ['metric', 'the metric is empty', 'FRT, NRT or SSAT']
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
        FROM (SELECT *, {ignore} AS ign FROM ({base_sql(raw, distinct_table, "week", day_first)}))"""


def detect_day_first(con, raw: RawTable, field: str) -> bool:
    """Slash dates are month-first (Zendesk is American) unless a first number above 12 says otherwise."""
    expression = raw_text(raw, field)
    found = con.execute(
        f"""SELECT count(*) FROM {raw.table}
            WHERE {expression} LIKE '%/%'
                AND try_cast(regexp_extract({expression}, '^(\\d{{1,2}})/\\d{{1,2}}/\\d{{4}}', 1) AS INTEGER) > 12"""
    ).fetchone()[0]
    return found > 0


def detect_fraction_percentages(con, raw: RawTable) -> bool:
    """A percentage column whose every value is between 0 and 1 holds fractions (0.925 = 92.5 %)."""
    if "pct" not in raw.match.columns or "good" in raw.match.columns:
        return False
    pct_text = raw_text(raw, "pct")
    low, high, with_sign = con.execute(
        f"""SELECT min(v), max(v), count(*) FILTER (WHERE t LIKE '%\\%%' ESCAPE '\\') FROM (
            SELECT {pct_text} AS t, try_cast(replace(replace({pct_text}, '%', ''), ' ', '') AS DOUBLE) AS v
            FROM {raw.table}) WHERE v IS NOT NULL"""
    ).fetchone()
    return high is not None and with_sign == 0 and low >= 0 and high <= 1


def refuse_first_problem(con, table: str, file_name: str) -> None:
    first = con.execute(
        f"""SELECT source_row, problem[1], problem[2], problem[3], sum(n) OVER ()
            FROM {table} WHERE problem IS NOT NULL ORDER BY source_row LIMIT 1"""
    ).fetchone()
    if first:
        row, column, reason, expected, how_many = first
        if how_many > 1:
            reason += f"; {how_many - 1:,} more rows have problems"
        raise RefusedFile(file_name, reason, row=row, column=column, expected=expected)


def refuse_duplicate_aggregates(con, table: str, file_name: str, week_start: int) -> None:
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


def normalise(con, raw: RawTable, file_name: str, week_start: int, prefix: str) -> NormalisedUpload:
    """Apply the counting rules to a loaded export; refuse it if any row in scope is unreadable."""
    shape = raw.match.shape
    if raw.rows == 0:
        raise RefusedFile(file_name, "the file has a header but no data rows")
    for field_name, positions in raw.match.duplicates.items():
        if field_name in raw.match.columns:
            label = raw.header[positions[0]]
            raise RefusedFile(
                file_name,
                f"the header '{label}' appears {len(positions)} times "
                f"(columns {', '.join(str(p + 1) for p in positions)})",
                column=label,
                expected="each column name once",
            )
    date_field = "date" if shape.ticket_level else "week"
    day_first = detect_day_first(con, raw, date_field)
    distinct = f"{prefix}_distinct"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {distinct} AS {distinct_rows_sql(raw, group=shape.ticket_level)}")
    norm = f"{prefix}_norm"
    if shape.ticket_level:
        select = ticket_level_sql(raw, shape, distinct, day_first)
    else:
        select = aggregate_sql(raw, distinct, day_first, detect_fraction_percentages(con, raw))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {norm} AS {select}")
    refuse_first_problem(con, norm, file_name)
    if not shape.ticket_level:
        refuse_duplicate_aggregates(con, norm, file_name, week_start)

    week = week_sql("event_date", week_start)
    counts = f"{prefix}_counts"
    coverage = f"{prefix}_coverage"
    bad_events = f"{prefix}_bad"
    if shape.ticket_level:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {counts} AS
            SELECT kpi, {week} AS week, form, NULL::VARCHAR AS segment, region,
                coalesce(sum(n) FILTER (WHERE outcome = 'good'), 0)::BIGINT AS good, sum(n)::BIGINT AS total,
                NULL::DOUBLE AS pct, sum(n)::BIGINT AS rows
            FROM {norm} WHERE ignore_reason IS NULL GROUP BY ALL"""
        )
        # A week is complete when the export's dates (any row's) span all seven of its days.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {coverage} AS
            WITH span AS (SELECT min(event_date) AS first_day, max(event_date) AS last_day
                          FROM {norm} WHERE event_date IS NOT NULL)
            SELECT DISTINCT kpi, {week} AS week,
                ({week} >= span.first_day AND {week} + 6 <= span.last_day) AS complete
            FROM {norm}, span WHERE kpi IS NOT NULL AND event_date IS NOT NULL"""
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE {bad_events} AS {breached_rows_sql(raw, norm, week_start)}")
    else:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {counts} AS
            SELECT kpi, {week} AS week, form, segment, region, good, total, pct, 1 AS rows
            FROM {norm} WHERE ignore_reason IS NULL"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {coverage} AS
            SELECT DISTINCT kpi, week, true AS complete FROM {counts}"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {bad_events} AS
            SELECT source_row, NULL::VARCHAR AS ticket_id, kpi, event_date, event_date AS week, form, region,
                NULL::VARCHAR AS ticket_group, NULL::VARCHAR AS priority
            FROM {norm} WHERE false"""
        )

    used = con.execute(f"SELECT coalesce(sum(n), 0) FROM {norm} WHERE ignore_reason IS NULL").fetchone()[0]
    if used == 0:
        raise RefusedFile(
            file_name,
            "nothing in scope: no row counts toward FRT, NRT or SSAT",
            expected=f"{shape.title} rows with an outcome (for example Achieved/Breached or Good/Bad)",
        )
    ignored = dict(
        con.execute(
            f"""SELECT ignore_reason, sum(n)::BIGINT FROM {norm} WHERE ignore_reason IS NOT NULL
                AND ignore_reason <> 'blank row' GROUP BY 1 ORDER BY 2 DESC"""
        ).fetchall()
    )
    blank_rows = con.execute(f"SELECT coalesce(sum(n), 0) FROM {norm} WHERE ignore_reason = 'blank row'").fetchone()[0]
    first_date, last_date = con.execute(
        f"SELECT min(event_date), max(event_date) FROM {norm} WHERE ignore_reason IS NULL"
    ).fetchone()
    weeks = [w for (w,) in con.execute(f"SELECT DISTINCT week FROM {coverage} ORDER BY 1").fetchall()]
    warnings = []
    if shape.ticket_level and "region" not in raw.match.columns:
        warnings.append("no region column: regional filters will not include this file")
    return NormalisedUpload(
        counts, coverage, bad_events, raw.rows - blank_rows, used, ignored, first_date, last_date, weeks, warnings
    )
