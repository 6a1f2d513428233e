"""Read an export file, whatever its dress, into a DuckDB table of text columns.

Liberal in what it reads: CSV in UTF-8 (with or without BOM), UTF-16 (with BOM, or
recognisably without), Windows-1252 or Mac Roman; comma, semicolon, tab or pipe delimited; XLSX;
a header row below title rows. Every cell is read as text, so one odd cell never retypes
a column: the rules in ``lib/reading/rules.py`` decide what each cell must be and name the row
when it is not.

UTF-8 CSV goes straight to DuckDB's reader (the fast path for large files); anything else
is first rewritten as a temporary UTF-8 CSV, streamed, never held whole in memory.

Exact in what it refuses: a download cut off mid-row, a line over the 2 MB line-length limit,
two exports pasted into one file, a workbook whose formulas were never calculated, text in an
encoding it cannot tell. Every refusal says what is wrong with the file in plain words, never
a library's own message.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import os
import re
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from lib.core.errors import RefusedFile
from lib.reading.shapes import (
    HeaderMatch,
    describe_expected_headers,
    detect_shape,
    header_name_endings,
    normalise_header,
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
# A real Explore workbook unpacks to a few times its size; a "zip bomb" to thousands.
MAX_XLSX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024
MAX_XLSX_RATIO = 200
# openpyxl streams worksheets but holds every other part (shared strings, styles) in memory whole,
# as Python objects several times the XML's size: an export's shared strings are a few MB.
MAX_XLSX_WHOLE_PART_BYTES = 128 * 1024 * 1024
# The widest real export (dbt_zendesk ticket metrics) has a few hundred columns; thousands of
# columns would cost DuckDB gigabytes of buffers for a file of a few kilobytes.
MAX_COLUMNS = 1000
# Stripped from both ends of every value before it is read (a tab or line break before a date
# is a common CSV-injection hardening, not part of the date): whitespace, control characters,
# no-break and zero-width spaces, a stray byte-order mark.
STRIPPED_CHARACTERS = " " + "".join(map(chr, range(1, 32))) + "\x7f\u00a0\u200b\ufeff"
STRIPPED_CLASS = "[\\x01-\\x20\\x7f\u00a0\u200b\ufeff]"  # the same, as a regular-expression class


def clean_sql(expression: str) -> str:
    """SQL for a value with whitespace and control characters stripped from both ends.

    A regular expression, not ``trim(x, characters)``: DuckDB runs the latter thirty times slower.
    """
    return f"regexp_replace({expression}, '^{STRIPPED_CLASS}+|{STRIPPED_CLASS}+$', '', 'g')"


# The encodings a refusal names as the ones Floorline reads.
READABLE_ENCODINGS = "UTF-8, UTF-16, Windows-1252 or Mac Roman (save as 'CSV UTF-8')"
CUT_OFF = "the download looks cut off"

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
    sheet: str | None = None  # the worksheet read, for a workbook
    notes: list[str] = field(default_factory=list)  # what the reader ignored or chose, for the user
    # Text of the rows above the header (a report's title, "week ending ..."): read for meaning.
    title_lines: list[str] = field(default_factory=list)
    # How the reader read the file, for "How the file was read" beside the counting rules' decisions.
    reading: dict[str, str] = field(default_factory=dict)

    @property
    def encoding_label(self) -> str:
        label = ENCODING_LABEL.get(self.encoding, self.encoding)
        return f"{label}, sheet '{self.sheet}'" if self.sheet else label

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


def sniff_encoding(head: bytes, file_name: str, *, whole_file: bool = False) -> str:
    """The file's encoding, from its first bytes (``whole_file`` when they are all of it)."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise RefusedFile(file_name, "the file is UTF-32 text", expected=READABLE_ENCODINGS)
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
        if error.reason == "unexpected end of data" and error.end == len(head):
            if whole_file:
                # Valid UTF-8 up to a character the file's last bytes only begin.
                raise RefusedFile(
                    file_name, f"{CUT_OFF}: it ends in the middle of a character; download the export again"
                ) from None
            return "utf-8"  # a character cut by the sample's end, not by the file's
        looks_like_utf8 = len(UTF8_SEQUENCE.findall(head)) >= max(1, len(HIGH_BYTE_RUN.findall(head)) // 2)
        if looks_like_utf8:
            # Mostly well-formed UTF-8 with a broken sequence: Windows-1252 would turn it into mojibake.
            line = head.count(b"\n", 0, error.start) + 1
            raise RefusedFile(
                file_name, "the text is not valid UTF-8 here", row=line, expected=READABLE_ENCODINGS
            ) from None
    return single_byte_encoding(head, file_name)


def single_byte_encoding(head: bytes, file_name: str) -> str:
    """Windows-1252 or Mac Roman (Excel for Mac's "CSV (Macintosh)"), each only when its reading is text a
    person wrote; never one mistaken for the other.

    Both decode almost any byte, so the text decides: Mac Roman is read when its reading has no
    implausible character and the Windows-1252 reading has one ('CafŽ', 'ZŸrich', 'Espa–a' are
    Mac Roman's 'Café', 'Zürich', 'España'), or when both read plausibly and the lines end in a
    lone CR, as Excel for Mac writes them. Otherwise Windows-1252, on the rules it always had.
    """
    cp1252_plausible = plausible_cp1252(head)
    if plausible_mac_roman(head) and (
        not cp1252_plausible or implausible_characters(head.decode("cp1252")) or ends_lines_in_cr_only(head)
    ):
        return "mac_roman"
    if cp1252_plausible:
        return "cp1252"
    raise RefusedFile(file_name, "the text is in an encoding Floorline cannot read", expected=READABLE_ENCODINGS)


def describe_single_byte(encoding: str, head: bytes) -> str:
    """How a single-byte encoding was told: the letters it gives where the other would give signs."""
    other = "cp1252" if encoding == "mac_roman" else "mac_roman"
    mine, theirs = head.decode(encoding), head.decode(other, errors="replace")
    found = re.search(r"[^\s,;|\"]*[^\x00-\x7f][^\s,;|\"]*", mine)
    word = found.group()[:30] if found else ""
    said = f"{ENCODING_LABEL[encoding]}: '{word}' reads as written" if word else ENCODING_LABEL[encoding]
    position = mine.find(word) if word else -1
    if position >= 0:
        said += f" (as {ENCODING_LABEL[other]} it would be '{theirs[position : position + len(word)]}')"
    if encoding == "mac_roman":
        said += "; Excel for Mac's 'CSV (Macintosh)'" + (", lines ending in CR" if ends_lines_in_cr_only(head) else "")
    return said


def ends_lines_in_cr_only(head: bytes) -> bool:
    return b"\r" in head and b"\n" not in head


# A well-formed multi-byte UTF-8 character; and a run of bytes outside ASCII.
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]+")
# Windows-1252 text is mostly ASCII: an accented letter or a typographic mark now and then, seldom
# three in a row. Shift-JIS, EUC, Big5 or EBCDIC text is runs of high bytes, or control bytes.
IMPLAUSIBLE_CP1252 = re.compile(rb"[\x80-\xff]{3}|[\x01-\x08\x0b\x0e-\x1f\x7f]")
# ... and a sign such as ¥, §, ¤ or ¦ glued to the letter after it is a double-byte character
# (Big5, GBK, Shift-JIS) whose second byte is ASCII. Quotes, dashes, « » ¿ ¡ ° © ® µ ª º · ´
# may stand before a letter in text a person wrote (25°C, µs, l·l, don´t).
SIGN_BEFORE_LETTER = re.compile(r"[¢£¤¥¦§¨¬¯±²³¶¸¹¼½¾](?=[A-Za-z])")


