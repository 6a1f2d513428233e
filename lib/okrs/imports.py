"""Reading an OKR file (an XLSX workbook, a sheet per kind, or a CSV per kind) into tables of rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lib.core.errors import RefusedFile
from lib.okrs.model import COLUMNS, KINDS, SHEET_NAMES, blank, header_key
from lib.reading import files

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class OkrTable:
    """One sheet or CSV of one kind: where it came from, and its rows by spreadsheet row number."""

    kind: str
    source: str  # "okrs.xlsx, sheet Objectives" — how a refusal names it
    rows: list[tuple[int, dict[str, object]]]


HEAD_BYTES = 8  # enough for every file signature ``sniff_kind`` knows


def read_okr_file(path: Path | str, file_name: str | None = None, max_bytes: int | None = None) -> list[OkrTable]:
    """The tables in an XLSX workbook (a sheet per kind) or a CSV (its kind told by its header).

    Read by the export reader's machinery (``lib.reading.files``): the same file-kind and encoding
    sniffing, and the same compression-bomb and damage checks before openpyxl opens a workbook.
    """
    path = Path(path)
    file_name = file_name or path.name
    if max_bytes is not None and path.stat().st_size > max_bytes:
        raise RefusedFile(file_name, "the file is too large for an OKR sheet", expected="a few hundred rows")
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if files.sniff_kind(head, file_name) == "xlsx":
        return read_workbook(path, file_name)
    return [read_csv_table(path.read_bytes(), file_name)]


def read_workbook(path: Path, file_name: str) -> list[OkrTable]:
    sheet_kinds = {header_key(name): kind for kind, name in SHEET_NAMES.items()}
    sheet_kinds.update({header_key(kind): kind for kind in KINDS})
    tables = []
    with files.open_checked_workbook(path, file_name) as workbook:
        for sheet in workbook.worksheets:
            kind = sheet_kinds.get(header_key(sheet.title))
            if kind is None:
                continue  # the "How to" sheet, or anything else the team keeps alongside
            rows = list(sheet.iter_rows(values_only=True))
            source = f"{file_name}, sheet {sheet.title}"
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
    encoding = files.sniff_encoding(data, file_name, whole_file=True)
    text = data.decode(files.PYTHON_CODEC[encoding], errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [tuple(row) for row in csv.reader(io.StringIO(text), dialect)]
    if not rows:
        raise RefusedFile(file_name, "the file is empty", expected="a header row and one row per item")
    return table_from_rows(kind_of_header(rows[0], file_name), file_name, rows)


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
