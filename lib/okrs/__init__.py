"""OKRs by fiscal quarter: the manager roster, objectives, key results and their check-ins.

What the handbook asks, and how it is checked here:

- Every Support Engineering Manager holds at least one OKR each quarter, aligned with a
  department-level OKR of the same quarter. A new manager sets one only after a *full
  fiscal quarter* in the role: the first quarter that lies wholly on or after the day
  they became a manager (``lib.metrics.fiscal.first_full_quarter_from``). They are exempt up to
  and including that quarter, i.e. until its last day, and expected to hold an OKR from
  the quarter after.
- A key result's score is its newest check-in's score; with no check-in yet, the score
  typed on the key result (a starting score). A key result linked to a KPI takes its
  score from the uploaded data instead: the share of the quarter's complete weeks (a
  week belongs to the quarter its Monday falls in) whose value meets the threshold,
  compared exactly on the counts.
- A typed key result with no check-in for ``STALE_AFTER_DAYS`` days (counted from its
  newest check-in, or from the quarter's first day when it has none) is stale, judged on
  today or, for a past quarter, on its last day.
- Bands come from ``settings.okr_bands``: at or above ``on_target`` is on target, at or
  above ``off_target`` off target, below it at risk.
- A department objective's progress is the plain mean of the scores of every key result
  beneath it: its own key results and those of every manager objective aligned to it.
  Key results without a score are left out (and counted as unscored).
- Priority order (KPIs, then team growth, then OKRs): a manager whose region, or whose
  segment, has a KPI in a sustained breach sees that above their OKRs.

Every write holds ``store.WRITE_LOCK`` around one transaction, records who changed what
in the change log and bumps the data version. Files are refused whole: a bad row is
named with its row and column and nothing is stored.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from lib.core import auth
from lib.core.errors import RefusedFile
from lib.core.settings import COMBINED_SEGMENTS, KPIS, REGIONS, Settings
from lib.metrics import fiscal
from lib.metrics.fiscal import FiscalQuarter
from lib.metrics.kpis import build_series, fetch_cells, kpi_summaries, summarise
from lib.reading.files import open_checked_workbook
from lib.store import database as store

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

# The command line imports this module: pandas, openpyxl and plotly are imported where they are
# used, so the CLI stays quick.


STALE_AFTER_DAYS = 21  # "no check-in for three weeks"

DEPARTMENT = "department"
MANAGER = "manager"
LEVELS = (DEPARTMENT, MANAGER)

ON_TARGET = "On target"
OFF_TARGET = "Off target"
AT_RISK = "At risk"
NO_SCORE = "No score"
# Okabe-Ito colours (as lib.ui.figures uses), distinguishable with common colour blindness.
BAND_COLOURS = {ON_TARGET: "#009E73", OFF_TARGET: "#E69F00", AT_RISK: "#D55E00", NO_SCORE: "#BDBDBD"}
BAND_SYMBOLS = {ON_TARGET: "●", OFF_TARGET: "◐", AT_RISK: "▲", NO_SCORE: "○"}

COMBINED = "Combined"
KPI_LINK_PATTERN = re.compile(
    r"^\s*(?:(?P<region>AMER|APAC|EMEA)\s+)?(?P<scope>combined|l\s*&\s*r|gitlab\s+sm|gitlab\s+saas)\s+"
    r"(?P<kpi>FRT|NRT|SSAT)\s*(?:>=|≥)\s*(?P<threshold>\d+(?:\.\d+)?)\s*%?\s*$",
    re.IGNORECASE,
)
SCOPE_NAMES = {"combined": COMBINED, "lr": "L&R", "gitlabsm": "GitLab SM", "gitlabsaas": "GitLab SaaS"}
KPI_LINK_EXPECTED = "a link like 'GitLab SM FRT >= 95', 'Combined SSAT >= 95' or 'EMEA L&R NRT >= 85'"


# ---------------------------------------------------------------------------------------
# The four kinds of rows, as a file or the in-app tables carry them


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

EXAMPLE_ROWS: dict[str, list[tuple]] = {
    "managers": [
        ("Alex Rivera", "AMER", "GitLab SM", "2021-06-14"),
        ("Chioma Okafor", "EMEA", "", "2025-09-15"),
    ],
    "objectives": [
        ("FY27-Q4-D1", "FY27-Q4", "department", "Meet every support KPI every week", "Morgan Hayes", ""),
        ("FY27-Q4-M1", "FY27-Q4", "manager", "Get GitLab SM first replies back on target", "Alex Rivera", "FY27-Q4-D1"),
    ],
    "key_results": [
        (
            "FY27-Q4-D1-KR1",
            "FY27-Q4-D1",
            "Combined FRT at or above 95 % every week",
            "Morgan Hayes",
            "",
            "Combined FRT >= 95",
        ),
        ("FY27-Q4-M1-KR1", "FY27-Q4-M1", "Review SM ticket routing with the team", "Alex Rivera", 20, ""),
    ],
    "check_ins": [
        ("FY27-Q4-M1-KR1", "2026-11-13", 40, "Routing review drafted"),
        ("FY27-Q4-M1-KR1", "2026-11-20", 60, "Review held with AMER; EMEA next week"),
    ],
}


def header_key(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


@dataclass
class RawTable:
    """One sheet or CSV of one kind: where it came from, and its rows by spreadsheet row number."""

    kind: str
    source: str  # "okrs.xlsx, sheet Objectives" — how a refusal names it
    rows: list[tuple[int, dict[str, object]]]


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
    match = KPI_LINK_PATTERN.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a KPI link")
    threshold = float(match.group("threshold"))
    if threshold > 100:
        raise ValueError(f"a threshold of {threshold:g} % can never be met")
    region = match.group("region").upper() if match.group("region") else None
    return KpiLink(match.group("kpi").upper(), SCOPE_NAMES[header_key(match.group("scope"))], region, threshold)


# ---------------------------------------------------------------------------------------
# Reading files


def read_okr_file(path: Path | str, file_name: str | None = None, max_bytes: int | None = None) -> list[RawTable]:
    """The tables in an XLSX workbook (a sheet per kind) or a CSV (its kind told by its header)."""
    path = Path(path)
    file_name = file_name or path.name
    if max_bytes is not None and path.stat().st_size > max_bytes:
        raise RefusedFile(file_name, "the file is too large for an OKR sheet", expected="a few hundred rows")
    with open(path, "rb") as handle:
        is_xlsx = handle.read(4) == b"PK\x03\x04"
    if is_xlsx:
        return read_workbook(path, file_name)
    return [read_csv_table(path.read_bytes(), file_name)]


def read_workbook(path: Path, file_name: str) -> list[RawTable]:
    sheet_kinds = {header_key(name): kind for kind, name in SHEET_NAMES.items()}
    sheet_kinds.update({header_key(kind): kind for kind in KINDS})
    tables = []
    with open_checked_workbook(path, file_name) as workbook:
        for sheet in workbook.worksheets:
            kind = sheet_kinds.get(header_key(sheet.title))
            if kind is None:
                continue  # the "How to" sheet, or anything else the team keeps alongside
            rows = list(sheet.iter_rows(values_only=True))
            source = f"{file_name}, sheet {sheet.title}"
            if rows:
                tables.append(table_from_rows(kind, source, rows))
    if not tables:
        raise RefusedFile(
            file_name,
            "no sheet is named for a kind of OKR row",
            expected="sheets named " + ", ".join(SHEET_NAMES.values()),
        )
    return tables


def decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_csv_table(data: bytes, file_name: str) -> RawTable:
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [tuple(row) for row in csv.reader(io.StringIO(text), dialect)]
    if not rows:
        raise RefusedFile(file_name, "the file is empty", expected="a header row and one row per item")
    return table_from_rows(kind_of_header(rows[0], file_name), file_name, rows)


def kind_of_header(header: tuple, file_name: str) -> str:
    """The kind whose required columns the header has (the most familiar one if several do)."""
    keys = {header_key(cell) for cell in header if cell not in (None, "")}
    candidates = [kind for kind in KINDS if all(set(column.keys) & keys for column in COLUMNS[kind] if column.required)]
    if candidates:
        return max(candidates, key=lambda kind: len(keys & {k for c in COLUMNS[kind] for k in c.keys}))
    raise RefusedFile(
        file_name,
        "the header does not match any kind of OKR row: " + ", ".join(f"'{c}'" for c in header if c),
        row=1,
        expected="; ".join(f"{SHEET_NAMES[k]}: " + ", ".join(c.name for c in COLUMNS[k]) for k in KINDS),
    )


def table_from_rows(kind: str, source: str, rows: list[tuple]) -> RawTable:
    """Map the header to our columns (refusing unknown or missing ones) and keep non-empty rows."""
    header = rows[0]
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        if cell in (None, ""):
            continue
        column = next((c for c in COLUMNS[kind] if header_key(cell) in c.keys), None)
        if column is None:
            raise RefusedFile(
                source,
                f"'{cell}' is not a column of {SHEET_NAMES[kind]}",
                row=1,
                column=str(cell),
                expected="columns " + ", ".join(c.name for c in COLUMNS[kind]),
            )
        if column.name in positions:
            raise RefusedFile(source, "the column appears twice", row=1, column=str(cell))
        positions[column.name] = index
    for column in COLUMNS[kind]:
        if column.required and column.name not in positions:
            raise RefusedFile(source, "a required column is missing", row=1, column=column.name, expected=column.help)
    body = []
    for number, row in enumerate(rows[1:], start=2):
        record = {name: (row[index] if index < len(row) else None) for name, index in positions.items()}
        if all(blank(value) for value in record.values()):
            continue
        body.append((number, record))
    return RawTable(kind, source, body)


def table_from_editor(kind: str, frame: pd.DataFrame) -> RawTable:
    """The rows of an in-app table, numbered as the table shows them (1 = first row)."""
    names = [column.name for column in COLUMNS[kind]]
    rows = []
    for number, record in enumerate(frame.to_dict("records"), start=1):
        values = {name: record.get(name) for name in names}
        if all(blank(value) for value in values.values()):
            continue
        rows.append((number, values))
    return RawTable(kind, f"the {SHEET_NAMES[kind]} table", rows)


# ---------------------------------------------------------------------------------------
# Checking rows


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


class RowChecker:
    """Turns raw cells into typed values, refusing with the table, row and column named."""

    def __init__(self, table: RawTable):
        self.table = table

    def refuse(self, row: int, column: str, reason: str, expected: str | None = None):
        raise RefusedFile(self.table.source, reason, row=row, column=column, expected=expected)

    def text(self, row: int, record: dict, column: str, *, required: bool, limit: int = 500) -> str | None:
        value = text_of(record.get(column))
        if not value:
            if required:
                self.refuse(row, column, "this cell is empty", dict_help(self.table.kind, column))
            return None
        if len(value) > limit:
            self.refuse(row, column, f"the text is {len(value)} characters long", f"at most {limit}")
        return value

    def date(self, row: int, record: dict, column: str) -> dt.date:
        value = record.get(column)
        if isinstance(value, dt.datetime):  # pandas Timestamps too
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = text_of(value)
        if not text:
            self.refuse(row, column, "this cell is empty", "a date like 2026-11-20")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T][0-9:.]*)?", text):
            try:
                return dt.date.fromisoformat(text[:10])
            except ValueError:
                pass
        self.refuse(row, column, f"'{text}' is not a date", "a date like 2026-11-20")

    def score(self, row: int, record: dict, column: str, *, required: bool) -> float | None:
        value = record.get(column)
        if blank(value):
            if required:
                self.refuse(row, column, "this cell is empty", "a score from 0 to 100")
            return None
        if isinstance(value, bool):
            self.refuse(row, column, f"'{value}' is not a score", "a score from 0 to 100")
        if isinstance(value, int | float):
            number = float(value)
        else:
            text = text_of(value).rstrip("%").strip()
            try:
                number = float(text)
            except ValueError:
                self.refuse(row, column, f"'{value}' is not a score", "a score from 0 to 100")
        if math.isnan(number) or not 0 <= number <= 100:
            self.refuse(row, column, f"{number:g} is outside 0–100", "a score from 0 to 100")
        return number


def dict_help(kind: str, column: str) -> str | None:
    return next((c.help for c in COLUMNS[kind] if c.name == column), None) or None


@dataclass
class Batch:
    """Checked rows ready to store, keyed the way the tables are."""

    managers: dict[str, dict] = field(default_factory=dict)
    objectives: dict[str, dict] = field(default_factory=dict)
    key_results: dict[str, dict] = field(default_factory=dict)
    check_ins: dict[tuple[str, dt.date], dict] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in KINDS}


@dataclass
class Known:
    """What the rows may refer to: stored items plus those in the same batch."""

    managers: set[str]
    objectives: dict[str, tuple[str, str]]  # id -> (quarter, level)
    key_results: set[str]


def known_items(con, *, include_demo: bool) -> Known:
    demo = "" if include_demo else "WHERE NOT is_demo"
    return Known(
        managers={row[0] for row in con.execute(f"SELECT name FROM okr_managers {demo}").fetchall()},
        objectives={
            row[0]: (row[1], row[2])
            for row in con.execute(f"SELECT id, quarter, level FROM okr_objectives {demo}").fetchall()
        },
        key_results={row[0] for row in con.execute(f"SELECT id FROM okr_key_results {demo}").fetchall()},
    )


def check_tables(tables: list[RawTable], known: Known) -> Batch:
    """Every row checked, in dependency order (managers, objectives, key results, check-ins)."""
    by_kind: dict[str, list[RawTable]] = defaultdict(list)
    for table in tables:
        by_kind[table.kind].append(table)
    batch = Batch()
    for table in by_kind["managers"]:
        check_managers(table, batch, known)
    for table in by_kind["objectives"]:
        check_objectives(table, batch, known, first_pass=True)
    for table in by_kind["objectives"]:
        check_objectives(table, batch, known, first_pass=False)
    for table in by_kind["key_results"]:
        check_key_results(table, batch, known)
    for table in by_kind["check_ins"]:
        check_check_ins(table, batch, known)
    return batch


def check_unique(checker: RowChecker, seen: dict, key, row: int, column: str) -> None:
    if key in seen:
        checker.refuse(row, column, f"'{key}' appears twice (first on row {seen[key]})", "each key once")
    seen[key] = row


def check_managers(table: RawTable, batch: Batch, known: Known) -> None:
    checker = RowChecker(table)
    seen: dict = {}
    for row, record in table.rows:
        name = checker.text(row, record, "name", required=True, limit=120)
        check_unique(checker, seen, name, row, "name")
        region = checker.text(row, record, "region", required=True).upper()
        if region not in REGIONS:
            checker.refuse(row, "region", f"'{region}' is not a region", ", ".join(REGIONS))
        segment = checker.text(row, record, "segment", required=False)
        if segment:
            segment = next((s for s in COMBINED_SEGMENTS if header_key(s) == header_key(segment)), None) or segment
            if segment not in COMBINED_SEGMENTS:
                checker.refuse(
                    row, "segment", f"'{segment}' is not a segment", "blank, " + ", ".join(COMBINED_SEGMENTS)
                )
        since = checker.date(row, record, "manager_since")
        batch.managers[name] = {"name": name, "region": region, "segment": segment, "manager_since": since}
        known.managers.add(name)


def check_objectives(table: RawTable, batch: Batch, known: Known, *, first_pass: bool) -> None:
    """First pass: each row on its own (so parents may come later in the file); second: alignment."""
    checker = RowChecker(table)
    seen: dict = {}
    for row, record in table.rows:
        objective_id = checker.text(row, record, "objective_id", required=True, limit=60)
        if not first_pass:
            check_alignment(checker, row, batch.objectives[objective_id], known)
            continue
        check_unique(checker, seen, objective_id, row, "objective_id")
        if objective_id in batch.objectives:
            checker.refuse(row, "objective_id", f"'{objective_id}' is already given on another sheet")
        quarter_text = checker.text(row, record, "quarter", required=True)
        try:
            quarter = fiscal.parse_label(quarter_text).label
        except ValueError:
            checker.refuse(row, "quarter", f"'{quarter_text}' is not a fiscal quarter", "a quarter like FY27-Q4")
        level = checker.text(row, record, "level", required=True).lower()
        if level not in LEVELS:
            checker.refuse(row, "level", f"'{level}' is not a level", "department or manager")
        title = checker.text(row, record, "objective", required=True)
        owner = checker.text(row, record, "owner", required=True, limit=120)
        if level == MANAGER and owner not in known.managers:
            checker.refuse(
                row, "owner", f"'{owner}' is not on the manager roster", "a name from the Managers sheet or table"
            )
        parent = checker.text(row, record, "aligned_to", required=False, limit=60)
        if level == DEPARTMENT and parent:
            checker.refuse(row, "aligned_to", "a department objective is the top level", "this cell left empty")
        batch.objectives[objective_id] = {
            "id": objective_id,
            "quarter": quarter,
            "level": level,
            "title": title,
            "owner": owner,
            "parent_id": parent,
        }
        known.objectives[objective_id] = (quarter, level)


def check_alignment(checker: RowChecker, row: int, objective: dict, known: Known) -> None:
    parent = objective["parent_id"]
    if not parent:
        return  # allowed, and shown as a gap
    if parent == objective["id"]:
        checker.refuse(row, "aligned_to", "an objective cannot align with itself")
    if parent not in known.objectives:
        checker.refuse(
            row, "aligned_to", f"there is no objective '{parent}'", "the objective_id of a department objective"
        )
    if known.objectives[parent][1] != DEPARTMENT:
        checker.refuse(row, "aligned_to", f"'{parent}' is a manager objective", "a department objective")


def check_key_results(table: RawTable, batch: Batch, known: Known) -> None:
    checker = RowChecker(table)
    seen: dict = {}
    for row, record in table.rows:
        key_result_id = checker.text(row, record, "key_result_id", required=True, limit=60)
        check_unique(checker, seen, key_result_id, row, "key_result_id")
        objective_id = checker.text(row, record, "objective_id", required=True, limit=60)
        if objective_id not in known.objectives:
            checker.refuse(row, "objective_id", f"there is no objective '{objective_id}'", "an objective_id")
        link_text = checker.text(row, record, "kpi_link", required=False)
        link = None
        if link_text:
            try:
                link = parse_kpi_link(link_text)
            except ValueError as error:
                checker.refuse(row, "kpi_link", str(error), KPI_LINK_EXPECTED)
        batch.key_results[key_result_id] = {
            "id": key_result_id,
            "objective_id": objective_id,
            "title": checker.text(row, record, "key_result", required=True),
            "owner": checker.text(row, record, "owner", required=True, limit=120),
            "score": checker.score(row, record, "score", required=False),
            "kpi_link": link.text if link else None,
        }
        known.key_results.add(key_result_id)


def check_check_ins(table: RawTable, batch: Batch, known: Known) -> None:
    checker = RowChecker(table)
    seen: dict = {}
    for row, record in table.rows:
        key_result_id = checker.text(row, record, "key_result_id", required=True, limit=60)
        if key_result_id not in known.key_results:
            checker.refuse(row, "key_result_id", f"there is no key result '{key_result_id}'", "a key_result_id")
        day = checker.date(row, record, "date")
        check_unique(checker, seen, (key_result_id, day), row, "date")
        batch.check_ins[(key_result_id, day)] = {
            "key_result_id": key_result_id,
            "check_in_date": day,
            "score": checker.score(row, record, "score", required=True),
            "note": checker.text(row, record, "note", required=False, limit=2000),
        }


# ---------------------------------------------------------------------------------------
# Writing


@dataclass
class ImportResult:
    counts: dict[str, int]
    removed: dict[str, int] = field(default_factory=dict)
    replaced_demo: bool = False

    def summary(self) -> str:
        stored = ", ".join(f"{n} {SHEET_NAMES[kind].lower()}" for kind, n in self.counts.items() if n)
        removed = ", ".join(f"{n} {SHEET_NAMES[kind].lower()}" for kind, n in self.removed.items() if n)
        text = f"stored {stored or 'nothing'}"
        if removed:
            text += f"; removed {removed}"
        if self.replaced_demo:
            text += "; the demo OKRs were removed"
        return text


# Columns in table order (after the key columns come is_demo, created_at, updated_at) and what an
# upsert refreshes; created_at and is_demo keep their first values.
TABLE_COLUMNS = {
    "managers": ("okr_managers", ("name", "region", "segment", "manager_since"), ("name",)),
    "objectives": ("okr_objectives", ("id", "quarter", "level", "title", "owner", "parent_id"), ("id",)),
    "key_results": ("okr_key_results", ("id", "objective_id", "title", "owner", "score", "kpi_link"), ("id",)),
    "check_ins": (
        "okr_check_ins",
        ("key_result_id", "check_in_date", "score", "note"),
        ("key_result_id", "check_in_date"),
    ),
}


def upsert(con, kind: str, records: list[dict], *, is_demo: bool, now: dt.datetime) -> None:
    """One INSERT ... ON CONFLICT for the whole list (row-at-a-time inserts cost ~5 ms each)."""
    if not records:
        return
    table, columns, key = TABLE_COLUMNS[kind]
    placeholders = "(" + ", ".join(["?"] * (len(columns) + 3)) + ")"
    updates = ", ".join(f"{c} = excluded.{c}" for c in (*columns, "updated_at") if c not in key)
    sql = (
        f"INSERT INTO {table} VALUES {', '.join([placeholders] * len(records))} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )
    con.execute(sql, [value for r in records for value in (*(r[c] for c in columns), is_demo, now, now)])


def has_demo_okrs(con) -> bool:
    return con.execute("SELECT count(*) FROM okr_managers WHERE is_demo").fetchone()[0] > 0


def delete_demo_rows(con) -> None:
    for table in ("okr_check_ins", "okr_key_results", "okr_objectives", "okr_managers"):
        con.execute(f"DELETE FROM {table} WHERE is_demo")


def delete_items(con, removed: dict[str, list]) -> dict[str, int]:
    """Delete by key; an objective takes its key results and their check-ins with it, and objectives
    aligned to it become unaligned (shown as gaps)."""
    counts = {}
    for objective_id in removed.get("objectives", []):
        con.execute(
            """DELETE FROM okr_check_ins WHERE key_result_id IN
               (SELECT id FROM okr_key_results WHERE objective_id = ?)""",
            [objective_id],
        )
        con.execute("DELETE FROM okr_key_results WHERE objective_id = ?", [objective_id])
        con.execute("UPDATE okr_objectives SET parent_id = NULL WHERE parent_id = ?", [objective_id])
        con.execute("DELETE FROM okr_objectives WHERE id = ?", [objective_id])
    for key_result_id in removed.get("key_results", []):
        con.execute("DELETE FROM okr_check_ins WHERE key_result_id = ?", [key_result_id])
        con.execute("DELETE FROM okr_key_results WHERE id = ?", [key_result_id])
    for key_result_id, day in removed.get("check_ins", []):
        con.execute("DELETE FROM okr_check_ins WHERE key_result_id = ? AND check_in_date = ?", [key_result_id, day])
    for name in removed.get("managers", []):
        con.execute("DELETE FROM okr_managers WHERE name = ?", [name])
    for kind, keys in removed.items():
        counts[kind] = len(keys)
    return counts


def write_batch(
    con,
    batch: Batch,
    actor: str,
    *,
    action: str,
    subject: str,
    is_demo: bool = False,
    removed: dict[str, list] | None = None,
) -> ImportResult:
    """One transaction: retire demo OKRs on the first real write of a file, delete, upsert, log, bump."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = ImportResult(counts=batch.counts())
    with store.WRITE_LOCK:
        con.execute("BEGIN")
        try:
            if action == "import" and not is_demo and has_demo_okrs(con):
                delete_demo_rows(con)
                result.replaced_demo = True
            result.removed = delete_items(con, removed or {})
            for kind in KINDS:
                upsert(con, kind, list(getattr(batch, kind).values()), is_demo=is_demo, now=now)
            store.record_change(
                con, actor, f"okr {action}", subject, {"stored": result.counts, "removed": result.removed}
            )
            store.bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return result


