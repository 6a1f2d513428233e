"""Read an export file, whatever its dress, into a DuckDB table of text columns.

Liberal in what it reads: CSV in UTF-8 (with or without BOM), UTF-16 (with BOM, or
recognisably without), or Windows-1252; comma, semicolon, tab or pipe delimited; XLSX;
a header row below title rows. Every cell is read as text, so one odd cell never retypes
a column: the rules in ``lib/ingest.py`` decide what each cell must be and name the row
when it is not.

UTF-8 CSV goes straight to DuckDB's reader (the fast path for large files); anything else
is first rewritten as a temporary UTF-8 CSV, streamed, never held whole in memory.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from lib.errors import RefusedFile
from lib.shapes import HeaderMatch, describe_expected_headers, detect_shape

HEAD_BYTES = 1024 * 1024
MAX_TITLE_ROWS = 30
DELIMITERS = (",", ";", "\t", "|")
# A real Explore workbook unpacks to a few times its size; a "zip bomb" to thousands.
MAX_XLSX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
MAX_XLSX_RATIO = 200
# openpyxl streams worksheets but holds every other part (shared strings, styles) in memory whole,
# as Python objects several times the XML's size: an export's shared strings are a few MB.
MAX_XLSX_WHOLE_PART_BYTES = 128 * 1024 * 1024
MAX_LINE_BYTES = 2 * 1024 * 1024
# The widest real export (dbt_zendesk ticket metrics) has a few hundred columns; thousands of
# columns would cost DuckDB gigabytes of buffers for a file of a few kilobytes.
MAX_COLUMNS = 1000

MAGIC = {
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) or Office file; save it as .xlsx or CSV",
}


@dataclass
class RawTable:
    """A file loaded as text columns ``c0..cN`` plus ``source_row`` (the row a spreadsheet shows)."""

    table: str
    header: list[str]
    match: HeaderMatch | None
    kind: str  # csv or xlsx
    encoding: str
    delimiter: str | None
    header_row: int
    rows: int
    row_sql: str  # SQL for the spreadsheet row number of a record
    temp_files: list[Path] = field(default_factory=list)
    # Text of the rows above the header (a report's title, "week ending ..."): read for meaning.
    title_lines: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        for path in self.temp_files:
            path.unlink(missing_ok=True)


def sniff_kind(head: bytes, file_name: str) -> str:
    if not head:
        raise RefusedFile(file_name, "the file is empty")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            raise RefusedFile(file_name, f"this is {what}, not a CSV or XLSX export")
    return "csv"


def sniff_encoding(head: bytes, file_name: str) -> str:
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise RefusedFile(file_name, "the file is UTF-32 text", expected="UTF-8 or UTF-16 (save as 'CSV UTF-8')")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le-bom"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be-bom"
    sample = head[:4096]
    if b"\x00" in sample:
        # UTF-16 without a BOM shows as ASCII letters alternating with NUL bytes.
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
            return "utf-16-le"
        if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
            return "utf-16-be"
        raise RefusedFile(
            file_name, "the file holds binary data (NUL bytes), not text", expected="a CSV or XLSX export"
        )
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sample's end is still UTF-8.
        if error.start >= len(head) - 3 and len(head) == HEAD_BYTES:
            return "utf-8"
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        raise RefusedFile(
            file_name, "the text is in an encoding Floorline cannot read", expected="UTF-8, UTF-16 or Windows-1252"
        ) from None


PYTHON_CODEC = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16-le-bom": "utf-16",
    "utf-16-be-bom": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "cp1252": "cp1252",
}

ENCODING_LABEL = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16-le-bom": "UTF-16 (little-endian, BOM)",
    "utf-16-be-bom": "UTF-16 (big-endian, BOM)",
    "utf-16-le": "UTF-16 (little-endian)",
    "utf-16-be": "UTF-16 (big-endian)",
    "cp1252": "Windows-1252",
    "xlsx": "XLSX",
}


def split_line(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def find_csv_header(
    lines: list[str], file_name: str, shape_name: str | None, column_map: dict | None
) -> tuple[int, str, list[str], HeaderMatch | None]:
    """Return (line index, delimiter, header cells, match) of the first line that reads as a header."""
    first_nonblank = None
    for index, line in enumerate(lines[: MAX_TITLE_ROWS + 1]):
        if not line.strip():
            continue
        options = []
        for delimiter in DELIMITERS:
            cells = split_line(line, delimiter)
            if len(cells) > MAX_COLUMNS:
                continue  # refused below, without matching ten thousand cells against every shape
            match = detect_shape(cells, shape_name, column_map)
            if match:
                options.append((len(match.columns), len(cells), delimiter, cells, match))
        if options:
            _, _, delimiter, cells, match = max(options, key=lambda o: (o[0], o[1]))
            return index, delimiter, cells, match
        if first_nonblank is None:
            first_nonblank = index
    if first_nonblank is None:
        raise RefusedFile(file_name, "the file has no rows")
    # No known header: hand back the first early line that is not a one-cell title (a report's
    # title above the header is never taken for the header), so a user can map its columns.
    candidates = [i for i, line in enumerate(lines[: MAX_TITLE_ROWS + 1]) if line.strip()]
    index = next((i for i in candidates if not is_title(lines[i])), first_nonblank)
    line = lines[index]
    delimiter = max(DELIMITERS, key=lambda d: len(split_line(line, d)))
    return index, delimiter, split_line(line, delimiter), None


def is_title(line: str) -> bool:
    """A line with exactly one filled cell, whatever the delimiter: a report's title or a note."""
    return all(filled_cells(split_line(line, d)) == 1 for d in DELIMITERS)


