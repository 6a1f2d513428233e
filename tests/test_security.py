"""Security: parameters in SQL, no user text as HTML, file names never pick paths, the size limit holds.

The static checks read the source of ``app.py``, ``lib/`` and ``pages/`` (so a page added
later is checked too); the others drive the real store and the real Upload page.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
import tempfile
from pathlib import Path

import pytest
from export_builders import SLA_HEADER, csv_text, sla_rows, span_rows
from page_cache import reset_page_resources
from streamlit.testing.v1 import AppTest

from lib.core.errors import RefusedFile
from lib.metrics.kpis import status_report
from lib.store import database as store
from lib.store import upload_records as records
from lib.store.history import change_log
from lib.uploads import flow as uploads
from lib.uploads import ingest

PROJECT = Path(__file__).resolve().parents[1]
SOURCES = [PROJECT / "app.py", *sorted((PROJECT / "lib").rglob("*.py")), *sorted((PROJECT / "pages").glob("*.py"))]
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|FROM|WHERE|JOIN|VALUES|read_csv)\b")

# Every name an f-string SQL statement may interpolate. Each was read and holds only our own
# identifiers or SQL fragments built from them (table and column names from constants,
# temp-table names made from a uuid, column positions, placeholders), never text a user typed
# or a file carried: that always travels as a parameter. A new name here needs the same review.
OUR_SQL_IDENTIFIERS = {
    # table and temp-table names (our constants, or "export_..." on the reader's own connection, lib.reading.export)
    "table", "raw", "norm", "counts", "coverage", "bad_events", "distinct", "distinct_table", "normalised",
    "source",
    # column lists, SET and VALUES clauses, ORDER/WHERE fragments from constant columns with ? or $name parameters
    "columns", "column", "c", "key", "updates", "placeholders", "records", "assignments", "condition", "order",
    "where", "marks", "sequence", "parent_column", "select", "demo", "ACTION_COLUMNS", "WORKGROUP_SELECT",
    # read_csv options computed from the file's shape: integers and a delimiter from a fixed table
    "skip", "delimiter_sql", "MAX_LINE_BYTES", "parallel_flag",
    # lib/reading/files.py: the last raw column's name (c<N>); trim() with our constant list of characters
    "last_column", "clean_sql",
    # SQL fragments of the counting rules (lib/reading/rules.py), built from field positions and constant word lists
    "row_sql", "join", "decisive_columns", "distinct_rows_sql", "base_sql", "breached_rows_sql", "week_sql",
    "raw_text", "text", "region_sql", "field_key", "week", "week_start", "date_problem", "date_text", "event_date",
    "ignored_row_date", "expression", "form", "good", "total", "pct", "pct_text", "has_counts", "ignore", "kpi",
    "outcome", "problem", "segment", "segment_text", "week_text", "group", "shape", "ticket_level", "day_first",
    "b", "CHOSEN_WEEKS_SQL", "SEGMENT_OF_ROW", "len",
    # lib/store/figures.py: the speaking-upload query built from CHOSEN_WEEKS_SQL (a constant, values as parameters)
    "SPEAKING_UPLOADS_SQL",
    # lib/reading/rules.py base_sql: per-value lookups joined back (field names of a shape, l0..lN aliases,
    # column positions from the header match)
    "match", "trimmed", "joins", "name", "field", "alias",
    # lib/reading/rules.py report tables: lookup temp tables ("stage_<uuid>_numbers"/"_weeks"), count field names,
    # joins and column lists built from them, a constant day expression, a boolean
    "numbers", "weeks", "f", "time_text", "day", "looked_up", "number_joins", "week_join", "date_field", "middle",
    "grouped", "file_rows",
    # counts by ticket group and priority (issue 18): column positions and constant field names, the combination
    # hash over them, the temp-table names, booleans of the shape, a constant filter and a constant aggregate
    "cells", "decisive", "expressions", "names", "per_field", "found", "exact", "slices", "slices_sql", "report",
    "weighted", "read", "stored", "of_dimension", "percentage_only",
    # the stored table's column filter: a lambda over a constant pattern of the rules' helper column names
    "kept",
    # issue 25: the SLA metric's blocks read as rows (column positions; the metric's name goes in as a parameter)
    # and the pivot probe (column positions in constant patterns)
    "selects", "attribute_sql", "attributes", "metric_at", "subtotal", "grand", "blank_label",
    # lib/store/figures.py: the bad-events join, its week filter and its column expressions (constants of that module)
    "SEGMENT_OF_EVENT", "BAD_EVENTS_FROM", "BAD_EVENTS_OF_WEEK", "BAD_EVENT_COLUMNS",
    # issue 28: the week choice among some sources' uploads (a constant; the sources go in as a parameter) and the
    # Zendesk pull's two export queries (constants; the first day goes in as a parameter)
    "CHOSEN_WEEKS_OF_SOURCES_SQL", "SLA_EXPORT_SQL", "SATISFACTION_EXPORT_SQL",
    # issue 30, lib/store/postgres.py: a store statement rewritten in PostgreSQL's words, from pieces of that same
    # statement (our SQL text; its values stay parameters): the text before and after a clause, a call's
    # arguments, the subquery made of them, positions in it; the target table of a read-whole insert; the
    # schema version (a count of our migrations)
    "head", "sql", "inner", "end", "from_at", "select_at", "call", "whole", "MIGRATIONS",
}  # fmt: skip


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def names_in(expression: ast.AST) -> set[str]:
    """Every variable, attribute and function name an interpolated expression reads."""
    found = set()
    for node in ast.walk(expression):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
    return found


def test_sql_interpolates_only_our_own_identifiers_and_takes_values_as_parameters():
    """An f-string that is SQL may only interpolate reviewed identifiers; values go in as parameters."""
    offenders = []
    sql_strings = 0
    for path in SOURCES:
        source = path.read_text()
        for node in ast.walk(parsed(path)):
            if not isinstance(node, ast.JoinedStr):
                continue
            literal = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
            if not SQL_WORDS.search(literal):
                continue
            sql_strings += 1
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    unknown = names_in(part.value) - OUR_SQL_IDENTIFIERS
                    if unknown:
                        segment = ast.get_source_segment(source, part.value)
                        offenders.append(f"{path.relative_to(PROJECT)}:{node.lineno} {{{segment}}}: {sorted(unknown)}")
    assert sql_strings > 20  # the scan does see the project's SQL
    assert not offenders, "SQL built from values that are not our identifiers:\n" + "\n".join(offenders)


def test_every_execute_with_a_literal_sql_statement_passes_values_as_parameters():
    """No SQL is glued together with + or % from values; a literal statement with ? or $ takes a parameter list."""
    offenders = []
    for path in SOURCES:
        for node in ast.walk(parsed(path)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("execute", "executemany", "sql", "query") or not node.args:
                continue
            statement = node.args[0]
            if isinstance(statement, ast.BinOp):  # "..." + value, or "..." % value
                offenders.append(f"{path.relative_to(PROJECT)}:{node.lineno}: SQL joined with an operator")
            if isinstance(statement, ast.Call) and getattr(statement.func, "attr", "") == "format":
                offenders.append(f"{path.relative_to(PROJECT)}:{node.lineno}: SQL built with str.format")
            placeholders = isinstance(statement, ast.Constant) and re.search(r"\?|\$[a-z_]+", str(statement.value))
            if placeholders and len(node.args) < 2 and not node.keywords:
                offenders.append(f"{path.relative_to(PROJECT)}:{node.lineno}: placeholders but no parameters")
    assert not offenders, "\n".join(offenders)


HOSTILE_TEXT = "x'); DROP TABLE uploads; --"
MONDAY = dt.date(2026, 9, 7)


def test_sql_metacharacters_in_every_text_a_user_controls_are_stored_as_data(con, tmp_path):
    """A file name, uploader, header, form, mapping name and actor full of SQL are kept as text."""
    header = [HOSTILE_TEXT if column == "Ticket form" else column for column in SLA_HEADER]
    rows = span_rows(MONDAY, MONDAY + dt.timedelta(days=6)) + sla_rows(MONDAY, HOSTILE_TEXT, "First reply time", 9, 1)
    path = tmp_path / "export.csv"
    path.write_text(csv_text(header, [[str(100 + i), *row[1:]] for i, row in enumerate(rows)]))
    column_map = {
        "ticket_id": "Ticket ID",
        "form": HOSTILE_TEXT,
        "metric": "SLA metric",
        "target_status": "SLA target status",
        "date": "Time - SLA status update - Date",
    }

    uploads.save_profile(
        con, header, name=HOSTILE_TEXT, shape="explore_sla", source="explore", column_map=column_map, actor=HOSTILE_TEXT
    )
    ingest.ingest_file(
        con, path, file_name=HOSTILE_TEXT + ".csv", column_map=column_map, shape="explore_sla", uploaded_by=HOSTILE_TEXT
    )
    store.set_form_segment(con, HOSTILE_TEXT, "GitLab SaaS", actor=HOSTILE_TEXT)
    store.save_setting(con, "stale_after_days", 9, actor=HOSTILE_TEXT)

    [upload] = records.list_uploads(con)
    assert (upload["file"], upload["uploaded_by"]) == (HOSTILE_TEXT + ".csv", HOSTILE_TEXT)
    assert [profile.name for profile in uploads.list_profiles(con)] == [HOSTILE_TEXT]
    assert store.form_segments(con)[HOSTILE_TEXT] == "GitLab SaaS"
    assert {actor for _, actor, *_ in change_log(con)} == {HOSTILE_TEXT}
    # The form now maps to GitLab SaaS, so its 9 of 10 count in combined FRT: the text was data throughout.
    assert status_report(con, store.load_settings(con))["kpis"]["FRT"]["latest_good"] == 9


def module_constants(tree: ast.Module) -> set[str]:
    """Module-level names bound once, to a string literal."""
    bound: dict[str, list[ast.AST]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(node.value)
    return {
        name
        for name, values in bound.items()
        if len(values) == 1 and isinstance(values[0], ast.Constant) and isinstance(values[0].value, str)
    }


# Functions that may hand st.html text they built: a static table drawn as one HTML element (lib/ui/tables.py).
ESCAPING_HTML_BUILDERS = {"lib/ui/tables.py": ("plain_table",)}


def is_html_escape(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) == ("html", "escape")
    )


def only_escaped(node: ast.AST, trusted: set[str]) -> bool:
    """Whether ``node`` builds its text only from string literals, ``html.escape(...)``, the names in ``trusted``,
    ``+`` and f-strings of those, and ``"".join`` over a generator of those: nothing else can bring text in."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if is_html_escape(node):
        return True
    if isinstance(node, ast.Name):
        return node.id in trusted
    if isinstance(node, ast.JoinedStr):
        return all(only_escaped(part, trusted) for part in node.values)
    if isinstance(node, ast.FormattedValue):
        return node.format_spec is None and only_escaped(node.value, trusted)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return only_escaped(node.left, trusted) and only_escaped(node.right, trusted)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant)
        and len(node.args) == 1
        and isinstance(node.args[0], ast.GeneratorExp)
    ):
        return only_escaped(node.args[0].elt, trusted)
    return False


