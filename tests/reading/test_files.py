"""Liberal in what it reads (encodings, delimiters, title rows, XLSX), exact in what it refuses."""

from __future__ import annotations

import codecs
import datetime as dt

import openpyxl
import pytest
from export_builders import FIXTURES, SLA_HEADER, csv_text, sla_rows, span_rows, write_sla

from lib.core.errors import RefusedFile
from lib.metrics.kpis import kpi_summaries, status_report
from lib.reading.encodings import plausible_cp1252
from lib.reading.export import read_export
from lib.store import database as store
from lib.store import upload_records as records
from lib.uploads import changes, ingest

MONDAY = dt.date(2026, 9, 7)


def week_rows():
    rows = span_rows(MONDAY, MONDAY + dt.timedelta(days=6))
    return rows + sla_rows(MONDAY, "SaaS", "First reply time", 19, 1) + sla_rows(MONDAY, "L&R", "Next reply time", 8, 2)


def frt_nrt(con):
    summaries = kpi_summaries(con, store.load_settings(con))
    return [(summaries[k].latest.good, summaries[k].latest.total) for k in ("FRT", "NRT")]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("cp1252", b""),
    ],
)
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_every_encoding_and_delimiter_reads_the_same_figures(con, tmp_path, encoding, bom, delimiter):
    rows = week_rows() + [["77", "Billing", "First reply time", "Completed", "Achieved", "2026-09-08", "Café Zürich"]]
    path = tmp_path / "export.csv"
    path.write_bytes(bom + csv_text(SLA_HEADER, [[r[0] or "1", *r[1:]] for r in rows], delimiter).encode(encoding))
    result = ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]
    assert result.shape == "explore_sla"


def test_header_spellings_title_rows_totals_and_extra_columns(con, tmp_path):
    header = ["ticket_id", "TICKET FORM", "Sla Metric", "sla-target-status", "Time - SLA status update - Date", "Notes"]
    rows = [[r[0] or "5", r[1], r[2], r[4], r[5], "free text"] for r in week_rows()]
    text = "Zendesk Explore report: SLA achievement\nGenerated 2026-09-14\n\n" + csv_text(header, rows)
    text += "Total,,,,,\n,,,,,\n\n"
    path = tmp_path / "titled.csv"
    path.write_text(text)
    result = ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]
    assert result.ignored.get("totals row") == 1
    assert result.columns_ignored == ["Notes"]


def test_xlsx_with_a_report_title_above_the_header(con, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["SLA targets by ticket, last 7 days"])
    sheet.append([])
    sheet.append(SLA_HEADER)
    for row in week_rows():
        day = dt.date.fromisoformat(row[5])
        sheet.append([int(row[0] or 9), row[1], row[2], row[3], row[4], dt.datetime(day.year, day.month, day.day)])
    sheet.append(["Total", None, None, None, None, None])
    path = tmp_path / "explore.xlsx"
    workbook.save(path)
    result = ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]
    assert result.encoding == "XLSX, sheet 'Sheet'"


def test_a_workbook_is_read_whatever_its_file_is_called(con, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(SLA_HEADER)
    for row in week_rows():
        workbook.active.append([row[0] or "7", *row[1:]])
    path = tmp_path / "export-without-extension"
    workbook.save(tmp_path / "saved.xlsx")
    (tmp_path / "saved.xlsx").rename(path)
    ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]


def test_row_numbers_in_xlsx_refusals_are_the_rows_excel_shows(con, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Report title"])
    sheet.append(SLA_HEADER)
    sheet.append([1, "SaaS", "First reply time", "Completed", "Achieved", "2026-09-08", ""])
    sheet.append([2, "SaaS", "First reply time", "Completed", "Pending", "2026-09-08", ""])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, path)
    assert refused.value.row == 4 and refused.value.column == "SLA target status"