def filled_cells(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


def first_not_title(early: list[tuple[int, list[str]]]) -> tuple[int, list[str], None]:
    row, cells = next(((r, c) for r, c in early if filled_cells(c) != 1), early[0])
    return row, cells, None


def title_text(lines: list[list[str]]) -> list[str]:
    return [" ".join(cell.strip() for cell in cells if cell.strip()) for cells in lines if filled_cells(cells)]


def read_head_lines(path: Path, encoding: str, file_name: str) -> list[str]:
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    text = head.decode(PYTHON_CODEC[encoding], errors="replace")
    lines = text.splitlines()
    if len(head) == HEAD_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut by the sample's end
        if not lines:
            raise RefusedFile(
                file_name, f"the first line is longer than {HEAD_BYTES // 1024**2} MB; this is not an export", row=1
            )
    return lines


def transcode_to_utf8(path: Path, encoding: str) -> Path:
    """Rewrite a non-UTF-8 text file as UTF-8, a chunk at a time."""
    decoder = codecs.getincrementaldecoder(PYTHON_CODEC[encoding])(errors="strict")
    handle, name = tempfile.mkstemp(prefix="floorline-", suffix=".csv")
    try:
        with open(path, "rb") as source, os.fdopen(handle, "w", encoding="utf-8", newline="") as target:
            while chunk := source.read(1024 * 1024):
                target.write(decoder.decode(chunk))
            target.write(decoder.decode(b"", final=True))
    except BaseException:
        Path(name).unlink(missing_ok=True)  # a refused file leaves nothing behind
        raise
    return Path(name)


def first_line_with_nul(path: Path) -> int | None:
    """The line number of the first NUL byte in a UTF-8 file (text never holds one; binary data does)."""
    lines_before = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            position = chunk.find(b"\x00")
            if position >= 0:
                return lines_before + chunk.count(b"\n", 0, position) + 1
            lines_before += chunk.count(b"\n")
    return None


def refuse_too_wide(header: list[str], file_name: str, row: int) -> None:
    if len(header) > MAX_COLUMNS:
        raise RefusedFile(
            file_name,
            f"the header has {len(header):,} columns; this is not an export",
            row=row,
            expected=f"at most {MAX_COLUMNS:,} columns",
        )


def check_workbook(path: Path, file_name: str) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise RefusedFile(file_name, "the file starts like a ZIP archive but is damaged") from None
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


def xlsx_cell_text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
        return text.removesuffix(" 00:00:00")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_to_csv(path: Path, file_name: str, shape_name: str | None, column_map: dict | None):
    """Stream the first non-empty sheet into a UTF-8 CSV whose first column is the Excel row number."""
    import openpyxl  # imported here: the command line should not pay for it on CSV files

    check_workbook(path, file_name)
    # A handle, not the path: openpyxl refuses a path that does not end in .xlsx, and an
    # upload's name (or a staged copy's) need not. Closed in the finally below.
    workbook_file = open(path, "rb")  # noqa: SIM115
    try:
        workbook = openpyxl.load_workbook(workbook_file, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - a damaged or hostile workbook makes openpyxl raise almost anything
        workbook_file.close()
        raise RefusedFile(file_name, f"the workbook cannot be opened ({type(error).__name__})") from None
    temp_path = None
    try:
        for sheet in workbook.worksheets:
            # The <dimension> a workbook states is not trusted: openpyxl would stop at a stated
            # last row that is too small (silently dropping rows) and pad every row to a stated
            # last column that is too large (16,384 cells a row).
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True)
            header = None
            early: list[tuple[int, list[str]]] = []
            for excel_row, values in enumerate(rows, start=1):
                cells = [xlsx_cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    if excel_row > MAX_TITLE_ROWS * 4:
                        break
                    continue
                early.append((excel_row, cells))
                match = detect_shape(cells, shape_name, column_map)
                if match or len(early) > MAX_TITLE_ROWS:
                    header = (excel_row, cells, match) if match else first_not_title(early)
                    break
            if header is None and early:
                header = first_not_title(early)
            if header is None:
                continue
            header_row, header_cells, match = header
            titles = title_text([cells for row, cells in early if row < header_row])
            refuse_too_wide(header_cells, file_name, header_row)
            width = len(header_cells)
            handle, name = tempfile.mkstemp(prefix="floorline-", suffix=".csv")
            temp_path = Path(name)
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as target:
                writer = csv.writer(target)
                writer.writerow(["source_row", *header_cells])
                sheet_rows = sheet.iter_rows(min_row=header_row + 1, max_col=width, values_only=True)
                for excel_row, values in enumerate(sheet_rows, start=header_row + 1):
                    cells = [xlsx_cell_text(v) for v in values]
                    if any(c.strip() for c in cells):
                        writer.writerow([excel_row, *cells, *[""] * (width - len(cells))])
            return temp_path, header_row, header_cells, match, titles
    except RefusedFile:
        raise
    except Exception as error:  # noqa: BLE001 - a damaged or hostile workbook makes openpyxl raise almost anything
        if temp_path:
            temp_path.unlink(missing_ok=True)
        # ParseError covers XML that is cut short, entity expansion ("billion laughs") and
        # external entities, which expat refuses rather than fetches.
        raise RefusedFile(file_name, f"the workbook cannot be read ({error or type(error).__name__})") from None
    finally:
        workbook.close()
        workbook_file.close()
    raise RefusedFile(file_name, "every sheet in the workbook is empty")


def tidy_duckdb_error(message: str) -> tuple[str, int | None]:
    """Turn DuckDB's CSV error into one plain sentence and the line it names."""
    line = None
    found = re.search(r"CSV Error on Line: (\d+)", message)
    if found:
        line = int(found.group(1))
    if "Expected Number of Columns" in message:
        numbers = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
        if numbers:
            return f"the row has {numbers.group(2)} fields but the header has {numbers.group(1)}", line
    if "unterminated quote" in message:
        return "a quoted value is never closed (unbalanced quotes)", line
    if "Maximum line size" in message or "maximum line size" in message:
        return "a line is longer than 2 MB; this is not an export", line
    if "Invalid unicode" in message or "byte sequence" in message:
        return "the text is not valid UTF-8 here", line
    return message.split("\n")[0].replace("Invalid Input Error: ", ""), line


def load_raw(
    con,
    path: Path,
    file_name: str,
    table: str,
    *,
    shape_name: str | None = None,
    column_map: dict | None = None,
) -> RawTable:
    """Load ``path`` into ``table`` (text columns c0..cN and source_row); detect its shape."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    kind = sniff_kind(head, file_name)
    temp_files: list[Path] = []
    if kind == "xlsx":
        csv_path, header_row, header, match, titles = xlsx_to_csv(path, file_name, shape_name, column_map)
        temp_files.append(csv_path)
        encoding, delimiter, skip, has_row_column = "xlsx", ",", 0, True
    else:
        encoding = sniff_encoding(head, file_name)
        lines = read_head_lines(path, encoding, file_name)
        if lines and max(len(line) for line in lines) >= MAX_LINE_BYTES:
            raise RefusedFile(file_name, "a line is longer than 2 MB; this is not an export")
        index, delimiter, header, match = find_csv_header(lines, file_name, shape_name, column_map)
        titles = title_text([split_line(line, delimiter) for line in lines[:index]])
        header_row, skip, has_row_column = index + 1, index, False
        refuse_too_wide(header, file_name, header_row)
        csv_path = path
        if encoding != "utf-8" and encoding != "utf-8-sig":
            try:
                csv_path = transcode_to_utf8(path, encoding)
            except UnicodeDecodeError as error:
                raise RefusedFile(
                    file_name, f"byte {error.start} is not valid {ENCODING_LABEL[encoding]} text"
                ) from None
            temp_files.append(csv_path)
        # The encoding sniff sees only the start; a NUL byte anywhere means binary data, not text.
        nul_line = first_line_with_nul(csv_path)
        if nul_line is not None:
            for temp in temp_files:
                temp.unlink(missing_ok=True)
            raise RefusedFile(
                file_name,
                "the file holds binary data (a NUL byte), not text",
                row=nul_line,
                expected="a CSV or XLSX export",
            )
    if not header or not any(cell.strip() for cell in header):
        raise RefusedFile(file_name, "no header row found", expected=describe_expected_headers())
    names = ["source_row"] if has_row_column else []
    names += [f"c{i}" for i in range(len(header))]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    delimiter_sql = {",": "','", ";": "';'", "\t": "'\\t'", "|": "'|'"}[delimiter]
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT * FROM read_csv(?, header = true, auto_detect = false, skip = {skip},
                columns = {columns}, delim = {delimiter_sql}, quote = '"', escape = '"',
                null_padding = true, strict_mode = true, max_line_size = {MAX_LINE_BYTES})""",
            [str(csv_path)],
        )
    except duckdb.Error as error:
        for temp in temp_files:
            temp.unlink(missing_ok=True)
        reason, line = tidy_duckdb_error(str(error))
        raise RefusedFile(file_name, reason, row=line) from None
    # DuckDB keeps insertion order, so for a CSV the row a spreadsheet shows is header + 1 +
    # position (blank lines inside the data, which DuckDB skips, would shift it).
    row_sql = "source_row::BIGINT" if has_row_column else f"(rowid + {header_row + 1})"
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return RawTable(table, header, match, kind, encoding, delimiter, header_row, rows, row_sql, temp_files, titles)


def read_header_only(path: Path, file_name: str) -> list[str]:
    """The header cells a mapping screen should offer, for a file whose shape was not recognised."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if sniff_kind(head, file_name) == "xlsx":
        csv_path, _, header, _, _ = xlsx_to_csv(path, file_name, None, None)
        csv_path.unlink(missing_ok=True)
        return header
    lines = read_head_lines(path, sniff_encoding(head, file_name), file_name)
    index, _, header, _ = find_csv_header(lines, file_name, None, None)
    refuse_too_wide(header, file_name, index + 1)
    return header
