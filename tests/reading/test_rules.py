"""Exports as they leave Explore: report tables, every export setting, week starts, weighted rows.

Every file here is built in the test. The figures asserted are the weekly values a manager
sees, with their streaks and breach flags; each ambiguity has a refusal test.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from export_builders import csv_bytes, flags, refusal, weekly, xlsx_file

from lib.core.errors import RefusedFile
from lib.reading import rules
from lib.reading.decisions import ReadOptions
from lib.reading.rules import iso_week_sql
from lib.store import database as store
from lib.uploads import ingest

MONDAY = dt.date(2026, 8, 31)
WEEKS = [MONDAY + dt.timedelta(weeks=i) for i in range(3)]
# FRT per week and form: (achieved, breached, still active). Combined (L&R + SM + SaaS):
# 2946/3100 = 95.0 %, 2883/3100 = 93.0 % (at the floor: a breach), 2790/3100 = 90.0 % (breach).
FRT = {
    "SaaS": [(1900, 100, 40), (1860, 140, 25), (1800, 200, 30)],
    "L&R": [(96, 4, 3), (93, 7, 0), (90, 10, 2)],
    "Self-Managed": [(950, 50, 12), (930, 70, 9), (900, 100, 1)],
    "GitLab Dedicated": [(0, 10, 0), (0, 10, 0), (0, 10, 0)],  # Other: never in combined
}
NRT = {"SaaS": [(1700, 300, 5), (1720, 280, 0), (1650, 350, 7)]}  # 85.0, 86.0, 82.5 %
EXPECTED_FRT = [(WEEKS[0], 2946, 3100, "ok"), (WEEKS[1], 2883, 3100, "breach"), (WEEKS[2], 2790, 3100, "breach")]
EXPECTED_NRT = [(WEEKS[0], 1700, 2000, "ok"), (WEEKS[1], 1720, 2000, "ok"), (WEEKS[2], 1650, 2000, "breach")]
SLA_REPORT_HEADER = [
    "SLA update - Date",
    "Ticket form",
    "SLA metric",
    "SLA targets",
    "Achieved SLA targets",
    "Breached SLA targets",
    "Active SLA targets",
    "% Achieved SLA targets",
]
SEPARATOR = {"none": "", "space": " ", "comma": ",", "dot": "."}
DECIMAL = {"dot": ".", "comma": ","}


def number_text(value: float, decimal="dot", thousands="none", places=0) -> str:
    """A number as Explore's CSV export settings print it."""
    whole, _, fraction = f"{abs(value):.{places}f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = SEPARATOR[thousands].join(groups) + (DECIMAL[decimal] + fraction if places else "")
    return ("-" if value < 0 else "") + text


