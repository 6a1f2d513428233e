"""XLSX workbooks read safely: zip bombs, damaged or uncalculated sheets and over-wide rows refused
before openpyxl holds anything, the export's sheet and header found, and its rows copied to a
temporary CSV for DuckDB."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lib.core.errors import RefusedFile
from lib.reading.cells import STRIPPED_CHARACTERS
from lib.reading.lines import MAX_COLUMNS, MAX_TITLE_ROWS, filled_cells, refuse_too_wide, title_text
from lib.reading.shapes import (
    HeaderMatch,
    detect_shape,
)

# A real Explore workbook unpacks to a few times its size; a "zip bomb" to thousands.
MAX_XLSX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
MAX_XLSX_RATIO = 200
# openpyxl streams worksheets but holds every other part (shared strings, styles) in memory whole,
# as Python objects several times the XML's size: an export's shared strings are a few MB.
MAX_XLSX_WHOLE_PART_BYTES = 128 * 1024 * 1024


DAMAGED_WORKBOOK = "the workbook cannot be read: its sheet is damaged, cut short or holds XML no spreadsheet writes"
WORKBOOK_EXPECTED = "an .xlsx export saved by Excel, Google Sheets or Zendesk Explore"
UNOPENABLE_WORKBOOK = "the workbook cannot be opened: it is damaged or not saved by a spreadsheet program"


def _check_workbook(path: Path, file_name: str) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise RefusedFile(
            file_name, "the file starts like a ZIP archive (a workbook) but is damaged or cut off; download it again"
        ) from None
    with archive:
        names = archive.namelist()
        if "xl/workbook.xml" not in names:
            raise RefusedFile(file_name, "this ZIP archive is not an Excel workbook", expected="an .xlsx export")
        for info in archive.infolist():
            if info.file_size > MAX_XLSX_WHOLE_PART_BYTES and not info.filename.startswith("xl/worksheets/"):
                raise RefusedFile(
                    file_name,
                    f"the workbook's {info.filename} would unpack to {info.file_size / 1024**2:,.0f} MB, "
                    "far larger than in any export",
                    expected=f"at most {MAX_XLSX_WHOLE_PART_BYTES // 1024**2} MB",
                )
        unpacked = sum(info.file_size for info in archive.infolist())
        packed = max(1, sum(info.compress_size for info in archive.infolist()))
        if unpacked > MAX_XLSX_UNPACKED_BYTES or (unpacked > 50 * 1024 * 1024 and unpacked / packed > MAX_XLSX_RATIO):
            raise RefusedFile(
                file_name,
                f"the workbook would unpack to {unpacked / 1024**2:,.0f} MB from {packed / 1024**2:,.1f} MB "
                "(a compression bomb, or far larger than any export)",
            )
        for name in names:
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                try:
                    _refuse_wide_rows(archive, name, file_name)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
                    raise RefusedFile(file_name, DAMAGED_WORKBOOK, expected=WORKBOOK_EXPECTED) from None


@contextlib.contextmanager
def open_checked_workbook(path: Path, file_name: str) -> Iterator:
    """A read-only openpyxl workbook, after the compression-bomb checks; refused if it cannot be opened.

    Opened from a handle, not the path: openpyxl refuses a path that does not end in .xlsx, and an
    upload's name (or a staged copy's) need not.
    """
    import openpyxl  # imported here: the command line should not pay for it on CSV files

    _check_workbook(path, file_name)
    with open(path, "rb") as workbook_file:
        try:
            workbook = openpyxl.load_workbook(workbook_file, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - a damaged or hostile workbook makes openpyxl raise almost anything
            raise RefusedFile(file_name, UNOPENABLE_WORKBOOK, expected=WORKBOOK_EXPECTED) from None
        try:
            yield workbook
        finally:
            workbook.close()


def _xlsx_cell_text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return text.removesuffix(" 00:00:00")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Reading a worksheet's rows sheds light on what a sheet *holds*, cell by cell: openpyxl's own
# row reader pads every row out to its last cell (16,384 values for a note in column XFD) and
# reads a formula never calculated as an empty cell. Its sheet parser (openpyxl is pinned) gives
# only the cells present, with their columns; this subclass marks a formula without a value.
UNCALCULATED = object()
CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>]")


def _sheet_parser_class():
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class ValuesParser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["value"] = UNCALCULATED
            return cell

    return ValuesParser


def _sheet_cells(workbook, sheet):
    """(row number, {column number: text}) for each row of ``sheet`` holding a value."""
    parser_class = _sheet_parser_class()
    with sheet._get_source() as source:
        parser = parser_class(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            values = {}
            for cell in cells:
                value = cell["value"]
                text = value if value is UNCALCULATED else _xlsx_cell_text(value)
                if text is UNCALCULATED or text.strip(STRIPPED_CHARACTERS):
                    values[cell["column"]] = text
            if values:
                yield number, values


def _refuse_wide_rows(archive: zipfile.ZipFile, member: str, file_name: str) -> None:
    """Refuse a sheet holding a row of more cells than any export has columns, before parsing it.

    A few hundred kilobytes of workbook can hold a row of a million cells: parsing it would
    take a minute and a gigabyte (openpyxl parses a sheet without a stated dimension whole just
    to size it, when the workbook is opened). Its XML is only counted here, a megabyte at a
    time: a twentieth of the time openpyxl then takes to read the same sheet.
    """
    cells_in_row, row_number = 0, 0
    with archive.open(member) as stream:
        while chunk := stream.read(1024 * 1024):
            pieces = ROW_START.split(chunk)  # a tag cut by the chunk's end miscounts one row, no more
            cells_in_row += len(CELL_START.findall(pieces[0]))
            for piece in pieces[1:]:
                if cells_in_row > MAX_COLUMNS:
                    break
                row_number, cells_in_row = row_number + 1, len(CELL_START.findall(piece))
            if cells_in_row > MAX_COLUMNS:
                raise RefusedFile(
                    file_name,
                    f"a sheet of the workbook holds a row of more than {MAX_COLUMNS:,} cells; this is not an export",
                    row=max(row_number, 1),
                    expected=f"at most {MAX_COLUMNS:,} columns",
                )


def _refuse_uncalculated(file_name: str, row: int, column: str) -> RefusedFile:
    return RefusedFile(
        file_name,
        "the cell holds a formula whose value was never saved (the workbook was written by a program, "
        "not by Excel); open the workbook in Excel and save it, or export it again, so its values are stored",
        row=row,
        column=column,
    )


# A stray note is a cell on its own: at least this many empty columns from the export's last
# column, or in a row of its own below an empty row.
STRAY_GAP = 2


def _export_width(cells: dict[int, str], above: int = 0) -> int:
    """The last column of a header row's block of cells, before any gap of STRAY_GAP empty columns.

    ``above`` is the width of the row right above: a second header row whose cells start under the
    first's (Achieved / Breached under merged metric names, the attribute columns left blank) is read
    from its first column, not taken for strays."""
    width = 0
    for column in sorted(cells):
        if column - width > STRAY_GAP and column > above:
            break
        width = column
    return width


def _cell_name(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


@dataclass
class _SheetHeader:
    row: int
    cells: list[str]
    match: HeaderMatch | None
    outside: dict[int, str]  # header-row cells beyond the export's columns
    titles: list[str] = field(default_factory=list)  # the text of the rows above it
    above: list[str] = field(default_factory=list)  # the cells of the row right above it, by column


def _find_sheet_header(workbook, sheet, file_name, shape_name, column_map) -> _SheetHeader | None:
    """The first row of ``sheet`` that reads as a header (or, failing that, its first row)."""
    early: list[_SheetHeader] = []
    for number, values in _sheet_cells(workbook, sheet):
        if number > MAX_TITLE_ROWS * 4 and not early:
            break
        above = early[-1] if early and early[-1].row == number - 1 else None
        width = _export_width(values, len(above.cells) if above else 0)
        cells = [values.get(column, "") for column in range(1, width + 1)]
        outside = {c: v for c, v in values.items() if c > width}
        for column, value in values.items():
            if value is UNCALCULATED:
                raise _refuse_uncalculated(file_name, number, _cell_name(number, column))
        match = detect_shape(cells, shape_name, column_map)
        early.append(_SheetHeader(number, cells, match, outside))
        if match or len(early) > MAX_TITLE_ROWS:
            break
    # Failing a known header, the first row that is not a one-cell title (never the report's title).
    found = next((header for header in early if header.match), None) or next(
        (header for header in early if filled_cells(header.cells) != 1), early[0] if early else None
    )
    if found:
        found.titles = title_text([header.cells for header in early if header.row < found.row])
        found.above = next((header.cells for header in early if header.row == found.row - 1), [])
    return found


@dataclass
class _SheetCopy:
    strays: list[str]  # notes on cells outside the export, ignored
    spills: list[int]  # columns outside the export holding more than one stray note


def _copy_sheet_rows(workbook, sheet, header: _SheetHeader, width: int, writer, file_name: str) -> _SheetCopy:
    """Write the export's rows below ``header`` as CSV (Excel row number first); collect stray cells."""
    outside_columns: dict[int, list[tuple[int, str]]] = {c: [(header.row, v)] for c, v in header.outside.items()}
    lone_rows: list[tuple[int, int, str]] = []
    last_row = header.row
    for number, values in _sheet_cells(workbook, sheet):
        if number <= header.row:
            continue
        inside = {c: v for c, v in values.items() if c <= width}
        gap_above = number - last_row > 1
        last_row = number
        if gap_above and len(values) == 1:
            # One cell on its own below an empty row: a note, not a row of the export.
            ((column, value),) = values.items()
            if value is not UNCALCULATED:
                lone_rows.append((number, column, value))
                continue
        for column, value in values.items():
            if column > width:
                note = "a formula without a saved value" if value is UNCALCULATED else value
                outside_columns.setdefault(column, []).append((number, note))
            elif value is UNCALCULATED:
                label = header.cells[column - 1] if column <= len(header.cells) else ""
                raise _refuse_uncalculated(file_name, number, label or _cell_name(number, column))
        if inside:
            writer.writerow([number, *(inside.get(c, "") for c in range(1, width + 1))])
    spills = [column for column, cells in outside_columns.items() if len(cells) > 1]
    strays = [
        f"{_cell_name(row, column)} ('{value[:40]}')"
        for column, cells in outside_columns.items()
        if len(cells) == 1
        for row, value in cells
    ] + [f"{_cell_name(row, column)} ('{value[:40]}')" for row, column, value in lone_rows]
    return _SheetCopy(strays, spills)


