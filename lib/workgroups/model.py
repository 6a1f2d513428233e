"""What a workgroup is made of: its scopes, statuses and verdicts, the refusal a rule raises, and how
typed values are read and written into text.

A workgroup looks at one KPI in one scope: the combined figure, one segment, or one region's combined
figure. The combined scope is stored as the word ``combined`` (``COMBINED_SCOPE``); pages and tables
name the pooled figure ``settings.COMBINED``.
"""

from __future__ import annotations

import datetime as dt
import math

from lib.core.settings import COMBINED, COMBINED_SEGMENTS, REGIONS, SEGMENTS, Settings

# The value stored in workgroups.scope for the combined figure (old databases hold it too: keep it).
COMBINED_SCOPE = "combined"
# A workgroup looks at the combined KPI, one segment, or one region's combined figure.
SCOPES = (COMBINED_SCOPE, *SEGMENTS, *REGIONS)
STATUSES = ("open", "closed")
VERDICTS = ("open", "supported", "falsified", "inconclusive")
ACTION_KINDS = ("temporary", "permanent")
ACTION_STATUSES = ("planned", "in progress", "shipped", "dropped")
# The handbook: "Identify 2-3 Managers/ICs who will take part in the workgroup".
MEMBERS_EXPECTED = (2, 3)
# Weeks of context shown before the trigger on a workgroup's chart and in its issue body.
WEEKS_BEFORE_TRIGGER = 4


WORKGROUP_FIELDS = (
    "title",
    "issue_url",
    "facilitator",
    "executive_stakeholder",
    "exit_criteria",
    "summary",
    "opened_on",
    "closed_on",
)
HYPOTHESIS_FIELDS = ("title", "statement", "falsified_if", "approach", "verdict", "verdict_on", "notes")
MEMBER_COLUMNS = ("id", "name", "role")
EVIDENCE_COLUMNS = ("id", "link", "note")
ACTION_COLUMNS = ("id", "change", "kind", "owner", "due_on", "status", "shipped_on", "hypothesis_id")


class WorkgroupError(ValueError):
    """A request the rules refuse; ``message`` says why in words a manager can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_date(value) -> dt.date | None:
    """A date from what widgets, editors and query strings hand over (date, timestamp, ISO text, blank)."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp; NaT compares unequal to itself
        return None if value != value else value.to_pydatetime().date()
    return dt.date.fromisoformat(str(value)[:10])


def clean_text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def one_line(text) -> str:
    """User text inside a heading or list item: one line, so it cannot start a new block."""
    return " ".join(clean_text(text).split())


def block(text) -> str:
    """User text as a paragraph: kept as typed (it may hold links), blank lines kept, trailing space trimmed."""
    return "\n".join(line.rstrip() for line in clean_text(text).splitlines())


def stored_week(captured: dict) -> str:
    """A captured trigger week (stored ISO) as every page and export writes a date: '02 Nov 2026'."""
    return f"{dt.date.fromisoformat(captured['week']):%d %b %Y}"


def names_from_lines(text) -> list[str]:
    """People typed one a line (the form's members box): blank lines and surrounding spaces dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def scope_label(scope: str) -> str:
    if scope == COMBINED_SCOPE:
        return "combined (" + ", ".join(COMBINED_SEGMENTS) + ")"
    if scope in REGIONS:
        return f"{scope} region (combined)"
    return f"{scope} segment"


def hypothesis_heading(hypothesis: dict) -> str:
    return one_line(hypothesis.get("title") or hypothesis.get("library_title") or hypothesis["statement"])


def verdict_text(hypothesis: dict) -> str:
    if hypothesis["verdict"] == "open":
        return "Open (no verdict yet)"
    when = f" on {hypothesis['verdict_on']:%d %b %Y}" if hypothesis.get("verdict_on") else ""
    return f"{hypothesis['verdict'].capitalize()}{when}"


def member_count_warning(count: int) -> str | None:
    low, high = MEMBERS_EXPECTED
    if low <= count <= high:
        return None
    people = "nobody yet" if count == 0 else f"{count} member" + ("" if count == 1 else "s")
    return f"The handbook expects {low} or {high} members (managers or ICs who volunteer); this workgroup has {people}."


def default_title(kpi: str, scope: str, start: dt.date | None, end: dt.date | None) -> str:
    where = "" if scope == COMBINED_SCOPE else f" ({scope})"
    if start and end and start == end:
        return f"{kpi}{where} at or below the floor, week of {start:%d %b %Y}"
    if start and end:
        return f"{kpi}{where} at or below the floor, weeks of {start:%d %b} to {end:%d %b %Y}"
    return f"{kpi}{where} at or below the floor"


def default_exit_criteria(kpi: str, scope: str, settings: Settings) -> str:
    what = f"{COMBINED} {kpi}" if scope == COMBINED_SCOPE else f"{kpi} for {scope}"
    return (
        f"{what} above its {settings.floors[kpi]:g} % floor for {settings.recovery_weeks} consecutive complete weeks."
    )
