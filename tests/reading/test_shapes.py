"""Exports Floorline was not written against: more files in shapes Zendesk documents, built here.

Each is a plausible download a manager could bring to the meeting; each must give exact
weekly figures, or a refusal that names what to change in Explore.
"""

from __future__ import annotations

import codecs
import datetime as dt

import openpyxl
from export_builders import csv_bytes, flags, refusal, weekly, xlsx_file

from lib.reading.decisions import ReadOptions
from lib.reading.shapes import EXPLORE_REPORT, detect_shape
from lib.uploads import ingest

NOV_09 = dt.date(2026, 11, 9)
NOV_16 = dt.date(2026, 11, 16)


def days(monday: dt.date) -> list[dt.date]:
    return [monday + dt.timedelta(days=d) for d in range(7)]


def test_wrapped_metric_names_and_region_in_an_xlsx_report(con, tmp_path):
    """Explore names a metric by its aggregator when one is chosen: D_COUNT(Achieved SLA targets)."""
    header = ["SLA update - Date", "Ticket form", "Preferred Region for Support", "SLA metric",
              "D_COUNT(Achieved SLA targets)", "D_COUNT(Breached SLA targets)", "D_COUNT(SLA targets)"]  # fmt: skip
    rows = []
    for day in days(NOV_09) + days(NOV_16):
        rows.append([dt.datetime(day.year, day.month, day.day), "SaaS", "Europe, Middle East, Africa",
                     "First reply time", 13 if day < NOV_16 else 14, 1 if day < NOV_16 else 0, 15])  # fmt: skip
    path = xlsx_file(tmp_path / "frt_by_region.xlsx", header, rows, titles=["FRT by region", ""])
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(NOV_09, 91, 98, "breach"), (NOV_16, 98, 98, "ok")]
    assert result.columns_used["achieved"] == "D_COUNT(Achieved SLA targets)"
    assert con.execute("SELECT DISTINCT region FROM weekly_counts").fetchall() == [("EMEA",)]


def test_satisfaction_by_solved_week_with_sunday_labels_and_percent_signs(con, tmp_path):
    """An English (US) user's weeks start on Sunday: 8 and 15 November go under 9 and 16 November."""
    header = ["Ticket solved - Week", "Ticket form", "Good satisfaction tickets", "Bad satisfaction tickets",
              "% Satisfaction score"]  # fmt: skip
    rows = [
        ["2026-11-08", "L&R", "186", "14", "93.0%"],
        ["2026-11-08", "SaaS", "95", "5", "95.0%"],
        ["2026-11-15", "L&R", "97", "3", "97.0%"],
        ["2026-11-15", "SaaS", "88", "12", "88.0%"],
    ]
    path = tmp_path / "ssat_weekly.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert weekly(con, "SSAT") == [(NOV_09, 281, 300, "ok"), (NOV_16, 185, 200, "breach")]


def test_german_export_dates_decimal_comma_thousands_dot(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets",
              "% Achieved SLA targets"]  # fmt: skip
    rows = [[d.strftime("%d.%m.%Y"), "Self-Managed", "Next reply time", "0", "0", "0,00"] for d in days(NOV_09)]
    rows[1][3:] = ["1.234", "266", "82,27"]
    path = tmp_path / "export_de.csv"
    path.write_bytes(csv_bytes(header, rows, ";"))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "NRT") == [(NOV_09, 1234, 1500, "breach")]
    assert "decimal comma, thousands separator dot" in result.reading["numbers"]


def test_uk_unicode_text_export_with_day_first_dates_decided_by_their_range(con, tmp_path):
    """Excel's "Unicode text": UTF-16, tab separated. 02/11 to 08/11 is one week day-first, seven months otherwise."""
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    monday = dt.date(2026, 11, 2)
    rows = [[d.strftime("%d/%m/%Y"), "SaaS", "First reply time", "10", "0"] for d in days(monday)]
    rows[3][3:] = ["8", "2"]
    path = tmp_path / "export_uk.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + csv_bytes(header, rows, "\t").decode().encode("utf-16-le"))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(monday, 68, 70, "ok")]
    assert result.reading["date order"].startswith("day first")


def test_event_rows_with_month_name_dates_metric_instances_and_weights(con, tmp_path):
    header = ["Ticket ID", "Ticket form", "SLA metric", "SLA metric instance", "SLA target status",
              "Time - SLA status update - Date", "SLA targets"]  # fmt: skip
    rows = []
    for index, day in enumerate(days(NOV_16)):
        rows.append([str(500 + index), "L&R", "Next reply time", "1", "Achieved", day.strftime("%b %d, %Y"), "4"])
    rows.append(["600", "L&R", "Next reply time", "2", "Breached", NOV_16.strftime("%b %d, %Y"), "2"])
    path = tmp_path / "nrt_events.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert weekly(con, "NRT") == [(NOV_16, 28, 30, "ok")]


