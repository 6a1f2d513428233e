"""Malformed and hostile uploads: each is refused plainly, or stored safely, and nothing else moves.

The files come from ``make_corpus.py`` (generated into a temporary folder, never committed).
A refused file must be named in the message, with the row and column where one cell is at
fault, and must leave every stored figure, upload record, change-log row and archived file
exactly as it was, and no temporary file behind. Test ids say which way a case must go:
``refused-...`` or ``accepted-...`` (fine data in a hostile dress, stored safely).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import make_corpus
import openpyxl
import pytest
import streamlit as st
from page_cache import reset_page_resources
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from lib.core import settings as settings_module
from lib.core.downloads import FORMULA_STARTS
from lib.core.errors import RefusedFile
from lib.metrics.kpis import status_report
from lib.store import database as store
from lib.store import upload_records as records
from lib.uploads import changes, ingest
from lib.uploads import flow as uploads

PROJECT = Path(__file__).resolve().parents[2]
CASES = make_corpus.cases()
REFUSED = [case for case in CASES if case.refused]
ACCEPTED = [case for case in CASES if not case.refused]
TABLES = ("uploads", "weekly_counts", "coverage", "bad_events", "change_log", "meta", "settings", "form_segments")
# Words of a raw Python, openpyxl or DuckDB error: a manager must never be shown one of these.
RAW_ERROR = re.compile(
    r"Traceback|duckdb|Conversion Error|Invalid Input Error|Not implemented|Out of Memory|LINE \d|\n"
    r"|BadZipFile|ParseError|XMLSyntaxError|KeyError|ValueError|state machine|CSV Error on Line|Parallel CSV"
    r"|parallel scanner|strict_mode|null_padding|max_line_size|openpyxl|expat"
)
# A child ingesting a bomb gets this much address space: far below what inflating it would need.
CHILD_ADDRESS_SPACE = 1536 * 1024 * 1024
CHILD_PEAK_RSS_MB = 300


def test_the_corpus_holds_well_over_a_hundred_and_twenty_hostile_files():
    assert len(CASES) >= 150 and len({c.id for c in CASES}) == len(CASES)
    assert all(c.id.startswith("refused-" if c.refused else "accepted-") for c in CASES)


@pytest.fixture(scope="module")
def corpus_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    make_corpus.write_corpus(folder)
    return folder


def baseline_exports(folder: Path) -> list[Path]:
    """A store that already holds figures: two weeks of Explore SLA rows, a satisfaction export, a Sisense file."""
    sla_rows = []
    for index, day in enumerate(dt.date(2026, 8, 24) + dt.timedelta(days=n) for n in range(14)):
        for ticket in range(6):
            outcome = "Breached" if (index + ticket) % 5 == 0 else "Achieved"
            metric = "First reply time" if ticket % 2 else "Next reply time"
            form = ("SaaS", "Self-Managed", "L&R")[ticket % 3]
            ticket_id = str(9000 + 10 * index + ticket)
            sla_rows.append([ticket_id, form, metric, "Completed", outcome, day.isoformat(), "EMEA"])
    satisfaction = [
        [str(7000 + n), "SaaS", ("Good", "Bad", "Offered")[n % 3], f"2026-08-{24 + n % 7}"] for n in range(30)
    ]
    files = {
        "explore_sla.csv": make_corpus.csv_bytes(make_corpus.SLA_HEADER, sla_rows),
        "explore_satisfaction.csv": make_corpus.csv_bytes(
            ["Ticket ID", "Ticket form", "Ticket satisfaction rating", "Ticket solved - Date"], satisfaction
        ),
        "sisense.csv": make_corpus.csv_bytes(
            make_corpus.AGGREGATE_HEADER,
            [["2026-08-24", "GitLab SaaS", "FRT", "95", "100"], ["2026-08-24", "L&R", "FRT", "40", "50"]],
        ),
    }
    paths = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


@pytest.fixture(scope="module")
def baseline_store(tmp_path_factory) -> Path:
    """A database folder (database + archive) with figures in it, built once and copied for each test."""
    folder = tmp_path_factory.mktemp("baseline")
    con = store.connect(folder / "floorline.duckdb")
    for path in baseline_exports(tmp_path_factory.mktemp("exports")):
        ingest.ingest_file(con, path, uploaded_by="baseline")
    con.close()
    return folder


class Workspace:
    """This test's copy of the store, and a temp folder of its own so leftovers can be seen."""

    def __init__(self, folder: Path, temp: Path):
        self.folder, self.temp = folder, temp
        self.db_path = folder / "floorline.duckdb"
        self.archive = settings_module.archive_dir(self.db_path)
        self.con = store.connect(self.db_path)

    def reopen(self) -> None:
        self.con = store.connect(self.db_path)


