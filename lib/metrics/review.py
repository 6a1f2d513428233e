"""The weekly review: one card per KPI in agenda order, banners, and the meeting notes.

Pure functions over ``lib.metrics.kpis`` results (one small query aside: the regions the data has),
so every rule here is tested without a running app. The agenda puts what needs a decision
first: sustained breaches (the handbook's trigger for a metrics workgroup), then single-week
breaches, then KPIs close above their floor, then KPIs that could not be computed for the
week, then the rest.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from lib.core.downloads import neutralise
from lib.core.kpis import get_kpi, kpi_keys
from lib.core.labels import LAYER_SOURCES
from lib.core.settings import COMBINED_SEGMENTS, OTHER_SEGMENT, PROJECT_ROOT, Settings
from lib.core.text import escape_markdown, format_percent, format_points
from lib.metrics.kpis import KpiSummary, WeekValue, build_series, summarise
from lib.store import figures
from lib.store import upload_records as records

WORKGROUPS_PAGE = "pages/2_Workgroups.py"
UPLOAD_PAGE = "pages/6_Upload.py"


@dataclass(frozen=True)
class Status:
    key: str
    label: str
    icon: str  # a Material icon: its shape tells the statuses apart without colour
    colour: str  # a Streamlit Markdown colour name, always shown with the label and icon
    agenda_rank: int


STATUSES = {
    status.key: status
    for status in (
        Status("sustained", "Sustained breach", ":material/report:", "red", 0),
        Status("breach", "At or below the floor", ":material/warning:", "orange", 1),
        Status("near", "Near the floor", ":material/visibility:", "blue", 2),
        Status("unknown", "Cannot be computed", ":material/help:", "gray", 3),
        Status("missing", "No figure this week", ":material/block:", "gray", 3),
        Status("ok", "OK", ":material/check_circle:", "green", 4),
    )
}


@dataclass(frozen=True)
class SegmentLine:
    segment: str
    value: float | None
    good: int
    total: int
    in_combined: bool
    note: str = ""


@dataclass
class KpiCard:
    kpi: str
    name: str
    week: dt.date | None  # the week the figure is for (may be older than the review week: then missing)
    value: float | None
    good: int | None
    total: int | None
    change_points: float | None
    floor: float
    target: float
    streak: int
    breach_start: dt.date | None  # first week of the current run at or below the floor
    status: Status
    segments: list[SegmentLine] = field(default_factory=list)
    note: str = ""
    open_workgroup: dict | None = None  # {"title": ..., ...} of a workgroup already open for this KPI
    workgroup_query: dict[str, str] | None = None  # prefill for the workgroups page on a sustained breach
    trigger_weeks: int = 2  # settings.sustained_weeks: weeks in a row at or below the floor that call for a workgroup

    @property
    def call_to_action(self) -> str | None:
        if self.status.key != "sustained":
            return None
        return (
            f"Form a metrics workgroup: {self.kpi} has been at or below its {self.floor:g} % floor for "
            f"{self.streak} weeks in a row (since the week of {self.breach_start:%d %b %Y}); the handbook calls "
            f"for a workgroup after {self.trigger_weeks} (a sustained breach)."
        )


@dataclass
class Review:
    week: dt.date | None
    cards: list[KpiCard]  # in agenda order
    banners: list[str]
    weeks: list[dt.date]  # every week a review can be shown for, newest first
    quiet: list[str] = field(default_factory=list)  # banners a page shows quietly: the partial week's

    @property
    def loud(self) -> list[str]:
        return [banner for banner in self.banners if banner not in self.quiet]


def reviewable_weeks(summaries: dict[str, KpiSummary]) -> list[dt.date]:
    """Complete weeks with a figure for at least one KPI, newest first."""
    weeks = {w.week for s in summaries.values() for w in s.series if w.status in ("ok", "breach", "unknown")}
    return sorted(weeks, reverse=True)


def as_of(summary: KpiSummary, week: dt.date, settings: Settings) -> KpiSummary:
    """The summary as it read at the end of ``week``: later weeks are left out."""
    return summarise([w for w in summary.series if w.week <= week], summary.kpi, settings)


def status_of(summary: KpiSummary, week: dt.date | None, settings: Settings) -> Status:
    latest = summary.latest
    if latest is None or week is None or latest.week != week:
        return STATUSES["missing"]
    if latest.status == "unknown" or latest.value is None:
        return STATUSES["unknown"]
    if summary.sustained_breach:
        return STATUSES["sustained"]
    if latest.status == "breach":
        return STATUSES["breach"]
    if latest.value - summary.floor <= settings.near_floor_points:
        return STATUSES["near"]
    return STATUSES["ok"]


def segment_lines(summary: KpiSummary) -> list[SegmentLine]:
    latest = summary.latest
    if latest is None:
        return []
    lines = []
    for segment in (*COMBINED_SEGMENTS, OTHER_SEGMENT):
        cell = latest.segments.get(segment)
        if cell is None:
            lines.append(SegmentLine(segment, None, 0, 0, segment != OTHER_SEGMENT, "no data"))
        elif cell.pct_only is not None:
            lines.append(SegmentLine(segment, cell.pct_only, 0, 0, segment != OTHER_SEGMENT, "percentage as exported"))
        else:
            value = 100 * cell.good / cell.total if cell.total else None
            lines.append(SegmentLine(segment, value, cell.good, cell.total, segment != OTHER_SEGMENT))
    return lines


def kpi_card(
    summary: KpiSummary, week: dt.date | None, settings: Settings, open_workgroup: dict | None = None
) -> KpiCard:
    """The card for one KPI; ``open_workgroup`` is the workgroup already open for it, if any."""
    status = status_of(summary, week, settings)
    latest = summary.latest
    breach_start = None
    if summary.streak and latest:
        index = summary.series.index(latest)
        breach_start = summary.series[index - summary.streak + 1].week
    note = ""
    if status.key == "missing":
        note = f"latest figure is for the week of {latest.week:%d %b %Y}" if latest else "no figures yet"
    elif latest and latest.note:
        note = latest.note
    workgroup_query = None
    if status.key == "sustained":
        workgroup_query = {"kpi": summary.kpi, "start": breach_start.isoformat(), "end": latest.week.isoformat()}
    return KpiCard(
        kpi=summary.kpi,
        name=get_kpi(summary.kpi).name,
        week=latest.week if latest else None,
        value=latest.value if latest else None,
        good=latest.good if latest else None,
        total=latest.total if latest else None,
        change_points=summary.change_points if status.key != "missing" else None,
        floor=summary.floor,
        target=summary.target,
        streak=summary.streak if status.key != "missing" else 0,
        breach_start=breach_start,
        status=status,
        segments=segment_lines(summary),
        note=note,
        open_workgroup=open_workgroup,
        workgroup_query=workgroup_query,
        trigger_weeks=settings.sustained_weeks,
    )


def weekly_review(
    summaries: dict[str, KpiSummary],
    settings: Settings,
    *,
    week: dt.date | None = None,
    open_workgroups: dict[str, dict] | None = None,
    upload_last_dates: dict[int, dt.date] | None = None,
    today: dt.date | None = None,
) -> Review:
    """The review for ``week`` (default: the latest complete week of any KPI).

    ``open_workgroups`` maps a KPI to the workgroup already open for it ({"title": ...}); the
    caller gets it from the workgroups store. ``upload_last_dates`` (upload id -> last date it
    covers) lets the partial-week banner say how far the data goes. With ``today``, a banner
    says when the newest complete calendar week has no figures yet.
    """
    weeks = reviewable_weeks(summaries)
    if week is None or week not in weeks:
        week = weeks[0] if weeks else None
    open_workgroups = open_workgroups or {}
    cards = []
    for kpi in kpi_keys():
        if kpi not in summaries:
            continue
        summary = summaries[kpi] if week is None else as_of(summaries[kpi], week, settings)
        cards.append(kpi_card(summary, week, settings, open_workgroups.get(kpi)))
    cards.sort(key=lambda card: card.status.agenda_rank)  # stable: KPI order within a rank
    latest = bool(weeks) and week == weeks[0]
    messages = banners(summaries, week, cards, upload_last_dates or {}, latest=latest)
    if today and latest:
        last_complete = last_complete_week(today, settings)
        if last_complete > week:
            messages.insert(
                0,
                f"No figures yet for the week of {last_complete:%d %b %Y}, the last complete week: "
                f"this review shows the week of {week:%d %b %Y}. Upload newer exports to bring it up to date.",
            )
    return Review(week, cards, messages, weeks, partial_week_banners(summaries, week, upload_last_dates or {}, latest))


def last_complete_week(today: dt.date, settings: Settings) -> dt.date:
    """The start of the newest calendar week that has ended before ``today``."""
    this_week = today - dt.timedelta(days=(today.weekday() - settings.week_start_index) % 7)
    return this_week - dt.timedelta(days=7)


def banners(
    summaries: dict[str, KpiSummary],
    week: dt.date | None,
    cards: list[KpiCard],
    upload_last_dates: dict,
    *,
    latest: bool = True,
) -> list[str]:
    """Warnings a meeting must not miss: a partial newest week (when reviewing the latest week), a missing figure."""
    messages = partial_week_banners(summaries, week, upload_last_dates, latest)
    for card in cards if week else ():
        if card.status.key == "missing":
            messages.append(f"No {card.kpi} figure for the week of {week:%d %b %Y}: {card.note}.")
    return messages


def partial_week_banners(
    summaries: dict[str, KpiSummary], week: dt.date | None, upload_last_dates: dict, latest: bool
) -> list[str]:
    """The newer partial week, when reviewing the latest week: news, but not a figure the meeting acts on."""
    messages = []
    if week is None:
        return messages
    partial: dict[dt.date, list[str]] = {}
    through: dict[dt.date, dt.date] = {}
    for kpi, summary in summaries.items():
        trailing = summary.latest_partial
        if not latest or trailing is None or trailing.week <= week:
            continue
        partial.setdefault(trailing.week, []).append(kpi)
        last_dates = [upload_last_dates[i] for i in trailing.upload_ids if i in upload_last_dates]
        if last_dates:
            through[trailing.week] = max([*last_dates, through.get(trailing.week, last_dates[0])])
    for partial_week, kpis in sorted(partial.items()):
        data_through = f": data through {through[partial_week]:%a %d %b %Y}" if partial_week in through else ""
        messages.append(
            f"The week of {partial_week:%d %b %Y} is partial{data_through} ({', '.join(kpis)}). "
            f"Its figures are left out of this review until the week is complete."
        )
    return messages


def trends(cells: list[tuple], settings: Settings, layer: str, segments: tuple) -> dict[str, tuple]:
    """Per KPI: its summary for the chosen source (layer), and one series per requested segment."""
    data = {}
    for kpi in kpi_keys():
        floor = settings.floors[kpi]
        summary = summarise(build_series(cells, kpi, floor, layer=layer), kpi, settings)
        by_segment = {
            segment: build_series(cells, kpi, floor, layer=layer, segments=(segment,)) for segment in segments
        }
        data[kpi] = (summary, by_segment)
    return data


def weeks_charted(trend: dict[str, tuple]) -> list[str]:
    """Every week any KPI has a figure for, oldest first, as ISO dates: the trends page's range stops."""
    return sorted({w.week.isoformat() for summary, _ in trend.values() for w in summary.series})


