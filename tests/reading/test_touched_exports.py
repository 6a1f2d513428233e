"""Exports a spreadsheet touched on the way (issue 25): each read one way only, or refused naming the choice.

Every file is built here from counts chosen in the test; the figures asserted are the weekly
values and breach flags a manager sees. Floors: FRT 93 %, NRT 83 %, SSAT 93 %; at or below is a breach.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from export_builders import EVENT_HEADER, complete_weeks_csv, csv_bytes, refusal, weekly, xlsx_file

from lib.core.errors import RefusedFile
from lib.reading.decisions import ReadOptions
from lib.reading.encodings import sniff_encoding
from lib.store import database as store
from lib.uploads import ingest
from lib.uploads import status as upload_status

ROOT = Path(__file__).resolve().parents[2]
NOV_2, NOV_9 = dt.date(2026, 11, 2), dt.date(2026, 11, 9)

# --- 1. Weekly aggregates in European format --------------------------------------------------

EUROPEAN_HEADER = ["week_start", "ticket_form", "kpi", "achieved", "total", "pct"]


def european_aggregate(tmp_path: Path, rows: list[list[str]], header=EUROPEAN_HEADER) -> Path:
    path = tmp_path / "weekly_eu.csv"
    path.write_bytes(csv_bytes(header, rows, delimiter=";"))
    return path


def test_european_weekly_aggregate_reads_counts_by_the_percentage_column(con, tmp_path):
    # 979 of 1,050 = 93.24 % (above the floor); 1,004 of 1,080 = 92.96 % (a breach). NRT 900 of 1,000 = 90 %.
    path = european_aggregate(
        tmp_path,
        [
            ["2026-11-02", "SaaS", "FRT", "979", "1.050", "93,2"],
            ["2026-11-09", "SaaS", "FRT", "1.004", "1.080", "93,0"],
            ["2026-11-02", "SaaS", "NRT", "900", "1.000", "90,0"],
        ],
    )
    result = ingest.ingest_file(con, path)
    assert result.reading["numbers"] == "decimal comma, thousands separator dot (from '1.004')"
    assert weekly(con, "FRT") == [(NOV_2, 979, 1050, "ok"), (NOV_9, 1004, 1080, "breach")]
    assert weekly(con, "NRT")[0][:3] == (NOV_2, 900, 1000)


def test_counts_alone_read_two_ways_are_settled_by_the_percentage_or_by_the_managers_choice(con, tmp_path):
    # Every count could be thousands (93,000) or three decimals (93.000 = 93): refused until something says.
    rows = [["2026-11-02", "SaaS", "FRT", "93.000", "100.000"], ["2026-11-02", "L&R", "FRT", "2.000", "2.000"]]
    counts_only = european_aggregate(tmp_path, rows, EUROPEAN_HEADER[:5])
    message = refusal(con, counts_only)
    assert "'93.000' could be 93 " in message and "--decimal and --thousands" in message

    chosen = ReadOptions(decimal="comma", thousands="dot")
    result = ingest.ingest_file(con, counts_only, options=chosen)
    assert result.reading["numbers"] == "decimal comma, thousands separator dot (as you chose)"
    assert weekly(con, "FRT") == [(NOV_2, 95000, 102000, "ok")]

    upload_status.rollback(con, result.upload_id)
    with_percentages = european_aggregate(tmp_path, [[*rows[0], "93,0"], [*rows[1], "100,0"]])
    reading = ingest.ingest_file(con, with_percentages).reading
    assert reading["numbers"] == "decimal comma, thousands separator dot (from '93,0' and '93.000')"
    assert weekly(con, "FRT") == [(NOV_2, 95000, 102000, "ok")]


def test_percentages_alone_in_european_format(con, tmp_path):
    # 92,5 % and 0,93 (a fraction) are both read with the decimal comma; SaaS at 93.0 % is a breach.
    path = tmp_path / "pct_eu.csv"
    path.write_bytes(
        csv_bytes(["Week", "Segment", "Metric", "Percentage"], [["2026-11-02", "GitLab SaaS", "FRT", "0,93"]], ";")
    )
    ingest.ingest_file(con, path)
    assert [(w, s) for w, _, _, s in weekly(con, "FRT")] == [(NOV_2, "breach")]


def test_command_line_reads_a_european_aggregate_as_told(tmp_path):
    path = european_aggregate(tmp_path, [["2026-11-02", "SaaS", "FRT", "93.000", "100.000"]], EUROPEAN_HEADER[:5])
    env = {**os.environ, "FLOORLINE_DB": str(tmp_path / "cli.duckdb")}
    command = [sys.executable, "-m", "lib", "ingest", str(path)]
    refused = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--decimal and --thousands" in refused.stdout
    told = subprocess.run(
        [*command, "--decimal", "comma", "--thousands", "dot"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert told.returncode == 0, told.stdout + told.stderr
    assert "numbers: decimal comma, thousands separator dot (as you chose)" in told.stdout


# --- 2. Week labels written as ranges ---------------------------------------------------------

RANGE_HEADER = ["Week", "Ticket form", "KPI", "Achieved", "Total"]


def ranged_rows(first: str, second: str) -> list[list]:
    # FRT 92 of 100 in the week of 2 Nov (a breach), 95 of 100 in the week of 9 Nov. Read by the range's
    # end (a Sunday, filed under the week it starts), the breach would land on 9 Nov and 2 Nov look empty.
    return [[first, "SaaS", "FRT", 92, 100], [second, "SaaS", "FRT", 95, 100], ["Total", "", "FRT", 187, 200]]


def test_week_ranges_take_their_start_in_every_spelling_csv_and_xlsx(con, tmp_path):
    spellings = [
        ("Nov 2, 2026 - Nov 8, 2026", "Nov 9, 2026 - Nov 15, 2026"),
        ("2 Nov – 8 Nov 2026", "9 Nov – 15 Nov 2026"),
        ("02.11.2026 – 08.11.2026", "09.11.2026 – 15.11.2026"),
        ("02/11/2026 - 08/11/2026", "09/11/2026 - 15/11/2026"),
    ]
    for index, (first, second) in enumerate(spellings):
        for kind in ("csv", "xlsx"):
            path = tmp_path / f"ranges{index}.{kind}"
            if kind == "csv":
                path.write_bytes(csv_bytes(RANGE_HEADER, ranged_rows(first, second)))
            else:
                xlsx_file(path, RANGE_HEADER, ranged_rows(first, second))
            result = ingest.ingest_file(con, path)
            assert result.reading["week labels"] == f"ranges, start taken: '{first}' is the week of 2026-11-02"
            assert weekly(con, "FRT") == [(NOV_2, 92, 100, "breach"), (NOV_9, 95, 100, "ok")], (first, kind)
            upload_status.rollback(con, result.upload_id)
    # 02/11 - 08/11 is seven days only day first (month first: 11 February to 11 August).
    assert result.reading["date order"] == "day first (DD/MM/YYYY): read that way every week range is seven days"


def test_a_year_written_once_across_new_year(con, tmp_path):
    path = tmp_path / "new_year.csv"
    path.write_bytes(csv_bytes(RANGE_HEADER, [["28 Dec – 3 Jan 2021", "SaaS", "NRT", 80, 100]]))
    ingest.ingest_file(con, path)
    assert weekly(con, "NRT") == [(dt.date(2020, 12, 28), 80, 100, "breach")]


def test_a_range_that_is_not_one_of_the_weeks_is_refused_saying_so(con, tmp_path):
    cases = {
        "Nov 2, 2026 - Nov 9, 2026": "runs 8 days (2026-11-02 to 2026-11-09), not one week of seven",
        "Nov 1, 2026 - Nov 7, 2026": "runs Sunday to Saturday, but the weeks here start on Monday",
    }
    for index, (label, reason) in enumerate(cases.items()):
        path = tmp_path / f"bad_range{index}.csv"
        path.write_bytes(
            csv_bytes(
                RANGE_HEADER, [["Nov 9, 2026 - Nov 15, 2026", "SaaS", "FRT", 9, 10], [label, "SaaS", "NRT", 9, 10]]
            )
        )
        message = refusal(con, path)
        assert reason in message and "row 3" in message and "'Week'" in message


# --- 3. Excel for Mac "CSV (Macintosh)": Mac Roman, lines ending in CR --------------------------

LR_FORM = "Licencias y Renovación"  # a manager's own form, mapped to L&R


def mac_export(form_counts: dict[str, tuple[int, int]], encoding: str, line_end: str) -> bytes:
    """SLA events of the week of 2 Nov, (achieved, breached) FRT targets per form, region names with accents."""
    text = complete_weeks_csv({NOV_2: form_counts.pop("SaaS")}, header=EVENT_HEADER)
    for form, counts in form_counts.items():
        text += complete_weeks_csv({NOV_2: counts}, form=form, first_ticket=800000).split("\n", 1)[1]
    lines = [f"{line},Zürich España" if index else f"{line},Preferred Region for Support"
             for index, line in enumerate(text.splitlines())]  # fmt: skip
    return (line_end.join(lines) + line_end).encode(encoding)


def test_mac_roman_with_cr_line_endings_is_read_and_a_misread_would_hide_a_breach(con, tmp_path):
    # SaaS 940 of 1,000 and L&R 5 of 20: combined 945 / 1,020 = 92.6 %, a breach. Read as Windows-1252
    # (every byte decodes: ó is '—' there), the form would be 'Licencias y Renovaci—n', outside the
    # mapping, counted as Other: combined 940 / 1,000 = 94.0 %, no breach.
    store.set_form_segment(con, LR_FORM, "L&R")
    path = tmp_path / "mac.csv"
    data = mac_export({"SaaS": (940, 60), LR_FORM: (5, 15)}, "mac_roman", "\r")
    data.decode("cp1252")  # the bytes read as Windows-1252 too: the text must decide
    path.write_bytes(data)
    result = ingest.ingest_file(con, path)
    assert result.encoding == "Mac Roman"
    assert result.reading["encoding"] == (
        "Mac Roman: 'Zürich' reads as written (as Windows-1252 it would be 'ZŸrich'); "
        "Excel for Mac's 'CSV (Macintosh)', lines ending in CR"
    )
    assert weekly(con, "FRT") == [(NOV_2, 945, 1020, "breach")]
    stored = {form for (form,) in con.execute("SELECT DISTINCT form FROM weekly_counts").fetchall()}
    assert stored == {"SaaS", LR_FORM}


def test_windows_1252_and_mac_roman_are_never_mistaken_for_each_other():
    # Every text here decodes both ways; each is read as what it was written in, whatever the line endings.
    texts = [
        "Zürich, España, Café, Gómez, São Paulo, Müller",
        "Zürich, São Paulo, “EMEA” – Dublin’s 25°C office, 5 µs, l·lusió, »Hallo«",
        "Málaga, Björn, voilà",
        "ÉCOLE MÜNCHEN, Ærø, Straße",
    ]
    for text in texts:
        for encoding in ("cp1252", "mac_roman"):
            for line_end in ("\r\n", "\n", "\r"):
                data = f"Ticket ID,Region{line_end}1,{text}{line_end}".encode(encoding)
                data.decode("cp1252"), data.decode("mac_roman")
                assert sniff_encoding(data, "f.csv", whole_file=True) == encoding, (text, encoding, line_end)
    # Both readings plausible (Windows-1252's 'Dublin’s' is Mac Roman's 'Dublinís'): the line endings say which.
    data = "Ticket ID,Region\r1,Dublin’s office\r".encode("cp1252")
    assert sniff_encoding(data, "f.csv", whole_file=True) == "mac_roman"
    assert sniff_encoding(data.replace(b"\r", b"\r\n"), "f.csv", whole_file=True) == "cp1252"
    for text, codec in [("東京", "shift_jis"), ("台北", "big5"), ("Москва", "koi8_r")]:
        with pytest.raises(RefusedFile, match="Mac Roman"):
            sniff_encoding(f"5001,SaaS,{text}\r".encode(codec), "f.csv", whole_file=True)


# --- 4. An Explore table with the SLA metric in the columns -----------------------------------

PIVOT_ROWS = [
    # FRT: SaaS 940/1,000 and L&R 95/100 → 1,035 / 1,100 = 94.1 %. NRT: 800/1,000 and 90/100 → 890 / 1,100 =
    # 80.9 %, a breach. Read as one metric (the first Achieved / Breached pair, as a single header row gives
    # it), NRT would vanish and its breach with it; the Grand Total columns counted would double every figure.
    ["SaaS", "2026-11-02", 940, 60, 800, 200, 1740, 260],
    ["L&R", "2026-11-02", 95, 5, 90, 10, 185, 15],
    ["Total", "", 1035, 65, 890, 210, 1925, 275],
]
COUNTS = ["Achieved SLA targets", "Breached SLA targets"]
METRIC_NAMES = ["First Reply Time", "", "Next Reply Time", "", "Grand Total", ""]
EXPECTED_PIVOT = {"FRT": [(NOV_2, 1035, 1100, "ok")], "NRT": [(NOV_2, 890, 1100, "breach")]}


def test_sla_metric_in_the_columns_csv_with_attribute_names_in_either_header_row(con, tmp_path):
    layouts = {
        "names below": (["SLA metric", "", *METRIC_NAMES], ["Ticket form", "SLA update - Week", *COUNTS * 3]),
        "names above": (["Ticket form", "SLA update - Week", *METRIC_NAMES], ["", "", *COUNTS * 3]),
    }
    for name, (top, header) in layouts.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(csv_bytes(header, PIVOT_ROWS, titles=[",".join(top)]))
        result = ingest.ingest_file(con, path)
        assert result.reading["layout"] == (
            "SLA metric in the columns (two header rows): the blocks 'First Reply Time', 'Next Reply Time' read as "
            "rows, each of the file's 3 rows once per metric; the 'Grand Total' columns left out as totals"
        ), name
        assert {kpi: weekly(con, kpi) for kpi in ("FRT", "NRT")} == EXPECTED_PIVOT, name
        upload_status.rollback(con, result.upload_id)


def test_sla_metric_in_merged_cells_of_a_workbook(con, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Ticket form", "SLA update - Week", *METRIC_NAMES])
    sheet.append(["", "", *COUNTS * 3])
    for row in PIVOT_ROWS:
        sheet.append(row)
    for first in ("C1:D1", "E1:F1", "G1:H1", "A1:A2", "B1:B2"):
        sheet.merge_cells(first)
    path = tmp_path / "pivot.xlsx"
    workbook.save(path)
    ingest.ingest_file(con, path)
    assert {kpi: weekly(con, kpi) for kpi in ("FRT", "NRT")} == EXPECTED_PIVOT


def test_metric_blocks_with_different_columns_are_refused(con, tmp_path):
    top = ["SLA metric", "", "First Reply Time", "", "Next Reply Time", ""]
    header = ["Ticket form", "SLA update - Week", *COUNTS, "Achieved SLA targets", "Active SLA targets"]
    path = tmp_path / "uneven.csv"
    path.write_bytes(csv_bytes(header, [row[:6] for row in PIVOT_ROWS], titles=[",".join(top)]))
    assert "the SLA metric blocks have different columns" in refusal(con, path)


# --- 5. An Excel PivotTable saved as values -----------------------------------------------------

PIVOT_HEADER = ["Ticket form", "SLA metric", "SLA update - Week", "Sum of Achieved SLA targets",
                "Sum of Breached SLA targets", "Grand Total"]  # fmt: skip


def pivot_rows(saas_total: tuple[int, int, int] = (3610, 390, 4000)) -> list[list]:
    """A pivot by form, metric and week, each label written once, with subtotals and a Grand Total.

    NRT in the week of 2 Nov: SaaS 840/1,000 and L&R 20/100 → 860 / 1,100 = 78.2 %, a breach. The L&R NRT
    row has a blank form: not filled down (counted outside combined), NRT would read 840 / 1,000 = 84.0 %,
    above its floor. FRT: 940 + 95 of 1,100 = 94.1 %, then 950 / 1,000; NRT on 9 Nov 880 / 1,000 = 88.0 %.
    """
    return [
        ["SaaS", "First reply time", "2026-11-02", 940, 60, 1000],
        ["", "", "2026-11-09", 950, 50, 1000],
        ["", "First reply time Total", "", 1890, 110, 2000],
        ["", "Next reply time", "2026-11-02", 840, 160, 1000],
        ["", "", "2026-11-09", 880, 120, 1000],
        ["", "Next reply time Total", "", 1720, 280, 2000],
        ["SaaS Total", "", "", *saas_total],
        ["L&R", "First reply time", "2026-11-02", 95, 5, 100],
        ["", "First reply time Total", "", 95, 5, 100],
        ["", "Next reply time", "2026-11-02", 20, 80, 100],
        ["", "Next reply time Total", "", 20, 80, 100],
        ["L&R Total", "", "", 115, 85, 200],
        ["Grand Total", "", "", 3725, 475, 4200],
    ]


EXPECTED_FROM_PIVOT = {
    "FRT": [(NOV_2, 1035, 1100, "ok"), (NOV_9, 950, 1000, "ok")],
    "NRT": [(NOV_2, 860, 1100, "breach"), (NOV_9, 880, 1000, "ok")],
}


def test_a_pivot_saved_as_values_is_filled_down_and_its_totals_left_out_csv_and_xlsx(con, tmp_path):
    for kind in ("csv", "xlsx"):
        path = tmp_path / f"pivot.{kind}"
        if kind == "csv":
            path.write_bytes(csv_bytes(PIVOT_HEADER, pivot_rows()))
        else:
            xlsx_file(path, PIVOT_HEADER, [[cell if cell != "" else None for cell in row] for row in pivot_rows()])
        result = ingest.ingest_file(con, path)
        assert result.reading["pivot"] == (
            "labels filled down, 6 subtotal rows left out and the Grand Total row; every total adds up to the "
            "rows it totals"
        )
        assert {kpi: weekly(con, kpi) for kpi in ("FRT", "NRT")} == EXPECTED_FROM_PIVOT, kind
        assert result.rows_used == 6
        upload_status.rollback(con, result.upload_id)


def test_a_subtotal_that_does_not_add_up_is_refused_naming_its_row(con, tmp_path):
    path = tmp_path / "edited.csv"
    path.write_bytes(csv_bytes(PIVOT_HEADER, pivot_rows(saas_total=(3611, 390, 4001))))
    message = refusal(con, path)
    assert "row 8" in message and "'Sum of Achieved SLA targets'" in message
    assert "the subtotal 'SaaS Total' says 3,611 but the rows it totals add up to 3,610" in message


def test_a_european_pivot_reads_its_counts_by_its_percentages(con, tmp_path):
    # '93.000' alone could be 93 or 93,000; the percentage '93,0' says decimal comma, so the subtotal
    # '2026-11-02 Total' of 95.000 / 102.000 is checked as 95,000 / 102,000, and FRT is 93.1 %.
    header = ["week_start", "ticket_form", "kpi", "achieved", "total", "pct"]
    rows = [
        ["2026-11-02", "SaaS", "FRT", "93.000", "100.000", "93,0"],
        ["", "L&R", "FRT", "2.000", "2.000", "100,0"],
        ["2026-11-02 Total", "", "", "95.000", "102.000", "93,1"],
    ]
    path = tmp_path / "pivot_eu.csv"
    path.write_bytes(csv_bytes(header, rows, delimiter=";"))
    result = ingest.ingest_file(con, path)
    assert result.reading["pivot"].startswith("labels filled down, 1 subtotal row left out")
    assert weekly(con, "FRT") == [(NOV_2, 95000, 102000, "ok")]
