"""The OKRs page, driven through Streamlit's AppTest on the demo year and the demo OKRs."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from export_builders import DEMO_END
from streamlit.testing.v1 import AppTest

from lib.metrics import fiscal
from lib.okrs import model, quarters, repository
from lib.store import database as store
from lib.store.history import change_log

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "3_OKRs.py")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The page's tabs are bound to the URL (?section=...) and build only the open one.
GAPS = {"section": "Gaps"}
ALIGNMENT = {"section": "Alignment"}
EDIT = {"section": "Import, export, edit"}


@pytest.fixture
def db(demo_db, monkeypatch):
    """This test's own copy of the demo database, with 'today' pinned to the demo's last day."""
    monkeypatch.setattr(fiscal, "today", lambda: DEMO_END)
    return demo_db


def page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def frame(at: AppTest, first_column: str):
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column and "Check" in d.value.columns)


def expected_view(db: Path, quarter: str) -> quarters.QuarterView:
    # The same configuration as the page's own connection: DuckDB shares one instance per file in a process.
    connection = store.connect(db)
    try:
        return quarters.quarter_view(connection, store.load_settings(connection), fiscal.parse_label(quarter), DEMO_END)
    finally:
        connection.close()


def test_the_first_screen_names_who_has_no_aligned_okr_who_is_exempt_and_what_is_at_risk(db):
    at = page()
    view = expected_view(db, "FY27-Q4")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Without an aligned OKR"] == "2 of 7"
    assert metrics["Exempt new managers"] == "1"
    at_risk = [kr for kr in view.key_results if kr.band == model.AT_RISK]
    assert metrics["Key results at risk"] == f"{len(at_risk)} of {len(view.key_results)}"
    lists = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert "- **Lukas Becker**: not aligned\n- **Kenji Watanabe**: no OKR" in lists
    assert "- Sam Carter, until 31 Jan 2027" in lists
    assert any(all(kr.title.split()[0] in text for kr in at_risk) for text in lists)
    assert "okr_bands" not in " ".join(c.value for c in at.caption), "no settings key on screen"
    assert [tab.label for tab in at.tabs] == ["Priorities", "Gaps", "Alignment", "Key results", EDIT["section"]]


def test_the_page_opens_on_the_current_fiscal_quarter_with_every_gap_listed(db):
    at = page()
    assert at.selectbox(key="quarter").value == "FY27-Q4"
    assert "FY27-Q4 (01 Nov 2026 – 31 Jan 2027)" in at.caption[1].value
    assert "On target 85–100 %" in at.caption[1].value  # which banding is used, from the settings
    managers = next(d.value for d in at.dataframe if "3. OKRs" in d.value.columns).set_index("Manager")
    assert managers.loc["Sam Carter", "3. OKRs"].startswith("Exempt until 31 Jan 2027 (FY27-Q4)")
    assert {m.label: m.value for m in at.metric}["Without an aligned OKR"] == "2 of 7"
    gaps = frame(page(GAPS), "Manager")
    listed = set(zip(gaps["Manager"], gaps["Check"], strict=True))
    assert ("Kenji Watanabe", "No OKR") in listed
    assert ("Lukas Becker", "Not aligned") in listed
    assert ("Sofia Rossi", "No check-in for 3 weeks") in listed
    assert not any(manager == "Sam Carter" for manager, _ in listed)


def test_managers_with_a_kpi_in_sustained_breach_see_it_first(db):
    at = page()
    view = expected_view(db, "FY27-Q4")
    in_breach = [m.name for m in view.managers if m.kpi_breaches]
    assert in_breach  # the demo's FRT breach
    banner = at.error[0].value
    assert banner.startswith("**KPIs come first.**")
    for name in in_breach:
        assert name in banner.replace("\\", "")
    # The first screen says so before any tab; the Priorities tab, open first, lists them.
    assert at.warning[0].value.startswith("**KPIs come first:**")
    managers = next(d.value for d in at.dataframe if "3. OKRs" in d.value.columns)
    assert list(managers.columns[-3:]) == ["1. KPIs now", "2. Team growth", "3. OKRs"]
    assert list(managers["Manager"][: len(in_breach)]) == in_breach


@pytest.mark.parametrize("name", ["Lukas Becker", "Alex Rivera"])
def test_one_managers_view_lists_kpis_then_team_growth_then_okrs(db, name):
    at = page({"manager": name})
    manager = next(m for m in expected_view(db, "FY27-Q4").managers if m.name == name)
    priorities = next(m.value for m in at.markdown if m.value.startswith("1. **KPIs:**"))
    assert priorities.index("**KPIs:**") < priorities.index("**Team growth:**") < priorities.index("**OKRs:**")
    assert bool(at.error) == bool(manager.kpi_breaches)
    if name == "Lukas Becker":
        assert "not aligned" in priorities
    gaps = frame(page({"manager": name} | GAPS), "Manager")
    assert set(gaps["Manager"]) == {name}


def test_the_alignment_chart_names_each_band_in_words_and_the_roll_up_is_explained(db):
    at = page(ALIGNMENT)
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    trace = figure["data"][0]
    assert trace["type"] == "icicle"
    view = expected_view(db, "FY27-Q4")
    by_id = dict(zip(trace["ids"], trace["text"], strict=True))
    for department in view.departments:
        text = by_id[f"obj:{department.objective.id}"]
        assert department.band in text and "roll-up" in text
    for kr in view.key_results:
        assert kr.band in by_id[f"kr:{kr.id}"]
    assert by_id["obj:FY27-Q4-M5"] and trace["parents"][trace["ids"].index("obj:FY27-Q4-M5")] == "unaligned"
    explained = " ".join(c.value for c in at.caption)
    assert "Department progress is the plain mean of the scores of every key result beneath it" in explained
    key_results = " ".join(c.value for c in page({"section": "Key results"}).caption)
    assert "the share of the quarter's complete weeks whose value meets the threshold" in key_results


def test_a_quarter_in_the_url_opens_that_quarter(db):
    at = page({"quarter": "FY27-Q3"} | GAPS)
    assert at.selectbox(key="quarter").value == "FY27-Q3"
    assert "on its last day, 31 Oct 2026" in at.caption[1].value
    gaps = frame(at, "Manager")
    assert not set(gaps["Check"]) & {"No OKR", "Not aligned", "No check-in for 3 weeks"}


def test_a_quarter_too_big_to_draw_keeps_its_tables_and_says_why_the_chart_is_left_out(db, tmp_path):
    header = "objective_id,quarter,level,objective,owner,aligned_to\n"
    rows = "".join(f"BIG{n},FY27-Q4,department,Goal {n},Director,\n" for n in range(quarters.CHART_OBJECTIVES + 1))
    (tmp_path / "big.csv").write_text(header + rows)
    connection = store.connect(db)
    try:
        repository.import_okr_file(connection, tmp_path / "big.csv", "editor@example.com")
    finally:
        connection.close()

    at = page(ALIGNMENT)

    assert not at.get("plotly_chart")
    assert any("has 1,001 objectives; the alignment chart draws at most 1,000" in i.value for i in at.info)
    departments = next(d.value for d in at.dataframe if d.value.columns[0] == "Department objective")
    assert len(departments) == quarters.CHART_OBJECTIVES + 1


def test_presentation_mode_shows_the_picture_but_not_the_editing_tools(db):
    at = page({"present": "1"} | ALIGNMENT)
    assert at.get("plotly_chart")
    assert not at.get("file_uploader")
    assert EDIT["section"] not in [tab.label for tab in at.tabs]
    assert not [b for b in at.button if b.label == "Record check-in"]


def test_a_bad_file_is_refused_with_row_and_column_and_nothing_changes(db):
    at = page(EDIT)
    bad = b"name,region,segment,manager_since\nAna,AMER,,2020-01-06\nBo,Mars,,2021-03-01\n"
    at.file_uploader(key="okr-upload-0").set_value(("roster.csv", bad, "text/csv"))
    ok(at.run())
    message = at.error[-1].value.replace("\\", "")
    assert "Nothing was stored" in message
    assert "roster.csv: row 3, column 'region': 'MARS' is not a region" in message
    assert not [b for b in at.button if b.label == "Import"]


def test_a_good_file_is_imported_and_replaces_the_demo_okrs(db):
    at = page(EDIT)
    good = (
        b"objective_id,quarter,level,objective,owner,aligned_to\n"
        b"X1,FY27-Q4,department,Ship the new help centre,Director,\n"
    )
    at.file_uploader(key="okr-upload-0").set_value(("objectives.csv", good, "text/csv"))
    ok(at.run())
    assert "every row checks out (1 objectives)" in at.info[-1].value
    next(b for b in at.button if b.label == "Import").click()
    ok(at.run())
    assert any("the demo OKRs were removed" in message.value for message in at.success)
    assert any("No managers on the roster" in message.value for message in at.info)
    connection = store.connect(db)
    try:
        assert connection.execute("SELECT id FROM okr_objectives").fetchall() == [("X1",)]
        assert change_log(connection)[0][2] == "okr import"
    finally:
        connection.close()


def test_a_workbook_is_imported_through_the_page_like_a_csv(db):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Objectives"
    sheet.append(["objective_id", "quarter", "level", "objective", "owner", "aligned_to"])
    sheet.append(["X1", "FY27-Q4", "department", "Ship the new help centre", "Director", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    at = page(EDIT)
    at.file_uploader(key="okr-upload-0").set_value(("okrs.xlsx", buffer.getvalue(), XLSX_TYPE))
    ok(at.run())
    assert not [e.value for e in at.error if "Nothing was stored" in e.value]
    assert "every row checks out (1 objectives)" in at.info[-1].value
    next(b for b in at.button if b.label == "Import").click()
    ok(at.run())
    connection = store.connect(db)
    try:
        assert connection.execute("SELECT id FROM okr_objectives").fetchall() == [("X1",)]
    finally:
        connection.close()


def test_a_compression_bomb_posing_as_an_okr_workbook_is_refused_before_it_is_unpacked(db):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b"0" * (300 * 1024 * 1024))
    at = page(EDIT)
    at.file_uploader(key="okr-upload-0").set_value(("okrs.xlsx", buffer.getvalue(), XLSX_TYPE))
    ok(at.run())
    message = at.error[-1].value.replace("\\", "")
    assert "Nothing was stored" in message
    assert "would unpack to" in message


def test_a_damaged_okr_workbook_is_refused_through_the_page_in_plain_words(db):
    at = page(EDIT)
    damaged = b"PK\x03\x04" + b"\x00" * 64  # starts like a workbook, is none
    at.file_uploader(key="okr-upload-0").set_value(("okrs.xlsx", damaged, XLSX_TYPE))
    ok(at.run())
    message = at.error[-1].value.replace("\\", "")
    assert "Nothing was stored. okrs.xlsx: the file starts like a ZIP archive (a workbook) but is damaged" in message
    assert not [b for b in at.button if b.label == "Import"]


def test_a_check_in_from_the_form_is_stored_and_clears_the_stale_flag(db):
    at = page(EDIT)
    at.selectbox(key="check-in-kr").set_value("FY27-Q4-M6-KR1")  # Sofia's stale key result
    at.number_input(key="check-in-score").set_value(65.0)
    at.text_input(key="check-in-note").set_value("plans drafted for half the team")
    next(b for b in at.button if b.label == "Record check-in").click()
    ok(at.run())
    gaps = frame(page(GAPS), "Manager")
    assert ("Sofia Rossi", "No check-in for 3 weeks") not in set(zip(gaps["Manager"], gaps["Check"], strict=True))
    connection = store.connect(db)
    try:
        row = connection.execute(
            "SELECT score, note FROM okr_check_ins WHERE key_result_id = 'FY27-Q4-M6-KR1' AND check_in_date = ?",
            [DEMO_END],
        ).fetchone()
    finally:
        connection.close()
    assert row == (65.0, "plans drafted for half the team")


@pytest.mark.parametrize("kind", ["managers", "check_ins"])
def test_saving_an_in_app_table_stores_it_with_an_audit_entry(db, kind):
    at = page(EDIT)
    at.button(key=f"okr-save-{kind}").click()
    at = ok(at.run())
    assert any(message.value.startswith(model.SHEET_NAMES[kind].replace("-", "\\-")) for message in at.success)
    connection = store.connect(db)
    try:
        assert change_log(connection)[0][2:4] == ("okr edit", model.SHEET_NAMES[kind])
    finally:
        connection.close()


def signed_in(email: str, query: dict | None = None) -> AppTest:
    """The page with sign-in configured (an [auth] table) and ann@example.com the one editor."""
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.secrets = {
        "auth": {
            "redirect_uri": "http://localhost:8501/oauth2callback",
            "cookie_secret": "test-cookie-secret",
            "client_id": "floorline",
            "client_secret": "test-client-secret",
            "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
        },
        "floorline": {"allowed_domains": ["example.com"], "editors": ["ann@example.com"]},
    }
    at.user = {"is_logged_in": True, "email": email, "email_verified": True, "name": email.split("@")[0]}
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return ok(at.run())


def test_a_viewer_sees_the_okrs_and_downloads_but_cannot_change_them(db):
    assert frame(signed_in("bob@example.com", GAPS), "Manager") is not None  # the gaps are there to read
    at = signed_in("bob@example.com", EDIT)
    assert at.get("download_button")
    assert not at.file_uploader
    assert not [b for b in at.button if b.label in ("Record check-in", "Remove the demo OKRs")]
    assert any("an editor records check-ins" in message.value for message in at.info)


def test_a_check_in_by_a_signed_in_editor_is_recorded_under_their_address(db):
    at = signed_in("ann@example.com", EDIT)
    at.selectbox(key="check-in-kr").set_value("FY27-Q4-M1-KR2")
    at.number_input(key="check-in-score").set_value(80.0)
    next(b for b in at.button if b.label == "Record check-in").click()
    ok(at.run())
    connection = store.connect(db)
    try:
        assert change_log(connection)[0][1:4] == ("ann@example.com", "okr check-in", "FY27-Q4-M1-KR2")
    finally:
        connection.close()


@pytest.mark.parametrize("since", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("section", [None, "Gaps", "Alignment", "Import, export, edit"])
def test_a_manager_date_stored_before_the_limits_existed_breaks_no_tab(db, since, section):
    # A database from before dates were held to 1990-2100 may keep what a file once slipped in; every
    # tab still opens for everyone (the date is far outside any quarter the page can show).
    con = store.connect(db)
    name = con.execute("SELECT min(name) FROM okr_managers").fetchone()[0]
    con.execute("UPDATE okr_managers SET manager_since = ?::DATE WHERE name = ?", [since, name])
    con.close()
    page({"section": section} if section else None)


def test_on_a_shared_screen_the_priorities_table_wraps_its_text_whole(db):
    """A dataframe cuts a long cell with "…"; in presentation mode the table is static and holds every word."""
    at = page({"present": "1"})
    assert not at.dataframe
    priorities = at.table[0].value
    headers = [header.replace("\\", "") for header in priorities.columns]
    assert headers == ["Manager", "Region", "Segment", "1. KPIs now", "2. Team growth", "3. OKRs"]
    rows = {row[0]: [cell.replace("\\", "") for cell in row[1:]] for row in priorities.itertuples(index=False)}
    assert rows["Chioma Okafor"][2] == "FRT in EMEA (3 weeks); FRT in L&R (3 weeks); NRT in L&R (2 weeks)"
    assert rows["Sam Carter"][4] == "Exempt until 31 Jan 2027 (FY27-Q4) (new manager); OKR expected from FY28-Q1"
