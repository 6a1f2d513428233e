"""Hostile epics JSON and OKR files: each refused plainly naming the place, nothing stored; or read exactly.

The cases come from ``epics_okrs_corpus.py``. Each test imports into a real DuckDB file that already
holds a snapshot of epics and a quarter of OKRs, and compares every row, the change log, the data
version and the archive before and after a refusal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import epics_okrs_corpus as corpus
import pytest
from epic_builders import TODAY, rest_epic
from export_builders import DEMO_END
from okr_builders import base_sheets, write_workbook
from streamlit.testing.v1 import AppTest

from lib.core import settings as settings_module
from lib.core.errors import RefusedFile
from lib.core.settings import DEFAULTS
from lib.epics import overview as epic_overview
from lib.epics import repository as epic_repository
from lib.metrics import fiscal
from lib.okrs import repository as okr_repository
from lib.store import database as store

PROJECT = Path(__file__).resolve().parents[2]
EPIC_CASES = corpus.epic_cases()
OKR_CASES = corpus.okr_cases()
TABLES = ("epic_snapshots", "epics", "okr_managers", "okr_objectives", "okr_key_results", "okr_check_ins")
TABLES += ("change_log", "meta")
# Words of a raw Python or DuckDB error, or a line break: a manager must never be shown one of these.
RAW_ERROR = re.compile(
    r"Traceback|duckdb|Error|Exception|surrogates not allowed|maximum recursion|field larger|Exceeds the limit|\n"
)


def test_the_corpus_covers_every_surface_with_refused_and_accepted_cases():
    for cases in (EPIC_CASES, OKR_CASES):
        assert len({c.id for c in cases}) == len(cases)
        assert sum(c.refused for c in cases) >= 10 and sum(not c.refused for c in cases) >= 3
    assert len(EPIC_CASES) >= 50


@pytest.fixture
def filled(con, tmp_path):
    """The store before the hostile file: one epics snapshot and a quarter of OKRs."""
    good = tmp_path / "good-epics.json"
    good.write_text(json.dumps([rest_epic(1, "area: Hiring (Ana)"), rest_epic(2, "Loop", parent_id=5001)]))
    epic_repository.import_epics_file(con, good, "baseline@example.com")
    okr_repository.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "baseline@example.com")
    return con


def everything(con, db_path: Path) -> dict:
    archive = settings_module.archive_dir(db_path)
    return {
        "tables": {table: sorted(map(repr, con.execute(f"SELECT * FROM {table}").fetchall())) for table in TABLES},
        "archive": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in archive.glob("*")},
    }


def write_case(case: corpus.Case, folder: Path) -> Path:
    path = folder / case.file_name
    path.write_bytes(case.content())
    return path


def assert_refusal_names_the_place(error: RefusedFile, case: corpus.Case) -> None:
    message = error.message
    assert re.match(rf"{re.escape(case.file_name)}(, sheet \w+)?: ", message), message
    assert case.reason in message, message
    assert (error.row, error.column) == (case.row, case.column), message
    assert not RAW_ERROR.search(message), message
    assert len(message) < 600, message


REFUSED = [(c, epic_repository.import_epics_file) for c in EPIC_CASES if c.refused]
REFUSED += [(c, okr_repository.import_okr_file) for c in OKR_CASES if c.refused]


@pytest.mark.parametrize(("case", "importer"), REFUSED, ids=[c.id for c, _ in REFUSED])
def test_hostile_file_is_refused_naming_the_place_and_stores_nothing(case, importer, filled, db_path, tmp_path):
    path = write_case(case, tmp_path)
    before = everything(filled, db_path)

    with pytest.raises(RefusedFile) as refused:
        importer(filled, path, "hostile@example.com")

    assert_refusal_names_the_place(refused.value, case)
    assert everything(filled, db_path) == before


@pytest.mark.parametrize("case", [c for c in EPIC_CASES if not c.refused], ids=lambda c: c.id)
def test_awkward_epics_file_is_read_exactly(case, filled, tmp_path):
    result = epic_repository.import_epics_file(filled, write_case(case, tmp_path), "ok@example.com")

    stored = epic_repository.stored_epics(filled, result.snapshot_id)
    # The page's listing builds on it (a parent ring included): master epics, children, flags.
    assert epic_overview.epics_view(filled, DEFAULTS, TODAY).epic_count == len(stored)
    expect = dict(case.expect)
    if "count" in expect:
        assert len(stored) == expect.pop("count")
    if not expect:
        return
    epic = next(e for e in stored if e.iid == expect["iid"])
    for name, value in expect.items():
        found = getattr(epic, name)
        assert (str(found) if isinstance(found, dt.date) else found) == value, name


@pytest.mark.parametrize("case", [c for c in OKR_CASES if not c.refused], ids=lambda c: c.id)
def test_awkward_okr_file_is_read_exactly(case, filled, tmp_path):
    okr_repository.import_okr_file(filled, write_case(case, tmp_path), "ok@example.com")

    for name, value in case.expect.items():
        if name == "quarter":
            found = filled.execute("SELECT quarter FROM okr_objectives WHERE id = 'X1'").fetchone()[0]
        else:
            found = str(filled.execute("SELECT manager_since FROM okr_managers WHERE name = 'Ana'").fetchone()[0])
        assert found == value


def test_quarter_labels_are_never_another_years():
    assert fiscal.FiscalQuarter(2027, 4).label == "FY27-Q4"
    assert fiscal.parse_label("FY2027-Q4") == fiscal.parse_label("FY27-Q4") == fiscal.FiscalQuarter(2027, 4)
    # Outside FY2000–FY2099 a label keeps four digits (a manager since 1995 is exempt until FY1995-Q2).
    assert fiscal.FiscalQuarter(1995, 2).label == "FY1995-Q2"
    assert fiscal.FiscalQuarter(2100, 1).label == "FY2100-Q1"
    for outside in ("FY2127-Q4", "FY1999-Q1", "FY2100-Q1"):
        with pytest.raises(ValueError, match="outside the fiscal years"):
            fiscal.parse_label(outside)


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def page_db(demo_db, monkeypatch):
    monkeypatch.setattr(fiscal, "today", lambda: DEMO_END)
    return demo_db


def stored_state(db_path: Path) -> dict:
    con = store.connect(db_path)
    try:
        return everything(con, db_path)
    finally:
        con.close()


def refusal_shown(at: AppTest) -> str:
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value.replace("\\", "") for e in at.error]
    assert errors, "no refusal shown"
    return errors[-1]


@pytest.mark.parametrize(
    "case_id", ["refused-429-reply-saved-as-page-2", "refused-parent-id-a-list", "refused-title-lone-surrogate"]
)
def test_the_team_epics_page_shows_a_hostile_files_refusal_not_a_traceback(case_id, page_db):
    case = next(c for c in EPIC_CASES if c.id == case_id)
    before = stored_state(page_db)
    at = AppTest.from_file(str(PROJECT / "pages" / "4_Team_epics.py"), default_timeout=60).run()
    [uploader] = at.get("file_uploader")
    at.file_uploader(key=uploader.key).set_value((case.file_name, case.content(), "application/json"))
    at.run()

    message = refusal_shown(at)
    assert message.startswith(f"Nothing was stored. {case.file_name}: ")
    assert case.reason.replace("\\", "") in message
    assert not any(b.label.startswith("Import") for b in at.button)
    assert stored_state(page_db) == before


@pytest.mark.parametrize("case_id", ["refused-manager-since-year-1", "refused-200-kb-cell-in-a-csv"])
def test_the_okrs_page_shows_a_hostile_files_refusal_and_keeps_working(case_id, page_db):
    case = next(c for c in OKR_CASES if c.id == case_id)
    before = stored_state(page_db)
    at = AppTest.from_file(str(PROJECT / "pages" / "3_OKRs.py"), default_timeout=60)
    at.query_params["section"] = "Import, export, edit"
    at.run()
    at.file_uploader(key="okr-upload-0").set_value((case.file_name, case.content(), "text/csv"))
    at.run()

    message = refusal_shown(at)
    assert message.startswith(f"Nothing was stored. {case.file_name}: row {case.row}, column '{case.column}': ")
    assert case.reason in message
    assert not [b for b in at.button if b.label == "Import"]
    assert stored_state(page_db) == before