def check_okr_file(con, path: Path | str, *, file_name: str | None = None) -> Batch:
    """Read and check a file without storing it; raises RefusedFile naming the row and column.

    While demo OKRs are present, references are checked against real rows only, because
    the import will replace the demo OKRs.
    """
    file_name = file_name or Path(path).name
    settings = store.load_settings(con)
    tables = read_okr_file(path, file_name, max_bytes=settings.max_upload_bytes)
    batch = check_tables(tables, known_items(con, include_demo=not has_demo_okrs(con)))
    if not any(batch.counts().values()):
        raise RefusedFile(file_name, "there are no rows to import", expected="one row per item under the header")
    return batch


def import_okr_file(con, path: Path | str, actor: str | None = None, *, file_name: str | None = None) -> ImportResult:
    """Store every row of an OKR workbook or CSV, or raise RefusedFile and store nothing.

    Items are added or replaced by their key (name, objective_id, key_result_id, key result
    and date); an import deletes nothing. The first file imported replaces the demo OKRs.
    """
    auth.require_editor("import OKRs")
    actor = actor or auth.actor()
    file_name = file_name or Path(path).name
    batch = check_okr_file(con, path, file_name=file_name)
    return write_batch(con, batch, actor, action="import", subject=file_name)


def save_table(
    con, kind: str, frame: pd.DataFrame, actor: str | None = None, *, original_keys: list, today: dt.date
) -> ImportResult:
    """Store an edited in-app table: its rows are checked like a file's; keys no longer present are deleted.

    A changed score on a key result is recorded as a check-in dated ``today``, so the rule
    "a key result's score is its newest check-in" keeps holding and the change counts as a
    check-in.
    """
    auth.require_editor("edit OKRs")
    actor = actor or auth.actor()
    table = table_from_editor(kind, frame)
    known = known_items(con, include_demo=True)
    current_keys = set()
    for _, record in table.rows:
        current_keys.add(row_key(kind, record))
    removed_keys = [key for key in original_keys if key not in current_keys]
    forget_removed(known, kind, removed_keys)
    batch = check_tables([table], known)
    if kind == "key_results":
        scores = effective_typed_scores(con)
        for key_result_id, record in batch.key_results.items():
            before = scores.get(key_result_id)
            if record["score"] is not None and (before is None or abs(before - record["score"]) > 1e-9):
                batch.check_ins[(key_result_id, today)] = {
                    "key_result_id": key_result_id,
                    "check_in_date": today,
                    "score": record["score"],
                    "note": "score changed in the app",
                }
    return write_batch(
        con,
        batch,
        actor,
        action="edit",
        subject=SHEET_NAMES[kind],
        is_demo=False,
        removed={kind: removed_keys} if removed_keys else None,
    )