DBT_SLA_HEADER = "sla_event_id,ticket_id,metric,sla_applied_at,is_active_sla,is_sla_breach,ticket_group,ticket_form\n"
DBT_TICKETS_HEADER = "ticket_id,status,first_solved_at,ticket_form,ticket_group,ticket_satisfaction_score\n"


def test_dbt_zendesk_models_built_here_count_like_explore(con, tmp_path):
    # Week of Monday 2026-09-07: SaaS FRT 2 met, 1 breached; one still active and one
    # requester wait time event do not count. Satisfaction: 2 good, 1 bad, 1 offered.
    slas = tmp_path / "zendesk__sla_policies.csv"
    slas.write_text(
        DBT_SLA_HEADER
        + "1,101,first_reply_time,2026-09-07 06:37:02.000000,FALSE,FALSE,Support,SaaS\n"
        + "2,102,first_reply_time,2026-09-08 10:00:00.000000,FALSE,FALSE,Support,SaaS\n"
        + "3,103,first_reply_time,2026-09-09 10:00:00.000000,FALSE,TRUE,Support,SaaS\n"
        + "4,104,first_reply_time,2026-09-10 10:00:00.000000,TRUE,FALSE,Support,SaaS\n"
        + "5,105,requester_wait_time,2026-09-13 23:00:00.000000,FALSE,TRUE,Support,SaaS\n"
    )
    tickets = tmp_path / "zendesk__ticket_metrics.csv"
    tickets.write_text(
        DBT_TICKETS_HEADER
        + "201,closed,2026-09-07 09:00:00.000000,SaaS,Support,good\n"
        + "202,closed,2026-09-08 09:00:00.000000,Self-Managed,Support,good\n"
        + "203,solved,2026-09-09 09:00:00.000000,SaaS,Support,bad\n"
        + "204,solved,2026-09-13 09:00:00.000000,SaaS,Support,offered\n"
    )
    sla_result = ingest.ingest_file(con, slas)
    ticket_result = ingest.ingest_file(con, tickets)
    assert (sla_result.shape, sla_result.source) == ("dbt_sla_policies", "dbt")
    assert (ticket_result.shape, ticket_result.source) == ("dbt_ticket_metrics", "dbt")
    assert sla_result.ignored == {"target still active": 1, "other SLA metric": 1}
    summaries = kpi_summaries(con, store.load_settings(con))
    frt = summaries["FRT"].series[0]
    assert (frt.week, frt.good, frt.total) == (dt.date(2026, 9, 7), 2, 3)
    ssat = summaries["SSAT"].series[0]
    assert (ssat.week, ssat.good, ssat.total) == (dt.date(2026, 9, 7), 2, 3)
    assert (ssat.segments["GitLab SM"].good, ssat.segments["GitLab SM"].total) == (1, 1)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"the public dbt_zendesk samples are not at {FIXTURES}")
def test_dbt_zendesk_samples_ingest(con):
    slas = ingest.ingest_file(con, FIXTURES / "dunder_mifflin_slas.csv")
    tickets = ingest.ingest_file(con, FIXTURES / "dunder_mifflin_tickets.csv")
    assert (slas.shape, slas.source) == ("dbt_sla_policies", "dbt")
    assert (tickets.shape, tickets.source) == ("dbt_ticket_metrics", "dbt")
    assert slas.rows_used == 347 + 3076 and slas.ignored == {"other SLA metric": 27}
    assert tickets.rows_used == 2335 + 2301 - 198  # rated tickets never solved have no week
    assert tickets.ignored == {"survey not answered": 1213, "not solved": 198}
    # Their forms are not GitLab's: everything is Other, and the upload says so.
    assert any("Other" in w for w in slas.warnings)
    other = kpi_summaries(con, store.load_settings(con))["NRT"].series[0].segments["Other"]
    assert other.total > 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"PK\x03\x04garbage", "ZIP"),
        (b"\x00\x01\x02\x03binary\x00\xff" * 50, "binary"),
        (b"Ticket ID,Ticket form\n1,SaaS\n", "missing columns"),
        (b"Name,Colour\nAda,blue\n", "not those of any known export"),
    ],
)
def test_files_that_are_not_exports_are_refused_and_change_nothing(con, tmp_path, content, expected):
    ingest.ingest_file(con, write_sla(tmp_path / "good.csv", week_rows()))
    before = (status_report(con, store.load_settings(con)), records.list_uploads(con))
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, path)
    assert expected in refused.value.message and "upload.csv" in refused.value.message
    assert (status_report(con, store.load_settings(con)), records.list_uploads(con)) == before