def escaping_builders(tree: ast.Module, constants: set[str], names) -> set[int]:
    """The ids of the html() calls inside the functions named ``names`` whose text is built only as ``only_escaped``
    allows, from module constants and names the function bound that way (each assignment of each name checked);
    every function named must exist and every html() call in it qualify."""
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names]
    assert sorted(function.name for function in found) == sorted(names)
    calls = set()
    for function in found:
        trusted = set(constants)
        for statement in function.body:  # in order: a name is trusted only once its every assignment was
            if isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets):
                targets = {target.id for target in statement.targets}
                if only_escaped(statement.value, trusted):
                    trusted |= targets
                else:
                    trusted -= targets
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "html":
                assert node.args and only_escaped(node.args[0], trusted), (
                    f"{function.name}:{node.lineno}: a value goes into HTML unescaped"
                )
                calls.add(id(node))
    return calls


def test_no_user_text_can_reach_html():
    """unsafe_allow_html is never switched on, and st.html / components.html only ever get a constant, or HTML
    built inside one of ``ESCAPING_HTML_BUILDERS``, where every value written into it is ``html.escape``d."""
    offenders = []
    html_calls = 0
    for path in SOURCES:
        tree = parsed(path)
        constants = module_constants(tree)
        where = path.relative_to(PROJECT)
        built_inside = escaping_builders(tree, constants, ESCAPING_HTML_BUILDERS.get(str(where), ()))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "unsafe_allow_html" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    offenders.append(f"{where}:{node.lineno}: unsafe_allow_html is not False")
            if isinstance(node.func, ast.Attribute) and node.func.attr == "html":
                html_calls += 1
                body = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "body"), None)
                literal = isinstance(body, ast.Constant) and isinstance(body.value, str)
                constant = isinstance(body, ast.Name) and body.id in constants
                if not (literal or constant or id(node) in built_inside):
                    offenders.append(f"{where}:{node.lineno}: html() with something other than a constant")
    assert html_calls >= 1  # the presentation-mode CSS: the scan does see it
    assert not offenders, "\n".join(offenders)