# Mac Roman puts its signs where Windows-1252 has letters (0xA0-0xFF): one glued to the letter after it
# ('•x•_' is Big5's 台北), or any sign between two letters, is not text a person wrote.
MAC_SIGN_BEFORE_LETTER = re.compile(r"[†¢£§•¶®©™´¨≠∞±≤≥¥∂∑∏π∫Ω¬√ƒ≈∆◊⁄¤‡‰ˆ˜¯˘˙˚¸˝˛ˇ](?=[A-Za-z])")
# Marks that stand before or after a word in text a person wrote ('“EMEA”', '¿Qué', 'Zendesk®', 'm²'); any
# other sign glued to a letter is a letter of another encoding ('voil‡', 'Bjˆrn' are Windows-1252's 'voilà',
# 'Björn' read as Mac Roman). Between two letters only an apostrophe (Dublin’s) and, not between small
# letters, a dash (A–Z) stand: 'Espa–a' is Mac Roman's 'España'.
MARKS_BEFORE_WORDS = "‘“«»‹›¿¡–—°"
MARKS_AFTER_WORDS = "’”«»‹›…®™©¹²³°–—"


def plausible_mac_roman(data: bytes) -> bool:
    """Whether bytes read as Mac Roman give text a person wrote: the Windows-1252 rules, and no
    implausible character (``implausible_characters``)."""
    text = data.decode("mac_roman")
    return (
        IMPLAUSIBLE_CP1252.search(data) is None
        and MAC_SIGN_BEFORE_LETTER.search(text) is None
        and not implausible_characters(text)
    )