def split_week(counts: tuple[int, int, int]) -> list[tuple[int, tuple[int, int, int]]]:
    """A week's counts split over its Monday and its Sunday (day offset, counts): a daily table."""
    achieved, breached, active = counts
    monday = (achieved // 2, breached // 2, active // 2)
    return [(0, monday), (6, (achieved - monday[0], breached - monday[1], active - monday[2]))]


def daily_sla_rows(fmt=lambda v, whole=True: str(v), date=lambda d: d.isoformat()) -> list[list[str]]:
    rows = []
    for metric, table in (("First reply time", FRT), ("Next reply time", NRT)):
        for form, weeks in table.items():
            for week, counts in zip(WEEKS, weeks, strict=True):
                for offset, (achieved, breached, active) in split_week(counts):
                    targets = achieved + breached + active
                    pct = 100 * achieved / (achieved + breached) if achieved + breached else 0
                    day = week + dt.timedelta(days=offset)
                    rows.append(
                        [date(day), form, metric, fmt(targets), fmt(achieved), fmt(breached), fmt(active),
                         fmt(pct, False)]
                    )  # fmt: skip
    rows.append([date(WEEKS[0]), "SaaS", "Periodic update time", fmt(9), fmt(1), fmt(8), fmt(0), fmt(11.1, False)])
    return rows


def assert_report_figures(con):
    assert weekly(con, "FRT") == EXPECTED_FRT
    assert weekly(con, "NRT") == EXPECTED_NRT
    assert flags(con, "FRT") == (2, True)
    assert flags(con, "NRT") == (1, False)


# --- Report tables, every export setting ------------------------------------------------------

FORMATS = [(d, t) for d in ("dot", "comma") for t in ("none", "space", "comma", "dot") if DECIMAL[d] != SEPARATOR[t]]


# Every separator pair with every delimiter, the decimal places (0-5) cycling through them.
CSV_SETTINGS = [
    (delimiter, decimal, thousands, (index + index // 6) % 6)
    for index, (delimiter, (decimal, thousands)) in enumerate(
        (delimiter, pair) for delimiter in (",", ";", "\t", "|") for pair in FORMATS
    )
]


@pytest.mark.parametrize(("delimiter", "decimal", "thousands", "places"), CSV_SETTINGS)
def test_daily_sla_report_reads_exactly_under_every_csv_export_setting(
    con, tmp_path, delimiter, decimal, thousands, places
):
    def fmt(value, whole=True):
        return number_text(value, decimal, thousands, places)

    path = tmp_path / "sla_report.csv"
    path.write_bytes(csv_bytes(SLA_REPORT_HEADER, daily_sla_rows(fmt), delimiter, titles=["SLA targets by day"]))
    result = ingest.ingest_file(con, path)
    assert result.shape == "explore_report"
    assert_report_figures(con)
    assert result.ignored == {"other SLA metric": 1}
    if places:  # with no decimals printed, either separator reads the same figures
        assert f"decimal {decimal}" in result.reading["numbers"]


@pytest.mark.parametrize(
    ("decimal", "thousands", "places"), [("dot", "none", 0), ("comma", "dot", 2), ("dot", "comma", 3)]
)
def test_daily_sla_report_as_xlsx_with_text_cells_in_each_setting(con, tmp_path, decimal, thousands, places):
    def fmt(value, whole=True):
        return number_text(value, decimal, thousands, places)

    path = xlsx_file(tmp_path / "sla_report.xlsx", SLA_REPORT_HEADER, daily_sla_rows(fmt), titles=["SLA report"])
    ingest.ingest_file(con, path)
    assert_report_figures(con)


def test_daily_sla_report_as_xlsx_with_number_and_date_cells(con, tmp_path):
    def fmt(value, whole=True):
        return int(value) if whole else round(value / 100, 4)

    rows = daily_sla_rows(fmt, date=lambda d: dt.datetime(d.year, d.month, d.day))
    path = xlsx_file(tmp_path / "sla_report.xlsx", SLA_REPORT_HEADER, rows)
    ingest.ingest_file(con, path)
    assert_report_figures(con)


@pytest.mark.parametrize("time_of_day", [0, 0.5])
def test_dates_saved_as_spreadsheet_day_numbers_read_as_those_days(con, tmp_path, time_of_day):
    """A workbook whose date cells lost their date format keeps Excel's serial day (46265 is 2026-08-31)."""

    def fmt(value, whole=True):
        return int(value) if whole else round(value / 100, 4)

    rows = daily_sla_rows(fmt, date=lambda d: (d - dt.date(1899, 12, 30)).days + time_of_day)
    assert rows[0][0] == 46265 + time_of_day
    result = ingest.ingest_file(con, xlsx_file(tmp_path / "sla_report.xlsx", SLA_REPORT_HEADER, rows))
    assert_report_figures(con)
    assert "spreadsheet day numbers" in result.reading["date order"]


@pytest.mark.parametrize("spelling", ["{year}-W{week:02d}", "{year} W{week}", "{year}w{week}"])
def test_iso_week_labels_read_as_the_weeks_they_name(con, tmp_path, spelling):
    header = ["SLA update - Week", *SLA_REPORT_HEADER[1:]]

    def label(day: dt.date) -> str:
        year, week, _ = day.isocalendar()
        return spelling.format(year=year, week=week)

    path = tmp_path / "iso_weeks.csv"
    path.write_bytes(csv_bytes(header, daily_sla_rows(date=label)))
    result = ingest.ingest_file(con, path)
    assert_report_figures(con)
    assert "ISO weeks" in result.reading["date order"]


@pytest.mark.parametrize(
    ("label", "monday"), [("2020-W53", "2020-12-28"), ("2026-W01", "2025-12-29"), ("2027-W53", None)]
)
def test_an_iso_week_is_its_monday_and_a_week_the_year_lacks_is_no_date(con, label, monday):
    found = con.execute(f"SELECT {iso_week_sql('label')} FROM (SELECT ? AS label)", [label]).fetchone()[0]
    assert found == (dt.date.fromisoformat(monday) if monday else None)


def test_a_year_or_a_small_number_in_a_date_column_is_still_not_a_date(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    for value in (2026, 47):
        rows = [[value, "SaaS", "First reply time", 10, 1]]
        path = tmp_path / f"date_{value}.csv"
        path.write_bytes(csv_bytes(header, rows))
        assert f"'{value}' is not a date" in refusal(con, path)


@pytest.mark.parametrize(("scale", "number_format"), [(1, "0.00%"), (100, "0.00")])
def test_a_workbook_with_exact_float_percentages_reads_its_counts(con, tmp_path, scale, number_format):
    """Excel keeps 1000/1030 as 0.970873786407767 (shown 97.09%): the percentage is ignored, never refused."""
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets",
              "% Achieved SLA targets"]  # fmt: skip
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for offset in range(14):  # Monday 5 to Sunday 18 October 2026
        achieved, breached = 1000 + offset, 30 + offset
        day = dt.datetime(2026, 10, 5) + dt.timedelta(days=offset)
        sheet.append([day, "SaaS", "First reply time", achieved, breached, scale * achieved / (achieved + breached)])
        sheet.cell(sheet.max_row, 1).number_format = "yyyy-mm-dd"
        sheet.cell(sheet.max_row, 6).number_format = number_format
    path = tmp_path / "exact_percentages.xlsx"
    workbook.save(path)
    ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(dt.date(2026, 10, 5), 7021, 7252, "ok"), (dt.date(2026, 10, 12), 7070, 7350, "ok")]


@pytest.mark.parametrize("no_percentage", ["-", "NaN", "n/a", "#DIV/0!"])
def test_a_percentage_cell_of_a_row_with_nothing_counted_never_refuses_the_file(con, tmp_path, no_percentage):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets",
              "Active SLA targets", "% Achieved SLA targets"]  # fmt: skip
    rows = [[(MONDAY + dt.timedelta(days=d)).isoformat(), "SaaS", "First reply time", "9", "1", "0", "90.00"]
            for d in range(7)]  # fmt: skip
    rows.append([(MONDAY + dt.timedelta(days=6)).isoformat(), "SaaS", "Next reply time", "0", "0", "3", no_percentage])
    path = tmp_path / "zero_over_zero.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(MONDAY, 63, 70, "breach")]
    assert "decimal dot" in result.reading["numbers"]


def test_sla_targets_is_never_the_denominator(con, tmp_path):
    """8 achieved, 1 breached, 3 still active: 12 SLA targets, FRT 8 / 9 = 88.9 %, not 8 / 12."""
    header = ["SLA update - Date", "Ticket form", "SLA metric", "SLA targets", "Achieved SLA targets",
              "Breached SLA targets", "% Achieved SLA targets"]  # fmt: skip
    rows = [[(MONDAY + dt.timedelta(days=d)).isoformat(), "SaaS", "First reply time", "", "", "", ""] for d in range(7)]
    rows[2][3:] = ["12", "8", "1", "88.89%"]
    path = tmp_path / "frt.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(MONDAY, 8, 9, "breach")]


def test_totals_row_and_totals_column_are_not_counted_twice(con, tmp_path):
    header = ["Ticket form", "SLA metric", "SLA update - Date", "Achieved SLA targets", "Breached SLA targets", "Total"]
    rows = []
    for d in range(7):
        day = (MONDAY + dt.timedelta(days=d)).isoformat()
        rows.append(["SaaS", "First reply time", day, "10", "0", "10"])
        rows.append(["L&R", "First reply time", day, "9", "1", "10"])
    rows.append(["L&R", "Total", "", "63", "7", "70"])  # a subtotal per form
    rows.append(["Grand total", "", "", "133", "7", "140"])
    path = tmp_path / "with_totals.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(MONDAY, 133, 140, "ok")]
    assert result.ignored == {"totals row": 2}
    assert result.columns_ignored == ["Total"]


def test_satisfaction_report_by_solved_date(con, tmp_path):
    header = ["Ticket solved - Date", "Ticket form", "Good satisfaction tickets", "Bad satisfaction tickets",
              "Rated satisfaction tickets", "% Satisfaction score"]  # fmt: skip
    rows = []
    for week, (good, bad) in zip(WEEKS, [(190, 10), (90, 10), (1395, 105)], strict=True):
        for d in range(7):
            g, b = (good, bad) if d == 3 else (0, 0)
            rows.append([(week + dt.timedelta(days=d)).isoformat(), "Self-Managed", str(g), str(b), str(g + b), ""])
    path = tmp_path / "ssat.csv"
    path.write_bytes(csv_bytes(header, rows, ";"))
    ingest.ingest_file(con, path)
    assert weekly(con, "SSAT") == [
        (WEEKS[0], 190, 200, "ok"),
        (WEEKS[1], 90, 100, "breach"),
        (WEEKS[2], 1395, 1500, "breach"),
    ]
    assert flags(con, "SSAT") == (2, True)


def test_rows_by_target_status_counted_by_sla_targets(con, tmp_path):
    """A report with rows by SLA target status and the 'SLA targets' metric: Active rows do not count."""
    header = ["SLA update - Week", "Ticket form", "SLA metric", "SLA target status", "SLA targets"]
    rows = [
        [MONDAY.isoformat(), "SaaS", "First reply time", "Achieved", "1.024"],
        [MONDAY.isoformat(), "SaaS", "First reply time", "Breached", "76"],
        [MONDAY.isoformat(), "SaaS", "First reply time", "", "300"],
        [MONDAY.isoformat(), "SaaS", "Next reply time", "Achieved", "17"],
    ]
    path = tmp_path / "by_status.csv"
    path.write_bytes(csv_bytes(header, rows, ";"))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(MONDAY, 1024, 1100, "ok")]
    assert result.ignored == {"target still active": 1}