def row_key(kind: str, record: dict):
    if kind == "check_ins":
        day = record.get("date")
        if isinstance(day, dt.datetime):
            day = day.date()
        elif isinstance(day, str):
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(day.strip()[:10])
        return (text_of(record.get("key_result_id")), day)
    return text_of(record.get(KEY_COLUMN[kind]))


def forget_removed(known: Known, kind: str, removed_keys: list) -> None:
    if kind == "managers":
        known.managers -= set(removed_keys)
    elif kind == "objectives":
        for key in removed_keys:
            known.objectives.pop(key, None)
    elif kind == "key_results":
        known.key_results -= set(removed_keys)


def effective_typed_scores(con) -> dict[str, float | None]:
    """Each key result's score as typed: its newest check-in's, else its starting score."""
    return dict(
        con.execute(
            """SELECT k.id, coalesce(
                   (SELECT c.score FROM okr_check_ins c WHERE c.key_result_id = k.id
                    ORDER BY c.check_in_date DESC LIMIT 1), k.score)
               FROM okr_key_results k"""
        ).fetchall()
    )


def add_check_in(
    con, key_result_id: str, day: dt.date, score: float, note: str | None, actor: str | None = None
) -> None:
    """Record one check-in (a second one the same day replaces the first)."""
    auth.require_editor("check in on key results")
    actor = actor or auth.actor()
    table = RawTable(
        "check_ins",
        "the check-in",
        [(1, {"key_result_id": key_result_id, "date": day, "score": score, "note": note})],
    )
    batch = check_tables([table], known_items(con, include_demo=True))
    is_demo = bool(
        con.execute(
            "SELECT coalesce(any_value(is_demo), false) FROM okr_key_results WHERE id = ?", [key_result_id]
        ).fetchone()[0]
    )
    write_batch(con, batch, actor, action="check-in", subject=key_result_id, is_demo=is_demo)