def in_range(series: list[WeekValue], first: str, last: str) -> list[WeekValue]:
    """The weeks from ``first`` to ``last`` (ISO dates), both included."""
    return [w for w in series if first <= w.week.isoformat() <= last]


def upload_facts(con) -> dict[int, dict]:
    """Per upload: how a chart names it, the last date its data covers, when it arrived, whether it is active."""
    return {
        upload["id"]: {
            "label": f"upload {upload['id']} ({upload['file']})",
            "last_date": upload["last_date"],
            "uploaded_at": upload["uploaded_at"],
            "active": upload["status"] == "active",
        }
        for upload in records.list_uploads(con)
    }


def data_freshness(uploads) -> dict | None:
    """How far the active uploads' data goes and when the newest of them arrived (for the meeting notes)."""
    active = [upload for upload in uploads if upload["active"]]
    if not active:
        return None
    return {
        "last_date": max(upload["last_date"] for upload in active if upload["last_date"]),
        "uploaded_at": max(upload["uploaded_at"] for upload in active),
    }


def week_to_explain(weeks: list[WeekValue]) -> int:
    """Which of ``weeks`` (newest first) to explain by default: the latest complete one, not a partial week."""
    return next((index for index, week in enumerate(weeks) if week.status != "partial"), 0)


def streak_text(card: KpiCard) -> str:
    if card.status.key in ("missing", "unknown"):
        return "no figure this week to hold against the floor"
    if not card.streak:
        return "not at or below the floor this week"
    weeks = "week" if card.streak == 1 else "weeks"
    return f"{card.streak} {weeks} at or below (since {card.breach_start:%d %b})"