def test_a_table_by_metric_status_never_counts_active_rows(con, tmp_path):
    """Explore marks a running target Breached once its time is up; while its metric status is Active
    it has no outcome: 7 Achieved and 2 Breached completed targets make FRT 7 / 9, not 7 / 12."""
    header = ["SLA update - Date", "Ticket form", "SLA metric", "SLA metric status", "SLA target status", "SLA targets"]
    rows = [
        ["2026-10-05", "SaaS", "First reply time", "Completed", "Achieved", "7"],
        ["2026-10-06", "SaaS", "First reply time", "Completed", "Breached", "2"],
        ["2026-10-06", "SaaS", "First reply time", "Active", "Breached", "3"],
        ["2026-10-07", "SaaS", "First reply time", "Active", "", "4"],
        ["2026-10-12", "SaaS", "First reply time", "Completed", "Achieved", "5"],
        ["2026-10-13", "SaaS", "First reply time", "Completed", "Breached", "1"],
        ["2026-10-18", "SaaS", "First reply time", "Completed", "Achieved", "4"],
    ]
    path = tmp_path / "by_metric_status.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(dt.date(2026, 10, 5), 7, 9, "breach"), (dt.date(2026, 10, 12), 9, 10, "breach")]
    assert result.ignored == {"target still active": 2}


def test_achieved_and_breached_counts_on_an_active_row_do_not_count(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "SLA metric status", "Achieved SLA targets",
              "Breached SLA targets", "Active SLA targets"]  # fmt: skip
    rows = [
        ["2026-10-05", "SaaS", "First reply time", "Completed", "90", "5", "0"],
        ["2026-10-06", "SaaS", "First reply time", "Active", "0", "6", "10"],
        ["2026-10-18", "SaaS", "First reply time", "Completed", "95", "5", "0"],
    ]
    path = tmp_path / "counts_by_metric_status.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(dt.date(2026, 10, 5), 90, 95, "ok"), (dt.date(2026, 10, 12), 95, 100, "ok")]