def remove_demo_okrs(con, actor: str | None = None) -> None:
    auth.require_editor("remove the demo OKRs")
    actor = actor or auth.actor()
    with store.WRITE_LOCK:
        con.execute("BEGIN")
        try:
            delete_demo_rows(con)
            store.record_change(con, actor, "okr demo removed", "demo OKRs", {})
            store.bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


# ---------------------------------------------------------------------------------------
# Reading back: tables for the page's editors and downloads


def stored_frame(con, kind: str, quarter: FiscalQuarter | None = None) -> pd.DataFrame:
    """A kind's rows with the same column names as the template (for an editor or a download)."""
    where, params = "", []
    if quarter is not None and kind == "objectives":
        where, params = "WHERE quarter = ?", [quarter.label]
    elif quarter is not None and kind == "key_results":
        where, params = "WHERE objective_id IN (SELECT id FROM okr_objectives WHERE quarter = ?)", [quarter.label]
    elif quarter is not None and kind == "check_ins":
        where = """WHERE key_result_id IN (SELECT k.id FROM okr_key_results k
                   JOIN okr_objectives o ON o.id = k.objective_id WHERE o.quarter = ?)"""
        params = [quarter.label]
    sql = {
        "managers": "SELECT name, region, segment, manager_since FROM okr_managers {w} ORDER BY region, name",
        "objectives": """SELECT id AS objective_id, quarter, level, title AS objective, owner, parent_id AS aligned_to
                         FROM okr_objectives {w} ORDER BY quarter DESC, level, id""",
        # The current score: the newest check-in's, else the starting score.
        "key_results": """SELECT id AS key_result_id, objective_id, title AS key_result, owner,
                              coalesce((SELECT c.score FROM okr_check_ins c WHERE c.key_result_id = k.id
                                        ORDER BY c.check_in_date DESC LIMIT 1), score) AS score, kpi_link
                          FROM okr_key_results k {w} ORDER BY objective_id, id""",
        "check_ins": """SELECT key_result_id, check_in_date AS date, score, note FROM okr_check_ins {w}
                        ORDER BY key_result_id, check_in_date""",
    }[kind].format(w=where)
    import pandas as pd

    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=names)