@pytest.fixture
def work(baseline_store, tmp_path, monkeypatch):
    folder = tmp_path / "store"
    shutil.copytree(baseline_store, folder)
    monkeypatch.setenv("FLOORLINE_DB", str(folder / "floorline.duckdb"))
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    workspace = Workspace(folder, temp)
    yield workspace
    workspace.con.close()


def snapshot(work: Workspace) -> dict:
    """Everything a refused file must leave as it was."""
    con = work.con
    return {
        "status": status_report(con, store.load_settings(con)),
        "uploads": records.list_uploads(con),
        "tables": {table: sorted(map(repr, con.execute(f"SELECT * FROM {table}").fetchall())) for table in TABLES},
        "archive": {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in work.archive.iterdir()},
    }


CHILD = """
import json, resource, sys, time
limit = int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from lib.core import auth
from lib.store import database as store
from lib.uploads import ingest
from lib.core.errors import RefusedFile
auth.set_principal(auth.OPEN_PRINCIPAL)  # an editor, as on the command line
con = store.connect(sys.argv[1])
started = time.perf_counter()
try:
    ingest.ingest_file(con, sys.argv[2], file_name=sys.argv[3])
    outcome = {"stored": True}
except RefusedFile as error:
    outcome = {"message": error.message, "row": error.row, "column": error.column}
outcome["seconds"] = time.perf_counter() - started
# VmHWM, not ru_maxrss: the latter keeps the peak of the forked test process from before exec.
peak_kb = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")).split()[1]
outcome["peak_rss_mb"] = int(peak_kb) / 1024
print(json.dumps(outcome))
"""


def ingest_in_bounded_child(db_path: Path, path: Path, upload_name: str) -> dict:
    """Ingest in a child process with capped memory and time, so a regression fails the test, not the machine."""
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(db_path), str(path), upload_name, str(CHILD_ADDRESS_SPACE)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_hostile_file_is_refused_plainly_and_changes_nothing(case, corpus_folder, work):
    path = corpus_folder / case.file
    before = snapshot(work)

    if case.isolated:
        work.con.close()  # DuckDB lets one process at a time open the file
        outcome = ingest_in_bounded_child(work.db_path, path, case.upload_name)
        work.reopen()
        assert "stored" not in outcome, f"{case.file} was stored"
        assert outcome["peak_rss_mb"] < CHILD_PEAK_RSS_MB, f"refusing it took {outcome['peak_rss_mb']:.0f} MB"
        if case.max_seconds:
            assert outcome["seconds"] < case.max_seconds, f"refusing it took {outcome['seconds']:.1f} s"
        message, row, column = outcome["message"], outcome["row"], outcome["column"]
    else:
        with pytest.raises(RefusedFile) as refused:
            ingest.ingest_file(work.con, path, file_name=case.upload_name)
        message, row, column = refused.value.message, refused.value.row, refused.value.column

    assert message.startswith(f"{case.upload_name}: "), message
    assert case.reason in message
    assert (row, column) == (case.row, case.column), message
    assert not RAW_ERROR.search(message), message
    assert snapshot(work) == before
    assert list(work.temp.iterdir()) == [], "a refused file left temporary files behind"
    if not case.isolated:
        assert refusal_on_the_upload_page(work, path, case.upload_name) == message
        assert snapshot(work) == before
        assert list(work.temp.iterdir()) == []