def test_a_paused_target_is_not_counted_like_an_active_one(con, tmp_path):
    header = ["Ticket ID", "Ticket form", "SLA metric", "SLA metric status", "SLA target status",
              "Time - SLA status update - Date"]  # fmt: skip
    rows = [
        ["1", "SaaS", "First reply time", "Completed", "Achieved", "2026-10-05"],
        ["2", "SaaS", "First reply time", "Completed", "Breached", "2026-10-06"],
        ["3", "SaaS", "First reply time", "Paused", "Breached", "2026-10-06"],
        ["4", "SaaS", "Next reply time", "Paused", "", "2026-10-07"],
        ["5", "SaaS", "First reply time", "Completed", "Achieved", "2026-10-12"],
        ["6", "SaaS", "First reply time", "Completed", "Achieved", "2026-10-18"],
    ]
    path = tmp_path / "paused.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(dt.date(2026, 10, 5), 1, 2, "breach"), (dt.date(2026, 10, 12), 2, 2, "ok")]
    assert result.ignored == {"target still active": 2}


def test_an_unknown_metric_status_in_a_table_is_refused(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "SLA metric status", "Achieved SLA targets",
              "Breached SLA targets"]  # fmt: skip
    path = tmp_path / "odd_status.csv"
    path.write_bytes(csv_bytes(header, [["2026-10-05", "SaaS", "First reply time", "Finished", "9", "1"]]))
    message = refusal(con, path)
    assert "'Finished' is not a metric status" in message and "row 2" in message
    assert "Active, Paused or Completed" in message


# --- Week attributes ------------------------------------------------------------------------------


def weekly_report(labels: list[str], header_time="SLA update - Week", extra=None) -> tuple[list[str], list[list]]:
    header = [header_time, "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    counts = [(96, 4), (93, 7), (90, 10)]
    rows = [[label, "SaaS", "First reply time", str(a), str(b)] for label, (a, b) in zip(labels, counts, strict=True)]
    return header, rows


SUNDAYS = ["2026-08-30", "2026-09-06", "2026-09-13"]


def test_sunday_week_labels_go_under_the_monday_inside_their_week(con, tmp_path):
    header, rows = weekly_report(SUNDAYS)
    path = tmp_path / "weekly.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    assert [w[:3] for w in weekly(con, "FRT")] == [(WEEKS[0], 96, 100), (WEEKS[1], 93, 100), (WEEKS[2], 90, 100)]
    assert flags(con, "FRT") == (2, True)
    assert (
        "first day" in result.reading["week labels"]
        and "2026-08-30 goes under the week of 2026-08-31" in (result.reading["week labels"])
    )


@pytest.mark.parametrize("where", ["header", "title"])
def test_week_ending_labels_go_under_the_week_they_end(con, tmp_path, where):
    labels = ["2026-09-06", "2026-09-13", "2026-09-20"]  # Sundays ending the weeks of 31 Aug, 7 and 14 Sep
    header, rows = weekly_report(labels, "Week ending" if where == "header" else "SLA update - Week")
    titles = ["FRT, week ending on Sunday"] if where == "title" else []
    path = tmp_path / "week_ending.csv"
    path.write_bytes(csv_bytes(header, rows, titles=titles))
    result = ingest.ingest_file(con, path)
    assert [w[:3] for w in weekly(con, "FRT")] == [(WEEKS[0], 96, 100), (WEEKS[1], 93, 100), (WEEKS[2], 90, 100)]
    assert "last day" in result.reading["week labels"]


@pytest.mark.parametrize(
    "header_time",
    ["Week ending", "Week Ending Date", "Week end", "Week end date", "Week ended", "End of week", "W/E", "week_ending"],
)
def test_every_week_end_header_makes_the_labels_last_days(con, tmp_path, header_time):
    labels = ["2026-09-06", "2026-09-13", "2026-09-20"]  # Sundays ending the weeks of 31 Aug, 7 and 14 Sep
    header, rows = weekly_report(labels, header_time)
    path = tmp_path / "week_end.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [
        (WEEKS[0], 96, 100, "ok"),
        (WEEKS[1], 93, 100, "breach"),
        (WEEKS[2], 90, 100, "breach"),
    ]
    assert "last day" in result.reading["week labels"] and header_time in result.reading["week labels"]


@pytest.mark.parametrize(
    "header_time", ["Week commencing", "Week starting", "Week beginning", "Week start date", "W/C"]
)
def test_every_week_start_header_makes_the_labels_first_days(con, tmp_path, header_time):
    header, rows = weekly_report(SUNDAYS, header_time)
    path = tmp_path / "week_start.csv"
    # A title saying "ending" does not overrule a header that says the label starts the week.
    path.write_bytes(csv_bytes(header, rows, titles=["SLA achievement, period ending 2026-09-19"]))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [
        (WEEKS[0], 96, 100, "ok"),
        (WEEKS[1], 93, 100, "breach"),
        (WEEKS[2], 90, 100, "breach"),
    ]
    assert "first day" in result.reading["week labels"]


def test_the_manager_can_flip_the_week_label_reading(con, tmp_path):
    header, rows = weekly_report(SUNDAYS)
    path = tmp_path / "weekly.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path, options=ReadOptions(week_labels="end"))
    assert [w[0] for w in weekly(con, "FRT")] == [WEEKS[0] - dt.timedelta(weeks=1), WEEKS[0], WEEKS[1]]
    assert "as you chose" in result.reading["week labels"]


def test_sunday_labels_in_a_sunday_start_database_stay_where_they_are(con, tmp_path):
    store.save_setting(con, "week_start", "sunday")
    header, rows = weekly_report(SUNDAYS)
    path = tmp_path / "weekly.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert [w[0] for w in weekly(con, "FRT")] == [dt.date.fromisoformat(s) for s in SUNDAYS]