def segments_markdown_table(card: KpiCard) -> str:
    """The per-segment values with their sample sizes; Other is marked as outside the combined figure."""
    rows = ["| Segment | Value | Good / counted |", "|:--|--:|--:|"]
    for line in card.segments:
        # The segment names are the app's own (L&R, GitLab SM, ...): written as they are, so a pasted
        # table reads "L&R", not "L\&R".
        name = line.segment if line.in_combined else f"{line.segment} (not in combined)"
        counts = f"{line.good:,} / {line.total:,}" if line.total else escape_markdown(line.note or "—")
        rows.append(f"| {name} | {format_percent(line.value)} | {counts} |")
    return "\n".join(rows)


# In the notes file only what would turn text into markup is escaped: the notes are pasted into plain
# documents too, where "L\&R" or "Nov\." would show their backslashes. (On a page, Streamlit's own
# Markdown needs more: lib.core.text.escape_markdown.)
NOTES_MARKUP = re.compile(r"([\\`*_\[\]<>|#~$])")


def user_text(text: object) -> str:
    """Text a person typed, for the notes: one line, markup characters escaped, no spreadsheet formula."""
    return NOTES_MARKUP.sub(r"\\\1", " ".join(neutralise(str(text)).split()))


def workgroup_lines(kpi: str, workgroup: dict) -> list[str]:
    """An open workgroup in the notes: title, facilitator, issue, each hypothesis with its verdict."""
    title = user_text(workgroup.get("title") or "untitled")
    issue = workgroup.get("issue_url")
    lines = [
        f"- **{kpi}: {title}**",
        f"  - Facilitator: {user_text(workgroup.get('facilitator') or 'to be named')}",
        f"  - Issue: {user_text(issue) if issue else 'none linked yet'}",
    ]
    hypotheses = workgroup.get("hypotheses") or []
    if not hypotheses:
        lines.append("  - Hypotheses: none recorded yet")
    lines += [f"  - Hypothesis: {user_text(statement)} — {verdict}" for statement, verdict in hypotheses]
    return lines