def workbook_bytes(frames: dict[str, pd.DataFrame], *, with_guide: bool) -> bytes:
    """An XLSX with one sheet per kind; every text cell neutralised so nothing runs as a formula."""
    import openpyxl

    from lib.core.downloads import neutralise

    workbook = openpyxl.Workbook()
    first = workbook.active
    if with_guide:
        first.title = "How to"
        first.append(["Sheet", "Column", "Required", "What goes in it"])
        for kind in KINDS:
            for column in COLUMNS[kind]:
                first.append(
                    [SHEET_NAMES[kind], column.name, "yes" if column.required else "no", neutralise(column.help)]
                )
        first.append([])
        first.append(["Row numbers in error messages count the header as row 1, as the spreadsheet shows them."])
    else:
        workbook.remove(first)
    for kind in KINDS:
        sheet = workbook.create_sheet(SHEET_NAMES[kind])
        frame = frames[kind]
        sheet.append([neutralise(str(c)) for c in frame.columns])
        for record in frame.itertuples(index=False):
            sheet.append([spreadsheet_value(value) for value in record])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def spreadsheet_value(value):
    from lib.core.downloads import neutralise

    if blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return neutralise(value)


def template_frames() -> dict[str, pd.DataFrame]:
    import pandas as pd

    return {
        kind: pd.DataFrame(EXAMPLE_ROWS[kind], columns=[c.name for c in COLUMNS[kind]]).astype(object) for kind in KINDS
    }


def template_workbook() -> bytes:
    return workbook_bytes(template_frames(), with_guide=True)


def template_csv(kind: str) -> bytes:
    from lib.core.downloads import safe_csv

    return safe_csv(template_frames()[kind])


def export_workbook(con) -> bytes:
    """Every stored OKR row, in the template's layout (so it can be edited and imported back)."""
    return workbook_bytes({kind: stored_frame(con, kind) for kind in KINDS}, with_guide=False)


def quarters_with_okrs(con) -> list[FiscalQuarter]:
    return sorted(
        {fiscal.parse_label(row[0]) for row in con.execute("SELECT DISTINCT quarter FROM okr_objectives").fetchall()}
    )


# ---------------------------------------------------------------------------------------
# The checks


def band_of(score: float | None, bands: dict[str, float]) -> str:
    if score is None:
        return NO_SCORE
    if score >= bands["on_target"]:
        return ON_TARGET
    if score >= bands["off_target"]:
        return OFF_TARGET
    return AT_RISK


def band_rule(bands: dict[str, float]) -> str:
    """'On target 85–100 %, Off target 70–84 %, At risk 0–69 %' from the settings."""
    on, off = bands["on_target"], bands["off_target"]
    return f"{ON_TARGET} {on:g}–100 %, {OFF_TARGET} {off:g} to under {on:g} %, {AT_RISK} under {off:g} %"


@dataclass(frozen=True)
class Exemption:
    first_full_quarter: FiscalQuarter
    exempt: bool

    @property
    def until(self) -> dt.date:
        """The last day of their first full quarter: an OKR is expected from the next day's quarter."""
        return self.first_full_quarter.end

    @property
    def expected_from(self) -> FiscalQuarter:
        return self.first_full_quarter.next()


def exemption(manager_since: dt.date, quarter: FiscalQuarter) -> Exemption:
    """Exempt in every quarter up to and including their first full fiscal quarter as a manager."""
    first_full = fiscal.first_full_quarter_from(manager_since)
    return Exemption(first_full, quarter <= first_full)


def judged_on(quarter: FiscalQuarter, today: dt.date) -> dt.date:
    """Checks look at today, or at a past quarter's last day."""
    return min(today, quarter.end)


def days_without_check_in(last_check_in: dt.date | None, quarter: FiscalQuarter, as_of: dt.date) -> int:
    """Days since the newest check-in, or since the quarter began when there is none."""
    since = last_check_in or quarter.start
    return (as_of - since).days


def is_stale(last_check_in: dt.date | None, quarter: FiscalQuarter, as_of: dt.date) -> bool:
    return days_without_check_in(last_check_in, quarter, as_of) >= STALE_AFTER_DAYS


@dataclass
class KpiProgress:
    score: float | None
    weeks_met: int
    weeks_counted: int
    latest_week: dt.date | None
    note: str


def kpi_link_progress(cells: list[tuple], link: KpiLink, quarter: FiscalQuarter, settings: Settings) -> KpiProgress:
    """Share of the quarter's complete weeks (by Monday) whose value meets the link's threshold.

    Meeting is ``100 × good ≥ threshold × total`` on the counts; partial weeks, gaps and
    weeks that cannot be pooled are not counted.
    """
    series = build_series(cells, link.kpi, settings.floors[link.kpi], segments=link.segments)
    in_quarter = [w for w in series if quarter.contains(w.week)]
    counted = [w for w in in_quarter if w.status in ("ok", "breach") and w.value is not None]
    met = 0
    for week_value in counted:
        if week_value.good is not None and week_value.total:
            met += Fraction(100 * week_value.good) >= Fraction(str(link.threshold)) * week_value.total
        else:
            met += week_value.value >= link.threshold
    if not counted:
        return KpiProgress(None, 0, 0, None, f"no complete week of {link.kpi} data in {quarter.label} yet")
    partial = len(in_quarter) - len(counted)
    note = f"{met} of {len(counted)} complete weeks met {link.text}"
    if partial:
        note += f" ({partial} partial or missing week{'s' if partial > 1 else ''} not counted)"
    return KpiProgress(100 * met / len(counted), met, len(counted), counted[-1].week, note)


@dataclass
class Breach:
    kpi: str
    scope: str  # "AMER" or "GitLab SM"
    weeks: int
    latest_week: dt.date
    latest_value: float

    def describe(self) -> str:
        return (
            f"{self.kpi} in {self.scope} at or below its floor {self.weeks} weeks running "
            f"(week of {fiscal.long_date(self.latest_week)}: {self.latest_value:.1f} %)"
        )

    @property
    def short(self) -> str:
        return f"{self.kpi} in {self.scope} ({self.weeks} weeks)"


def sustained_breaches(con, settings: Settings) -> dict[str, list[Breach]]:
    """KPIs in a sustained breach now, by region (its combined segments) and by segment (all regions)."""
    breaches: dict[str, list[Breach]] = defaultdict(list)
    for region in REGIONS:
        for kpi, summary in kpi_summaries(con, settings, region=region).items():
            if summary.sustained_breach:
                breaches[region].append(Breach(kpi, region, summary.streak, summary.latest.week, summary.latest.value))
    cells = fetch_cells(con)
    for segment in COMBINED_SEGMENTS:
        for kpi in KPIS:
            summary = summarise(build_series(cells, kpi, settings.floors[kpi], segments=(segment,)), kpi, settings)
            if summary.sustained_breach:
                breaches[segment].append(
                    Breach(kpi, segment, summary.streak, summary.latest.week, summary.latest.value)
                )
    return dict(breaches)


@dataclass
class KeyResultView:
    id: str
    objective_id: str
    title: str
    owner: str
    manager: str  # the objective's owner: whom a finding concerns
    score: float | None
    score_source: str  # check-in, starting score, KPI data, none
    band: str
    last_check_in: dt.date | None
    days_without_check_in: int | None
    stale: bool
    kpi_link: str | None
    kpi_note: str