def test_a_day_column_wins_over_a_week_column_beside_it(con, tmp_path):
    """Sunday-start week labels beside each day (Explore, English US): each day goes in its own
    Monday-start week; read by the week column, every Sunday would move a week on."""
    header = ["SLA update - Week", "SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets",
              "Breached SLA targets"]  # fmt: skip
    rows = []
    for offset in range(28):  # Monday 5 October to Sunday 1 November 2026
        day = dt.date(2026, 10, 5) + dt.timedelta(days=offset)
        sunday_label = day - dt.timedelta(days=(day.weekday() + 1) % 7)
        achieved, breached = (90, 10) if day.weekday() == 6 else (99, 1)  # Sundays are bad days
        rows.append([sunday_label.isoformat(), day.isoformat(), "SaaS", "First reply time", achieved, breached])
    path = tmp_path / "week_and_date.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    mondays = [dt.date(2026, 10, 5) + dt.timedelta(weeks=i) for i in range(4)]
    assert weekly(con, "FRT") == [(monday, 684, 700, "ok") for monday in mondays]
    assert result.columns_ignored == ["SLA update - Week"]


def test_week_labels_on_different_weekdays_are_refused(con, tmp_path):
    header, rows = weekly_report(["2026-08-31", "2026-09-06", "2026-09-14"])
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_bytes(header, rows))
    assert "Mondays and Sundays" in refusal(con, path)


def week_of_year_file(tmp_path, pairs: list[tuple[str, str]], name="woy.csv"):
    header = ["SLA update - Year", "SLA update - Week of year", "Ticket form", "SLA metric",
              "Achieved SLA targets", "Breached SLA targets"]  # fmt: skip
    counts = [(96, 4), (93, 7), (90, 10), (99, 1)]
    rows = [[y, w, "SaaS", "First reply time", str(a), str(b)] for (y, w), (a, b) in zip(pairs, counts, strict=False)]
    path = tmp_path / name
    path.write_bytes(csv_bytes(header, rows))
    return path


def test_week_of_year_in_a_year_where_both_week_starts_agree(con, tmp_path):
    """2025: 4 January is a Saturday, so Sunday- and Monday-numbered week 36 file under the same week."""
    path = week_of_year_file(tmp_path, [("2025", "36"), ("2025", "37"), ("2025", "38")])
    result = ingest.ingest_file(con, path)
    first = dt.date(2025, 9, 1)  # ISO week 36 of 2025
    assert [w[:3] for w in weekly(con, "FRT")] == [
        (first, 96, 100),
        (first + dt.timedelta(weeks=1), 93, 100),
        (first + dt.timedelta(weeks=2), 90, 100),
    ]
    assert flags(con, "FRT") == (2, True)
    assert "same weeks" in result.reading["weeks"]


def test_week_of_year_in_2026_needs_the_week_start_and_then_reads_exactly(con, tmp_path):
    """2026: 4 January is a Sunday, so the two numberings are six days apart; the manager must say."""
    path = week_of_year_file(tmp_path, [("2026", "36"), ("2026", "37"), ("2026", "38")])
    message = refusal(con, path)
    assert "--week-numbering" in message and "Sunday (English, US)" in message and "row 2" in message
    ingest.ingest_file(con, path, options=ReadOptions(week_numbering="monday"))
    assert [w[0] for w in weekly(con, "FRT")] == [dt.date(2026, 8, 31), dt.date(2026, 9, 7), dt.date(2026, 9, 14)]


def test_week_of_year_counted_from_sunday_files_each_week_under_its_monday(con, tmp_path):
    path = week_of_year_file(tmp_path, [("2026", "36"), ("2026", "37"), ("2026", "38")])
    ingest.ingest_file(con, path, options=ReadOptions(week_numbering="sunday"))
    # Sunday-numbered week 36 of 2026 runs Sunday 6 to Saturday 12 September.
    assert [w[0] for w in weekly(con, "FRT")] == [dt.date(2026, 9, 7), dt.date(2026, 9, 14), dt.date(2026, 9, 21)]


def test_week_one_split_by_the_calendar_year_is_one_week(con, tmp_path):
    """Explore's Year is the day's calendar year: 29-31 Dec 2025 come as (2025, week 1), 1-4 Jan as (2026, 1)."""
    pairs = [("2025", "51"), ("2025", "52"), ("2025", "1"), ("2026", "1")]
    path = week_of_year_file(tmp_path, pairs)
    ingest.ingest_file(con, path, options=ReadOptions(week_numbering="monday"))
    assert [w[:3] for w in weekly(con, "FRT")] == [
        (dt.date(2025, 12, 15), 96, 100),
        (dt.date(2025, 12, 22), 93, 100),
        (dt.date(2025, 12, 29), 189, 200),
    ]


# --- Dates --------------------------------------------------------------------------------------


def dated_report(tmp_path, dates: list[str], name="dated.csv"):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    rows = [[d, "SaaS", "First reply time", "9", "1"] for d in dates]
    path = tmp_path / name
    path.write_bytes(csv_bytes(header, rows))
    return path


def test_a_day_above_twelve_makes_the_whole_file_day_first(con, tmp_path):
    path = dated_report(tmp_path, ["07/09/2026", "13/09/2026"])
    result = ingest.ingest_file(con, path)
    assert [w[:3] for w in weekly(con, "FRT")] == [(dt.date(2026, 9, 7), 18, 20)]
    assert "'13/09/2026' has a day above 12" in result.reading["date order"]


def test_a_day_above_twelve_in_second_place_makes_it_month_first(con, tmp_path):
    path = dated_report(tmp_path, ["09/07/2026", "09/13/2026"])
    ingest.ingest_file(con, path)
    assert [w[:3] for w in weekly(con, "FRT")] == [(dt.date(2026, 9, 7), 18, 20)]


