"""What an OKR row is: its kinds and columns, the KPI link a key result may carry, and checked rows."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

from lib.core.kpis import as_written, kpi_keys
from lib.core.settings import COMBINED, COMBINED_SEGMENTS

STALE_AFTER_DAYS = 21  # "no check-in for three weeks"
FIRST_YEAR, LAST_YEAR = 1990, 2100  # the dates an OKR row may carry

DEPARTMENT = "department"
MANAGER = "manager"
LEVELS = (DEPARTMENT, MANAGER)

ON_TARGET = "On target"
OFF_TARGET = "Off target"
AT_RISK = "At risk"
NO_SCORE = "No score"
BAND_SYMBOLS = {ON_TARGET: "●", OFF_TARGET: "◐", AT_RISK: "▲", NO_SCORE: "○"}

SCOPE_NAMES = {"combined": COMBINED, "lr": "L&R", "gitlabsm": "GitLab SM", "gitlabsaas": "GitLab SaaS"}
KPI_LINK_EXPECTED = "a link like 'GitLab SM FRT >= 95', 'Combined SSAT >= 95' or 'EMEA L&R NRT >= 85'"


def kpi_link_pattern() -> re.Pattern:
    """'[region] scope KPI >= threshold', for every KPI the registry holds."""
    return _link_pattern(kpi_keys())


@functools.cache  # an import reads thousands of links: one pattern per set of KPIs
def _link_pattern(keys: tuple[str, ...]) -> re.Pattern:
    kpis = "|".join(re.escape(key) for key in keys)
    return re.compile(
        r"^\s*(?:(?P<region>AMER|APAC|EMEA)\s+)?(?P<scope>combined|l\s*&\s*r|gitlab\s+sm|gitlab\s+saas)\s+"
        rf"(?P<kpi>{kpis})\s*(?:>=|≥)\s*(?P<threshold>\d+(?:\.\d+)?)\s*%?\s*$",
        re.IGNORECASE,
    )


@dataclass(frozen=True)
class Column:
    name: str  # header in templates and key in records
    aliases: tuple[str, ...] = ()
    required: bool = True
    help: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return (header_key(self.name), *(header_key(alias) for alias in self.aliases))


KINDS = ("managers", "objectives", "key_results", "check_ins")
SHEET_NAMES = {
    "managers": "Managers",
    "objectives": "Objectives",
    "key_results": "Key results",
    "check_ins": "Check-ins",
}
COLUMNS: dict[str, tuple[Column, ...]] = {
    "managers": (
        Column("name", ("manager",), help="the manager's name, as used in owner columns"),
        Column("region", help="AMER, APAC or EMEA"),
        Column("segment", ("focus segment",), required=False, help="optional: L&R, GitLab SM or GitLab SaaS"),
        Column("manager_since", ("became manager", "manager from"), help="date they became a manager, 2025-09-15"),
    ),
    "objectives": (
        Column("objective_id", help="your own short key, unique across quarters, e.g. FY27-Q4-D1"),
        Column("quarter", help="fiscal quarter, e.g. FY27-Q4"),
        Column("level", help="department or manager"),
        Column("objective", ("title",), help="what the objective says"),
        Column("owner", ("dri",), help="one DRI; a manager objective's owner must be on the Managers sheet"),
        Column(
            "aligned_to",
            ("parent", "parent objective", "aligned to id"),
            required=False,
            help="manager objectives: the objective_id of the department objective they align with",
        ),
    ),
    "key_results": (
        Column("key_result_id", ("kr_id",), help="your own short key, e.g. FY27-Q4-M1-KR1"),
        Column("objective_id", help="the objective it belongs to"),
        Column("key_result", ("kr",), help="what the key result measures"),
        Column("owner", ("dri",), help="one DRI"),
        Column(
            "score",
            ("starting score",),
            required=False,
            help="0–100: used until the first check-in (an export shows the current score)",
        ),
        Column(
            "kpi_link",
            ("kpi",),
            required=False,
            help="optional, e.g. 'GitLab SM FRT >= 95': the score then comes from uploaded data",
        ),
    ),
    "check_ins": (
        Column("key_result_id", ("kr_id",), help="the key result checked in"),
        Column("date", ("check_in_date",), help="2026-11-20; one check-in per key result per day"),
        Column("score", help="0–100"),
        Column("note", required=False, help="what changed"),
    ),
}

KEY_COLUMN = {"managers": "name", "objectives": "objective_id", "key_results": "key_result_id"}


def header_key(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


@dataclass
class KpiLink:
    kpi: str
    scope: str  # Combined or one segment
    region: str | None
    threshold: float

    @property
    def text(self) -> str:
        region = f"{self.region} " if self.region else ""
        return f"{region}{self.scope} {self.kpi} >= {self.threshold:g}"

    @property
    def segments(self) -> tuple[str, ...]:
        return COMBINED_SEGMENTS if self.scope == COMBINED else (self.scope,)


def parse_kpi_link(text: str) -> KpiLink:
    """'GitLab SM FRT >= 95' → KpiLink; anything else raises ValueError."""
    match = kpi_link_pattern().match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a KPI link")
    threshold = float(match.group("threshold"))
    if threshold > 100:
        raise ValueError(f"a threshold of {threshold:g} % can never be met")
    region = match.group("region").upper() if match.group("region") else None
    return KpiLink(as_written(match.group("kpi")), SCOPE_NAMES[header_key(match.group("scope"))], region, threshold)


def blank(value: object) -> bool:
    """None, empty text, and the missing values a table editor hands back (NaN, NaT, NA)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # true only for NaN and NaT
    except TypeError:
        return True  # pandas.NA refuses to be a bool


def text_of(value: object) -> str:
    """Cell text with a download's formula guard (a leading apostrophe before = + - @) taken off again."""
    if blank(value):
        return ""
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


@dataclass
class Batch:
    """Checked rows ready to store, keyed the way the tables are."""

    managers: dict[str, dict] = field(default_factory=dict)
    objectives: dict[str, dict] = field(default_factory=dict)
    key_results: dict[str, dict] = field(default_factory=dict)
    check_ins: dict[tuple[str, dt.date], dict] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in KINDS}

    def describe(self) -> str:
        """'1 objectives, 2 key results': what a checked file holds."""
        return counts_text(self.counts())


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {SHEET_NAMES[kind].lower()}" for kind, n in counts.items() if n)