@dataclass
class ObjectiveView:
    id: str
    level: str
    title: str
    owner: str
    parent_id: str | None
    alignment_problem: str | None  # None when aligned (or a department objective)
    key_results: list[KeyResultView]
    progress: float | None = None
    band: str = NO_SCORE


@dataclass
class ManagerView:
    name: str
    region: str
    segment: str | None
    manager_since: dt.date
    exemption: Exemption
    objectives: list[ObjectiveView]
    kpi_breaches: list[Breach]

    @property
    def aligned(self) -> bool:
        return any(o.alignment_problem is None for o in self.objectives)


@dataclass
class DepartmentView:
    objective: ObjectiveView
    aligned: list[ObjectiveView]
    progress: float | None
    band: str
    scored: int
    unscored: int


@dataclass
class Gap:
    manager: str
    check: str
    item: str
    detail: str


@dataclass
class QuarterView:
    quarter: FiscalQuarter
    as_of: dt.date
    bands: dict[str, float]
    managers: list[ManagerView]
    not_yet_managers: list[str]
    departments: list[DepartmentView]
    unaligned: list[ObjectiveView]  # manager objectives that align with no department objective of the quarter
    key_results: list[KeyResultView]
    gaps: list[Gap]


def mean_score(key_results: list[KeyResultView]) -> tuple[float | None, int, int]:
    scored = [kr.score for kr in key_results if kr.score is not None]
    return (sum(scored) / len(scored) if scored else None), len(scored), len(key_results) - len(scored)


def quarter_view(
    con,
    settings: Settings,
    quarter: FiscalQuarter,
    today: dt.date,
    breaches: dict[str, list[Breach]] | None = None,
) -> QuarterView:
    """Everything the OKR page shows for one quarter, with every check done."""
    as_of = judged_on(quarter, today)
    bands = settings.okr_bands
    breaches = sustained_breaches(con, settings) if breaches is None else breaches
    roster = con.execute(
        "SELECT name, region, segment, manager_since FROM okr_managers ORDER BY region, name"
    ).fetchall()
    objective_rows = con.execute(
        "SELECT id, level, title, owner, parent_id FROM okr_objectives WHERE quarter = ? ORDER BY level, id",
        [quarter.label],
    ).fetchall()
    levels = dict(con.execute("SELECT id, level FROM okr_objectives").fetchall())
    quarters = dict(con.execute("SELECT id, quarter FROM okr_objectives").fetchall())
    kr_rows = con.execute(
        """SELECT k.id, k.objective_id, k.title, k.owner, k.score, k.kpi_link,
                  (SELECT max(c.check_in_date) FROM okr_check_ins c
                   WHERE c.key_result_id = k.id AND c.check_in_date <= ?),
                  (SELECT c.score FROM okr_check_ins c WHERE c.key_result_id = k.id AND c.check_in_date <= ?
                   ORDER BY c.check_in_date DESC LIMIT 1)
           FROM okr_key_results k JOIN okr_objectives o ON o.id = k.objective_id
           WHERE o.quarter = ? ORDER BY k.id""",
        [as_of, as_of, quarter.label],
    ).fetchall()
    owners = {row[0]: row[3] for row in objective_rows}
    cells_by_region: dict[str | None, list[tuple]] = {}
    key_results_by_objective: dict[str, list[KeyResultView]] = defaultdict(list)
    all_key_results = []
    for kr_id, objective_id, title, owner, typed, link_text, last, checked in kr_rows:
        if link_text:
            link = parse_kpi_link(link_text)
            if link.region not in cells_by_region:
                cells_by_region[link.region] = fetch_cells(con, region=link.region)
            progress = kpi_link_progress(cells_by_region[link.region], link, quarter, settings)
            score, source, note = progress.score, "KPI data", progress.note
            stale, days = False, None
        else:
            score, source = (checked, "check-in") if checked is not None else (typed, "starting score")
            if score is None:
                source = "none"
            note = ""
            days = days_without_check_in(last, quarter, as_of) if as_of >= quarter.start else None
            stale = days is not None and days >= STALE_AFTER_DAYS
        view = KeyResultView(
            kr_id,
            objective_id,
            title,
            owner,
            owners[objective_id],
            score,
            source,
            band_of(score, bands),
            last,
            days,
            stale,
            link_text,
            note,
        )
        key_results_by_objective[objective_id].append(view)
        all_key_results.append(view)

    objectives = []
    for objective_id, level, title, owner, parent in objective_rows:
        problem = None
        if level == MANAGER:
            if not parent:
                problem = "aligned with nothing"
            elif levels.get(parent) != DEPARTMENT:
                problem = f"aligned with '{parent}', which is not a department objective"
            elif quarters.get(parent) != quarter.label:
                problem = f"aligned with '{parent}', a department objective of {quarters[parent]}"
        krs = key_results_by_objective[objective_id]
        progress, _, _ = mean_score(krs)
        objectives.append(
            ObjectiveView(objective_id, level, title, owner, parent, problem, krs, progress, band_of(progress, bands))
        )

    departments = []
    for objective in (o for o in objectives if o.level == DEPARTMENT):
        aligned = [o for o in objectives if o.level == MANAGER and o.parent_id == objective.id]
        beneath = objective.key_results + [kr for o in aligned for kr in o.key_results]
        progress, scored, unscored = mean_score(beneath)
        departments.append(DepartmentView(objective, aligned, progress, band_of(progress, bands), scored, unscored))
    unaligned = [o for o in objectives if o.level == MANAGER and o.alignment_problem]

    managers, not_yet = [], []
    for name, region, segment, since in roster:
        if since > quarter.end:
            not_yet.append(name)
            continue
        found = list(breaches.get(region, []))
        if segment:
            found += breaches.get(segment, [])
        managers.append(
            ManagerView(
                name,
                region,
                segment,
                since,
                exemption(since, quarter),
                [o for o in objectives if o.level == MANAGER and o.owner == name],
                found,
            )
        )
    # KPIs come first: managers with a sustained breach lead the list.
    managers.sort(key=lambda m: (not m.kpi_breaches, m.region, m.name))
    gaps = find_gaps(quarter, managers, objectives, departments, all_key_results)
    return QuarterView(quarter, as_of, bands, managers, not_yet, departments, unaligned, all_key_results, gaps)


def find_gaps(quarter, managers, objectives, departments, key_results) -> list[Gap]:
    gaps = []
    for manager in managers:
        if not manager.objectives and not manager.exemption.exempt:
            gaps.append(Gap(manager.name, "No OKR", "—", f"no manager objective in {quarter.label}"))
    for objective in objectives:
        if objective.alignment_problem:
            gaps.append(Gap(objective.owner, "Not aligned", objective_label(objective), objective.alignment_problem))
        if not objective.key_results:
            gaps.append(Gap(objective.owner, "No key results", objective_label(objective), "add at least one"))
    for department in departments:
        if not department.aligned:
            gaps.append(
                Gap(
                    department.objective.owner,
                    "No manager OKR aligned",
                    objective_label(department.objective),
                    "no manager objective aligns with this department objective",
                )
            )
    for kr in key_results:
        if kr.stale:
            since = f"since {fiscal.date_with_label(kr.last_check_in)}" if kr.last_check_in else "this quarter"
            gaps.append(
                Gap(
                    kr.manager,
                    "No check-in for 3 weeks",
                    f"{kr.id}: {kr.title}",
                    f"none {since} ({kr.days_without_check_in} days)",
                )
            )
        if kr.band in (AT_RISK, NO_SCORE):
            score = "no score yet" if kr.score is None else f"score {kr.score:.0f} %"
            gaps.append(
                Gap(kr.manager, kr.band, f"{kr.id}: {kr.title}", score + (f" — {kr.kpi_note}" if kr.kpi_note else ""))
            )
    return gaps