@pytest.fixture
def fresh_pages(con, monkeypatch, tmp_path):
    """A store with one upload (so the page does not load the demo), a fresh page connection, staging of our own."""
    earlier = tmp_path / "earlier.csv"
    earlier.write_bytes(one_week_export(first_ticket=900))
    ingest.ingest_file(con, earlier)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    reset_page_resources()
    yield
    reset_page_resources()


def one_week_export(first_ticket: int = 300) -> bytes:
    rows = span_rows(MONDAY, MONDAY + dt.timedelta(days=6)) + sla_rows(MONDAY, "SaaS", "First reply time", 47, 3)
    return csv_text(SLA_HEADER, [[str(first_ticket + i), *row[1:]] for i, row in enumerate(rows)]).encode()


def page_test(page: str) -> AppTest:
    """A page as the multipage app serves it (so its links to other pages resolve)."""
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60)
    if page != "app.py":
        app.switch_page(page)
    return app


def upload_page() -> AppTest:
    return page_test("pages/6_Upload.py")


def upload_through_the_page(app: AppTest, name: str, data: bytes) -> AppTest:
    uploader = next(u for u in app.file_uploader if u.key.startswith("uploader-"))
    uploader.set_value((name, data, "text/csv")).run()
    assert not app.exception, app.exception
    return app


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def test_an_uploaded_file_name_never_decides_where_a_file_is_written(con, db_path, tmp_path, fresh_pages):
    data = one_week_export()
    name = "../../x.csv"
    before = files_under(tmp_path)
    targets = [(folder / name).resolve() for folder in (Path.cwd(), uploads.staging_dir(), tmp_path)]
    # Where the name points may hold a file of someone else's already: it must stay untouched.
    untouched = {target: target.stat().st_mtime_ns if target.exists() else None for target in targets}

    # The staging copy the Upload page makes as soon as a file arrives.
    staged = uploads.stage_upload(io.BytesIO(data), name)
    assert staged.path.parent == uploads.staging_dir() and ".." not in staged.path.parts
    assert staged.path.name != "x.csv" and staged.file_name == name
    uploads.discard(staged)

    # The whole path through the page: upload, preview, store.
    app = upload_through_the_page(upload_page().run(), name, data)
    app.button(key="upload-commit").click().run()
    assert not app.exception, app.exception
    [upload] = [u for u in records.list_uploads(con) if u["file"] == name]
    archive = store.settings_module.archive_dir(db_path)
    assert Path(upload["archive_path"]) == archive / f"{upload['sha256']}.csv"
    assert (archive / f"{upload['sha256']}.csv").read_bytes() == data
    written = files_under(tmp_path) - before
    assert {path.name for path in written} <= {f"{upload['sha256']}.csv", "floorline.duckdb.wal"}, written
    assert not (archive / name).resolve().exists()
    for target, mtime in untouched.items():
        assert (target.stat().st_mtime_ns if target.exists() else None) == mtime, target