def implausible_characters(text: str) -> int:
    """Characters outside ASCII that text a person wrote does not hold where they stand: a capital inside a
    lower-case word ('CafŽ', 'ZŸrich', 'CafÈ'), a small letter against a run of capitals ('ìEMEAî'), a sign
    glued to a letter ('voil‡', 'Bjˆrn', 'Z¸rich') or a dash between two small letters ('Espa–a')."""
    count = 0
    for found in re.finditer(r"[^\x00-\x7f]", text):
        at, character = found.start(), found.group()
        before = text[at - 1] if at else " "
        after = text[at + 1] if at + 1 < len(text) else " "
        if unicodedata.category(character) in ("Lu", "Ll") and character != "ƒ":
            capital_in_small_word = character.isupper() and before.isalpha() and (before.islower() or after.islower())
            small_beside_capitals = character.islower() and (
                (before.isupper() and text[at - 2 : at - 1].isupper())
                or (after.isupper() and text[at + 2 : at + 3].isupper())
            )
            count += capital_in_small_word or small_beside_capitals
        elif character == "·":
            count += before.isalpha() and after.isalpha() and not (before in "lL" and after in "lL")  # l·l only
        elif before.isalpha() and after.isalpha():
            count += not (character == "’" or (character in "–—" and not (before.islower() and after.islower())))
        elif after.isalpha():
            count += character not in MARKS_BEFORE_WORDS
        elif before.isalpha():
            count += character not in MARKS_AFTER_WORDS
    return count


def plausible_cp1252(data: bytes) -> bool:
    """Whether bytes read as Windows-1252 would give the text a person wrote, not mojibake."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return IMPLAUSIBLE_CP1252.search(data) is None and SIGN_BEFORE_LETTER.search(text) is None


PYTHON_CODEC = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16-le-bom": "utf-16",
    "utf-16-be-bom": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "cp1252": "cp1252",
    "mac_roman": "mac_roman",
}

ENCODING_LABEL = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16-le-bom": "UTF-16 (little-endian, BOM)",
    "utf-16-be-bom": "UTF-16 (big-endian, BOM)",
    "utf-16-le": "UTF-16 (little-endian)",
    "utf-16-be": "UTF-16 (big-endian)",
    "cp1252": "Windows-1252",
    "mac_roman": "Mac Roman",
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
        (i for i in candidates if len(split_line(lines[i], delimiter)) == width and not is_title(lines[i])),
        next((i for i in candidates if not is_title(lines[i])), first_nonblank),
    )
    line = lines[index]
    delimiter = max(DELIMITERS, key=lambda d: len(split_line(line, d)))
    return index, delimiter, split_line(line, delimiter), None


def filled_cells(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


def is_title(line: str) -> bool:
    """A line with exactly one filled cell, whatever the delimiter: a report's title or a note."""
    return all(filled_cells(split_line(line, d)) == 1 for d in DELIMITERS)


def title_text(rows: list[list[str]]) -> list[str]:
    return [" ".join(cell.strip() for cell in cells if cell.strip()) for cells in rows if filled_cells(cells)]


def line_too_long(file_name: str, row: int) -> RefusedFile:
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
            raise line_too_long(file_name, 1)
    return lines


# The single-byte encodings, each with its test that a part of the file still reads as text a person wrote.
PLAUSIBLE_SINGLE_BYTE = {"cp1252": plausible_cp1252, "mac_roman": plausible_mac_roman}


def transcode_to_utf8(path: Path, encoding: str, file_name: str) -> Path:
    """Rewrite a non-UTF-8 text file as UTF-8, a chunk at a time."""
    decoder = codecs.getincrementaldecoder(PYTHON_CODEC[encoding])(errors="strict")
    handle, name = tempfile.mkstemp(prefix="floorline-", suffix=".csv")
    offset = lines = 0
    try:
        with open(path, "rb") as source, os.fdopen(handle, "w", encoding="utf-8", newline="") as target:
            while chunk := source.read(1024 * 1024):
                if encoding in PLAUSIBLE_SINGLE_BYTE and not PLAUSIBLE_SINGLE_BYTE[encoding](chunk):
                    # The start read as Windows-1252; this part does not: another encoding after all.
                    raise RefusedFile(
                        file_name, "the text is in an encoding Floorline cannot read", expected=READABLE_ENCODINGS
                    )
                try:
                    target.write(decoder.decode(chunk))
                except UnicodeDecodeError as error:
                    raise RefusedFile(
                        file_name,
                        f"byte {offset + error.start:,} is not valid {ENCODING_LABEL[encoding]} text",
                        row=lines + chunk.count(b"\n", 0, error.start) + 1
                        if encoding in PLAUSIBLE_SINGLE_BYTE
                        else None,
                        expected=READABLE_ENCODINGS,
                    ) from None
                offset += len(chunk)
                lines += chunk.count(b"\n")
            try:
                target.write(decoder.decode(b"", final=True))
            except UnicodeDecodeError:
                raise RefusedFile(
                    file_name, f"{CUT_OFF}: it ends in the middle of a character; download the export again"
                ) from None
    except BaseException:
        Path(name).unlink(missing_ok=True)  # a refused file leaves nothing behind
        raise
    return Path(name)


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
                    row=lines_before(path, offset + position) + 1,
                    expected="a CSV or XLSX export",
                )
            for window in range(0, len(chunk) - LINE_WINDOW + 1, LINE_WINDOW):
                end = window + LINE_WINDOW
                if chunk.find(b"\n", window, end) < 0 and chunk.find(b"\r", window, end) < 0:
                    refuse_long_line(path, file_name, offset + window)
            offset += len(chunk)