def test_dates_forming_one_contiguous_range_decide_the_order(con, tmp_path):
    """1-7 September read month-first is one week; day-first it would be seven months."""
    path = dated_report(tmp_path, [f"09/0{d}/2026" for d in range(1, 8)])
    result = ingest.ingest_file(con, path)
    assert [w[:3] for w in weekly(con, "FRT")] == [(dt.date(2026, 8, 31), 54, 60), (dt.date(2026, 9, 7), 9, 10)]
    assert "cover 7 days" in result.reading["date order"]


def test_ambiguous_dates_are_refused_until_the_manager_says(con, tmp_path):
    path = dated_report(tmp_path, ["03/04/2026", "04/03/2026"])
    message = refusal(con, path)
    assert (
        "--dates dmy or --dates mdy" in message
        and "3 April 2026 read day first or 4 March 2026 read month first" in message
    )
    result = ingest.ingest_file(con, path, options=ReadOptions(dates="dmy"))
    assert [w[0] for w in weekly(con, "FRT") if w[2]] == [dt.date(2026, 3, 2), dt.date(2026, 3, 30)]
    assert "as you chose" in result.reading["date order"]


def test_dates_written_both_ways_are_refused(con, tmp_path):
    path = dated_report(tmp_path, ["13/09/2026", "09/14/2026"])
    assert "both day-first" in refusal(con, path)


# --- Numbers ------------------------------------------------------------------------------------


def test_thousands_dot_with_decimal_comma_is_read_from_the_percentage(con, tmp_path):
    """`1.050` in a count column of a file with decimal commas is one thousand and fifty."""
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets",
              "% Achieved SLA targets"]  # fmt: skip
    rows = [[(MONDAY + dt.timedelta(days=d)).isoformat(), "SaaS", "First reply time", "0", "0", ""] for d in range(7)]
    rows[0][3:] = ["1.050", "50", "95,45"]
    path = tmp_path / "de.csv"
    path.write_bytes(csv_bytes(header, rows, ";"))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(MONDAY, 1050, 1100, "ok")]
    assert "decimal comma" in result.reading["numbers"]


def test_a_count_that_reads_two_ways_is_refused_naming_the_setting(con, tmp_path):
    """'1.000' and '2.000' alone: one and two (three decimals) or a thousand and two thousand?"""
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    rows = [[MONDAY.isoformat(), "SaaS", "First reply time", "1.000", "2.000"]]
    path = tmp_path / "ambiguous.csv"
    path.write_bytes(csv_bytes(header, rows, ";"))
    message = refusal(con, path)
    assert "thousands separator set to none" in message and "--thousands" in message
    ingest.ingest_file(con, path, options=ReadOptions(decimal="comma", thousands="dot"))
    assert weekly(con, "FRT")[0][1:3] == (1000, 3000)


def test_a_count_that_is_not_whole_is_refused(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    path = tmp_path / "fraction.csv"
    path.write_bytes(csv_bytes(header, [[MONDAY.isoformat(), "SaaS", "First reply time", "9.5", "x"]]))
    message = refusal(con, path)
    assert "'x' is not a number" in message and "row 2" in message


# --- Rows standing for several targets -----------------------------------------------------------


def test_event_rows_are_weighted_by_sla_targets(con, tmp_path):
    header = ["Ticket ID", "Ticket form", "SLA metric", "SLA target status", "SLA update - Date", "SLA targets"]
    rows = [["1", "SaaS", "First reply time", "Achieved", (MONDAY + dt.timedelta(days=d)).isoformat(), "3"]
            for d in range(7)]  # fmt: skip
    rows += [["2", "SaaS", "First reply time", "Breached", MONDAY.isoformat(), "2"]]
    rows += [["3", "SaaS", "Next reply time", "Breached", MONDAY.isoformat(), "1"], [""] * 6, [""] * 6]
    path = tmp_path / "events.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    assert result.rows_read == 9  # the file's rows, blank ones left out, not the targets they stand for
    assert weekly(con, "FRT") == [(MONDAY, 21, 23, "breach")]  # counted by rows it would be 7 / 8
    # Rows are said in rows, the targets they stand for apart: 9 rows read, 9 counted, 24 targets.
    assert result.rows_used == 9 and result.ignored == {}
    assert "the 9 rows counted stand for 24 SLA targets" in result.reading["rows weighted"]


def test_satisfaction_rows_are_weighted_by_tickets_and_keep_comments_with_line_breaks(con, tmp_path):
    header = ["Ticket ID", "Ticket form", "Ticket satisfaction rating", "Ticket solved - Date", "Comment", "Tickets"]
    rows = [
        ["1", "L&R", "Good", MONDAY.isoformat(), 'Quick, "great"\nthanks', "28"],
        ["2", "L&R", "Bad", (MONDAY + dt.timedelta(days=6)).isoformat(), "slow;\r\nvery slow", "2"],
        ["3", "L&R", "Offered", MONDAY.isoformat(), "", "5"],
    ]
    path = tmp_path / "ssat_events.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "SSAT") == [(MONDAY, 28, 30, "ok")]
    assert (result.rows_read, result.rows_used, result.ignored) == (3, 2, {"survey not answered": 1})
    assert "the 2 rows counted stand for 30 tickets" in result.reading["rows weighted"]


# --- Refusals in a manager's words ----------------------------------------------------------------


def test_a_table_by_ticket_group_without_ticket_form_says_to_add_ticket_form(con, tmp_path):
    header = ["SLA update - Date", "Ticket group", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    path = tmp_path / "by_group.csv"
    path.write_bytes(csv_bytes(header, [[MONDAY.isoformat(), "Support AMER", "First reply time", "9", "1"]]))
    message = refusal(con, path)
    assert "grouped by Ticket group" in message and "add the Ticket form attribute" in message


def test_an_sla_table_without_breached_targets_says_sla_targets_cannot_stand_in(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "SLA targets", "Achieved SLA targets"]
    path = tmp_path / "no_breached.csv"
    path.write_bytes(csv_bytes(header, [[MONDAY.isoformat(), "SaaS", "First reply time", "12", "9"]]))
    assert "'SLA targets' also counts targets still active" in refusal(con, path)


def test_an_sla_table_without_sla_metric_says_to_add_it(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "Achieved SLA targets", "Breached SLA targets"]
    path = tmp_path / "no_metric.csv"
    path.write_bytes(csv_bytes(header, [[MONDAY.isoformat(), "SaaS", "9", "1"]]))
    assert "add the SLA metric attribute" in refusal(con, path)


@pytest.mark.parametrize("time_header", ["SLA update - Date", "SLA update - Week", "Ticket updated - Date"])
def test_a_refusal_names_the_files_own_header(con, tmp_path, time_header):
    header = [time_header, "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    rows = [
        [MONDAY.isoformat(), "SaaS", "First reply time", "9", "1"],
        ["yesterday", "SaaS", "First reply time", "9", "1"],
    ]
    path = tmp_path / "bad_day.csv"
    path.write_bytes(csv_bytes(header, rows))
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, path)
    assert refused.value.column == time_header and refused.value.row == 3
    events = tmp_path / "bad_event_day.csv"
    events_header = ["Ticket ID", "Ticket form", "SLA metric", "SLA target status", "SLA update - Date"]
    events.write_bytes(csv_bytes(events_header, [["1", "SaaS", "First reply time", "Achieved", "yesterday"]]))
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, events)
    assert refused.value.column == "SLA update - Date"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_title_row_is_never_quoted_as_the_header(con, tmp_path, kind):
    header = ["Created", "Assignee", "Replies"]
    rows = [["2026-09-01", "Ann", "3"]]
    title = "Agent activity, September"
    if kind == "csv":
        path = tmp_path / "unknown.csv"
        path.write_bytes(csv_bytes(header, rows, titles=[title]))
    else:
        path = xlsx_file(tmp_path / "unknown.xlsx", header, rows, titles=[title])
    message = refusal(con, path)
    assert title not in message and "'Created', 'Assignee', 'Replies'" in message


