"""Checking OKR rows: cells turned into typed values, or a refusal naming the table, row and column."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass

from lib.core.errors import RefusedFile
from lib.core.settings import COMBINED_SEGMENTS, REGIONS
from lib.metrics import fiscal
from lib.okrs.imports import OkrTable
from lib.okrs.model import (
    COLUMNS,
    DEPARTMENT,
    FIRST_YEAR,
    KPI_LINK_EXPECTED,
    LAST_YEAR,
    LEVELS,
    MANAGER,
    Batch,
    blank,
    header_key,
    parse_kpi_link,
    text_of,
)


class RowChecker:
    """Turns raw cells into typed values, refusing with the table, row and column named."""

    def __init__(self, table: OkrTable):
        self.table = table
        self.seen: dict = {}  # each key given so far, and the row it was given on

    def unique(self, row: int, key, column: str) -> None:
        if key in self.seen:
            self.refuse(row, column, f"'{key}' appears twice (first on row {self.seen[key]})", "each key once")
        self.seen[key] = row

    def key(self, row: int, record: dict, column: str) -> str:
        """A row's key: required, at most 60 characters (120 for a name), given once per table."""
        value = self.text(row, record, column, required=True, limit=120 if column == "name" else 60)
        self.unique(row, value, column)
        return value

    def refuse(self, row: int, column: str, reason: str, expected: str | None = None):
        raise RefusedFile(self.table.source, reason, row=row, column=column, expected=expected)

    def text(self, row: int, record: dict, column: str, *, required: bool, limit: int = 500) -> str | None:
        value = text_of(record.get(column))
        if not value:
            if required:
                self.refuse(row, column, "this cell is empty", dict_help(self.table.kind, column))
            return None
        if len(value) > limit:
            self.refuse(row, column, f"the text is {len(value):,} characters long", f"at most {limit:,}")
        return value

    def date(self, row: int, record: dict, column: str) -> dt.date:
        """A date from 1990 to 2100: anything earlier or later is a typing slip (0001-01-01 once broke the page)."""
        day = self.any_date(row, record, column)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.refuse(row, column, f"{day.isoformat()} is outside {FIRST_YEAR}–{LAST_YEAR}", "a date in that range")
        return day

    def any_date(self, row: int, record: dict, column: str) -> dt.date:
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
class Known:
    """What the rows may refer to: stored items plus those in the same batch."""

    managers: set[str]
    objectives: dict[str, tuple[str, str]]  # id -> (quarter, level)
    key_results: set[str]


def check_tables(tables: list[OkrTable], known: Known) -> Batch:
    """Every row checked, in dependency order (managers, objectives, key results, check-ins)."""
    by_kind: dict[str, list[OkrTable]] = defaultdict(list)
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


def check_managers(table: OkrTable, batch: Batch, known: Known) -> None:
    checker = RowChecker(table)
    for row, record in table.rows:
        name = checker.key(row, record, "name")
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


def check_objectives(table: OkrTable, batch: Batch, known: Known, *, first_pass: bool) -> None:
    """First pass: each row on its own (so parents may come later in the file); second: alignment."""
    checker = RowChecker(table)
    for row, record in table.rows:
        objective_id = checker.text(row, record, "objective_id", required=True, limit=60)
        if not first_pass:
            check_alignment(checker, row, batch.objectives[objective_id], known)
            continue
        checker.unique(row, objective_id, "objective_id")
        if objective_id in batch.objectives:
            checker.refuse(row, "objective_id", f"'{objective_id}' is already given on another sheet")
        quarter_text = checker.text(row, record, "quarter", required=True)
        try:
            quarter = fiscal.parse_label(quarter_text).label
        except ValueError as error:
            reason = (
                str(error) if fiscal.LABEL_PATTERN.match(quarter_text) else f"'{quarter_text}' is not a fiscal quarter"
            )
            checker.refuse(row, "quarter", reason, "a quarter like FY27-Q4")
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


def check_key_results(table: OkrTable, batch: Batch, known: Known) -> None:
    checker = RowChecker(table)
    for row, record in table.rows:
        key_result_id = checker.key(row, record, "key_result_id")
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


def check_check_ins(table: OkrTable, batch: Batch, known: Known) -> None:
    checker = RowChecker(table)
    for row, record in table.rows:
        key_result_id = checker.text(row, record, "key_result_id", required=True, limit=60)
        if key_result_id not in known.key_results:
            checker.refuse(row, "key_result_id", f"there is no key result '{key_result_id}'", "a key_result_id")
        day = checker.date(row, record, "date")
        checker.unique(row, (key_result_id, day), "date")
        batch.check_ins[(key_result_id, day)] = {
            "key_result_id": key_result_id,
            "check_in_date": day,
            "score": checker.score(row, record, "score", required=True),
            "note": checker.text(row, record, "note", required=False, limit=2000),
        }