def test_an_extra_attribute_splits_rows_which_are_summed(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "Ticket priority", "SLA metric", "Achieved SLA targets",
              "Breached SLA targets"]  # fmt: skip
    rows = []
    for day in days(NOV_16):
        for priority, (achieved, breached) in {"Urgent": (3, 1), "High": (10, 0), "Normal": (20, 1)}.items():
            rows.append([day.isoformat(), "SaaS", priority, "First reply time", str(achieved), str(breached)])
    path = tmp_path / "by_priority.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(NOV_16, 231, 245, "ok")]


def test_empty_metric_cells_are_zero_and_a_totals_line_is_skipped(con, tmp_path):
    """Explore leaves a metric cell empty where nothing was counted."""
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    rows = [[d.isoformat(), "SaaS", "First reply time", "", ""] for d in days(NOV_09)]
    rows[0][3:] = ["50", ""]
    rows[6][3:] = ["", "50"]
    rows.append(["Totals", "", "", "50", "50"])
    path = tmp_path / "sparse.csv"
    path.write_bytes(csv_bytes(header, rows, "|"))
    result = ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [(NOV_09, 50, 100, "breach")]
    assert result.ignored == {"totals row": 1}


def test_week_number_cells_written_as_words(con, tmp_path):
    """'Week 47' beside '2025' (4 January 2025 is a Saturday: both week starts agree)."""
    header = ["SLA update - Year", "SLA update - Week of year", "Ticket form", "SLA metric",
              "Achieved SLA targets", "Breached SLA targets"]  # fmt: skip
    rows = [["2025", "Week 46", "SaaS", "First reply time", "92", "8"],
            ["2025", "Week 47", "SaaS", "First reply time", "93", "7"]]  # fmt: skip
    path = tmp_path / "week_words.csv"
    path.write_bytes(csv_bytes(header, rows))
    ingest.ingest_file(con, path)
    assert weekly(con, "FRT") == [
        (dt.date(2025, 11, 10), 92, 100, "breach"),
        (dt.date(2025, 11, 17), 93, 100, "breach"),
    ]
    assert flags(con, "FRT") == (2, True)


def test_a_monthly_report_is_refused_saying_to_add_a_day_or_week(con, tmp_path):
    """GitLab's handbook reports are by SLA Update - Year and - Month: a month cannot be cut into weeks."""
    header = ["SLA Update - Year", "SLA Update - Month", "Ticket Form", "SLA Metric", "% Achieved SLA Targets",
              "D_COUNT(SLA targets)"]  # fmt: skip
    path = tmp_path / "monthly.csv"
    path.write_bytes(csv_bytes(header, [["2026", "November", "SaaS", "First Reply Time", "95.2%", "1200"]]))
    message = refusal(con, path)
    assert "by month, and a month cannot be cut into weeks" in message and "'SLA update - Date'" in message


def test_explore_rating_labels_and_a_satisfaction_export_in_xlsx(con, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Ticket ID", "Ticket form", "Ticket satisfaction rating", "Ticket solved - Date", "Comment"])
    for index, day in enumerate(days(NOV_16)):
        sheet.append([7000 + index, "Self-Managed", "Good", dt.datetime(day.year, day.month, day.day), "fine\nthanks"])
    sheet.append([7100, "Self-Managed", "Bad", dt.datetime(2026, 11, 17), "slow"])
    sheet.append([7101, "Self-Managed", "Unoffered", dt.datetime(2026, 11, 17), None])
    path = tmp_path / "ssat.xlsx"
    workbook.save(path)
    ingest.ingest_file(con, path)
    assert weekly(con, "SSAT") == [(NOV_16, 7, 8, "breach")]


def test_report_headers_are_recognised_only_with_zendesk_metric_names():
    assert detect_shape(["Week", "Ticket form", "KPI", "good", "total"]).shape.name == "weekly_aggregate"
    report = detect_shape(["SLA update - Week of year", "SLA update - Year", "Ticket form", "SLA metric",
                           "% Achieved SLA targets", "Achieved SLA targets", "Breached SLA targets"])  # fmt: skip
    assert report.shape is EXPLORE_REPORT
    assert {name: report.columns[name] for name in ("week_of_year", "year", "pct_achieved", "achieved")} == {
        "week_of_year": 0,
        "year": 1,
        "pct_achieved": 4,
        "achieved": 5,
    }
    events = detect_shape(["Ticket ID", "Ticket form", "SLA metric", "SLA target status", "SLA update - Date",
                           "Achieved SLA targets"])  # fmt: skip
    assert events.shape is EXPLORE_REPORT  # counts per row: summed, never counted as one row each


def test_read_options_reject_unknown_values():
    try:
        ReadOptions(dates="ymd")
    except ValueError as error:
        assert "dates must be one of auto, dmy, mdy" in str(error)
    else:
        raise AssertionError("an unknown date order was accepted")
