"""OKR downloads: the XLSX and CSV templates, and every stored row in the template's layout."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING

from lib.okrs.model import COLUMNS, KINDS, SHEET_NAMES, blank
from lib.okrs.repository import stored_frame

if TYPE_CHECKING:
    import pandas as pd

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