def test_the_upload_size_limit_is_enforced_by_the_app_not_only_the_browser(con, tmp_path, fresh_pages, monkeypatch):
    store.save_setting(con, "max_upload_mb", 1)
    week = one_week_export()
    header, body = week.split(b"\n", 1)
    big = header + b"\n" + body * (1_400_000 // len(body) + 1)  # the same rows again and again: 1.3 MB
    path = tmp_path / "big.csv"
    path.write_bytes(big)
    before = (records.list_uploads(con), status_report(con, store.load_settings(con)))

    # The check comes first, from the file's real size: not even hashed, let alone read.
    def never(*_args, **_kwargs):
        raise AssertionError("a file over the limit was read")

    with monkeypatch.context() as patched:
        patched.setattr(records, "hash_and_stage", never)
        for preview in (True, False):
            with pytest.raises(RefusedFile, match=r"big.csv: the file is 1\.\d MB, over the 1 MB limit"):
                ingest.ingest_file(con, path, preview=preview)

    # Through the Upload page, which AppTest drives without a browser (so without its size check).
    app = upload_through_the_page(upload_page().run(), "big.csv", big)
    errors = [element.value for element in app.error]
    assert any("over the 1 MB limit" in re.sub(r"\\(.)", r"\1", text) for text in errors), errors
    assert app.button(key="upload-commit").disabled
    assert (records.list_uploads(con), status_report(con, store.load_settings(con))) == before


MARKUP = '<img src=x onerror="alert(1)">![pixel](http://evil.example/p.png)[click](javascript:alert(2))'
TEXT_ELEMENTS = ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader")


def unescaped_markup(text: str) -> list[str]:
    """Pieces of MARKUP that would act as HTML or Markdown: the raw tag, an image or a link, unescaped."""
    return re.findall(r"(?<!\\)<img|(?<!\\)!(?<!\\)\[pixel(?<!\\)\]|(?<!\\)\[click(?<!\\)\]\(", text)


def test_uploaded_names_and_cells_reach_every_page_as_text_not_markup(con, tmp_path, fresh_pages):
    rows = span_rows(MONDAY, MONDAY + dt.timedelta(days=6))
    rows += sla_rows(MONDAY, MARKUP, "First reply time", 9, 1, region=MARKUP)
    path = tmp_path / "markup.csv"
    path.write_text(csv_text(SLA_HEADER, [[str(500 + i), *row[1:]] for i, row in enumerate(rows)]))
    ingest.ingest_file(con, path, file_name=MARKUP + ".csv", uploaded_by=MARKUP)

    shown = []
    for page in ["app.py", *sorted(str(p.relative_to(PROJECT)) for p in (PROJECT / "pages").glob("*.py"))]:
        app = page_test(page).run()
        assert not app.exception, (page, app.exception)
        for kind in TEXT_ELEMENTS:
            for element in getattr(app, kind):
                text = str(element.value)
                if "pixel" in text or "img" in text:
                    shown.append(text)
                assert not unescaped_markup(text), (page, kind, text)
    assert any("pixel" in text for text in shown)  # the sweep did see the uploaded text somewhere