def test_a_report_with_dot_as_column_separator(con, tmp_path):
    """Explore offers a dot as the CSV column separator: cells holding a dot come quoted."""
    rows = daily_sla_rows(lambda value, whole=True: number_text(value, "comma", "none", 1))
    path = tmp_path / "dots.csv"
    path.write_bytes(csv_bytes(SLA_REPORT_HEADER, rows, ".", titles=["Report generated 30.11.2026"]))
    result = ingest.ingest_file(con, path)
    assert_report_figures(con)
    assert "decimal comma" in result.reading["numbers"]


def test_a_pivot_with_sla_metric_in_its_columns_is_read_by_the_names_above_or_refused_without_them(con, tmp_path):
    # The metric's name over each of its columns (not merged) says which block is which as well.
    named = (
        ",,First reply time,First reply time,Next reply time,Next reply time\n"
        "SLA update - Date,Ticket form,Achieved SLA targets,Breached SLA targets,"
        "Achieved SLA targets,Breached SLA targets\n"
        "2026-10-05,SaaS,90,10,80,20\n"
    )
    path = tmp_path / "pivot.csv"
    path.write_text(named)
    ingest.ingest_file(con, path)
    assert [
        (kpi, good, total)
        for kpi, good, total in con.execute(
            "SELECT kpi, sum(good), sum(total) FROM weekly_counts GROUP BY 1 ORDER BY 1"
        ).fetchall()
    ] == [("FRT", 90, 100), ("NRT", 80, 100)]
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text(named.split("\n", 1)[1])
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, unnamed)
    assert "move that attribute to the rows" in refused.value.message


# --- Counts by ticket group and priority (DECISIONS.md §16) ---------------------------------------


def slices(con, dimension: str) -> dict[str, tuple[int, int]]:
    rows = con.execute(
        "SELECT slice, sum(good), sum(total) FROM dimension_counts WHERE dimension = ? GROUP BY 1", [dimension]
    ).fetchall()
    return {name: (good, total) for name, good, total in rows}


def test_weighted_event_rows_count_their_weight_in_each_group_and_priority(con, tmp_path):
    header = ["Ticket ID", "Ticket form", "SLA metric", "SLA target status", "SLA update - Date", "SLA targets",
              "Ticket group", "Priority"]  # fmt: skip
    day = MONDAY.isoformat()
    rows = [
        ["1", "SaaS", "First reply time", "Achieved", day, "3", "Support AMER", "High"],
        ["2", "SaaS", "First reply time", "Achieved", day, "4", " Support APAC ", ""],  # trimmed; no priority
        ["3", "SaaS", "First reply time", "Breached", day, "2", "Support AMER", "Low"],
        ["4", "SaaS", "First reply time", "Achieved", day, "5", "", "Low"],  # no group
        ["5", "SaaS", "Requester wait time", "Achieved", day, "9", "Support AMER", "Low"],  # not counted
    ]
    path = tmp_path / "weighted.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert weekly(con, "FRT")[0][1:3] == (12, 14)
    assert slices(con, "group") == {"Support AMER": (3, 5), "Support APAC": (4, 4), None: (5, 5)}
    assert slices(con, "priority") == {"High": (3, 3), None: (4, 4), "Low": (5, 7)}


