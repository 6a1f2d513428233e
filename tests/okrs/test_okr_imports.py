"""OKR files: import and refusals, templates and downloads that read back unchanged."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import openpyxl
import pandas as pd
import pytest
from okr_builders import (
    MANAGERS,
    OBJECTIVES,
    base_sheets,
    counts,
    write_csv,
    write_workbook,
)

from lib.core.errors import RefusedFile
from lib.okrs import exports, imports, model, repository
from lib.store import database as store
from lib.store.history import change_log

# --- import and refusals -----------------------------------------------------------------


def test_a_workbook_is_stored_with_an_audit_entry_and_a_new_data_version(con, tmp_path):
    version = store.data_version(con)
    result = repository.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana@example.com")
    assert result.counts == {"managers": 2, "objectives": 2, "key_results": 2, "check_ins": 1}
    assert counts(con) == {"okr_managers": 2, "okr_objectives": 2, "okr_key_results": 2, "okr_check_ins": 1}
    assert store.data_version(con) == version + 1
    changed_at, actor, action, subject, detail, _ = change_log(con)[0]
    assert (actor, action, subject) == ("ana@example.com", "okr import", "okrs.xlsx")
    assert json.loads(detail)["stored"]["objectives"] == 2
    created, updated = con.execute("SELECT created_at, updated_at FROM okr_objectives WHERE id = 'A1'").fetchone()
    assert created is not None and updated is not None


def test_importing_again_replaces_rows_by_key_and_keeps_the_created_time(con, tmp_path):
    sheets = base_sheets()
    repository.import_okr_file(con, write_workbook(tmp_path / "first.xlsx", sheets), "ana")
    created = con.execute("SELECT created_at FROM okr_objectives WHERE id = 'A1'").fetchone()[0]
    sheets["Objectives"][2] = ("A1", "FY27-Q4", "manager", "Faster first replies in AMER", "Ana", "D1")
    repository.import_okr_file(con, write_workbook(tmp_path / "second.xlsx", sheets), "ana")
    title, created_again = con.execute("SELECT title, created_at FROM okr_objectives WHERE id = 'A1'").fetchone()
    assert title == "Faster first replies in AMER"
    assert created_again == created
    assert counts(con)["okr_objectives"] == 2


@pytest.mark.parametrize(
    ("sheet", "row_index", "row", "column", "reason"),
    [
        ("Managers", 2, ("Bo", "Europe", "", "2021-03-01"), "region", "'EUROPE' is not a region"),
        ("Managers", 1, ("Ana", "AMER", "", "6 Jan 2020"), "manager_since", "not a date"),
        ("Objectives", 2, ("A1", "FY27-Q4", "manager", "Faster", "Cleo", "D1"), "owner", "not on the manager roster"),
        ("Objectives", 2, ("A1", "2026-Q4", "manager", "Faster", "Ana", "D1"), "quarter", "not a fiscal quarter"),
        ("Objectives", 2, ("A1", "FY27-Q4", "manager", "Faster", "Ana", "D9"), "aligned_to", "no objective 'D9'"),
        ("Objectives", 2, ("A1", "FY27-Q4", "team", "Faster", "Ana", "D1"), "level", "not a level"),
        ("Key results", 1, ("A1-KR1", "A1", "Rota", "Ana", 140, ""), "score", "outside 0–100"),
        ("Key results", 1, ("A1-KR1", "A1", "Rota", "Ana", "", "FRT above 95"), "kpi_link", "not a KPI link"),
        ("Key results", 2, ("A1-KR1", "A1", "Again", "Ana", 10, ""), "key_result_id", "appears twice"),
        ("Check-ins", 1, ("A1-KR9", "2026-11-20", 88, ""), "key_result_id", "no key result 'A1-KR9'"),
        ("Check-ins", 1, ("A1-KR1", "2026-11-20", "", ""), "score", "this cell is empty"),
    ],
)
def test_a_bad_row_refuses_the_whole_workbook_naming_sheet_row_and_column(
    con, tmp_path, sheet, row_index, row, column, reason
):
    sheets = base_sheets()
    sheets[sheet][row_index] = row
    path = write_workbook(tmp_path / "okrs.xlsx", sheets)
    version = store.data_version(con)
    with pytest.raises(RefusedFile) as refused:
        repository.import_okr_file(con, path, "ana")
    error = refused.value
    assert error.row == row_index + 1  # the header is row 1, as the spreadsheet shows it
    assert error.column == column
    assert reason in error.reason
    assert f"sheet {sheet}" in error.file_name
    assert f"row {row_index + 1}, column '{column}'" in error.message
    # Nothing at all is stored, not even the sheets that were fine.
    assert counts(con) == dict.fromkeys(counts(con), 0)
    assert store.data_version(con) == version


def test_a_csv_is_recognised_by_its_header_and_refused_with_row_and_column(con, tmp_path):
    managers = write_csv(tmp_path / "managers.csv", [*MANAGERS, ("Ana", "AMER", "", "2020-01-06")])
    assert repository.import_okr_file(con, managers, "ana").counts["managers"] == 1
    objectives = write_csv(
        tmp_path / "objectives.csv",
        [
            *OBJECTIVES,
            ("D1", "FY27-Q4", "department", "Meet every KPI", "Director", ""),
            ("D2", "FY27-Q4", "department", "Grow the team", "Director", "D1"),
        ],
    )
    with pytest.raises(RefusedFile) as refused:
        repository.import_okr_file(con, objectives, "ana")
    assert (refused.value.file_name, refused.value.row, refused.value.column) == ("objectives.csv", 3, "aligned_to")
    assert counts(con)["okr_objectives"] == 0


def test_unknown_or_missing_columns_are_refused_on_the_header_row(con, tmp_path):
    typo = write_csv(
        tmp_path / "m.csv", [("name", "region", "segmnt", "manager_since"), ("Ana", "AMER", "", "2020-01-06")]
    )
    with pytest.raises(RefusedFile) as refused:
        repository.import_okr_file(con, typo, "ana")
    assert (refused.value.row, refused.value.column) == (1, "segmnt")
    sheets = {"Managers": [("name", "segment", "manager_since"), ("Ana", "", "2020-01-06")]}
    with pytest.raises(RefusedFile) as refused:
        repository.import_okr_file(con, write_workbook(tmp_path / "w.xlsx", sheets), "ana")
    assert (refused.value.row, refused.value.column) == (1, "region")
    assert "missing" in refused.value.reason


def test_the_template_imports_as_it_is_and_the_export_round_trips(con, tmp_path):
    template = tmp_path / "template.xlsx"
    template.write_bytes(exports.template_workbook())
    result = repository.import_okr_file(con, template, "ana")
    assert result.counts == {"managers": 2, "objectives": 2, "key_results": 2, "check_ins": 2}
    before = {kind: repository.stored_frame(con, kind) for kind in model.KINDS}
    exported = template.with_name("export.xlsx")
    exported.write_bytes(exports.export_workbook(con))
    repository.import_okr_file(con, exported, "ana")
    for kind in model.KINDS:
        pd.testing.assert_frame_equal(repository.stored_frame(con, kind), before[kind])


def test_downloads_never_carry_a_live_formula_and_read_back_unchanged(con, tmp_path):
    repository.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    repository.add_check_in(con, "A1-KR1", date(2026, 11, 20), 88, '=HYPERLINK("http://x","click")', "ana")
    exported = tmp_path / "export.xlsx"
    exported.write_bytes(exports.export_workbook(con))
    cell = openpyxl.load_workbook(exported)["Check-ins"]["D2"]
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("http://x","click")'
    repository.import_okr_file(con, exported, "ana")
    note = con.execute("SELECT note FROM okr_check_ins").fetchone()[0]
    assert note == '=HYPERLINK("http://x","click")'
    template = exports.template_csv("key_results").decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(template))) == [c.name for c in model.COLUMNS["key_results"]]


def test_a_damaged_okr_workbook_is_refused_in_plain_words(tmp_path):
    path = tmp_path / "okrs.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)  # starts like a workbook, is none
    with pytest.raises(RefusedFile) as refused:
        imports.read_okr_file(path)
    # The compression-bomb checks that every workbook passes first are what find it damaged.
    assert refused.value.message.startswith("okrs.xlsx: the file starts like a ZIP archive (a workbook) but is damaged")
    assert "BadZipFile" not in refused.value.message


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_a_csv_reads_in_every_encoding_an_export_may_come_in(tmp_path, encoding):
    text = "name,region,segment,manager_since\nJosé Núñez,AMER,,2020-01-06\n"
    path = tmp_path / "managers.csv"
    path.write_bytes(text.encode(encoding))
    [table] = imports.read_okr_file(path)
    assert table.kind == "managers"
    assert table.rows == [(2, {"name": "José Núñez", "region": "AMER", "segment": "", "manager_since": "2020-01-06"})]


def test_an_image_posing_as_an_okr_csv_is_refused_naming_what_it_is(tmp_path):
    path = tmp_path / "okrs.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    with pytest.raises(RefusedFile) as refused:
        imports.read_okr_file(path)
    assert refused.value.message == "okrs.csv: this is a PNG image, not a CSV or XLSX export"