def _choose_sheet(workbook, path, file_name, shape_name, column_map):
    """The sheet to read: the active one if it is visible and holds an export, else the first visible one
    that does; a hidden or very hidden sheet never. Returns (sheet, header, notes)."""
    visible = [sheet for sheet in workbook.worksheets if sheet.sheet_state == "visible"]
    hidden = [sheet for sheet in workbook.worksheets if sheet.sheet_state != "visible"]
    active = workbook.active
    order = ([active] if active in visible else []) + [sheet for sheet in visible if sheet is not active]
    fallback = None
    for sheet in order:
        header = _find_sheet_header(workbook, sheet, file_name, shape_name, column_map)
        if header and header.match:
            return sheet, header
        if header and fallback is None:
            fallback = (sheet, header)
    for sheet in hidden:
        header = _find_sheet_header(workbook, sheet, file_name, shape_name, column_map)
        if header and (header.match or fallback is None):
            state = "very hidden" if sheet.sheet_state == "veryHidden" else "hidden"
            raise RefusedFile(
                file_name,
                f"the only {'export' if header.match else 'data'} in the workbook is on the {state} sheet "
                f"'{sheet.title}', and Floorline reads visible sheets only (a hidden sheet is often stale)",
                expected="the export on a visible sheet: unhide it in Excel and save, or export again",
            )
    if fallback:
        return fallback
    raise RefusedFile(file_name, "every sheet in the workbook is empty")


