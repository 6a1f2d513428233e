"""OKR test helpers: small valid workbooks and CSVs built in the test, and a copy of the demo year."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from export_builders import DEMO_END

from lib.metrics.fiscal import FiscalQuarter
from lib.okrs import quarters
from lib.store import database as store

Q3 = FiscalQuarter(2027, 3)  # 2026-08-01 .. 2026-10-31
Q4 = FiscalQuarter(2027, 4)  # 2026-11-01 .. 2027-01-31

MANAGERS = [("name", "region", "segment", "manager_since")]
OBJECTIVES = [("objective_id", "quarter", "level", "objective", "owner", "aligned_to")]
KEY_RESULTS = [("key_result_id", "objective_id", "key_result", "owner", "score", "kpi_link")]
CHECK_INS = [("key_result_id", "date", "score", "note")]


def write_csv(path: Path, rows: list[tuple]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_workbook(path: Path, sheets: dict[str, list[tuple]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def counts(con) -> dict[str, int]:
    tables = ("okr_managers", "okr_objectives", "okr_key_results", "okr_check_ins")
    return {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


def base_sheets(**extra: list[tuple]) -> dict[str, list[tuple]]:
    """A small valid quarter: one department objective, two managers, one aligned manager objective."""
    sheets = {
        "Managers": [*MANAGERS, ("Ana", "AMER", "", "2020-01-06"), ("Bo", "EMEA", "GitLab SM", "2021-03-01")],
        "Objectives": [
            *OBJECTIVES,
            ("D1", "FY27-Q4", "department", "Meet every KPI", "Director", ""),
            ("A1", "FY27-Q4", "manager", "Faster first replies", "Ana", "D1"),
        ],
        "Key results": [
            *KEY_RESULTS,
            ("A1-KR1", "A1", "Triage rota live", "Ana", 40, ""),
            ("D1-KR1", "D1", "Combined SSAT", "Director", 90, ""),
        ],
        "Check-ins": [*CHECK_INS, ("A1-KR1", "2026-11-20", 88, "rota live in AMER")],
    }
    for name, rows in extra.items():
        sheets[name.replace("_", " ")] = rows
    return sheets


def view_of(con, quarter=Q4, today=DEMO_END) -> quarters.QuarterView:
    return quarters.quarter_view(con, store.load_settings(con), quarter, today, breaches={})