def objective_label(objective: ObjectiveView) -> str:
    return f"{objective.id}: {objective.title}"


# ---------------------------------------------------------------------------------------
# Tables and the alignment chart for the page


@dataclass(frozen=True)
class MissingOkr:
    manager: str
    reason: str  # "no OKR" or "not aligned"


@dataclass(frozen=True)
class QuarterAnswers:
    """The OKR page's first screen: who has no aligned OKR, who is exempt, which key results are at risk."""

    expected: int  # managers expected to hold an aligned OKR (everyone not exempt)
    missing: list[MissingOkr]
    exempt: list[tuple[str, dt.date]]  # (manager, exempt until)
    at_risk: list[KeyResultView]


def quarter_answers(view: QuarterView, managers: list[ManagerView] | None = None) -> QuarterAnswers:
    """Answers for ``managers`` (everyone by default, department key results included), in roster order.

    Exempt managers are expected to hold no OKR yet, so they are listed as exempt, never as missing.
    """
    everyone = managers is None
    managers = view.managers if everyone else managers
    names = {m.name for m in managers}
    expected = [m for m in managers if not m.exemption.exempt]
    return QuarterAnswers(
        expected=len(expected),
        missing=[MissingOkr(m.name, "not aligned" if m.objectives else "no OKR") for m in expected if not m.aligned],
        exempt=[(m.name, m.exemption.until) for m in managers if m.exemption.exempt],
        at_risk=[kr for kr in view.key_results if kr.band == AT_RISK and (everyone or kr.manager in names)],
    )


def gaps_frame(view: QuarterView) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [(g.manager, g.check, g.item, g.detail) for g in view.gaps], columns=["Manager", "Check", "Item", "Detail"]
    )


def managers_frame(view: QuarterView) -> pd.DataFrame:
    """One row per manager in priority order: KPIs, then team growth, then OKRs."""
    import pandas as pd

    rows = []
    for m in view.managers:
        if m.objectives:
            aligned = sum(o.alignment_problem is None for o in m.objectives)
            okr = f"{len(m.objectives)} objective(s), {aligned} aligned"
        elif m.exemption.exempt:
            okr = (
                f"Exempt until {fiscal.date_with_label(m.exemption.until)} (new manager); "
                f"OKR expected from {m.exemption.expected_from.label}"
            )
        else:
            okr = "No OKR"
        rows.append(
            {
                "Manager": m.name,
                "Region": m.region,
                "Segment": m.segment or "",
                "Manager since": fiscal.date_with_label(m.manager_since),
                "1. KPIs now": "; ".join(b.short for b in m.kpi_breaches) or "No sustained breach",
                "2. Team growth": "Hiring, development",
                "3. OKRs": okr,
            }
        )
    return pd.DataFrame(rows)


def key_results_frame(view: QuarterView) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {
            "Manager": kr.manager,
            "Key result": f"{kr.id}: {kr.title}",
            "Owner (DRI)": kr.owner,
            "Score %": None if kr.score is None else round(kr.score, 1),
            "Band": f"{BAND_SYMBOLS[kr.band]} {kr.band}",
            "Score from": f"KPI data: {kr.kpi_note}" if kr.kpi_link else kr.score_source,
            "Last check-in": fiscal.date_with_label(kr.last_check_in) if kr.last_check_in else "",
            "Stale": f"yes, {kr.days_without_check_in} days" if kr.stale else "",
        }
        for kr in view.key_results
    ]
    return pd.DataFrame(rows)


def departments_frame(view: QuarterView) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {
            "Department objective": objective_label(d.objective),
            "Owner (DRI)": d.objective.owner,
            "Progress %": None if d.progress is None else round(d.progress, 1),
            "Band": f"{BAND_SYMBOLS[d.band]} {d.band}",
            "Key results counted": d.scored,
            "Without a score": d.unscored,
            "Aligned manager objectives": ", ".join(f"{o.id} ({o.owner})" for o in d.aligned) or "none",
        }
        for d in view.departments
    ]
    return pd.DataFrame(rows)


def wrapped(text: str, width: int = 34) -> str:
    """Plotly draws box text on one line and shrinks it to fit: break long labels so they stay readable."""
    import textwrap

    return "<br>".join(textwrap.wrap(text, width, max_lines=3, placeholder=" …")) or text


# The root and "Not aligned" boxes hold no score. A mid grey with white text reads on a light page and on a
# dark one, where the light grey they had glared; band boxes keep dark text on their Okabe-Ito colours.
STRUCTURE_COLOUR = "#666666"
STRUCTURE_TEXT_COLOUR = "#FFFFFF"
BAND_TEXT_COLOUR = "#111111"


def alignment_figure(view: QuarterView, *, presentation: bool = False) -> go.Figure:
    """Icicle, read left to right: department objective → aligned manager objectives → key results.

    Each box is coloured by its band and also says the band in words with its score, so
    colour is never the only cue. Manager objectives that align with no department
    objective of the quarter sit under their own "Not aligned" box. Every key result gets
    the same height, so small ones stay readable.
    """
    import plotly.graph_objects as go

    ids, parents, labels, texts, colours, text_colours = [], [], [], [], [], []

    def add(node_id, parent_id, label, band, score, detail=""):
        ids.append(node_id)
        parents.append(parent_id)
        labels.append(wrapped(label))
        text_colours.append(BAND_TEXT_COLOUR)
        score_text = "no score" if score is None else f"{score:.0f} %"
        texts.append(f"{BAND_SYMBOLS[band]} {band} · {score_text}{detail}")
        colours.append(BAND_COLOURS[band])

    def add_key_results(parent_id, objective):
        for kr in objective.key_results:
            detail = " · from KPI data" if kr.kpi_link else ""
            detail += " · no check-in for 3 weeks" if kr.stale else ""
            add(f"kr:{kr.id}", parent_id, f"{kr.title} ({kr.owner})", kr.band, kr.score, detail)

    def add_manager_objective(parent_id, objective):
        node = f"obj:{objective.id}"
        add(node, parent_id, f"{objective.owner}: {objective.title}", objective.band, objective.progress)
        add_key_results(node, objective)

    # One explicit root: without it plotly draws an empty column for the implied one.
    ids.append("quarter")
    parents.append("")
    labels.append(view.quarter.label)
    texts.append("department objectives")
    colours.append(STRUCTURE_COLOUR)
    text_colours.append(STRUCTURE_TEXT_COLOUR)
    for department in view.departments:
        node = f"obj:{department.objective.id}"
        add(node, "quarter", department.objective.title, department.band, department.progress, " · roll-up")
        add_key_results(node, department.objective)
        for objective in department.aligned:
            add_manager_objective(node, objective)
    if view.unaligned:
        ids.append("unaligned")
        parents.append("quarter")
        labels.append("Not aligned")
        texts.append(wrapped(f"gap: no department objective of {view.quarter.label}"))
        colours.append(STRUCTURE_COLOUR)
        text_colours.append(STRUCTURE_TEXT_COLOUR)
        for objective in view.unaligned:
            add_manager_objective("unaligned", objective)
    leaves = sum(1 for node in ids if node not in set(parents))
    figure = go.Figure(
        go.Icicle(
            ids=ids,
            parents=parents,
            labels=labels,
            text=texts,
            marker={"colors": colours, "line": {"width": 1, "color": "#FFFFFF"}},
            texttemplate="<b>%{label}</b><br>%{text}",
            hovertemplate="<b>%{label}</b><br>%{text}<extra></extra>",
            textfont={"size": 17 if presentation else 14, "color": text_colours},
            tiling={"orientation": "h", "pad": 2},
            pathbar={"visible": False},
            leaf={"opacity": 1},
            sort=False,
        )
    )
    leaf_height = 72 if presentation else 60
    figure.update_layout(margin={"t": 4, "l": 0, "r": 0, "b": 4}, height=max(320, leaf_height * leaves))
    return figure