def refusal_on_the_upload_page(work: Workspace, path: Path, upload_name: str) -> str:
    """What the Upload page shows: it stages the file, reads its header, then previews it."""
    with path.open("rb") as source:
        staged = uploads.stage_upload(source, upload_name, folder=work.temp / "staging")
    try:
        uploads.inspect_file(work.con, staged)
        outcome = changes.preview_file(work.con, staged, uploads.Choice(), uploaded_by="hostile test")
        assert outcome.result is None, "the page would offer to store it"
        return outcome.refusal
    except RefusedFile as refused:
        return refused.message
    finally:
        uploads.discard(staged)
        (work.temp / "staging").rmdir()


def files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.id for c in ACCEPTED])
def test_fine_data_in_a_hostile_dress_is_stored_safely(case, corpus_folder, work, tmp_path):
    path = corpus_folder / case.file
    archived_before = set(work.archive.iterdir())
    everywhere_before = files_under(tmp_path)

    result = ingest.ingest_file(work.con, path, file_name=case.upload_name)

    assert result.status == "accepted" and result.rows_used == case.rows_used
    upload = records.list_uploads(work.con)[0]
    assert upload["id"] == result.upload_id
    # The name is kept verbatim, as text; the archive path comes from the file's hash alone.
    assert upload["file"] == case.upload_name
    expected_archive = work.archive / f"{hashlib.sha256(path.read_bytes()).hexdigest()}.{path.suffix[1:]}"
    assert upload["archive_path"] == str(expected_archive)
    assert set(work.archive.iterdir()) - archived_before == {expected_archive}
    assert expected_archive.read_bytes() == path.read_bytes()
    new_files = files_under(tmp_path) - everywhere_before
    assert new_files <= {expected_archive.relative_to(tmp_path).as_posix(), "store/floorline.duckdb.wal"}
    coverage = work.con.execute(
        "SELECT DISTINCT week, complete FROM coverage WHERE upload_id = ?", [result.upload_id]
    ).fetchall()
    assert coverage == [(dt.date.fromisoformat(make_corpus.WEEK), case.complete)]
    assert list(work.temp.iterdir()) == []
    if case.rows_used == 3:
        # The three counted rows of make_corpus.GOOD_ROWS, however the file dresses them: exact figures.
        counts = work.con.execute(
            "SELECT kpi, form, sum(good), sum(total) FROM weekly_counts WHERE upload_id = ? GROUP BY ALL ORDER BY ALL",
            [result.upload_id],
        ).fetchall()
        assert counts == [("FRT", "SaaS", 1, 1), ("FRT", "Self-Managed", 0, 1), ("NRT", "L&R", 1, 1)]

    stored_text = {
        text
        for row in work.con.execute(
            """SELECT form, region, NULL, NULL FROM weekly_counts WHERE upload_id = $id
               UNION ALL SELECT form, region, ticket_id, ticket_group FROM bad_events WHERE upload_id = $id""",
            {"id": result.upload_id},
        ).fetchall()
        for text in row
        if text
    }
    if case.check == "text":
        assert {"x'); DROP TABLE uploads; --", "' OR 1=1 --"} <= stored_text
    if case.check == "formulas":
        assert {v for k, v in make_corpus.FORMULAS.items() if k != "file name"} <= stored_text
    if case.check.startswith("sheet:"):
        # The upload says which sheet was read; a stale hidden sheet would have counted other figures.
        assert upload["encoding"] == f"XLSX, sheet '{case.check[6:]}'"
    if case.check.startswith("encoding:"):
        assert upload["encoding"] == case.check[9:] and "Zürich, España" in stored_text
    if case.check.startswith("note:"):
        # A stray note outside the export is ignored, and the upload says so, naming its cell.
        assert any("stray" in warning and case.check[5:] in warning for warning in result.warnings), result.warnings


# --- formulas in downloads ----------------------------------------------------------------