REFUSALS = [
    # (what is wrong, rows after the header, row, column, words in the reason)
    ("unknown status", [["1", "SaaS", "First reply time", "Completed", "Pending", "2026-09-08", ""]], 2,
     "SLA target status", "'Pending' is not a target status"),
    ("unreadable date", [["1", "SaaS", "First reply time", "Completed", "Achieved", "next week", ""]], 2,
     "Time - SLA status update - Date", "'next week' is not a date"),
    ("impossible date", [["1", "SaaS", "First reply time", "Completed", "Achieved", "2026-02-30", ""]], 2,
     "Time - SLA status update - Date", "'2026-02-30' is not a date"),
    ("future date", [["1", "SaaS", "First reply time", "Completed", "Achieved", "2099-01-05", ""]], 2,
     "Time - SLA status update - Date", "in the future"),
    ("nothing in scope", [["1", "SaaS", "Requester wait time", "Completed", "Achieved", "2026-09-08", ""]], None,
     None, "nothing in scope"),
    ("header only", [], None, None, "no data rows"),
]  # fmt: skip


@pytest.mark.parametrize(("label", "rows", "row", "column", "reason"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_name_row_and_column_and_change_nothing(con, tmp_path, label, rows, row, column, reason):
    ingest.ingest_file(con, write_sla(tmp_path / "good.csv", week_rows()))
    before = (status_report(con, store.load_settings(con)), records.list_uploads(con))
    # A readable row first, so the refusal has to come from the named row, not the file's start.
    good_rows = [["9", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-08", ""]] if row else []
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(SLA_HEADER, good_rows + rows))
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, path)
    error = refused.value
    assert reason in error.message and error.message.startswith("bad.csv")
    assert error.row == (row + 1 if row else None)
    assert error.column == column
    assert (status_report(con, store.load_settings(con)), records.list_uploads(con)) == before


def test_missing_column_is_named(con, tmp_path):
    path = tmp_path / "nodate.csv"
    path.write_text(csv_text(SLA_HEADER[:5], [["1", "SaaS", "First reply time", "Completed", "Achieved"]]))
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, path)
    assert "missing column for Explore SLA events: 'Time - SLA status update - Date'" in refused.value.message
    assert refused.value.column == "Time - SLA status update - Date"


def test_weekly_aggregates_with_counts_and_each_percentage_notation(con, tmp_path):
    path = tmp_path / "sisense.csv"
    path.write_text(
        "week_start,segment,kpi,achieved,total\n"
        "2026-09-07,L&R,FRT,90,100\n2026-09-07,GitLab SM,FRT,190,200\n2026-09-07,Combined,FRT,280,300\n"
    )
    ingest.ingest_file(con, path)
    week = kpi_summaries(con, store.load_settings(con), layer="secondary")["FRT"].latest
    assert (week.good, week.total) == (280, 300)
    for index, notation in enumerate(("92.5", "92.5%", "0.925")):
        pct_path = tmp_path / f"pct{index}.csv"
        pct_path.write_text(
            f"Week,Segment,Metric,Percentage\n2026-09-{14 + 7 * index:02d},GitLab SaaS,NRT,{notation}\n"
        )
        ingest.ingest_file(con, pct_path)
    series = kpi_summaries(con, store.load_settings(con), layer="secondary")["NRT"].series
    assert [round(w.value, 6) for w in series] == [92.5, 92.5, 92.5]


def test_percentages_without_counts_cannot_be_pooled(con, tmp_path):
    path = tmp_path / "pct.csv"
    path.write_text("week,segment,metric,pct\n2026-09-07,L&R,SSAT,91\n2026-09-07,GitLab SM,SSAT,97\n")
    ingest.ingest_file(con, path)
    week = kpi_summaries(con, store.load_settings(con))["SSAT"].latest
    assert week.value is None and week.status == "unknown"
    assert "cannot pool" in week.note and "L&R" in week.note


def test_several_percentages_for_one_segment_are_not_averaged(con, tmp_path):
    path = tmp_path / "forms.csv"
    path.write_text("week,ticket_form,metric,pct\n2026-09-07,SaaS,FRT,99\n2026-09-07,SaaS Account,FRT,80\n")
    ingest.ingest_file(con, path)
    week = kpi_summaries(con, store.load_settings(con))["FRT"].latest
    assert week.value is None and week.status == "unknown"
    assert "several percentages" in week.note and "GitLab SaaS" in week.note


def test_aggregate_refusals(con, tmp_path):
    cases = {
        "week,segment,metric,good,total\n2026-09-07,L&R,FRT,12,10\n": "greater than total",
        "week,segment,metric,good,total\n2026-09-07,L&R,FRT,-1,10\n": "not whole numbers",
        "week,segment,metric,good,total\n2026-09-07,L&R,FRT,2.5,10\n": "not whole numbers",
        "week,segment,metric,pct\n2026-09-07,L&R,FRT,140\n": "outside 0 to 100",
        "week,segment,metric,pct\n2026-09-07,Moon,FRT,90\n": "'Moon' is not a segment",
        "week,segment,metric,good,total\n2026-09-07,L&R,FRT,9,10\n2026-09-08,L&R,FRT,8,10\n": "rows 2 and 3",
        "week,segment,metric,good,total\n2026-09-07,L&R,FRT,9,10\n2026-09-15,L&R,FRT,8,10\n": "Mondays and Tuesdays",
    }
    for index, (text, reason) in enumerate(cases.items()):
        path = tmp_path / f"agg{index}.csv"
        path.write_text(text)
        with pytest.raises(RefusedFile) as refused:
            ingest.ingest_file(con, path)
        assert reason in refused.value.message
    assert records.list_uploads(con) == []


def test_archive_keeps_the_original_bytes_under_its_hash(con, tmp_path):
    path = write_sla(tmp_path / "../evil name; rm -rf.csv", week_rows())
    result = ingest.ingest_file(con, path, file_name="../../etc/passwd<script>.csv")
    upload = records.list_uploads(con)[0]
    archived = store.settings_module.archive_dir(store.database_file(con)) / f"{upload['sha256']}.csv"
    assert upload["archive_path"] == str(archived)
    assert archived.read_bytes() == path.read_bytes()
    assert upload["file"] == "../../etc/passwd<script>.csv" and result.upload_id == upload["id"]


def test_upload_size_limit_is_enforced(con, tmp_path):
    store.save_setting(con, "max_upload_mb", 1)
    path = tmp_path / "big.csv"
    path.write_text(csv_text(SLA_HEADER, week_rows() * 10000))
    with pytest.raises(RefusedFile, match="over the 1 MB limit"):
        ingest.ingest_file(con, path)


def test_a_preview_writes_nothing_to_the_archive(con, tmp_path):
    result = changes.preview_ingest(con, write_sla(tmp_path / "look.csv", week_rows()))
    assert result.status == "preview" and result.changes
    archive = store.settings_module.archive_dir(store.database_file(con))
    assert not archive.exists() or not any(archive.iterdir())


def test_a_short_row_inside_the_data_is_still_read_only_a_short_last_row_is_cut_off(con, tmp_path):
    rows = week_rows()
    text = csv_text(SLA_HEADER, rows[:3]) + "Total\n" + csv_text(SLA_HEADER, rows[3:]).split("\n", 1)[1]
    path = tmp_path / "total_inside.csv"
    path.write_text(text)
    ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]

    cut = tmp_path / "cut.csv"
    cut.write_text(text + "77,SaaS,First reply time,Completed,Achieved,2026-09-0")
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, cut)
    assert "the download looks cut off" in refused.value.message
    assert refused.value.row == len(rows) + 3  # header, the rows, the totals row, then the cut row


