"""The export shapes Floorline reads, and how a header row is recognised as one of them.

A header is matched after normalising every cell (lower case, letters and digits only), so
"Ticket ID", "ticket_id" and "TICKET-ID" are the same column. Each field has aliases; a
shape is recognised when all its required fields are present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "zendesk": pulled from Zendesk's API (lib/zendesk), written as the Explore export of the same tickets.
SOURCES = ("explore", "sisense", "dbt", "zendesk")
PRIMARY_SOURCES = ("explore", "dbt", "zendesk")


def normalise_header(cell: object) -> str:
    # "%" is kept as "pct": "% Achieved SLA targets" is a percentage, "Achieved SLA targets" a count.
    return re.sub(r"[^a-z0-9]", "", str(cell or "").lower().replace("%", "pct"))


@dataclass(frozen=True)
class Field:
    name: str
    aliases: tuple[str, ...]
    required: bool = True
    # Explore names its date attributes "<something> - Date"; accept any such header
    # when no alias matches, because report builders rename them freely.
    date_like: bool = False
    label: str = ""
    # Endings that identify the field when no alias matches: Explore prefixes time attributes
    # ("SLA update - Week of year") and wraps metrics ("D_COUNT(Achieved SLA targets)").
    suffixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shape:
    name: str
    title: str
    default_source: str
    fields: tuple[Field, ...]
    ticket_level: bool = True
    # Headers that make a file something else: event rows that also carry Zendesk's count
    # metrics (Achieved / Breached SLA targets, ...) are a report table, summed by its counts.
    excluded: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


TICKET_ID = Field("ticket_id", ("ticketid", "id", "ticket", "ticketnumber"), label="Ticket ID")
FORM = Field("form", ("ticketform", "form", "ticketformname"), label="Ticket form")
REGION = Field(
    "region",
    ("preferredregionforsupport", "ticketpreferredregionforsupport", "region", "supportregion"),
    required=False,
    label="Preferred Region for Support",
)
GROUP = Field("group", ("ticketgroup", "group", "groupname"), required=False, label="Ticket group")
# Zendesk's count metrics. Their presence makes a file a report table (counts per row), never
# event rows counted one by one.
REPORT_COUNT_SUFFIXES = (
    "achievedslatargets",
    "breachedslatargets",
    "activeslatargets",
    "goodsatisfactiontickets",
    "badsatisfactiontickets",
    "ratedsatisfactiontickets",
)
SLA_TARGETS_WEIGHT = Field(
    "weight",
    ("slatargets", "dcountslatargets", "countslatargets", "sumslatargets"),
    required=False,
    label="SLA targets",
)
TICKETS_WEIGHT = Field(
    "weight",
    ("tickets", "dcounttickets", "counttickets", "solvedtickets", "dcountsolvedtickets"),
    required=False,
    label="Tickets",
)
PRIORITY = Field("priority", ("ticketpriority", "priority"), required=False, label="Ticket priority")
# Active (or Paused) while the target is still running, Completed once it has an outcome: a
# target that is not Completed never counts, in event rows and report tables alike (DECISIONS.md §1).
METRIC_STATUS = Field("metric_status", ("slametricstatus", "metricstatus"), required=False, label="SLA metric status")

EXPLORE_SLA = Shape(
    "explore_sla",
    "Explore SLA events",
    "explore",
    (
        TICKET_ID,
        FORM,
        Field("metric", ("slametric", "slametricname", "metric"), label="SLA metric"),
        Field(
            "target_status",
            ("slatargetstatus", "targetstatus", "slaachievementstatus", "slastatus"),
            label="SLA target status",
        ),
        METRIC_STATUS,
        Field(
            "date",
            (
                "timeslastatusupdatedate",
                "slastatusupdatedate",
                "timeslastatusupdate",
                "slastatusupdate",
                "slaupdatedate",
                "date",
            ),
            date_like=True,
            label="Time - SLA status update - Date",
        ),
        REGION,
        GROUP,
        PRIORITY,
        SLA_TARGETS_WEIGHT,
    ),
    excluded=REPORT_COUNT_SUFFIXES,
)

EXPLORE_SATISFACTION = Shape(
    "explore_satisfaction",
    "Explore satisfaction ratings",
    "explore",
    (
        TICKET_ID,
        FORM,
        Field(
            "rating",
            ("ticketsatisfactionrating", "satisfactionrating", "satisfaction", "rating", "satisfactionscore"),
            label="Ticket satisfaction rating",
        ),
        Field(
            "date",
            ("ticketsolveddate", "timeticketsolveddate", "solveddate", "ticketsolved", "date"),
            date_like=True,
            label="Ticket solved - Date",
        ),
        REGION,
        GROUP,
        PRIORITY,
        TICKETS_WEIGHT,
    ),
    excluded=REPORT_COUNT_SUFFIXES,
)

# Headers of a week label: its first day (week starting, commencing, W/C) or its last (week
# ending, end of week, W/E); lib/reading/decisions.py reads which from the header's words (DECISIONS.md §14).
WEEK_LABEL_ALIASES = (
    *("weekstart", "weekof", "weekbeginning", "weekstarting", "weekcommencing", "startofweek", "wc"),
    *("weekstartdate", "weekbeginningdate", "weekcommencingdate", "weekstartingdate"),
    *("weekending", "weekended", "weekend", "endofweek", "we", "weekendingdate", "weekenddate", "weekendeddate"),
)

EXPLORE_REPORT = Shape(
    "explore_report",
    "Explore report table",
    "explore",
    (
        # Time attributes: one of a date, a week, or a week of year beside a year.
        Field(
            "week",
            ("week", *WEEK_LABEL_ALIASES),
            required=False,
            label="week",
            # "W/E" and "W/C" only whole: as endings, two letters would catch other columns.
            suffixes=("week", *(a for a in WEEK_LABEL_ALIASES if len(a) > 2)),
        ),
        Field(
            "week_of_year",
            ("weekofyear", "weeknumber", "weekno", "isoweek"),
            required=False,
            label="Week of year",
            suffixes=("weekofyear",),
        ),
        Field("year", ("year",), required=False, label="Year", suffixes=("year",)),
        Field(
            "date",
            ("slaupdatedate", "ticketsolveddate", "timeslastatusupdatedate", "date", "day"),
            required=False,
            label="date",
            suffixes=("date",),
        ),
        Field("form", ("ticketform", "form", "ticketformname"), required=False, label="Ticket form"),
        Field("metric", ("slametric", "slametricname", "metric"), required=False, label="SLA metric"),
        Field("target_status", ("slatargetstatus", "targetstatus"), required=False, label="SLA target status"),
        METRIC_STATUS,
        REGION,
        GROUP,
        PRIORITY,
        # Percentages first: "% Achieved SLA targets" also ends like "Achieved SLA targets".
        Field(
            "pct_achieved",
            ("pctachievedslatargets",),
            required=False,
            label="% Achieved SLA targets",
            suffixes=("pctachievedslatargets",),
        ),
        Field(
            "pct_satisfaction",
            ("pctsatisfactionscore", "satisfactionscore"),
            required=False,
            label="% Satisfaction score",
            suffixes=("pctsatisfactionscore",),
        ),
        Field(
            "achieved",
            ("achievedslatargets",),
            required=False,
            label="Achieved SLA targets",
            suffixes=("achievedslatargets",),
        ),
        Field(
            "breached",
            ("breachedslatargets",),
            required=False,
            label="Breached SLA targets",
            suffixes=("breachedslatargets",),
        ),
        Field(
            "active", ("activeslatargets",), required=False, label="Active SLA targets", suffixes=("activeslatargets",)
        ),
        Field("sla_targets", ("slatargets",), required=False, label="SLA targets", suffixes=("slatargets",)),
        Field(
            "good",
            ("goodsatisfactiontickets",),
            required=False,
            label="Good satisfaction tickets",
            suffixes=("goodsatisfactiontickets",),
        ),
        Field(
            "bad",
            ("badsatisfactiontickets",),
            required=False,
            label="Bad satisfaction tickets",
            suffixes=("badsatisfactiontickets",),
        ),
        Field(
            "rated",
            ("ratedsatisfactiontickets",),
            required=False,
            label="Rated satisfaction tickets",
            suffixes=("ratedsatisfactiontickets",),
        ),
    ),
    ticket_level=False,
)
SLA_REPORT_METRICS = ("achieved", "breached", "active", "sla_targets", "pct_achieved")
SATISFACTION_REPORT_METRICS = ("good", "bad", "rated", "pct_satisfaction")
REPORT_TIME_FIELDS = ("week", "week_of_year", "date")

WEEKLY_AGGREGATE = Shape(
    "weekly_aggregate",
    "Weekly aggregates",
    "sisense",
    (
        Field(
            "week",
            ("week", *WEEK_LABEL_ALIASES, "period", "date"),
            label="week",
        ),
        Field("form", ("ticketform", "form"), required=False, label="ticket form"),
        Field("segment", ("segment", "scope", "product"), required=False, label="segment"),
        Field("metric", ("kpi", "metric", "measure", "metricname"), label="metric"),
        Field("good", ("good", "achieved", "met", "numerator", "goodcount", "achievedcount"), required=False),
        Field(
            "total",
            ("total", "counted", "denominator", "totalcount", "count", "n", "responses"),
            required=False,
        ),
        Field(
            "pct",
            ("pct", "percent", "percentage", "value", "rate", "score", "achievedpct", "percentachieved"),
            required=False,
            label="percentage",
        ),
        Field("region", ("region", "preferredregionforsupport"), required=False, label="region"),
    ),
    ticket_level=False,
)

DBT_SLA_POLICIES = Shape(
    "dbt_sla_policies",
    "dbt_zendesk zendesk__sla_policies",
    "dbt",
    (
        Field("ticket_id", ("ticketid",), label="ticket_id"),
        Field("form", ("ticketform",), label="ticket_form"),
        Field("metric", ("metric",), label="metric"),
        Field("date", ("slaappliedat",), label="sla_applied_at"),
        Field("is_active", ("isactivesla",), label="is_active_sla"),
        Field("is_breach", ("isslabreach",), label="is_sla_breach"),
        Field("group", ("ticketgroup",), required=False, label="ticket_group"),
        Field("priority", ("ticketpriority",), required=False, label="ticket_priority"),
    ),
)

DBT_TICKET_METRICS = Shape(
    "dbt_ticket_metrics",
    "dbt_zendesk zendesk__ticket_metrics",
    "dbt",
    (
        Field("ticket_id", ("ticketid",), label="ticket_id"),
        Field("form", ("ticketform",), label="ticket_form"),
        Field("rating", ("ticketsatisfactionscore",), label="ticket_satisfaction_score"),
        Field("date", ("firstsolvedat", "solvedat"), label="first_solved_at"),
        Field("group", ("ticketgroup",), required=False, label="ticket_group"),
        Field("priority", ("ticketpriority",), required=False, label="ticket_priority"),
    ),
)

# dbt shapes first: their headers also satisfy the looser Explore aliases. Event rows before
# report tables (a report needs Zendesk's metric columns, which event rows do not carry).
SHAPES = (DBT_SLA_POLICIES, DBT_TICKET_METRICS, EXPLORE_SLA, EXPLORE_SATISFACTION, EXPLORE_REPORT, WEEKLY_AGGREGATE)
SHAPES_BY_NAME = {shape.name: shape for shape in SHAPES}


@dataclass(frozen=True)
class HeaderMatch:
    shape: Shape
    columns: dict[str, int]  # field name -> column index
    duplicates: dict[str, list[int]]  # field name -> all column indexes carrying that header


def match_header(cells: list[str], shape: Shape, column_map: dict[str, str] | None = None) -> HeaderMatch | None:
    """Map a header row onto a shape's fields, or None when a required field is missing.

    ``column_map`` (field -> header text) is a user's saved mapping; it wins over aliases.
    """
    normalised = [normalise_header(c) for c in cells]
    columns: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    taken: set[int] = set()
    for field in shape.fields:
        mapped = column_map and field.name in column_map
        wanted = (normalise_header(column_map[field.name]),) if mapped else field.aliases
        for alias in wanted:
            hits = [i for i, h in enumerate(normalised) if h == alias and i not in taken]
            if hits:
                columns[field.name] = hits[0]
                if len(hits) > 1:
                    duplicates[field.name] = hits
                break
        if field.name not in columns and field.date_like and not mapped:
            hits = [i for i, h in enumerate(normalised) if h.endswith("date") and i not in taken]
            if hits:
                columns[field.name] = hits[0]
        if field.name not in columns and field.suffixes and not mapped:
            hits = [i for i, h in enumerate(normalised) if h.endswith(field.suffixes) and i not in taken]
            if hits:
                columns[field.name] = hits[0]
        if field.name in columns:
            taken.add(columns[field.name])
        elif field.required:
            return None
    if shape.excluded and any(h.endswith(shape.excluded) for h in normalised):
        return None
    if shape is EXPLORE_REPORT and not report_is_complete(columns):
        return None
    if shape is EXPLORE_REPORT and "date" in columns:
        # A day says more than its week: the week columns are left unread (and named as ignored),
        # so a week label that starts on Sunday never moves a Sunday into the next week.
        for coarser in ("week", "week_of_year", "year"):
            columns.pop(coarser, None)
            duplicates.pop(coarser, None)
    if shape is WEEKLY_AGGREGATE:
        has_counts = "good" in columns and "total" in columns
        if not (has_counts or "pct" in columns) or not ("form" in columns or "segment" in columns):
            return None
    return HeaderMatch(shape, columns, duplicates)


def header_name_endings(field: Field) -> tuple[str, ...]:
    """The endings that name a field when no alias does (``match_header``)."""
    return (*field.suffixes, *(("date",) if field.date_like else ()))


def report_is_complete(columns: dict[str, int]) -> bool:
    """A report table has at least one of Zendesk's SLA or satisfaction metrics (a table without a day or
    week is still recognised, so that the refusal can say what to add)."""
    return any(f in columns for f in (*SLA_REPORT_METRICS, *SATISFACTION_REPORT_METRICS))


def detect_shape(cells: list[str], shape_name: str | None = None, column_map: dict | None = None) -> HeaderMatch | None:
    candidates = (SHAPES_BY_NAME[shape_name],) if shape_name else SHAPES
    for shape in candidates:
        match = match_header(cells, shape, column_map)
        if match:
            return match
    return None


def closest_shape(cells: list[str]) -> tuple[Shape, list[str]] | None:
    """The shape a header most nearly is, with the labels of its missing required columns."""
    normalised = {normalise_header(c) for c in cells}
    best = None
    for shape in SHAPES:
        required = [f for f in shape.fields if f.required]
        present = [f for f in required if normalised & set(f.aliases)]
        missing = [f.label or f.name for f in required if f not in present]
        if len(present) >= 2 and (best is None or len(missing) < len(best[1])):
            best = (shape, missing)
    return best


def describe_expected_headers() -> str:
    parts = []
    for shape in SHAPES:
        required = ", ".join(f"'{f.label or f.name}'" for f in shape.fields if f.required)
        parts.append(f"{shape.title}: {required}")
    return "; ".join(parts)