def test_a_report_table_by_group_keeps_its_groups_and_priorities(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Ticket group", "Ticket priority",
              "Achieved SLA targets", "Breached SLA targets"]  # fmt: skip
    day = MONDAY.isoformat()
    rows = [
        [day, "SaaS", "First reply time", "Support AMER", "Normal", "90", "10"],
        [day, "SaaS", "First reply time", "Support EMEA", "Normal", "45", "5"],
        [day, "SaaS", "First reply time", "Support EMEA", "Urgent", "9", "1"],
        [day, "SaaS", "First reply time", "Support EMEA", "Urgent", "9", "1"],  # equal rows are both counted
    ]
    path = tmp_path / "report_by_group.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert weekly(con, "FRT")[0][1:3] == (153, 170)
    assert slices(con, "group") == {"Support AMER": (90, 100), "Support EMEA": (63, 70)}
    assert slices(con, "priority") == {"Normal": (135, 150), "Urgent": (18, 20)}


def test_a_file_without_group_or_priority_keeps_no_slices(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    path = tmp_path / "plain.csv"
    path.write_bytes(csv_bytes(header, [[MONDAY.isoformat(), "SaaS", "First reply time", "90", "10"]]))
    ingest.ingest_file(con, path)
    assert con.execute("SELECT count(*) FROM dimension_counts").fetchone()[0] == 0


GROUPED_EVENTS_HEADER = ["Ticket ID", "Ticket form", "SLA metric", "SLA target status", "SLA update - Date",
                         "Ticket group"]  # fmt: skip
GROUPED_EVENTS = [
    ["1", "SaaS", "First reply time", "Achieved", MONDAY.isoformat(), "Support AMER"],
    ["2", "SaaS", "First reply time", "Breached", MONDAY.isoformat(), "Support AMER"],
    ["3", "SaaS", "First reply time", "Breached", MONDAY.isoformat(), "Support EMEA"],
]


def test_slices_that_would_not_add_up_are_not_kept_and_the_upload_says_so(con, tmp_path, monkeypatch):
    # As if two combinations of cells shared a hash: a row counted twice in its slices.
    real = rules.slices_sql
    monkeypatch.setattr(rules, "slices_sql", lambda *args: f"SELECT * FROM ({real(*args)}) UNION ALL "
                        f"SELECT * FROM ({real(*args)}) LIMIT 1")  # fmt: skip
    path = tmp_path / "events.csv"
    path.write_bytes(csv_bytes(GROUPED_EVENTS_HEADER, GROUPED_EVENTS))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT")[0][1:3] == (1, 3)
    assert con.execute("SELECT count(*) FROM dimension_counts").fetchone()[0] == 0
    assert any("ticket group and priority counts did not add up" in w for w in result.warnings)


def test_breached_rows_are_matched_cell_by_cell_if_their_hash_finds_too_many(con, tmp_path, monkeypatch):
    real = rules.breached_rows_sql

    def colliding(*args, by_hash):
        sql = real(*args, by_hash=by_hash)
        return f"SELECT * FROM ({sql}) UNION ALL SELECT * FROM ({sql}) LIMIT 1" if by_hash else sql

    monkeypatch.setattr(rules, "breached_rows_sql", colliding)
    path = tmp_path / "events.csv"
    path.write_bytes(csv_bytes(GROUPED_EVENTS_HEADER, GROUPED_EVENTS))
    ingest.ingest_file(con, path)
    rows = con.execute("SELECT source_row, ticket_id, ticket_group FROM bad_events ORDER BY 1").fetchall()
    assert rows == [(3, "2", "Support AMER"), (4, "3", "Support EMEA")]


def test_an_event_row_whose_first_column_is_a_group_called_all_or_sum_is_a_ticket_not_a_total(con, tmp_path):
    # Found by review: the totals check looked only at the first column, and dropped these tickets.
    header = ["Ticket group", "Ticket ID", "Ticket form", "SLA metric", "SLA metric status", "SLA target status",
              "Time - SLA status update - Date"]  # fmt: skip
    rows = [
        ["Support AMER", "1", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-14"],
        ["Support AMER", "2", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-15"],
        ["All", "3", "SaaS", "First reply time", "Completed", "Breached", "2026-09-16"],
        ["All", "4", "SaaS", "First reply time", "Completed", "Breached", "2026-09-17"],
        ["Sum", "5", "SaaS", "First reply time", "Completed", "Breached", "2026-09-20"],
    ]
    path = tmp_path / "groups_first.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(dt.date(2026, 9, 14), 2, 5, "breach")]


def test_a_report_tables_subtotal_rows_by_group_are_totals_not_a_group(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Ticket group", "Achieved SLA targets",
              "Breached SLA targets"]  # fmt: skip
    rows = [
        ["2026-09-14", "SaaS", "First reply time", "Support AMER", "8", "2"],
        ["2026-09-14", "SaaS", "First reply time", "Total", "8", "2"],
        ["2026-09-20", "SaaS", "First reply time", "Support EMEA", "5", "0"],
        ["2026-09-20", "SaaS", "First reply time", "Total", "5", "0"],
    ]
    path = tmp_path / "group_subtotals.csv"
    path.write_bytes(csv_bytes(header, rows))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(dt.date(2026, 9, 14), 13, 15, "breach")]
    assert result.ignored == {"totals row": 2}


def test_a_fractional_weight_is_refused_naming_that_cell_not_a_whole_one(con, tmp_path):
    # Found by review: '1.5' beside '1' was refused naming a '1'.
    header = ["Ticket ID", "Ticket form", "SLA metric", "SLA metric status", "SLA target status",
              "Time - SLA status update - Date", "SLA targets"]  # fmt: skip
    rows = [
        ["1", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-14", "1"],
        ["2", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-15", "1.5"],
    ]
    path = tmp_path / "weights.csv"
    path.write_bytes(csv_bytes(header, rows))
    message = refusal(con, path)
    assert "row 3, column 'SLA targets': '1.5' is not a number Floorline can read as a whole count" in message
