"""OKRs: import and refusals, the new-manager exemption, alignment gaps, bands, staleness, KPI-linked
progress on the real demo data, the department roll-up, and the demo OKRs' story."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lib import okrs
from lib.core import auth
from lib.core.errors import PermissionDenied, RefusedFile
from lib.core.settings import COMBINED_SEGMENTS, REGIONS
from lib.metrics import fiscal, kpis
from lib.metrics.fiscal import FiscalQuarter
from lib.store import database as store

DEMO_END = date(2026, 11, 26)
Q3 = FiscalQuarter(2027, 3)  # 2026-08-01 .. 2026-10-31
Q4 = FiscalQuarter(2027, 4)  # 2026-11-01 .. 2027-01-31

MANAGERS = [("name", "region", "segment", "manager_since")]
OBJECTIVES = [("objective_id", "quarter", "level", "objective", "owner", "aligned_to")]
KEY_RESULTS = [("key_result_id", "objective_id", "key_result", "owner", "score", "kpi_link")]
CHECK_INS = [("key_result_id", "date", "score", "note")]


@pytest.fixture
def con(tmp_path, monkeypatch):
    path = tmp_path / "floorline.duckdb"
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    connection = store.connect(path)
    yield connection
    connection.close()


@pytest.fixture
def demo_con(demo_template, tmp_path, monkeypatch):
    """A copy of the demo year (KPI uploads only) that this test may change."""
    path = tmp_path / "floorline.duckdb"
    shutil.copyfile(demo_template, path)
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    connection = store.connect(path)
    yield connection
    connection.close()


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


def view_of(con, quarter=Q4, today=DEMO_END) -> okrs.QuarterView:
    return okrs.quarter_view(con, store.load_settings(con), quarter, today, breaches={})


# --- import and refusals -----------------------------------------------------------------


def test_a_workbook_is_stored_with_an_audit_entry_and_a_new_data_version(con, tmp_path):
    version = store.data_version(con)
    result = okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana@example.com")
    assert result.counts == {"managers": 2, "objectives": 2, "key_results": 2, "check_ins": 1}
    assert counts(con) == {"okr_managers": 2, "okr_objectives": 2, "okr_key_results": 2, "okr_check_ins": 1}
    assert store.data_version(con) == version + 1
    changed_at, actor, action, subject, detail = store.change_history(con)[0]
    assert (actor, action, subject) == ("ana@example.com", "okr import", "okrs.xlsx")
    assert json.loads(detail)["stored"]["objectives"] == 2
    created, updated = con.execute("SELECT created_at, updated_at FROM okr_objectives WHERE id = 'A1'").fetchone()
    assert created is not None and updated is not None


def test_importing_again_replaces_rows_by_key_and_keeps_the_created_time(con, tmp_path):
    sheets = base_sheets()
    okrs.import_okr_file(con, write_workbook(tmp_path / "first.xlsx", sheets), "ana")
    created = con.execute("SELECT created_at FROM okr_objectives WHERE id = 'A1'").fetchone()[0]
    sheets["Objectives"][2] = ("A1", "FY27-Q4", "manager", "Faster first replies in AMER", "Ana", "D1")
    okrs.import_okr_file(con, write_workbook(tmp_path / "second.xlsx", sheets), "ana")
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
        okrs.import_okr_file(con, path, "ana")
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
    assert okrs.import_okr_file(con, managers, "ana").counts["managers"] == 1
    objectives = write_csv(
        tmp_path / "objectives.csv",
        [
            *OBJECTIVES,
            ("D1", "FY27-Q4", "department", "Meet every KPI", "Director", ""),
            ("D2", "FY27-Q4", "department", "Grow the team", "Director", "D1"),
        ],
    )
    with pytest.raises(RefusedFile) as refused:
        okrs.import_okr_file(con, objectives, "ana")
    assert (refused.value.file_name, refused.value.row, refused.value.column) == ("objectives.csv", 3, "aligned_to")
    assert counts(con)["okr_objectives"] == 0


def test_unknown_or_missing_columns_are_refused_on_the_header_row(con, tmp_path):
    typo = write_csv(
        tmp_path / "m.csv", [("name", "region", "segmnt", "manager_since"), ("Ana", "AMER", "", "2020-01-06")]
    )
    with pytest.raises(RefusedFile) as refused:
        okrs.import_okr_file(con, typo, "ana")
    assert (refused.value.row, refused.value.column) == (1, "segmnt")
    sheets = {"Managers": [("name", "segment", "manager_since"), ("Ana", "", "2020-01-06")]}
    with pytest.raises(RefusedFile) as refused:
        okrs.import_okr_file(con, write_workbook(tmp_path / "w.xlsx", sheets), "ana")
    assert (refused.value.row, refused.value.column) == (1, "region")
    assert "missing" in refused.value.reason


def test_the_template_imports_as_it_is_and_the_export_round_trips(con, tmp_path):
    template = tmp_path / "template.xlsx"
    template.write_bytes(okrs.template_workbook())
    result = okrs.import_okr_file(con, template, "ana")
    assert result.counts == {"managers": 2, "objectives": 2, "key_results": 2, "check_ins": 2}
    before = {kind: okrs.stored_frame(con, kind) for kind in okrs.KINDS}
    exported = template.with_name("export.xlsx")
    exported.write_bytes(okrs.export_workbook(con))
    okrs.import_okr_file(con, exported, "ana")
    for kind in okrs.KINDS:
        pd.testing.assert_frame_equal(okrs.stored_frame(con, kind), before[kind])


def test_downloads_never_carry_a_live_formula_and_read_back_unchanged(con, tmp_path):
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    okrs.add_check_in(con, "A1-KR1", date(2026, 11, 20), 88, '=HYPERLINK("http://x","click")', "ana")
    exported = tmp_path / "export.xlsx"
    exported.write_bytes(okrs.export_workbook(con))
    cell = openpyxl.load_workbook(exported)["Check-ins"]["D2"]
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("http://x","click")'
    okrs.import_okr_file(con, exported, "ana")
    note = con.execute("SELECT note FROM okr_check_ins").fetchone()[0]
    assert note == '=HYPERLINK("http://x","click")'
    template = okrs.template_csv("key_results").decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(template))) == [c.name for c in okrs.COLUMNS["key_results"]]


# --- the new-manager exemption -------------------------------------------------------------


@pytest.mark.parametrize(
    ("became_manager", "exempt_in", "expected_in", "until"),
    [
        (date(2026, 2, 1), ["FY27-Q1"], "FY27-Q2", date(2026, 4, 30)),
        (date(2026, 2, 2), ["FY27-Q1", "FY27-Q2"], "FY27-Q3", date(2026, 7, 31)),
        (date(2026, 1, 31), ["FY26-Q4", "FY27-Q1"], "FY27-Q2", date(2026, 4, 30)),
        (date(2026, 11, 1), ["FY27-Q4"], "FY28-Q1", date(2027, 1, 31)),
    ],
)
def test_a_new_manager_is_exempt_until_their_first_full_quarter_ends(became_manager, exempt_in, expected_in, until):
    for label in exempt_in:
        exemption = okrs.exemption(became_manager, fiscal.parse_label(label))
        assert exemption.exempt, label
        assert exemption.until == until
        assert exemption.expected_from.label == expected_in
    assert not okrs.exemption(became_manager, fiscal.parse_label(expected_in)).exempt


def test_only_managers_past_their_first_full_quarter_are_listed_as_missing_an_okr(con, tmp_path):
    sheets = base_sheets()
    sheets["Managers"] += [
        ("Cleo", "APAC", "", "2026-11-01"),  # first full quarter is FY27-Q4 itself: exempt
        ("Dev", "APAC", "", "2026-07-31"),  # first full quarter FY27-Q3, done: expected in FY27-Q4
        ("Eli", "APAC", "", "2027-01-05"),  # became a manager during FY27-Q4: exempt through FY28-Q1
        ("Fay", "APAC", "", "2027-02-01"),  # a manager only from FY28-Q1
    ]
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", sheets), "ana")
    view = view_of(con)
    missing = {gap.manager for gap in view.gaps if gap.check == "No OKR"}
    assert missing == {"Bo", "Dev"}
    exempt = {m.name: m.exemption for m in view.managers if m.exemption.exempt}
    assert set(exempt) == {"Cleo", "Eli"}
    assert exempt["Cleo"].until == date(2027, 1, 31)
    assert exempt["Eli"].until == date(2027, 4, 30)
    assert view.not_yet_managers == ["Fay"]
    table = okrs.managers_frame(view).set_index("Manager")
    assert table.loc["Cleo", "3. OKRs"].startswith("Exempt until 31 Jan 2027 (FY27-Q4)")
    assert table.loc["Bo", "3. OKRs"] == "No OKR"
    answers = okrs.quarter_answers(view)
    assert {(m.manager, m.reason) for m in answers.missing} == {("Bo", "no OKR"), ("Dev", "no OKR")}
    assert dict(answers.exempt) == {"Cleo": date(2027, 1, 31), "Eli": date(2027, 4, 30)}
    assert answers.expected == len(view.managers) - 2
    only_cleo = okrs.quarter_answers(view, [m for m in view.managers if m.name == "Cleo"])
    assert (only_cleo.expected, only_cleo.missing, only_cleo.exempt) == (0, [], [("Cleo", date(2027, 1, 31))])


# --- alignment ----------------------------------------------------------------------------


def test_manager_objectives_aligned_with_nothing_or_another_quarter_are_gaps(con, tmp_path):
    sheets = base_sheets()
    sheets["Objectives"] += [
        ("D0", "FY27-Q3", "department", "Last quarter's KPI objective", "Director", ""),
        ("B1", "FY27-Q4", "manager", "Copied from last quarter", "Bo", "D0"),
        ("B2", "FY27-Q4", "manager", "Not aligned at all", "Bo", ""),
        ("D2", "FY27-Q4", "department", "Nobody aligned with this", "Director", ""),
    ]
    sheets["Key results"] += [("B1-KR1", "B1", "x", "Bo", 90, ""), ("B2-KR1", "B2", "y", "Bo", 90, "")]
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", sheets), "ana")
    view = view_of(con)
    not_aligned = {gap.item: gap for gap in view.gaps if gap.check == "Not aligned"}
    assert set(not_aligned) == {"B1: Copied from last quarter", "B2: Not aligned at all"}
    assert not_aligned["B1: Copied from last quarter"].manager == "Bo"
    assert "a department objective of FY27-Q3" in not_aligned["B1: Copied from last quarter"].detail
    assert not_aligned["B2: Not aligned at all"].detail == "aligned with nothing"
    assert [gap.item for gap in view.gaps if gap.check == "No manager OKR aligned"] == ["D2: Nobody aligned with this"]
    assert [o.id for o in view.unaligned] == ["B1", "B2"]
    bo = next(m for m in view.managers if m.name == "Bo")
    assert not bo.aligned and not any(gap.check == "No OKR" and gap.manager == "Bo" for gap in view.gaps)


def test_a_manager_objective_cannot_align_with_another_manager_objective(con, tmp_path):
    sheets = base_sheets()
    sheets["Objectives"].append(("B1", "FY27-Q4", "manager", "Under Ana's", "Bo", "A1"))
    with pytest.raises(RefusedFile) as refused:
        okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", sheets), "ana")
    assert (refused.value.row, refused.value.column) == (4, "aligned_to")
    assert "is a manager objective" in refused.value.reason


# --- bands, scores and staleness ---------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (100, "On target"),
        (85, "On target"),
        (84.9, "Off target"),
        (70, "Off target"),
        (69.9, "At risk"),
        (0, "At risk"),
        (None, "No score"),
    ],
)
def test_bands_follow_the_settings(score, band):
    assert okrs.band_of(score, {"on_target": 85.0, "off_target": 70.0}) == band


def test_changing_okr_bands_in_settings_changes_every_band(con, tmp_path):
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    assert {kr.id: kr.band for kr in view_of(con).key_results} == {"A1-KR1": "On target", "D1-KR1": "On target"}
    store.save_setting(con, "okr_bands", {"on_target": 89.0, "off_target": 80.0}, "ana")
    view = view_of(con)
    assert {kr.id: kr.band for kr in view.key_results} == {"A1-KR1": "Off target", "D1-KR1": "On target"}
    assert okrs.band_rule(view.bands).startswith("On target 89–100 %")


def test_a_score_is_the_newest_check_in_else_the_starting_score(con, tmp_path):
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    scores = {kr.id: (kr.score, kr.score_source) for kr in view_of(con).key_results}
    assert scores == {"A1-KR1": (88, "check-in"), "D1-KR1": (90, "starting score")}
    okrs.add_check_in(con, "A1-KR1", date(2026, 11, 25), 60, "slipped", "ana")
    assert next(kr for kr in view_of(con).key_results if kr.id == "A1-KR1").score == 60
    # A check-in dated after the day the quarter is judged on does not count yet.
    assert next(kr for kr in view_of(con, today=date(2026, 11, 22)).key_results if kr.id == "A1-KR1").score == 88


def test_no_check_in_for_three_weeks_makes_a_key_result_stale(con, tmp_path):
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    checked = date(2026, 11, 20)  # A1-KR1's only check-in
    assert not okrs.is_stale(checked, Q4, checked + timedelta(days=20))
    assert okrs.is_stale(checked, Q4, checked + timedelta(days=21))
    # D1-KR1 has no check-in: counted from the quarter's first day.
    assert not okrs.is_stale(None, Q4, Q4.start + timedelta(days=20))
    assert okrs.is_stale(None, Q4, Q4.start + timedelta(days=21))
    on_day_20 = {kr.id for kr in view_of(con, today=date(2026, 11, 21)).key_results if kr.stale}
    assert on_day_20 == set()
    on_day_21 = view_of(con, today=date(2026, 11, 22))
    assert {kr.id for kr in on_day_21.key_results if kr.stale} == {"D1-KR1"}
    gap = next(g for g in on_day_21.gaps if g.check == "No check-in for 3 weeks")
    assert (gap.manager, gap.detail) == ("Director", "none this quarter (21 days)")
    later = view_of(con, today=date(2026, 12, 11))
    assert {kr.id for kr in later.key_results if kr.stale} == {"A1-KR1", "D1-KR1"}
    # A past quarter is judged on its last day, not today.
    assert view_of(con, today=date(2027, 6, 1)).as_of == date(2027, 1, 31)


# --- KPI-linked progress on the real demo data ---------------------------------------------


def expected_share(con, link: okrs.KpiLink, quarter: FiscalQuarter) -> tuple[int, int]:
    """Recount from the weekly series: complete weeks whose Monday is in the quarter, value ≥ threshold."""
    settings = store.load_settings(con)
    series = kpis.build_series(
        kpis.fetch_cells(con, region=link.region), link.kpi, settings.floors[link.kpi], segments=link.segments
    )
    weeks = [w for w in series if quarter.start <= w.week <= quarter.end and w.status in ("ok", "breach")]
    return sum(w.value >= link.threshold for w in weeks), len(weeks)


@pytest.mark.parametrize(
    ("link_text", "quarter", "met", "counted"),
    [
        # What the demo guarantees: combined FRT above 93.5 % every week before its last three complete
        # weeks (2, 9 and 16 Nov), which are at or below 93 %; SSAT above 94 % every week.
        ("Combined FRT >= 93.5", Q3, 13, 13),  # Mondays 3 Aug .. 26 Oct
        ("Combined FRT >= 93.5", Q4, 0, 3),
        ("Combined SSAT >= 94", Q4, 3, 3),
        # Thresholds inside the data's spread: whatever the generator draws, the recount must agree.
        ("GitLab SM FRT >= 96.5", Q3, None, 13),
        ("EMEA Combined FRT >= 93", Q4, None, 3),
        ("GitLab SM FRT >= 95", Q4, None, 3),
    ],
)
def test_a_kpi_linked_key_result_scores_the_share_of_complete_weeks_meeting_it(
    demo_con, link_text, quarter, met, counted
):
    link = okrs.parse_kpi_link(link_text)
    cells = kpis.fetch_cells(demo_con, region=link.region)
    progress = okrs.kpi_link_progress(cells, link, quarter, store.load_settings(demo_con))
    recounted = expected_share(demo_con, link, quarter)
    assert (progress.weeks_met, progress.weeks_counted) == recounted
    assert progress.weeks_counted == counted
    if met is not None:
        assert progress.weeks_met == met
    assert progress.score == pytest.approx(100 * progress.weeks_met / counted)
    if quarter == Q4:
        # The week of 23 Nov is partial on 26 Nov: not counted, and the note says so.
        assert progress.latest_week == date(2026, 11, 16)
        assert "1 partial or missing week not counted" in progress.note


def test_a_kpi_link_with_no_complete_week_yet_has_no_score(demo_con):
    link = okrs.parse_kpi_link("GitLab SM FRT >= 95")
    progress = okrs.kpi_link_progress(kpis.fetch_cells(demo_con), link, Q4.next(), store.load_settings(demo_con))
    assert progress.score is None and "no complete week" in progress.note


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GitLab SM FRT >= 95", ("FRT", "GitLab SM", None, 95.0)),
        ("gitlab saas nrt ≥ 85%", ("NRT", "GitLab SaaS", None, 85.0)),
        ("EMEA L&R SSAT >= 93.5", ("SSAT", "L&R", "EMEA", 93.5)),
        ("Combined FRT>=95", ("FRT", "Combined", None, 95.0)),
    ],
)
def test_kpi_links_are_read_as_people_write_them(text, expected):
    link = okrs.parse_kpi_link(text)
    assert (link.kpi, link.scope, link.region, link.threshold) == expected
    assert okrs.parse_kpi_link(link.text) == link


def test_a_typed_score_on_a_kpi_linked_key_result_is_ignored_and_it_is_never_stale(demo_con, tmp_path):
    sheets = base_sheets()
    sheets["Key results"][1] = ("A1-KR1", "A1", "SM first replies", "Ana", 99, "GitLab SM FRT >= 95")
    sheets["Check-ins"] = CHECK_INS
    okrs.import_okr_file(demo_con, write_workbook(tmp_path / "okrs.xlsx", sheets), "ana")
    kr = next(kr for kr in view_of(demo_con, today=date(2026, 12, 31)).key_results if kr.id == "A1-KR1")
    assert (kr.score, kr.score_source, kr.band, kr.stale) == (0, "KPI data", "At risk", False)


# --- roll-up ------------------------------------------------------------------------------


def test_department_progress_is_the_mean_of_every_scored_key_result_beneath_it(con, tmp_path):
    sheets = base_sheets()
    sheets["Objectives"].append(("B1", "FY27-Q4", "manager", "Second aligned", "Bo", "D1"))
    sheets["Key results"] += [("B1-KR1", "B1", "scored", "Bo", 40, ""), ("B1-KR2", "B1", "unscored", "Bo", "", "")]
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", sheets), "ana")
    department = view_of(con).departments[0]
    # D1-KR1 90 (its own), A1-KR1 88 (newest check-in), B1-KR1 40; B1-KR2 has no score and is left out.
    assert department.progress == pytest.approx((90 + 88 + 40) / 3)
    assert (department.scored, department.unscored) == (3, 1)
    assert department.band == "Off target"
    assert [o.id for o in department.aligned] == ["A1", "B1"]
    row = okrs.departments_frame(view_of(con)).iloc[0]
    assert row["Progress %"] == 72.7 and row["Band"] == "◐ Off target"


# --- editing in the app -------------------------------------------------------------------


def test_editing_a_score_in_the_table_is_recorded_as_a_check_in(con, tmp_path):
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    frame = okrs.stored_frame(con, "key_results", Q4)
    keys = [okrs.row_key("key_results", r) for r in frame.to_dict("records")]
    frame.loc[frame["key_result_id"] == "D1-KR1", "score"] = 55.0
    okrs.save_table(con, "key_results", frame, "bo", original_keys=keys, today=date(2026, 11, 26))
    assert con.execute("SELECT score, note FROM okr_check_ins WHERE key_result_id = 'D1-KR1'").fetchall() == [
        (55.0, "score changed in the app")
    ]
    assert store.change_history(con)[0][1:4] == ("bo", "okr edit", "Key results")
    assert counts(con)["okr_check_ins"] == 2  # A1-KR1's score did not change, so no new check-in


def test_deleting_an_objective_in_the_table_takes_its_key_results_with_it(con, tmp_path):
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    frame = okrs.stored_frame(con, "objectives", Q4)
    keys = list(frame["objective_id"])
    remaining = frame[frame["objective_id"] != "D1"].reset_index(drop=True)
    # A1 still names D1 as its parent: deleting D1 alone is refused, naming the row that refers to it.
    with pytest.raises(RefusedFile) as refused:
        okrs.save_table(con, "objectives", remaining, "ana", original_keys=keys, today=DEMO_END)
    assert (refused.value.row, refused.value.column) == (1, "aligned_to")
    assert counts(con)["okr_objectives"] == 2
    remaining.loc[0, "aligned_to"] = None
    okrs.save_table(con, "objectives", remaining, "ana", original_keys=keys, today=DEMO_END)
    assert counts(con) == {"okr_managers": 2, "okr_objectives": 1, "okr_key_results": 1, "okr_check_ins": 1}
    assert [gap.detail for gap in view_of(con).gaps if gap.check == "Not aligned"] == ["aligned with nothing"]


def test_a_bad_edit_is_refused_with_the_table_row_and_column(con, tmp_path):
    okrs.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    frame = okrs.stored_frame(con, "managers")
    frame.loc[1, "region"] = "LATAM"
    with pytest.raises(RefusedFile) as refused:
        okrs.save_table(con, "managers", frame, "ana", original_keys=list(frame["name"]), today=DEMO_END)
    assert (refused.value.file_name, refused.value.row, refused.value.column) == ("the Managers table", 2, "region")


# --- demo OKRs ----------------------------------------------------------------------------


@pytest.fixture
def demo_okrs(demo_con):
    """The demo loader seeds the demo OKRs with the exports; loading them again adds nothing."""
    assert demo_con.execute("SELECT count(*) FROM okr_managers").fetchone()[0] > 0
    assert not okrs.load_demo_okrs(demo_con, DEMO_END)
    return demo_con


def test_demo_okrs_tell_the_intended_story(demo_okrs):
    assert not okrs.load_demo_okrs(demo_okrs, DEMO_END)  # a second call changes nothing
    settings = store.load_settings(demo_okrs)
    view = okrs.quarter_view(demo_okrs, settings, Q4, DEMO_END)
    regions = {m.region for m in view.managers}
    assert len(view.managers) == 8 and regions == {"AMER", "APAC", "EMEA"}
    exempt = [m for m in view.managers if m.exemption.exempt]
    assert [(m.name, m.exemption.until) for m in exempt] == [("Sam Carter", date(2027, 1, 31))]
    checks = {(gap.manager, gap.check) for gap in view.gaps}
    assert ("Kenji Watanabe", "No OKR") in checks
    assert ("Lukas Becker", "Not aligned") in checks
    assert ("Sofia Rossi", "No check-in for 3 weeks") in checks
    linked = [kr for kr in view.key_results if kr.kpi_link == "GitLab SM FRT >= 95"]
    assert [(kr.manager, kr.score_source, kr.band) for kr in linked] == [("Alex Rivera", "KPI data", "At risk")]
    frt = next(kr for kr in view.key_results if kr.kpi_link == "Combined FRT >= 95")
    assert (frt.score, frt.band) == (0, "At risk")  # the sustained breach: no Q4 week at 95 %
    # The D1 roll-up: its own key results and those of the manager objectives aligned with it.
    d1 = next(d for d in view.departments if d.objective.id == "FY27-Q4-D1")
    assert [o.owner for o in d1.aligned] == ["Alex Rivera", "Chioma Okafor"]
    beneath = [kr.score for kr in view.key_results if kr.objective_id in ("FY27-Q4-D1", "FY27-Q4-M1", "FY27-Q4-M4")]
    assert len(beneath) == 5 and d1.progress == pytest.approx(sum(beneath) / 5)
    previous = okrs.quarter_view(demo_okrs, settings, Q3, DEMO_END)
    assert not [gap for gap in previous.gaps if gap.check in ("No OKR", "Not aligned", "No check-in for 3 weeks")]
    assert "of 13 complete weeks" in next(kr for kr in previous.key_results if kr.kpi_link).kpi_note


def test_kpis_come_first_for_managers_whose_region_or_segment_is_in_sustained_breach(demo_okrs):
    settings = store.load_settings(demo_okrs)
    view = okrs.quarter_view(demo_okrs, settings, Q4, DEMO_END)
    # What lib.metrics.kpis says is in a sustained breach now, by region and by segment.
    in_breach = {
        region
        for region in REGIONS
        if any(s.sustained_breach for s in kpis.kpi_summaries(demo_okrs, settings, region=region).values())
    }
    cells = kpis.fetch_cells(demo_okrs)
    for segment in COMBINED_SEGMENTS:
        for kpi in kpis.KPIS:
            series = kpis.build_series(cells, kpi, settings.floors[kpi], segments=(segment,))
            if kpis.summarise(series, kpi, settings).sustained_breach:
                in_breach.add(segment)
    assert in_breach  # the demo's FRT breach reaches managers
    for manager in view.managers:
        expected = {manager.region, manager.segment} & in_breach
        assert {b.scope for b in manager.kpi_breaches} == expected, manager.name
    # Chioma (EMEA) follows L&R as well as her region; Alex AMER and GitLab SM.
    chioma = next(m for m in view.managers if m.name == "Chioma Okafor")
    assert ("L&R" in in_breach) == any(b.scope == "L&R" for b in chioma.kpi_breaches)
    order = [bool(m.kpi_breaches) for m in view.managers]
    assert order == sorted(order, reverse=True)  # everyone with a breach is listed first
    table = okrs.managers_frame(view)
    assert list(table.columns[-3:]) == ["1. KPIs now", "2. Team growth", "3. OKRs"]


def test_the_first_real_import_replaces_the_demo_okrs(demo_okrs, tmp_path):
    assert okrs.has_demo_okrs(demo_okrs)
    result = okrs.import_okr_file(demo_okrs, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    assert result.replaced_demo and not okrs.has_demo_okrs(demo_okrs)
    assert counts(demo_okrs) == {"okr_managers": 2, "okr_objectives": 2, "okr_key_results": 2, "okr_check_ins": 1}


def test_a_real_file_may_not_refer_to_demo_rows_it_is_about_to_replace(demo_okrs, tmp_path):
    path = write_csv(tmp_path / "c.csv", [*CHECK_INS, ("FY27-Q4-M1-KR2", "2026-11-25", 80, "")])
    with pytest.raises(RefusedFile) as refused:
        okrs.import_okr_file(demo_okrs, path, "ana")
    assert (refused.value.row, refused.value.column) == (2, "key_result_id")
    assert okrs.has_demo_okrs(demo_okrs)


def test_a_viewer_cannot_change_okrs_and_nothing_is_stored(con, tmp_path):
    path = write_workbook(tmp_path / "okrs.xlsx", base_sheets())
    auth.set_principal(auth.Principal("bob@example.com", auth.VIEWER, signed_in=True))
    try:
        with pytest.raises(PermissionDenied):
            okrs.import_okr_file(con, path)
        with pytest.raises(PermissionDenied):
            okrs.add_check_in(con, "A1-KR1", DEMO_END, 50, None)
    finally:
        auth.set_principal(None)
    assert counts(con) == dict.fromkeys(counts(con), 0)
    auth.set_principal(auth.Principal("ann@example.com", auth.EDITOR, signed_in=True))
    try:
        okrs.import_okr_file(con, path)  # no actor given: the signed-in address is recorded
    finally:
        auth.set_principal(None)
    assert store.change_history(con)[0][1] == "ann@example.com"


def test_a_damaged_okr_workbook_is_refused_in_plain_words(tmp_path):
    path = tmp_path / "okrs.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)  # starts like a workbook, is none
    with pytest.raises(RefusedFile) as refused:
        okrs.read_okr_file(path)
    # The compression-bomb checks that every workbook passes first are what find it damaged.
    assert refused.value.message.startswith("okrs.xlsx: the file starts like a ZIP archive (a workbook) but is damaged")
    assert "BadZipFile" not in refused.value.message