def lines_before(path: Path, offset: int) -> int:
    """How many line breaks the file holds before byte ``offset`` (counted only to name a row)."""
    count = 0
    with open(path, "rb") as handle:
        while offset > 0 and (block := handle.read(min(offset, SCAN_CHUNK))):
            count += block.count(b"\n")
            offset -= len(block)
    return count


def refuse_long_line(path: Path, file_name: str, inside: int) -> None:
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
    row = lines_before(path, start) + 1
    raise line_too_long(file_name, row)


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


DAMAGED_WORKBOOK = "the workbook cannot be read: its sheet is damaged, cut short or holds XML no spreadsheet writes"
WORKBOOK_EXPECTED = "an .xlsx export saved by Excel, Google Sheets or Zendesk Explore"
UNOPENABLE_WORKBOOK = "the workbook cannot be opened: it is damaged or not saved by a spreadsheet program"


def check_workbook(path: Path, file_name: str) -> None:
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
                    refuse_wide_rows(archive, name, file_name)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
                    raise RefusedFile(file_name, DAMAGED_WORKBOOK, expected=WORKBOOK_EXPECTED) from None


@contextlib.contextmanager
def open_checked_workbook(path: Path, file_name: str) -> Iterator:
    """A read-only openpyxl workbook, after the compression-bomb checks; refused if it cannot be opened.

    Opened from a handle, not the path: openpyxl refuses a path that does not end in .xlsx, and an
    upload's name (or a staged copy's) need not.
    """
    import openpyxl  # imported here: the command line should not pay for it on CSV files

    check_workbook(path, file_name)
    with open(path, "rb") as workbook_file:
        try:
            workbook = openpyxl.load_workbook(workbook_file, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - a damaged or hostile workbook makes openpyxl raise almost anything
            raise RefusedFile(file_name, UNOPENABLE_WORKBOOK, expected=WORKBOOK_EXPECTED) from None
        try:
            yield workbook
        finally:
            workbook.close()


def xlsx_cell_text(value: object) -> str:
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


def sheet_parser_class():
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class ValuesParser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["value"] = UNCALCULATED
            return cell

    return ValuesParser


def sheet_cells(workbook, sheet):
    """(row number, {column number: text}) for each row of ``sheet`` holding a value."""
    parser_class = sheet_parser_class()
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
                text = value if value is UNCALCULATED else xlsx_cell_text(value)
                if text is UNCALCULATED or text.strip(STRIPPED_CHARACTERS):
                    values[cell["column"]] = text
            if values:
                yield number, values


def refuse_wide_rows(archive: zipfile.ZipFile, member: str, file_name: str) -> None:
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


def refuse_uncalculated(file_name: str, row: int, column: str) -> RefusedFile:
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


def export_width(cells: dict[int, str], above: int = 0) -> int:
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


def cell_name(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


@dataclass
class SheetHeader:
    row: int
    cells: list[str]
    match: HeaderMatch | None
    outside: dict[int, str]  # header-row cells beyond the export's columns
    titles: list[str] = field(default_factory=list)  # the text of the rows above it
    above: list[str] = field(default_factory=list)  # the cells of the row right above it, by column


def find_sheet_header(workbook, sheet, file_name, shape_name, column_map) -> SheetHeader | None:
    """The first row of ``sheet`` that reads as a header (or, failing that, its first row)."""
    early: list[SheetHeader] = []
    for number, values in sheet_cells(workbook, sheet):
        if number > MAX_TITLE_ROWS * 4 and not early:
            break
        above = early[-1] if early and early[-1].row == number - 1 else None
        width = export_width(values, len(above.cells) if above else 0)
        cells = [values.get(column, "") for column in range(1, width + 1)]
        outside = {c: v for c, v in values.items() if c > width}
        for column, value in values.items():
            if value is UNCALCULATED:
                raise refuse_uncalculated(file_name, number, cell_name(number, column))
        match = detect_shape(cells, shape_name, column_map)
        early.append(SheetHeader(number, cells, match, outside))
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
class SheetCopy:
    strays: list[str]  # notes on cells outside the export, ignored
    spills: list[int]  # columns outside the export holding more than one stray note


def copy_sheet_rows(workbook, sheet, header: SheetHeader, width: int, writer, file_name: str) -> SheetCopy:
    """Write the export's rows below ``header`` as CSV (Excel row number first); collect stray cells."""
    outside_columns: dict[int, list[tuple[int, str]]] = {c: [(header.row, v)] for c, v in header.outside.items()}
    lone_rows: list[tuple[int, int, str]] = []
    last_row = header.row
    for number, values in sheet_cells(workbook, sheet):
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
                raise refuse_uncalculated(file_name, number, label or cell_name(number, column))
        if inside:
            writer.writerow([number, *(inside.get(c, "") for c in range(1, width + 1))])
    spills = [column for column, cells in outside_columns.items() if len(cells) > 1]
    strays = [
        f"{cell_name(row, column)} ('{value[:40]}')"
        for column, cells in outside_columns.items()
        if len(cells) == 1
        for row, value in cells
    ] + [f"{cell_name(row, column)} ('{value[:40]}')" for row, column, value in lone_rows]
    return SheetCopy(strays, spills)


def choose_sheet(workbook, path, file_name, shape_name, column_map):
    """The sheet to read: the active one if it is visible and holds an export, else the first visible one
    that does; a hidden or very hidden sheet never. Returns (sheet, header, notes)."""
    visible = [sheet for sheet in workbook.worksheets if sheet.sheet_state == "visible"]
    hidden = [sheet for sheet in workbook.worksheets if sheet.sheet_state != "visible"]
    active = workbook.active
    order = ([active] if active in visible else []) + [sheet for sheet in visible if sheet is not active]
    fallback = None
    for sheet in order:
        header = find_sheet_header(workbook, sheet, file_name, shape_name, column_map)
        if header and header.match:
            return sheet, header
        if header and fallback is None:
            fallback = (sheet, header)
    for sheet in hidden:
        header = find_sheet_header(workbook, sheet, file_name, shape_name, column_map)
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
        return copy_export_sheet(workbook, path, file_name, shape_name, column_map)


def copy_export_sheet(workbook, path: Path, file_name: str, shape_name: str | None, column_map: dict | None):
    temp_path = None
    try:
        sheet, header = choose_sheet(workbook, path, file_name, shape_name, column_map)
        width = len(header.cells)
        refuse_too_wide(header.cells, file_name, header.row)
        handle, name = tempfile.mkstemp(prefix="floorline-", suffix=".csv")
        temp_path = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as target:
            writer = csv.writer(target)
            writer.writerow(["source_row", *header.cells])
            copied = copy_sheet_rows(workbook, sheet, header, width, writer, file_name)
        if copied.spills:
            # Cells beyond a gap that are columns of data after all: read the sheet as wide as it is.
            width = max(copied.spills)
            cells = [
                header.cells[c - 1] if c <= len(header.cells) else header.outside.get(c, "")
                for c in range(1, width + 1)
            ]
            refuse_too_wide(cells, file_name, header.row)
            header = SheetHeader(header.row, cells, detect_shape(cells, shape_name, column_map), {}, header.titles)
            with open(temp_path, "w", encoding="utf-8", newline="") as target:
                writer = csv.writer(target)
                writer.writerow(["source_row", *header.cells])
                copied = copy_sheet_rows(workbook, sheet, header, width, writer, file_name)
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


def tidy_duckdb_error(message: str) -> tuple[str, int | None]:
    """Turn DuckDB's CSV error into one plain sentence and the line it names (never DuckDB's words)."""
    line = None
    found = re.search(r"CSV Error on Line: (\d+)", message)
    if found:
        line = int(found.group(1))
    numbers = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if numbers:
        return f"the row has {numbers.group(2)} fields but the header has {numbers.group(1)}", line
    if "unterminated quote" in message:
        # A quote left open runs to the end of the file: cut off inside a quoted cell, or a stray quote.
        return (
            f"a quoted value starts here and is never closed: {CUT_OFF} (or a quote is unbalanced); "
            "download the export again",
            line,
        )
    if "aximum line size" in message:
        return f"the row is longer than {LINE_LIMIT_TEXT}, the line-length limit; no export has such a row", line
    if "Invalid unicode" in message or "byte sequence" in message:
        return "the text is not valid UTF-8 here", line
    return (
        "the file does not follow the CSV rules here (quotes, delimiters or line endings); "
        "export it again from Zendesk Explore, Sisense or dbt",
        line,
    )


def read_csv_sql(table: str, names: list[str], delimiter: str, skip: int, *, parallel: bool) -> str:
    parallel_flag = "true" if parallel else "false"
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    delimiter_sql = {",": "','", ";": "';'", "\t": "'\\t'", "|": "'|'", ".": "'.'"}[delimiter]
    # nullstr: an empty cell reads as '' and only a field missing from a short row as NULL, so
    # a last row cut short can be told from one whose last cells are empty.
    return f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT * FROM read_csv(?, header = true, auto_detect = false, skip = {skip},
            columns = {columns}, delim = {delimiter_sql}, quote = '"', escape = '"',
            null_padding = true, strict_mode = true, max_line_size = {MAX_LINE_BYTES},
            nullstr = '\x01', parallel = {parallel_flag})"""


def read_csv_into(con, table, csv_path, names, delimiter, skip, file_name, temp_files) -> None:
    """Load a UTF-8 CSV into ``table``; an awkward but readable file is read the slower way."""
    attempts = 0
    while True:
        attempts += 1
        try:
            con.execute(read_csv_sql(table, names, delimiter, skip, parallel=True), [str(csv_path)])
            return
        except duckdb.Error as error:
            message = str(error)
        if "quoted new lines" in message:
            # Quoted cells holding line breaks (comments, group names): the serial reader reads them.
            try:
                con.execute(read_csv_sql(table, names, delimiter, skip, parallel=False), [str(csv_path)])
                return
            except duckdb.Error as error:
                message = str(error)
        if "state machine" in message and attempts == 1:
            # Line endings mixed in one file (CRLF with LF, or a lone CR): read it with one kind.
            csv_path = normalise_line_endings(csv_path)
            temp_files.append(csv_path)
            continue
        reason, line = tidy_duckdb_error(message)
        raise RefusedFile(file_name, reason, row=line)


def refuse_cut_off_last_row(con, raw: RawTable, file_name: str, *, ends_with_line_break: bool) -> None:
    """A final row cut short is a download cut off mid-row: refuse it.

    DuckDB pads a short row with NULLs (an empty cell reads as ''), so the last row's cell under
    the header's last named column is NULL exactly when the row has too few fields. A file that
    does not end with a line break may also be cut inside its last cell: that cell is taken as
    cut when it is shorter than every other value of its column and begins one of them
    (``2026-09-1`` beside ``2026-09-10``, ``EM`` beside ``EMEA``). One row is read by its
    position, and a column's lengths at most: the file is not read again.
    """
    named = [i for i, cell in enumerate(raw.header) if cell.strip(STRIPPED_CHARACTERS)]
    if raw.rows == 0 or not named:
        return
    last_column = f"c{named[-1]}"
    columns = ", ".join(f"c{i}" for i in range(len(raw.header)))
    cells = con.execute(
        f"SELECT {last_column} IS NULL, {raw.row_sql}, {columns} FROM {raw.table} WHERE rowid = ?",
        [raw.rows - 1],
    ).fetchone()
    cut_short, row, values = cells[0], cells[1], cells[2:]
    if not any((v or "").strip(STRIPPED_CHARACTERS) for v in values):
        return
    if cut_short:
        fields = sum(v is not None for v in values)
        raise RefusedFile(
            file_name,
            f"{CUT_OFF}: the last row has {fields} of the header's {len(raw.header)} fields; download the export again",
            row=row,
        )
    last_value = values[named[-1]]
    if ends_with_line_break or not last_value:
        return
    longer_elsewhere = con.execute(
        f"""SELECT min(length({last_column})) > length($value)
                AND bool_or(starts_with({last_column}, $value) AND {last_column} <> $value)
            FROM {raw.table} WHERE rowid < $last AND {last_column} <> ''""",
        {"value": last_value, "last": raw.rows - 1},
    ).fetchone()[0]
    if longer_elsewhere:
        raise RefusedFile(
            file_name,
            f"{CUT_OFF}: the file ends inside the last row's value '{last_value[:40]}', shorter than every "
            "other value in its column; download the export again",
            row=row,
            column=raw.header[named[-1]],
        )


def ends_with_line_break(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 1))
        return handle.read(1) in (b"\n", b"\r")


# Fields whose data start with a digit (IDs, dates, counts): probed first, because a cell that starts
# with one is rejected by one comparison, so only header-like rows pay for normalising.
DIGIT_FIELDS = {
    *("ticket_id", "date", "week", "year", "week_of_year", "good", "total", "pct", "sla_targets", "weight"),
    *("achieved", "breached", "active", "bad", "rated", "pct_achieved", "pct_satisfaction"),
}
# SQL for a cell normalised as ``lib.reading.shapes.normalise_header`` does: a byte-order mark, case,
# spaces and punctuation never hide a header.
NORMALISED_CELL_SQL = "regexp_replace(replace(lower(coalesce({cell}, '')), '%', 'pct'), '[^a-z0-9]', '', 'g')"


def header_like_sql(column: int, names: list[str], endings: tuple[str, ...]) -> tuple[str, list[str]]:
    """SQL (with its parameters) for: the cell in ``column``, normalised, is a header name."""
    cell = NORMALISED_CELL_SQL.format(cell=f"c{column}")
    tests = [f"{cell} IN ({', '.join('?' for _ in names)})", *(f"ends_with({cell}, ?)" for _ in endings)]
    return "(" + " OR ".join(tests) + ")", [*names, *endings]


def refuse_repeated_header(con, raw: RawTable, file_name: str) -> None:
    """A header row inside the data (two exports pasted into one file): refuse it.

    A cell is header-like when, normalised as headers are (lib/reading/shapes.py), it is one of the
    file's header names or any name its column's field may have: columns in any order, another
    spelling of a column ('SLA update - Date' for 'Time - SLA status update - Date'), a
    byte-order mark, case and spacing still make a repeated header. Two columns are probed in
    SQL (cheap on a million rows); a row where both are header-like is then checked whole:
    half its read columns must be.
    """
    if not raw.match or len(raw.match.columns) < 2:
        return
    shape, mapped = raw.match.shape, raw.match.columns
    names = {normalise_header(cell) for cell in raw.header} - {""}
    names |= {alias for name in mapped for alias in shape.field(name).aliases}
    endings = {name: header_name_endings(shape.field(name)) for name in mapped}
    probed = sorted(mapped, key=lambda f: (f not in DIGIT_FIELDS, mapped[f]))[:2]
    tests, parameters = [], []
    for name in probed:
        test, values = header_like_sql(mapped[name], sorted(names), endings[name])
        digit_filter = f"(c{mapped[name]} < '0' OR c{mapped[name]} >= ':') AND " if name in DIGIT_FIELDS else ""
        tests.append(digit_filter + test)
        parameters += values
    condition = " AND ".join(tests)
    columns = ", ".join(f"c{i}" for i in range(len(raw.header)))
    needed = max(2, (len(mapped) + 1) // 2)
    for row, *values in con.execute(
        f"SELECT {raw.row_sql}, {columns} FROM {raw.table} WHERE {condition} ORDER BY rowid LIMIT 20", parameters
    ).fetchall():
        normalised = {name: normalise_header(values[i]) for name, i in mapped.items()}
        header_like = [n for name, n in normalised.items() if n and (n in names or n.endswith(endings[name]))]
        if len(header_like) >= needed:
            raise RefusedFile(
                file_name,
                "this row repeats the header row: two exports seem to be pasted into one file, so rows "
                "could be counted twice",
                row=row,
                expected="one export per file: upload each export on its own",
            )


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
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    kind = sniff_kind(head, file_name)
    temp_files: list[Path] = []
    sheet, notes = None, []
    try:
        if kind == "xlsx":
            csv_path, header_row, header, match, sheet, notes, titles, above = xlsx_to_csv(
                path, file_name, shape_name, column_map
            )
            temp_files.append(csv_path)
            encoding, delimiter, skip, has_row_column = "xlsx", ",", 0, True
        else:
            encoding = sniff_encoding(head, file_name, whole_file=len(head) == size)
            lines = read_head_lines(path, encoding, file_name)
            index, delimiter, header, match = find_csv_header(lines, file_name, shape_name, column_map)
            titles = title_text([split_line(line, delimiter) for line in lines[:index]])
            above = split_line(lines[index - 1], delimiter) if index else []
            header_row, skip, has_row_column = index + 1, index, False
            refuse_too_wide(header, file_name, header_row)
            csv_path = path
            if encoding != "utf-8" and encoding != "utf-8-sig":
                csv_path = transcode_to_utf8(path, encoding, file_name)
                temp_files.append(csv_path)
            else:
                refuse_cut_character(path, file_name, size)
            if mixes_line_endings(csv_path):
                # DuckDB reads a title line ending in LF above CRLF rows as a file with no rows at all.
                csv_path = normalise_line_endings(csv_path)
                temp_files.append(csv_path)
            # The sniffs see only the start; a NUL byte or an over-long line anywhere is refused.
            scan_text(csv_path, file_name)
        if not header or not any(cell.strip() for cell in header):
            raise RefusedFile(file_name, "no header row found", expected=describe_expected_headers())
        names = ["source_row"] if has_row_column else []
        names += [f"c{i}" for i in range(len(header))]
        read_csv_into(con, table, csv_path, names, delimiter, skip, file_name, temp_files)
        # DuckDB keeps insertion order, so for a CSV the row a spreadsheet shows is header + 1 +
        # position (blank lines inside the data, which DuckDB skips, would shift it).
        row_sql = "source_row::BIGINT" if has_row_column else f"(rowid + {header_row + 1})"
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        raw = RawTable(
            table, header, match, kind, encoding, delimiter, header_row, rows, row_sql, temp_files, sheet, notes, titles
        )
        if encoding in PLAUSIBLE_SINGLE_BYTE:
            raw.reading["encoding"] = describe_single_byte(encoding, head)
        if kind == "csv":
            refuse_cut_off_last_row(con, raw, file_name, ends_with_line_break=ends_with_line_break(csv_path))
        refuse_repeated_header(con, raw, file_name)
        blocks = metric_blocks(header, above, match)
        if blocks:
            raw = metric_columns_as_rows(con, raw, above, blocks, file_name, shape_name, column_map)
    except BaseException:
        for temp in temp_files:
            temp.unlink(missing_ok=True)
        raise
    return raw


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


def read_header_only(path: Path, file_name: str) -> list[str]:
    """The header cells a mapping screen should offer, for a file whose shape was not recognised."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if sniff_kind(head, file_name) == "xlsx":
        csv_path, _, header, *_ = xlsx_to_csv(path, file_name, None, None)
        csv_path.unlink(missing_ok=True)
        return header
    whole_file = len(head) == path.stat().st_size
    lines = read_head_lines(path, sniff_encoding(head, file_name, whole_file=whole_file), file_name)
    index, _, header, _ = find_csv_header(lines, file_name, None, None)
    refuse_too_wide(header, file_name, index + 1)
    return header


# --- An SLA metric spread across the columns (issue 25) -------------------------------------------


@dataclass(frozen=True)
class MetricBlock:
    name: str  # the SLA metric, from the (merged) cell above the block
    columns: range  # the block's columns in the header row


def metric_blocks(header: list[str], above: list[str], match: HeaderMatch | None) -> list[MetricBlock] | None:
    """The blocks of an Explore table with the SLA metric in its columns, or None for any other file.

    Two header rows: the metric names (merged cells; in CSV, the name in the block's first cell and
    blanks after) above 'Achieved SLA targets', 'Breached SLA targets', ... repeated once per metric.
    The names say which block is which metric, so nothing is guessed. Only the two header rows are
    looked at.
    """
    if not match or match.shape.name != "explore_report" or not above:
        return None
    if not any(name in match.duplicates for name in ("achieved", "breached")):
        return None
    metric_columns = [i for i, cell in enumerate(header) if normalise_header(cell).endswith(REPORT_METRIC_ENDINGS)]
    first = metric_columns[0]
    names = [cell.strip(STRIPPED_CHARACTERS) for cell in above]
    # A block starts at a name: the first cell of merged cells, or a name repeated over its columns.
    starts = [i for i in range(first, min(len(header), len(names))) if names[i] and names[i] != names[i - 1]]
    if not starts or starts[0] != first:
        return None
    ends = [*starts[1:], metric_columns[-1] + 1]
    return [
        MetricBlock(above[start].strip(STRIPPED_CHARACTERS), range(start, end))
        for start, end in zip(starts, ends, strict=True)
    ]


# The header endings of Zendesk's SLA metrics in a report (counts and percentages).
REPORT_METRIC_ENDINGS = ("achievedslatargets", "breachedslatargets", "activeslatargets", "slatargets")


def metric_columns_as_rows(con, raw: RawTable, above, blocks, file_name, shape_name, column_map) -> RawTable:
    """The table read again with one row per row and metric block: the row's attributes, the block's metric as
    'SLA metric', and the block's counts. A totals block ('Grand Total') is left out, as a totals column is."""
    attributes = list(range(blocks[0].columns.start))
    first = [normalise_header(raw.header[i]) for i in blocks[0].columns]
    for block in blocks[1:]:
        if [normalise_header(raw.header[i]) for i in block.columns] != first:
            raise RefusedFile(
                file_name,
                f"the SLA metric blocks have different columns ('{blocks[0].name}': "
                + ", ".join(raw.header[i] for i in blocks[0].columns)
                + f"; '{block.name}': "
                + ", ".join(raw.header[i] for i in block.columns)
                + ")",
                row=raw.header_row,
                expected="the same metrics under each SLA metric",
            )
    totals = {"total", "totals", "grandtotal", "grandtotals"}
    kept = [block for block in blocks if normalise_header(block.name) not in totals]
    # An attribute's name may sit in either header row: Explore writes it in one, leaves the other blank.
    names = [raw.header[i].strip(STRIPPED_CHARACTERS) or (above[i] if i < len(above) else "") for i in attributes]
    header = [*names, "SLA metric", *(raw.header[i] for i in blocks[0].columns)]
    attribute_sql = ", ".join(f"c{i} AS c{position}" for position, i in enumerate(attributes))
    metric_at = len(attributes)
    selects, parameters = [], []
    for order, block in enumerate(kept):
        counts = ", ".join(f"c{i} AS c{metric_at + 1 + k}" for k, i in enumerate(block.columns))
        selects.append(
            f"SELECT {raw.row_sql} AS source_row, {order} AS block, {attribute_sql}{', ' if attributes else ''}"
            f"?::VARCHAR AS c{metric_at}, {counts} FROM {raw.table}"
        )
        parameters.append(block.name)
    table = f"{raw.table}_metric_rows"
    columns = ", ".join(f"c{i}" for i in range(len(header)))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT source_row, {columns} FROM "
        f"({' UNION ALL '.join(selects)}) ORDER BY source_row, block",
        parameters,
    )
    left_out = [block.name for block in blocks if block not in kept]
    read = ", ".join(f"'{block.name}'" for block in kept)
    raw.reading["layout"] = (
        f"SLA metric in the columns (two header rows): the blocks {read} read as rows, each of the file's "
        f"{raw.rows:,} rows once per metric"
    ) + (f"; the {', '.join(repr(n) for n in left_out)} columns left out as totals" if left_out else "")
    return dataclasses.replace(
        raw,
        table=table,
        header=header,
        match=detect_shape(header, shape_name, column_map),
        rows=raw.rows * len(kept),
        row_sql="source_row::BIGINT",
    )