# ---------------------------------------------------------------------------------------
# Demo OKRs


DEMO_DIRECTOR = "Morgan Hayes"
# name, region, segment, years as a manager (None: new, see demo_roster)
DEMO_MANAGERS = (
    ("Alex Rivera", "AMER", "GitLab SM", dt.date(2021, 6, 14)),
    ("Jordan Lee", "AMER", None, dt.date(2022, 3, 1)),
    ("Sam Carter", "AMER", None, None),
    ("Priya Nair", "APAC", None, dt.date(2020, 9, 1)),
    ("Kenji Watanabe", "APAC", None, dt.date(2023, 1, 9)),
    ("Chioma Okafor", "EMEA", "L&R", dt.date(2022, 5, 2)),
    ("Lukas Becker", "EMEA", None, dt.date(2022, 10, 3)),
    ("Sofia Rossi", "EMEA", None, dt.date(2024, 2, 1)),
)
NEW_MANAGER_DAYS = 45  # Sam Carter became a manager this many days before the demo's today

DEPARTMENT_OKRS = (
    (
        "D1",
        "Meet every support KPI every week",
        [
            ("KR1", "Combined FRT at or above 95 % each week", "Combined FRT >= 95", None),
            ("KR2", "Combined SSAT at or above 95 % each week", "Combined SSAT >= 95", None),
        ],
    ),
    ("D2", "Grow and develop the team", [("KR1", "Six support engineers hired and onboarded", None, 80)]),
    ("D3", "Help customers help themselves", [("KR1", "Twenty troubleshooting pages published", None, 65)]),
)
# manager, parent department objective (None: not aligned), objective, [(title, KPI link, final score)]
MANAGER_OKRS_NOW = (
    (
        "Alex Rivera",
        "D1",
        "Get GitLab SM first replies back on target",
        [
            ("GitLab SM FRT at or above 95 % each week", "GitLab SM FRT >= 95", None),
            ("SM routing review done (epic &2)", None, 72),
        ],
    ),
    (
        "Jordan Lee",
        "D2",
        "Two AMER hires onboarded",
        [("Two offers accepted", None, 90), ("Onboarding buddies", None, 60)],
    ),
    ("Priya Nair", "D3", "APAC docs from real tickets", [("Eight pages from APAC tickets", None, 88)]),
    ("Chioma Okafor", "D1", "Faster L&R first replies in EMEA", [("L&R triage rota in EMEA", None, 76)]),
    ("Lukas Becker", None, "Fair on-call rotation in EMEA", [("Rota published for the quarter", None, 92)]),
    ("Sofia Rossi", "D2", "EMEA engineers' growth plans", [("Growth plan for every engineer", None, 50)]),
)
MANAGER_OKRS_BEFORE = (
    ("Alex Rivera", "D1", "Hold GitLab SM FRT through the summer", [("GitLab SM FRT", "GitLab SM FRT >= 95", None)]),
    ("Jordan Lee", "D2", "AMER hiring plan", [("Hiring plan agreed", None, 95)]),
    ("Priya Nair", "D3", "APAC knowledge base sweep", [("Forty pages reviewed", None, 86)]),
    ("Kenji Watanabe", "D2", "APAC mentoring circle", [("Monthly mentoring sessions", None, 78)]),
    ("Chioma Okafor", "D1", "L&R backlog below 50 tickets", [("Backlog under 50 by quarter end", None, 91)]),
    ("Lukas Becker", "D1", "EMEA weekend coverage", [("Weekend rota covers every weekend", None, 85)]),
    ("Sofia Rossi", "D2", "Training for new EMEA hires", [("Every new hire through training", None, 88)]),
)
DEMO_STALE_OWNER = "Sofia Rossi"


def check_in_days(quarter: FiscalQuarter, as_of: dt.date, *, stale: bool) -> list[dt.date]:
    """Weekly check-ins on Fridays; a stale key result has one only, on the quarter's first day."""
    if stale:
        return [quarter.start] if quarter.start <= as_of else []
    first = quarter.start + dt.timedelta(days=(4 - quarter.start.weekday()) % 7)
    last = min(as_of, quarter.end)
    days = []
    day = first
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=7)
    return days


def demo_batch(today: dt.date) -> Batch:
    batch = Batch()
    for name, region, segment, since in DEMO_MANAGERS:
        since = since or today - dt.timedelta(days=NEW_MANAGER_DAYS)
        batch.managers[name] = {"name": name, "region": region, "segment": segment, "manager_since": since}
    now_quarter = fiscal.quarter_of(today)
    for quarter, manager_okrs in ((now_quarter.previous(), MANAGER_OKRS_BEFORE), (now_quarter, MANAGER_OKRS_NOW)):
        prefix = quarter.label
        for code, title, key_results in DEPARTMENT_OKRS:
            objective_id = f"{prefix}-{code}"
            add_demo_objective(batch, quarter, objective_id, DEPARTMENT, title, DEMO_DIRECTOR, None)
            for kr_code, kr_title, link, final in key_results:
                add_demo_key_result(batch, quarter, today, objective_id, kr_code, kr_title, DEMO_DIRECTOR, link, final)
        for number, (owner, parent, title, key_results) in enumerate(manager_okrs, start=1):
            objective_id = f"{prefix}-M{number}"
            parent_id = f"{prefix}-{parent}" if parent else None
            add_demo_objective(batch, quarter, objective_id, MANAGER, title, owner, parent_id)
            for kr_number, (kr_title, link, final) in enumerate(key_results, start=1):
                stale = quarter == now_quarter and owner == DEMO_STALE_OWNER
                add_demo_key_result(
                    batch, quarter, today, objective_id, f"KR{kr_number}", kr_title, owner, link, final, stale=stale
                )
    return batch


def add_demo_objective(batch, quarter, objective_id, level, title, owner, parent_id) -> None:
    batch.objectives[objective_id] = {
        "id": objective_id,
        "quarter": quarter.label,
        "level": level,
        "title": title,
        "owner": owner,
        "parent_id": parent_id,
    }


def add_demo_key_result(batch, quarter, today, objective_id, code, title, owner, link, final, *, stale=False) -> None:
    key_result_id = f"{objective_id}-{code}"
    batch.key_results[key_result_id] = {
        "id": key_result_id,
        "objective_id": objective_id,
        "title": title,
        "owner": owner,
        "score": None if link else 0.0,
        "kpi_link": link,
    }
    if link:
        return
    days = check_in_days(quarter, today, stale=stale)
    for index, day in enumerate(days, start=1):
        # Scores climb toward the final one; the last check-in carries it.
        score = round(final * index / len(days)) if not stale else final
        batch.check_ins[(key_result_id, day)] = {
            "key_result_id": key_result_id,
            "check_in_date": day,
            "score": float(score),
            "note": f"week {index} update",
        }


def load_demo_okrs(con, today: dt.date, actor: str = "demo generator") -> bool:
    """Seed demo OKRs for the quarter of ``today`` and the one before; nothing if any OKR data exists."""
    if con.execute("SELECT count(*) FROM okr_managers").fetchone()[0]:
        return False
    write_batch(con, demo_batch(today), actor, action="demo", subject="demo OKRs", is_demo=True)
    return True
