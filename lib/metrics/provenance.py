"""Where a weekly number comes from: its upload, its rows, the rules applied, and the rows behind it.

For one KPI and week (and a set of segments, and a layer as on the trends page) this says:

- the value, computed by ``lib.metrics.kpis.build_series`` exactly as the pages compute it;
- which upload speaks for it (file, uploaded when and by whom, SHA-256), decided by
  ``lib.store.figures.CHOSEN_WEEKS_SQL`` — the same query every page uses, not a copy of its rule;
- how many of that upload's rows this week's value uses, per segment, and what the upload
  ignored and why (ignored rows are counted per upload, not per week: they have no week);
- the rules applied, each pointing at its section of DECISIONS.md;
- which other uploads also cover the week and why they do not speak (older, partial,
  rolled back, or the other source kept for comparison).

The drill-down lists the rows behind a week's value that went against it (breached
targets, Bad ratings) from ticket-level exports. In "safe to share" mode, the default,
ticket identifiers and the source row numbers that lead back to them never leave the
database; the stored drill-down has no other personal field (no requester, no assignee).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lib.core.kpis import UnknownKpi, get_kpi, kpi_keys
from lib.core.settings import COMBINED_SEGMENTS, Settings
from lib.metrics.kpis import WeekValue, at_or_below, build_series, fetch_cells
from lib.reading.shapes import WEEKLY_AGGREGATE
from lib.store import figures
from lib.store import upload_records as records

DECISIONS_SECTIONS = {
    1: "What one event is, and what counts",
    2: "How weeks are cut",
    3: 'Segments, and what "combined" means',
    4: 'The floor, and "at or below"',
    6: "Latest week, partial weeks and gaps",
    7: "Which upload speaks for a week (re-uploads, newest wins)",
    8: "What is refused, what is ignored",
    9: "Weekly aggregates (Sisense, hand-made sheets)",
}
EVENT_DATE = {
    "explore_sla": "its SLA status update date",
    "explore_satisfaction": "the ticket's solved date",
    "dbt_sla_policies": "sla_applied_at",
    "dbt_ticket_metrics": "first_solved_at",
    WEEKLY_AGGREGATE.name: "the export's week column",
}
# Drill-down columns: shown in safe mode, and the identifying ones added when it is off.
SAFE_COLUMNS = ("event_date", "form", "segment", "region", "ticket_group", "priority")
IDENTIFYING_COLUMNS = ("ticket_id", "source_row")
COLUMN_LABELS = {
    "ticket_id": "Ticket ID",
    "source_row": "Row in the file",
    "event_date": "Date",
    "form": "Ticket form",
    "segment": "Segment",
    "region": "Region",
    "ticket_group": "Ticket group",
    "priority": "Priority",
}
BREAKDOWNS = {
    "Ticket group": "ticket_group",
    "Region": "region",
    "Segment": "segment",
    "Ticket form": "form",
    "Priority": "priority",
}
DRILL_DOWN_LIMIT = 1000


@dataclass(frozen=True)
class UploadFacts:
    id: int
    file_name: str
    source: str
    layer: str
    shape: str
    uploaded_at: dt.datetime
    uploaded_by: str
    sha256: str
    status: str
    rows_read: int
    rows_used: int
    rows_ignored: int
    ignored_reasons: dict[str, int]
    first_date: dt.date | None
    last_date: dt.date | None
    is_demo: bool

    @property
    def ticket_level(self) -> bool:
        return self.shape != WEEKLY_AGGREGATE.name

    @property
    def label(self) -> str:
        return f"upload {self.id} ({self.file_name})"


@dataclass(frozen=True)
class SegmentRows:
    """One segment's share of this week in the speaking upload."""

    segment: str
    forms: str
    rows: int  # export rows counted (ticket-level: one per event; aggregate: one per row)
    good: int
    total: int
    percentage_rows: int  # aggregate rows that gave a percentage and no counts
    in_value: bool  # whether the value pools this segment


