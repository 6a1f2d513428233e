"""A text export's lines: the header found below title rows (and its delimiter), the line-length
limit, NUL bytes, mixed line endings and a last character cut off, all checked without reading the
file into memory."""

from __future__ import annotations

import codecs
import csv
import os
import tempfile
from pathlib import Path

from lib.core.errors import RefusedFile
from lib.reading.encodings import CUT_OFF, PYTHON_CODEC
from lib.reading.shapes import (
    HeaderMatch,
    detect_shape,
)

# The line-length limit (README, DECISIONS.md section 14): no export row comes near it.
MAX_LINE_BYTES = 2 * 1024 * 1024
LINE_LIMIT_TEXT = "2 MB"
# The start of the file holds the header; reading as much as the line-length limit means a first
# line that does not end within it is over the limit.
HEAD_BYTES = MAX_LINE_BYTES
MAX_TITLE_ROWS = 30
DELIMITERS = (",", ";", "\t", "|")
# Explore's CSV settings also offer a dot as the column separator. It is tried only for a header
# it makes recognisable: a title or note ("Generated 30.11.2026") holds dots without being columns.
HEADER_DELIMITERS = (*DELIMITERS, ".")
# The widest real export (dbt_zendesk ticket metrics) has a few hundred columns; thousands of
# columns would cost DuckDB gigabytes of buffers for a file of a few kilobytes.
MAX_COLUMNS = 1000


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
        for delimiter in HEADER_DELIMITERS:
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
    candidates = [i for i, line in enumerate(lines[: MAX_TITLE_ROWS + 2]) if line.strip()]
    # The data's width, from the last early line (a data row): a title is narrower.
    delimiter = max(DELIMITERS, key=lambda d: len(split_line(lines[candidates[-1]], d)))
    width = len(split_line(lines[candidates[-1]], delimiter))
    index = next(
        (i for i in candidates if len(split_line(lines[i], delimiter)) == width and not _is_title(lines[i])),
        next((i for i in candidates if not _is_title(lines[i])), first_nonblank),
    )
    line = lines[index]
    delimiter = max(DELIMITERS, key=lambda d: len(split_line(line, d)))
    return index, delimiter, split_line(line, delimiter), None


def filled_cells(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


def _is_title(line: str) -> bool:
    """A line with exactly one filled cell, whatever the delimiter: a report's title or a note."""
    return all(filled_cells(split_line(line, d)) == 1 for d in DELIMITERS)


def title_text(rows: list[list[str]]) -> list[str]:
    return [" ".join(cell.strip() for cell in cells if cell.strip()) for cells in rows if filled_cells(cells)]


def _line_too_long(file_name: str, row: int) -> RefusedFile:
    return RefusedFile(
        file_name,
        f"the line is longer than {LINE_LIMIT_TEXT}, the line-length limit; no export has such a line",
        row=row,
    )


def read_head_lines(path: Path, encoding: str, file_name: str) -> list[str]:
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    text = head.decode(PYTHON_CODEC[encoding], errors="replace")
    lines = text.splitlines()
    if len(head) == HEAD_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut by the sample's end
        if not lines:
            raise _line_too_long(file_name, 1)
    return lines


SCAN_CHUNK = 4 * 1024 * 1024
# A line over the limit holds at least one whole window of this size with no line break in it.
LINE_WINDOW = MAX_LINE_BYTES // 2


def scan_text(path: Path, file_name: str) -> None:
    """Refuse binary data (a NUL byte) and lines over the line-length limit, anywhere in a UTF-8 file.

    One pass at the speed of ``bytes.find``: a line over the limit must contain a whole
    window of half the limit without a line break, so only such windows are looked at closely.
    """
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(SCAN_CHUNK):
            position = chunk.find(b"\x00")
            if position >= 0:
                raise RefusedFile(
                    file_name,
                    "the file holds binary data (a NUL byte), not text",
                    row=_lines_before(path, offset + position) + 1,
                    expected="a CSV or XLSX export",
                )
            for window in range(0, len(chunk) - LINE_WINDOW + 1, LINE_WINDOW):
                end = window + LINE_WINDOW
                if chunk.find(b"\n", window, end) < 0 and chunk.find(b"\r", window, end) < 0:
                    _refuse_long_line(path, file_name, offset + window)
            offset += len(chunk)


def _lines_before(path: Path, offset: int) -> int:
    """How many line breaks the file holds before byte ``offset`` (counted only to name a row)."""
    count = 0
    with open(path, "rb") as handle:
        while offset > 0 and (block := handle.read(min(offset, SCAN_CHUNK))):
            count += block.count(b"\n")
            offset -= len(block)
    return count


def _refuse_long_line(path: Path, file_name: str, inside: int) -> None:
    """Measure the line holding byte ``inside``; refuse it, naming its row, if it is over the limit."""
    with open(path, "rb") as handle:
        start = inside
        while start > 0:
            step = min(start, SCAN_CHUNK)
            handle.seek(start - step)
            block = handle.read(step)
            found = max(block.rfind(b"\n"), block.rfind(b"\r"))
            if found >= 0:
                start = start - step + found + 1
                break
            start -= step
        handle.seek(inside)
        end = inside
        while block := handle.read(SCAN_CHUNK):
            found = min((at for at in (block.find(b"\n"), block.find(b"\r")) if at >= 0), default=-1)
            if found >= 0:
                end += found
                break
            end += len(block)
        if end - start <= MAX_LINE_BYTES:
            return
    row = _lines_before(path, start) + 1
    raise _line_too_long(file_name, row)


def mixes_line_endings(path: Path) -> bool:
    """Whether the start of a text file ends its lines in more than one way (CRLF, LF, a lone CR)."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    crlf = head.count(b"\r\n")
    kinds = (crlf, head.count(b"\n") - crlf, head.count(b"\r") - crlf)
    return sum(count > 0 for count in kinds) > 1


def normalise_line_endings(path: Path) -> Path:
    """A copy of a text file with every line ending (CRLF, LF or a lone CR) written as LF."""
    handle, name = tempfile.mkstemp(prefix="floorline-", suffix=".csv")
    try:
        with open(path, "rb") as source, os.fdopen(handle, "wb") as target:
            carry = b""
            while chunk := source.read(SCAN_CHUNK):
                chunk = carry + chunk
                # A CR at the end of a chunk may be the first half of a CRLF.
                carry = b"\r" if chunk.endswith(b"\r") else b""
                chunk = chunk[: len(chunk) - len(carry)]
                target.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            target.write(carry.replace(b"\r", b"\n"))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def refuse_too_wide(header: list[str], file_name: str, row: int) -> None:
    if len(header) > MAX_COLUMNS:
        raise RefusedFile(
            file_name,
            f"the header has {len(header):,} columns; this is not an export",
            row=row,
            expected=f"at most {MAX_COLUMNS:,} columns",
        )


def refuse_cut_character(path: Path, file_name: str, size: int) -> None:
    """A UTF-8 file whose last bytes begin a character they do not finish was cut off mid-character."""
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 4))
        tail = handle.read()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
    start = next((i for i, byte in enumerate(tail) if byte < 0x80 or byte >= 0xC0), len(tail))
    decoder.decode(tail[start:])
    if decoder.getstate()[0]:
        raise RefusedFile(file_name, f"{CUT_OFF}: it ends in the middle of a character; download the export again")