def meeting_notes_markdown(
    review: Review, *, freshness: dict | None = None, is_demo: bool = False, generated: dt.datetime | None = None
) -> str:
    """The week's review as Markdown for the agenda document: values, changes, flags, open workgroups."""
    if review.week is None:
        return "# Support KPI review\n\nNo weekly figures yet.\n"
    week_end = review.week + dt.timedelta(days=6)
    lines = [f"# Support KPI review — week of {review.week:%d %b %Y}", ""]
    lines.append(f"Week {review.week:%a %d %b} to {week_end:%a %d %b %Y}. KPIs in agenda order.")
    if is_demo:
        lines += ["", "**Demo data: these figures are generated, not real.**"]
    for banner in review.banners:
        lines += ["", f"> {banner}"]
    lines += [
        "",
        "## Summary",
        "",
        "| KPI | Value | Change | Floor | Status | Weeks at or below |",
        "|:--|--:|--:|--:|:--|--:|",
    ]
    for card in review.cards:
        lines.append(
            f"| {card.kpi} | {format_percent(card.value, card.floor)} | {format_points(card.change_points)} | "
            f"{card.floor:g} % | {card.status.label} | {card.streak} |"
        )
    for card in review.cards:
        lines += ["", f"## {card.kpi} — {card.name}: {card.status.label}", ""]
        if card.value is not None:
            counts = f" ({card.good:,} good of {card.total:,})" if card.total else ""
            value = format_percent(card.value, card.floor)
            lines.append(f"- Combined: {value}{counts}, {format_points(card.change_points)} on the week before")
        lines.append(f"- Floor {card.floor:g} %, target {card.target:g} %; {streak_text(card)}")
        if card.note:
            lines.append(f"- Note: {escape_markdown(card.note)}")
        if card.open_workgroup:
            lines.append(f"- Workgroup already open: {user_text(card.open_workgroup.get('title', 'untitled'))}")
        elif card.call_to_action:
            lines.append(f"- **Action:** {card.call_to_action}")
        if card.segments:
            lines += ["", segments_markdown_table(card)]
    open_groups = [card for card in review.cards if card.open_workgroup]
    lines += ["", "## Open workgroups", ""]
    if open_groups:
        for card in open_groups:
            lines += workgroup_lines(card.kpi, card.open_workgroup)
    else:
        lines.append("- None")
    if freshness:
        lines += [
            "",
            "---",
            f"Data through {freshness['last_date']:%a %d %b %Y}; "
            f"newest upload {freshness['uploaded_at']:%d %b %Y %H:%M} UTC.",
        ]
    if generated:
        lines.append(f"Notes generated {generated:%d %b %Y %H:%M} UTC by Floorline.")
    return "\n".join(lines) + "\n"


def app_page_exists(page: str) -> bool:
    """st.page_link fails for a page that is not there; pages are added as the app grows."""
    return (PROJECT_ROOT / page).is_file()


def regions_in_data(con) -> list[str]:
    """Regions the active uploads carry (the region control only appears when there are some)."""
    return figures.active_regions(con)


def weekly_table(kpi: str, combined: list, segment_series: dict[str, list] | None = None) -> list[dict]:
    """The numbers behind a trend chart, one row per week and line, for a table or a CSV download."""
    rows = []
    for line, series in [("Combined", combined), *(segment_series or {}).items()]:
        for week_value in series:
            rows.append(
                {
                    "KPI": kpi,
                    "Week": week_value.week,
                    "Line": line,
                    "Value %": None if week_value.value is None else round(week_value.value, 2),
                    "Good": week_value.good,
                    "Counted": week_value.total,
                    "Status": week_value.status,
                    "Source": LAYER_SOURCES.get(week_value.layer, ""),
                    "Uploads": ", ".join(str(i) for i in week_value.upload_ids),
                    "Note": week_value.note,
                }
            )
    return rows