@dataclass(frozen=True)
class Rule:
    section: int
    text: str

    @property
    def reference(self) -> str:
        return f"DECISIONS.md §{self.section} {DECISIONS_SECTIONS[self.section]}"


@dataclass(frozen=True)
class SetAside:
    """Another upload that covers this KPI and week, and why it does not speak for the value."""

    upload: UploadFacts
    complete: bool
    reason: str


@dataclass
class Provenance:
    kpi: str
    week: dt.date
    segments: tuple[str, ...]
    layer: str  # as asked: display, primary or secondary
    region: str | None
    value: WeekValue
    upload: UploadFacts | None  # the upload that speaks for the value
    complete: bool | None  # whether that upload covers the whole week
    segment_rows: list[SegmentRows] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)

    @property
    def speaking_layer(self) -> str | None:
        return self.upload.layer if self.upload else None

    @property
    def rows_in_value(self) -> int:
        return sum(s.rows for s in self.segment_rows if s.in_value)

    @property
    def rows_outside_value(self) -> int:
        return sum(s.rows for s in self.segment_rows if not s.in_value)

    @property
    def scope_label(self) -> str:
        return "Combined" if self.segments == COMBINED_SEGMENTS else " + ".join(self.segments)


@dataclass(frozen=True)
class DrillDown:
    kpi: str
    week: dt.date
    what: str  # "breached targets" or "Bad ratings"
    available: bool  # False for a value from a weekly aggregate (no ticket rows exist)
    safe: bool
    columns: tuple[str, ...]
    rows: list[dict]
    total: int  # rows behind the value that went against it, before any limit
    note: str = ""

    @property
    def labels(self) -> list[str]:
        return [COLUMN_LABELS[column] for column in self.columns]


def upload_facts(con) -> dict[int, UploadFacts]:
    return {
        upload["id"]: UploadFacts(
            id=upload["id"],
            file_name=upload["file"],
            source=upload["source"],
            layer=upload["layer"],
            shape=upload["shape"],
            uploaded_at=upload["uploaded_at"],
            uploaded_by=upload["uploaded_by"],
            sha256=upload["sha256"],
            status=upload["status"],
            rows_read=upload["rows_read"],
            rows_used=upload["rows_used"],
            rows_ignored=upload["rows_ignored"],
            ignored_reasons=upload["ignored_reasons"] or {},
            first_date=upload["first_date"],
            last_date=upload["last_date"],
            is_demo=upload["is_demo"],
        )
        for upload in records.list_uploads(con)
    }


def week_value(con, settings: Settings, kpi: str, week: dt.date, segments, layer: str, region: str | None):
    """The value exactly as the pages compute it (lib.metrics.kpis), or a gap when there is none."""
    series = build_series(fetch_cells(con, region=region), kpi, settings.floors[kpi], layer=layer, segments=segments)
    found = next((w for w in series if w.week == week), None)
    return found or WeekValue(week, None, None, None, "gap", note="no data for this week")


def provenance(
    con,
    settings: Settings,
    kpi: str,
    week: dt.date,
    segments=None,
    layer: str = "display",
    *,
    region: str | None = None,
) -> Provenance:
    """Where the value of ``kpi`` in ``week`` (pooled over ``segments``, from ``layer``) comes from."""
    if kpi not in kpi_keys():
        raise ValueError(UnknownKpi(kpi).message)
    segments = tuple(segments) if segments else COMBINED_SEGMENTS
    value = week_value(con, settings, kpi, week, segments, layer, region)
    uploads = upload_facts(con)
    chosen = figures.chosen_for_week(con, kpi, week)
    speaking_id = value.upload_ids[0] if value.upload_ids else None
    speaking = uploads.get(speaking_id)
    complete = chosen[speaking.layer][1] if speaking and speaking.layer in chosen else None
    result = Provenance(kpi, week, segments, layer, region, value, speaking, complete)
    if speaking:
        result.segment_rows = segment_rows(con, speaking.id, kpi, week, segments, region)
    result.set_aside = set_aside(con, kpi, week, layer, chosen, uploads, speaking)
    result.rules = rules_applied(result, settings)
    return result