# Tabs and expanders that build their content only once opened, opened for the sweep: their downloads too.
OPENED = {
    "pages/1_KPI_trends.py": {"numbers": True},
    "pages/3_OKRs.py": {"section": "Import, export, edit"},
    "pages/5_Data_trust.py": {"every_week": True, "trust_behind": True},
}


def pages() -> list[str]:
    """The landing page and every page in pages/: a page added later is swept too."""
    return ["app.py", *sorted(str(p.relative_to(PROJECT)) for p in (PROJECT / "pages").glob("*.py"))]


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[str, str, bytes]]:
    """Every download_button a page run offers: (label, file name, the bytes it would download)."""
    captured: list[tuple[str, str, bytes]] = []
    offer = DeltaGenerator.download_button

    def capture(container, label, data, file_name=None, *args, **kwargs):
        content = data() if callable(data) else data
        captured.append((label, file_name, content.encode() if isinstance(content, str) else bytes(content)))
        return offer(container, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", capture)
    monkeypatch.setattr(st, "download_button", lambda *args, **kwargs: capture(st._main, *args, **kwargs))
    return captured


def spreadsheet_cells(content: bytes, file_name: str) -> list[str] | None:
    """The text cells a spreadsheet would load from a CSV or XLSX download (None for other files)."""
    if content.startswith(b"PK"):
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return [v for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v]
    if file_name.endswith(".csv"):
        return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]
    return None


def is_formula(cell: object) -> bool:
    if not isinstance(cell, str) or not cell.startswith(FORMULA_STARTS):
        return False
    try:
        float(cell)  # -3.5 is a number, not a formula
    except ValueError:
        return True
    return False


def test_formula_cells_come_back_neutralised_in_every_download(corpus_folder, work, downloads):
    case = next(c for c in ACCEPTED if c.check == "formulas")
    ingest.ingest_file(work.con, corpus_folder / case.file, file_name=case.upload_name)
    reset_page_resources()
    runs = {page: {} for page in pages()}
    # The drill-down with ticket IDs showing, for the week and segment holding the formula row.
    runs["pages/5_Data_trust.py"] = {"kpi": "FRT", "week": make_corpus.WEEK, "scope": "GitLab SaaS"}
    for page, query in runs.items():
        if not (PROJECT / page).is_file():
            continue
        app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60)
        if page != "app.py":
            app.switch_page(page)  # as the multipage app serves it, so its links to other pages resolve
        app.query_params.update(query)
        for key, value in OPENED.get(page, {}).items():
            app.session_state[key] = value
        app.run()
        assert not app.exception, (page, app.exception)
        if page == "pages/5_Data_trust.py":
            app.toggle(key="trust_drill_safe").set_value(False).run()
            assert not app.exception
    reset_page_resources()

    offered = {label for label, _, _ in downloads}
    assert "Download the original file" in offered and any("breached" in label for label in offered), offered
    planted = list(make_corpus.FORMULAS.values())
    reached = set()
    for label, file_name, content in downloads:
        if label == "Download the original file":
            # The archive hands back exactly the bytes uploaded; that is its promise (see the report).
            assert content in [path.read_bytes() for path in work.archive.iterdir()]
            continue
        cells = spreadsheet_cells(content, file_name or "")
        if cells is None:
            # Markdown and text are not opened as spreadsheets, but uploaded text in them is neutralised too.
            text = re.sub(r"\\(.)", r"\1", content.decode("utf-8-sig"))  # undo Markdown escaping
            cells = [part for payload in planted for part in re.findall(f".?{re.escape(payload)}", text)]
            assert all(part.startswith("'") for part in cells), (label, cells)
            cells = [part[1:] for part in cells]
        else:
            assert not [c for c in cells if is_formula(c)], (label, [c for c in cells if is_formula(c)])
        reached |= {p for p in planted for c in cells if isinstance(c, str) and p in c}
    # The drill-down carries the planted ticket, region and group: proof the sweep saw uploaded text.
    assert {make_corpus.FORMULAS["ticket"], make_corpus.FORMULAS["group"]} <= reached, reached