def test_dates_are_read_from_the_whole_cell_after_stripping_control_characters(con, tmp_path):
    # "\t2026-09-13" read by its first ten characters was 2026-09-01: another week.
    rows = [[*r[:5], "\t" + r[5] + " 23:59:59\u00a0", r[6]] for r in week_rows()]
    ingest.ingest_file(con, write_sla(tmp_path / "tabbed.csv", rows))
    assert frt_nrt(con) == [(19, 20), (8, 10)]
    weeks = {w for (w,) in con.execute("SELECT DISTINCT week FROM weekly_counts").fetchall()}
    assert weeks == {MONDAY}


def test_windows_1252_is_assumed_only_when_the_bytes_read_as_text_a_person_wrote():
    assert plausible_cp1252("Zürich, São Paulo, “EMEA” – Dublin’s 25°C office, 5 µs, l·lusió, »Hallo«".encode("cp1252"))
    for text, codec in [("東京", "shift_jis"), ("台北", "big5"), ("北京", "gbk"), ("Москва", "koi8_r")]:
        assert not plausible_cp1252(f"5001,SaaS,{text}\n".encode(codec)), codec


def test_a_workbook_names_the_sheet_it_read_and_never_reads_a_hidden_one(con, tmp_path):
    workbook = openpyxl.Workbook()
    stale = workbook.active
    stale.title = "Old export"
    stale.append(SLA_HEADER)
    for row in week_rows():
        stale.append([row[0] or "7", *row[1:4], "Breached" if row[4] == "Achieved" else row[4], *row[5:]])
    stale.sheet_state = "hidden"
    current = workbook.create_sheet("This week")
    current.append(SLA_HEADER)
    for row in week_rows():
        current.append([row[0] or "7", *row[1:]])
    workbook.active = 1
    path = tmp_path / "two_sheets.xlsx"
    workbook.save(path)
    result = ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]
    assert result.encoding == "XLSX, sheet 'This week'"
    assert "Hidden sheets are never read: 'Old export'." in result.warnings