def segment_rows(con, upload_id: int, kpi: str, week: dt.date, segments, region: str | None) -> list[SegmentRows]:
    rows = figures.segment_totals(con, upload_id, kpi, week, region)
    return [
        SegmentRows(segment, forms or "", int(n or 0), int(good or 0), int(total or 0), int(pct), segment in segments)
        for segment, forms, n, good, total, pct in rows
    ]


def set_aside(con, kpi, week, layer, chosen, uploads, speaking) -> list[SetAside]:
    """Every other upload with this KPI and week, with the reason its figure is not the one shown."""
    covering = figures.uploads_covering(con, kpi, week)
    layers = ("primary", "secondary") if layer == "display" else (layer,)
    others = []
    for upload_id, complete in sorted(covering, key=lambda row: -row[0]):
        upload = uploads[upload_id]
        if upload.layer not in layers or (speaking and upload_id == speaking.id):
            continue
        winner_id, winner_complete = chosen.get(upload.layer, (None, None))
        if upload.status != "active":
            reason = f"{upload.status.replace('_', ' ')}: its figures are out until it is restored (Upload page)"
        elif upload_id == winner_id:
            # The other layer's own pick: Sisense kept beside Explore, or the reverse when only a layer is shown.
            reason = (
                "Sisense's figure for the same week, kept for comparison (Data trust page)"
                if upload.layer == "secondary"
                else "Explore's figure for the same week"
            )
        elif winner_complete and not complete:
            reason = f"covers only part of this week; upload {winner_id} covers all of it"
        else:
            reason = f"replaced for this week by upload {winner_id}, uploaded or restored later"
        others.append(SetAside(upload, bool(complete), reason))
    return others


def rules_applied(prov: Provenance, settings: Settings) -> list[Rule]:
    """The rules behind this value, in words, each pointing at its DECISIONS.md section."""
    kpi, week, value, upload = prov.kpi, prov.week, prov.value, prov.upload
    floor = settings.floors[kpi]
    week_end = week + dt.timedelta(days=6)
    rules = []
    if upload and not upload.ticket_level:
        rules.append(
            Rule(
                9,
                "A weekly aggregate: its good and total counts are taken as exported (counts win over a percentage "
                "on the same row); a segment given only as a percentage is used as is and cannot be pooled; "
                "'Combined' or 'Total' rows are ignored, because Floorline pools the segments itself.",
            )
        )
    else:
        rules.append(Rule(1, get_kpi(kpi).counting))
    event_date = EVENT_DATE.get(upload.shape, "its date") if upload else "its date"
    rules.append(
        Rule(
            2,
            f"Weeks start on {settings.week_start.capitalize()}: this one runs {week:%a %d %b} to "
            f"{week_end:%a %d %b %Y}. An event belongs to the week of {event_date}.",
        )
    )
    if prov.segments == COMBINED_SEGMENTS:
        rules.append(
            Rule(
                3,
                "Combined pools the counts of L&R, GitLab SM and GitLab SaaS (all good ÷ all counted), not the "
                "mean of their percentages. Forms map to segments through the editable mapping; Other is left out.",
            )
        )
    else:
        rules.append(Rule(3, f"Only {' and '.join(prov.segments)}: their counts pooled."))
    if value.good is not None and value.total:
        verdict = "at or below the floor (a breach)" if at_or_below(value.good, value.total, floor) else "above it"
        rules.append(
            Rule(
                4,
                f"At or below the {floor:g} % floor is a breach, decided on the counts (100 × good ≤ {floor:g} × "
                f"counted), never on a rounded percentage: {value.good:,} of {value.total:,} is {verdict}.",
            )
        )
    elif value.value is not None:
        rules.append(Rule(4, f"At or below the {floor:g} % floor is a breach (here compared as a percentage)."))
    if value.status == "partial":
        rules.append(
            Rule(
                6,
                "A partial week: the newest export ends before the week does. It is shown but counts toward no "
                "streak until an upload covers the whole week.",
            )
        )
    elif value.status == "gap":
        rules.append(Rule(6, "No value this week: a gap breaks a streak and is never read as a pass or a breach."))
    elif value.status == "unknown":
        rules.append(Rule(3, f"Not computed: {value.note}. An unknown week is neither a pass nor a breach."))
    if upload:
        coverage = "covers the whole week" if prov.complete else "covers only part of the week (none covers all)"
        layer_rule = ""
        if prov.layer == "display":
            layer_rule = (
                " Explore's figure is shown wherever it has one."
                if upload.layer == "primary"
                else " Explore has no figure for this week, so Sisense's is shown."
            )
        rules.append(
            Rule(
                7,
                f"For each source, KPI and week the newest active upload covering the whole week speaks (else the "
                f"newest covering part of it); its rows replace, never add to, older uploads'. Here {upload.label} "
                f"{coverage}.{layer_rule}",
            )
        )
        if upload.ignored_reasons:
            reasons = ", ".join(f"{count:,} {reason}" for reason, count in upload.ignored_reasons.items())
            rules.append(
                Rule(8, f"Rows out of scope are counted as ignored, never refused. In this upload: {reasons}.")
            )
    return rules