def xlsx_to_csv(path: Path, file_name: str, shape_name: str | None, column_map: dict | None):
    """Stream the sheet holding the export into a UTF-8 CSV whose first column is the Excel row number.

    Returns (CSV path, header row, header cells, match, sheet name, notes, title lines).
    """
    with open_checked_workbook(path, file_name) as workbook:
        return _copy_export_sheet(workbook, path, file_name, shape_name, column_map)


def _copy_export_sheet(workbook, path: Path, file_name: str, shape_name: str | None, column_map: dict | None):
    temp_path = None
    try:
        sheet, header = _choose_sheet(workbook, path, file_name, shape_name, column_map)
        width = len(header.cells)
        refuse_too_wide(header.cells, file_name, header.row)
        handle, name = tempfile.mkstemp(prefix="floorline-", suffix=".csv")
        temp_path = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as target:
            writer = csv.writer(target)
            writer.writerow(["source_row", *header.cells])
            copied = _copy_sheet_rows(workbook, sheet, header, width, writer, file_name)
        if copied.spills:
            # Cells beyond a gap that are columns of data after all: read the sheet as wide as it is.
            width = max(copied.spills)
            cells = [
                header.cells[c - 1] if c <= len(header.cells) else header.outside.get(c, "")
                for c in range(1, width + 1)
            ]
            refuse_too_wide(cells, file_name, header.row)
            header = _SheetHeader(header.row, cells, detect_shape(cells, shape_name, column_map), {}, header.titles)
            with open(temp_path, "w", encoding="utf-8", newline="") as target:
                writer = csv.writer(target)
                writer.writerow(["source_row", *header.cells])
                copied = _copy_sheet_rows(workbook, sheet, header, width, writer, file_name)
        notes = []  # the sheet read is named with the encoding ("XLSX, sheet 'Export'")
        skipped = [s.title for s in workbook.worksheets if s.sheet_state != "visible"]
        if skipped:
            notes.append("Hidden sheets are never read: " + ", ".join(f"'{t}'" for t in skipped) + ".")
        if copied.strays:
            notes.append("Ignored stray cells outside the export: " + ", ".join(copied.strays) + ".")
        return temp_path, header.row, header.cells, header.match, sheet.title, notes, header.titles, header.above
    except RefusedFile:
        if temp_path:
            temp_path.unlink(missing_ok=True)
        raise
    except Exception:  # noqa: BLE001 - a damaged or hostile workbook makes openpyxl raise almost anything
        if temp_path:
            temp_path.unlink(missing_ok=True)
        # Covers XML that is cut short, entity expansion ("billion laughs") and external
        # entities, which expat refuses rather than fetches; the library's words stay out.
        raise RefusedFile(
            file_name,
            DAMAGED_WORKBOOK,
            expected=WORKBOOK_EXPECTED,
        ) from None