def test_a_header_ending_in_an_empty_column_does_not_make_every_last_row_look_cut_off(con, tmp_path):
    # Some tools end the header line with a delimiter: the rows are one field shorter, and complete.
    rows = [[r[0] or "7", *r[1:]] for r in week_rows()]
    path = tmp_path / "trailing_delimiter.csv"
    path.write_text(",".join(SLA_HEADER) + ",\n" + csv_text(SLA_HEADER, rows).split("\n", 1)[1])
    ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]


def test_a_title_line_ending_in_lf_above_crlf_rows_is_read_whole(con, tmp_path):
    numbered = [[str(100 + i), *row[1:]] for i, row in enumerate(week_rows())]
    path = tmp_path / "titled.csv"
    path.write_bytes(("FRT by week\n" + csv_text(SLA_HEADER, numbered).replace("\n", "\r\n")).encode())
    ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]


def numbered(rows: list[list], first: int) -> list[list]:
    return [[str(first + i), *row[1:]] for i, row in enumerate(rows)]


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-8", b"")]
)
@pytest.mark.parametrize("second_date_header", ["Time - SLA status update - Date", "SLA update - Date"])
def test_two_downloads_joined_into_one_file_are_refused_whatever_their_second_header(
    con, tmp_path, encoding, bom, second_date_header
):
    """`cat a.csv b.csv`: each download starts with its own byte-order mark, and the second may name
    its date column differently; its header row is still a repeated header, not a row to ignore."""
    first = numbered(week_rows(), 1)
    first_download = bom + csv_text(SLA_HEADER, first).encode(encoding)
    path = tmp_path / "first.csv"
    path.write_bytes(first_download)
    ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]  # one download alone reads exactly
    second_header = [second_date_header if h.endswith("Date") else h for h in SLA_HEADER]
    second_download = bom + csv_text(second_header, numbered(week_rows(), 100)).encode(encoding)
    path = tmp_path / "joined.csv"
    path.write_bytes(first_download + second_download)
    uploads_before = con.execute("SELECT count(*) FROM uploads").fetchone()[0]
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, path)
    assert "repeats the header row" in refused.value.message and f"row {len(first) + 2}" in refused.value.message
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == uploads_before