def _speaking_week(prov: Provenance) -> tuple:
    """The speaking upload, KPI, week, segments and region a drill-down reads the bad events of."""
    return prov.upload.id, prov.kpi, prov.week, prov.segments, prov.region


def drill_down(con, prov: Provenance, *, safe: bool = True, limit: int = DRILL_DOWN_LIMIT) -> DrillDown:
    """The rows behind the value that went against it. ``safe`` (the default) leaves out ticket identifiers."""
    what = get_kpi(prov.kpi).family.bad_events
    columns = SAFE_COLUMNS if safe else (*IDENTIFYING_COLUMNS, *SAFE_COLUMNS)
    if prov.upload is None:
        return DrillDown(prov.kpi, prov.week, what, False, safe, columns, [], 0, "No upload speaks for this week.")
    if not prov.upload.ticket_level:
        note = f"This figure comes from a weekly aggregate ({prov.upload.file_name}): it has no ticket rows to show."
        return DrillDown(prov.kpi, prov.week, what, False, safe, columns, [], 0, note)
    total = figures.bad_event_count(con, *_speaking_week(prov))
    rows = figures.bad_events(con, *_speaking_week(prov), columns=columns, limit=limit)
    note = f"The first {limit:,} of {total:,} are listed." if total > limit else ""
    return DrillDown(prov.kpi, prov.week, what, True, safe, columns, rows, total, note)


def drill_down_breakdown(con, prov: Provenance, by: str) -> list[tuple[str, int]]:
    """The drill-down's rows counted by one field (ticket group, region, form or priority), largest first."""
    if by not in BREAKDOWNS.values():
        raise ValueError(f"cannot break down by {by!r}")
    if prov.upload is None or not prov.upload.ticket_level:
        return []
    return figures.bad_events_by(con, *_speaking_week(prov), column=by)


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    layer: str
    data_through: dt.date  # the last day the source's active uploads have data for
    newest_week: dt.date | None
    last_upload_at: dt.datetime
    file_name: str
    uploaded_by: str

    def age_days(self, today: dt.date) -> int:
        return (today - self.data_through).days


def source_freshness(con) -> list[SourceFreshness]:
    """Per source (Explore, dbt, Sisense): how recent its active data is, and its latest upload.

    A weekly aggregate's date is the week's label, so its data runs to the end of that week.
    """
    rows = figures.source_freshness_rows(con, WEEKLY_AGGREGATE.name)
    return [SourceFreshness(*row) for row in rows]


def freshness(con) -> tuple[dict | None, list[SourceFreshness]]:
    """The newest active upload, and per source how recent its data is: what the sidebar says of the data."""
    row = figures.newest_active_upload(con)
    if not row:
        return None, []
    return {"file": row[0], "uploaded_at": row[1], "uploaded_by": row[2]}, source_freshness(con)
