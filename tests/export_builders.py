"""Small exports written the way Explore writes them, for tests to build their data from, and the
weekly figures and refusals the tests read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from lib.core.errors import RefusedFile
from lib.metrics import explain
from lib.metrics.kpis import kpi_summaries
from lib.store import database as store
from lib.uploads import ingest

SLA_HEADER = [
    "Ticket ID",
    "Ticket form",
    "SLA metric",
    "SLA metric status",
    "SLA target status",
    "Time - SLA status update - Date",
    "Preferred Region for Support",
]
SATISFACTION_HEADER = ["Ticket ID", "Ticket form", "Ticket satisfaction rating", "Ticket solved - Date"]
# The demo year ends on a Thursday in FY27-Q4: week of 16 Nov 2026 is the latest complete one.
DEMO_END = dt.date(2026, 11, 26)
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "dbt_zendesk"


# An Explore SLA event export's six columns without a region: the smallest export a manager sends.
EVENT_HEADER = SLA_HEADER[:6]


def complete_weeks_csv(
    weeks: dict, *, header=EVENT_HEADER, metric="First reply time", form="SaaS", first_ticket=700000
) -> str:
    """SLA events, (achieved, breached) targets per Monday, dated that Monday and its Sunday: every week complete."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    ticket = first_ticket
    for monday, (achieved, breached) in weeks.items():
        for index in range(achieved + breached):
            day = monday + dt.timedelta(days=6 if index % 2 else 0)
            outcome = "Achieved" if index < achieved else "Breached"
            writer.writerow([ticket, form, metric, "Completed", outcome, day.isoformat()])
            ticket += 1
    return buffer.getvalue()


def csv_text(header: list[str], rows: list[list], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def sla_rows(week: dt.date, form: str, metric: str, achieved: int, breached: int, region="Americas, USA", day=2):
    """Rows for one week: ``achieved`` Achieved and ``breached`` Breached targets on the week's ``day``."""
    date = (week + dt.timedelta(days=day)).isoformat()
    rows = [["", form, metric, "Completed", "Achieved", date, region] for _ in range(achieved)]
    rows += [["", form, metric, "Completed", "Breached", date, region] for _ in range(breached)]
    return rows


def span_rows(first: dt.date, last: dt.date) -> list[list]:
    """One out-of-scope row on the first and last day, so the export's dates span whole weeks."""
    return [
        ["", "SaaS", "Requester wait time", "Completed", "Achieved", first.isoformat(), ""],
        ["", "SaaS", "Requester wait time", "Completed", "Achieved", last.isoformat(), ""],
    ]


def write_sla(path: Path, rows: list[list], *, encoding="utf-8", delimiter=",", header=None) -> Path:
    numbered = [[str(1000 + i) if not row[0] else row[0], *row[1:]] for i, row in enumerate(rows)]
    path.write_text(csv_text(header or SLA_HEADER, numbered, delimiter), encoding=encoding)
    return path


def weeks_from(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(days=7 * i) for i in range(count)]


def csv_bytes(header: list[str], rows: list[list], delimiter=",", titles=(), encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    for title in titles:
        buffer.write(title + "\r\n")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(path, header: list[str], rows: list[list], titles=()):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def weekly(con, kpi: str) -> list[tuple]:
    summary = kpi_summaries(con, store.load_settings(con))[kpi]
    return [(w.week, w.good, w.total, w.status) for w in summary.series]


def flags(con, kpi: str) -> tuple[int, bool]:
    summary = kpi_summaries(con, store.load_settings(con))[kpi]
    return summary.streak, summary.sustained_breach


def refusal(con, path, **kwargs) -> str:
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, path, **kwargs)
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0  # nothing stored
    return refused.value.message


def change_to_just_under_the_floor(week: dt.date) -> explain.Decomposition:
    """FRT from 94.0 % (470 of 500) the week before ``week`` to 92.96 % (2,324 of 2,500): one slice, all rate.

    With a 93 % floor, one decimal would write the new value as 93.0 %: on the floor, which it is not.
    """
    only = explain.Slice(
        "SaaS", 470, 500, 2324, 2500, Fraction(1), Fraction(1), Fraction(94), Fraction(2324, 25), Fraction(-26, 25), 0
    )
    return explain.Decomposition("FRT", "form", (week - dt.timedelta(7),), (week,), 470, 500, 2324, 2500, [only], 30)