def test_two_report_table_downloads_joined_are_refused_as_a_repeated_header(con, tmp_path):
    header = ["SLA update - Date", "Ticket form", "SLA metric", "Achieved SLA targets", "Breached SLA targets"]
    rows = [[(MONDAY + dt.timedelta(days=d)).isoformat(), "SaaS", "First reply time", "9", "1"] for d in range(7)]
    download = codecs.BOM_UTF16_LE + csv_text(header, rows, "\t").encode("utf-16-le")
    path = tmp_path / "joined_tables.csv"
    path.write_bytes(download + download)
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, path)
    assert "repeats the header row" in refused.value.message and "row 9" in refused.value.message
    assert "not a number" not in refused.value.message


def test_an_export_with_a_title_line_names_each_breached_row_by_its_line_and_adds_up_by_group(tmp_path):
    """The breached rows handed to the store name their own line of the file (after a title line),
    ticket, group and priority, and the slices add up by group."""
    header = [*SLA_HEADER, "Ticket group", "Ticket priority"]
    rows = [
        [str(5000 + i), *row[1:], f"Support {'AMER' if i % 2 else 'EMEA'}", "High" if i % 3 else "Low"]
        for i, row in enumerate(week_rows())
    ]
    path = tmp_path / "sliced.csv"
    path.write_text("SLA targets by group\n" + csv_text(header, rows))  # a title line: row 1, the header row 2
    data = read_export(path, path.name, shape=None, column_map=None, week_start_index=0).data
    fields = ("source_row", "ticket_id", "ticket_group", "priority")
    breached = sorted(tuple(row[f] for f in fields) for row in data.bad_events.to_pylist())
    assert breached == [(i + 3, row[0], row[7], row[8]) for i, row in enumerate(rows) if row[4] == "Breached"]
    counted = [row for row in rows if row[2] != "Requester wait time"]
    by_group = {}
    for cell in data.slices.to_pylist():
        if cell["dimension"] == "group":
            by_group[cell["slice"]] = by_group.get(cell["slice"], 0) + cell["total"]
    assert by_group == {group: sum(row[7] == group for row in counted) for group in ("Support AMER", "Support EMEA")}


def test_a_last_row_cut_short_is_refused_though_the_file_ends_with_a_line_break_and_quotes_its_cells(con, tmp_path):
    rows = numbered(week_rows(), 1)
    path = tmp_path / "cut_quoted.csv"
    path.write_text(csv_text(SLA_HEADER, rows) + '77,"SaaS","First reply time"\n')
    with pytest.raises(RefusedFile) as refused:
        ingest.ingest_file(con, path)
    assert "the download looks cut off" in refused.value.message
    assert refused.value.row == len(rows) + 2


def test_a_last_row_whose_quoted_cell_spans_two_lines_is_read_whole(con, tmp_path):
    rows = numbered(week_rows(), 1)
    rows[-1] = [*rows[-1][:6], "Americas,\nUSA"]
    path = tmp_path / "two_line_cell.csv"
    path.write_text(csv_text(SLA_HEADER, rows))
    ingest.ingest_file(con, path)
    assert frt_nrt(con) == [(19, 20), (8, 10)]
