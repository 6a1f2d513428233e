"""Reading an OKR file (an XLSX workbook, a sheet per kind, or a CSV per kind) into tables of rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lib.core.errors import RefusedFile
from lib.okrs.model import COLUMNS, KINDS, SHEET_NAMES, blank, header_key
from lib.reading import encodings, workbooks

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class OkrTable:
    """One sheet or CSV of one kind: where it came from, and its rows by spreadsheet row number."""

    kind: str
    source: str  # "okrs.xlsx, sheet Objectives" — how a refusal names it
    rows: list[tuple[int, dict[str, object]]]


HEAD_BYTES = 8  # enough for every file signature ``sniff_kind`` knows
MAX_FILE_MB = 20  # a workbook of 50,000 objectives is about 2 MB
MAX_ROWS = 100_000  # rows in one sheet or CSV, header included


def read_okr_file(path: Path | str, file_name: str | None = None) -> list[OkrTable]:
    """The tables in an XLSX workbook (a sheet per kind) or a CSV (its kind told by its header).

    Read by the export reader's machinery (``lib.reading.files``): the same file-kind and encoding
    sniffing, and the same compression-bomb and damage checks before openpyxl opens a workbook.
    """
    path = Path(path)
    file_name = file_name or path.name
    size = path.stat().st_size
    if size > MAX_FILE_MB * 1024 * 1024:
        raise RefusedFile(
            file_name,
            f"the file is {size / 1024**2:,.1f} MB, over the {MAX_FILE_MB} MB an OKR file may have",
            expected=f"at most {MAX_ROWS:,} rows a sheet",
        )
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if encodings.sniff_kind(head, file_name) == "xlsx":
        return read_workbook(path, file_name)
    return [read_csv_table(path.read_bytes(), file_name)]


def read_workbook(path: Path, file_name: str) -> list[OkrTable]:
    sheet_kinds = {header_key(name): kind for kind, name in SHEET_NAMES.items()}
    sheet_kinds.update({header_key(kind): kind for kind in KINDS})
    tables = []
    with workbooks.open_checked_workbook(path, file_name) as workbook:
        for sheet in workbook.worksheets:
            kind = sheet_kinds.get(header_key(sheet.title))
            if kind is None:
                continue  # the "How to" sheet, or anything else the team keeps alongside
            source = f"{file_name}, sheet {sheet.title}"
            rows = []
            for row in sheet.iter_rows(values_only=True):
                rows.append(row)
                check_row_count(len(rows), source)
            if rows:
                tables.append(table_from_rows(kind, source, rows))
    if not tables:
        raise RefusedFile(
            file_name,
            "no sheet is named for a kind of OKR row",
            expected="sheets named " + ", ".join(SHEET_NAMES.values()),
        )
    return tables


def read_csv_table(data: bytes, file_name: str) -> OkrTable:
    encoding = encodings.sniff_encoding(data, file_name, whole_file=True)
    text = data.decode(encodings.PYTHON_CODEC[encoding], errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = io.StringIO(text).readlines()
    reader = csv.reader(lines, dialect)
    rows: list[tuple] = []
    record_start = 0  # the line the record being read starts on
    try:
        for row in reader:
            rows.append(tuple(row))
            check_row_count(len(rows), file_name)
            record_start = reader.line_num
    except csv.Error:
        raise unreadable_record(file_name, rows, "".join(lines[record_start:]), dialect) from None
    if not rows:
        raise RefusedFile(file_name, "the file is empty", expected="a header row and one row per item")
    return table_from_rows(kind_of_header(rows[0], file_name), file_name, rows)


def check_row_count(rows: int, source: str) -> None:
    if rows > MAX_ROWS:
        raise RefusedFile(
            source, f"it has more than {MAX_ROWS:,} rows", row=rows, expected=f"at most {MAX_ROWS:,} rows"
        )


def unreadable_record(file_name: str, rows: list[tuple], rest: str, dialect) -> RefusedFile:
    """The refusal for the record the csv module gave up on: a cell over its length limit, or broken quoting."""
    number = len(rows) + 1
    limit = csv.field_size_limit()
    index = long_cell_index(rest, dialect, limit)
    if index is None:
        return RefusedFile(file_name, "this row cannot be read as CSV", row=number, expected="one record per row")
    header = rows[0] if rows else ()
    column = str(header[index]) if index < len(header) and header[index] else f"column {index + 1}"
    return RefusedFile(
        file_name,
        f"the cell is over {limit:,} characters long",
        row=number,
        column=column,
        expected="at most 2,000 characters in a cell",
    )


def long_cell_index(record: str, dialect, limit: int) -> int | None:
    """Which cell of a CSV record (counted from 0) runs past ``limit`` characters, if one does."""
    index, length, quoted = 0, 0, False
    for char in record:
        if char == dialect.quotechar:
            quoted = not quoted
        elif not quoted and char == dialect.delimiter:
            index, length = index + 1, 0
            continue
        elif not quoted and char in "\r\n":
            return None
        length += 1
        if length > limit:
            return index
    return None


def kind_of_header(header: tuple, file_name: str) -> str:
    """The kind whose required columns the header has (the most familiar one if several do)."""
    keys = {header_key(cell) for cell in header if cell not in (None, "")}
    candidates = [kind for kind in KINDS if all(set(column.keys) & keys for column in COLUMNS[kind] if column.required)]
    if candidates:
        return max(candidates, key=lambda kind: len(keys & {k for c in COLUMNS[kind] for k in c.keys}))
    raise RefusedFile(
        file_name,
        "the header does not match any kind of OKR row: " + ", ".join(f"'{c}'" for c in header if c),
        row=1,
        expected="; ".join(f"{SHEET_NAMES[k]}: " + ", ".join(c.name for c in COLUMNS[k]) for k in KINDS),
    )


def table_from_rows(kind: str, source: str, rows: list[tuple]) -> OkrTable:
    """Map the header to our columns (refusing unknown or missing ones) and keep non-empty rows."""
    header = rows[0]
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        if cell in (None, ""):
            continue
        column = next((c for c in COLUMNS[kind] if header_key(cell) in c.keys), None)
        if column is None:
            raise RefusedFile(
                source,
                f"'{cell}' is not a column of {SHEET_NAMES[kind]}",
                row=1,
                column=str(cell),
                expected="columns " + ", ".join(c.name for c in COLUMNS[kind]),
            )
        if column.name in positions:
            raise RefusedFile(source, "the column appears twice", row=1, column=str(cell))
        positions[column.name] = index
    for column in COLUMNS[kind]:
        if column.required and column.name not in positions:
            raise RefusedFile(source, "a required column is missing", row=1, column=column.name, expected=column.help)
    body = []
    for number, row in enumerate(rows[1:], start=2):
        record = {name: (row[index] if index < len(row) else None) for name, index in positions.items()}
        if all(blank(value) for value in record.values()):
            continue
        body.append((number, record))
    return OkrTable(kind, source, body)


def table_from_editor(kind: str, frame: pd.DataFrame) -> OkrTable:
    """The rows of an in-app table, numbered as the table shows them (1 = first row)."""
    names = [column.name for column in COLUMNS[kind]]
    rows = []
    for number, record in enumerate(frame.to_dict("records"), start=1):
        values = {name: record.get(name) for name in names}
        if all(blank(value) for value in values.values()):
            continue
        rows.append((number, values))
    return OkrTable(kind, f"the {SHEET_NAMES[kind]} table", rows)
