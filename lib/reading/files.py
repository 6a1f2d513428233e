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

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from lib.core.errors import RefusedFile
from lib.reading.cells import STRIPPED_CHARACTERS
from lib.reading.encodings import (
    CUT_OFF,
    ENCODING_LABEL,
    PLAUSIBLE_SINGLE_BYTE,
    describe_single_byte,
    sniff_encoding,
    sniff_kind,
    transcode_to_utf8,
)
from lib.reading.lines import (
    HEAD_BYTES,
    LINE_LIMIT_TEXT,
    MAX_LINE_BYTES,
    find_csv_header,
    mixes_line_endings,
    normalise_line_endings,
    read_head_lines,
    refuse_cut_character,
    refuse_too_wide,
    scan_text,
    split_line,
    title_text,
)
from lib.reading.shapes import (
    HeaderMatch,
    describe_expected_headers,
    detect_shape,
    header_name_endings,
    normalise_header,
)
from lib.reading.workbooks import xlsx_to_csv


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


def _tidy_duckdb_error(message: str) -> tuple[str, int | None]:
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


def _read_csv_sql(table: str, names: list[str], delimiter: str, skip: int, *, parallel: bool) -> str:
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


def _read_csv_into(con, table, csv_path, names, delimiter, skip, file_name, temp_files) -> None:
    """Load a UTF-8 CSV into ``table``; an awkward but readable file is read the slower way."""
    attempts = 0
    while True:
        attempts += 1
        try:
            con.execute(_read_csv_sql(table, names, delimiter, skip, parallel=True), [str(csv_path)])
            return
        except duckdb.Error as error:
            message = str(error)
        if "quoted new lines" in message:
            # Quoted cells holding line breaks (comments, group names): the serial reader reads them.
            try:
                con.execute(_read_csv_sql(table, names, delimiter, skip, parallel=False), [str(csv_path)])
                return
            except duckdb.Error as error:
                message = str(error)
        if "state machine" in message and attempts == 1:
            # Line endings mixed in one file (CRLF with LF, or a lone CR): read it with one kind.
            csv_path = normalise_line_endings(csv_path)
            temp_files.append(csv_path)
            continue
        reason, line = _tidy_duckdb_error(message)
        raise RefusedFile(file_name, reason, row=line)


def _refuse_cut_off_last_row(con, raw: RawTable, file_name: str, *, _ends_with_line_break: bool) -> None:
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
    if _ends_with_line_break or not last_value:
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


def _ends_with_line_break(path: Path) -> bool:
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


def _header_like_sql(column: int, names: list[str], endings: tuple[str, ...]) -> tuple[str, list[str]]:
    """SQL (with its parameters) for: the cell in ``column``, normalised, is a header name."""
    cell = NORMALISED_CELL_SQL.format(cell=f"c{column}")
    tests = [f"{cell} IN ({', '.join('?' for _ in names)})", *(f"ends_with({cell}, ?)" for _ in endings)]
    return "(" + " OR ".join(tests) + ")", [*names, *endings]


def _refuse_repeated_header(con, raw: RawTable, file_name: str) -> None:
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
        test, values = _header_like_sql(mapped[name], sorted(names), endings[name])
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
        _read_csv_into(con, table, csv_path, names, delimiter, skip, file_name, temp_files)
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
            _refuse_cut_off_last_row(con, raw, file_name, _ends_with_line_break=_ends_with_line_break(csv_path))
        _refuse_repeated_header(con, raw, file_name)
        blocks = _metric_blocks(header, above, match)
        if blocks:
            raw = _metric_columns_as_rows(con, raw, above, blocks, file_name, shape_name, column_map)
    except BaseException:
        for temp in temp_files:
            temp.unlink(missing_ok=True)
        raise
    return raw


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
class _MetricBlock:
    name: str  # the SLA metric, from the (merged) cell above the block
    columns: range  # the block's columns in the header row


def _metric_blocks(header: list[str], above: list[str], match: HeaderMatch | None) -> list[_MetricBlock] | None:
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
        _MetricBlock(above[start].strip(STRIPPED_CHARACTERS), range(start, end))
        for start, end in zip(starts, ends, strict=True)
    ]


# The header endings of Zendesk's SLA metrics in a report (counts and percentages).
REPORT_METRIC_ENDINGS = ("achievedslatargets", "breachedslatargets", "activeslatargets", "slatargets")


def _metric_columns_as_rows(con, raw: RawTable, above, blocks, file_name, shape_name, column_map) -> RawTable:
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
