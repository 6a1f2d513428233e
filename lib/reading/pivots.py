"""An Excel PivotTable pasted or saved as values, read as the table it summarises (DECISIONS.md §14).

A pivot in tabular layout writes each row label once (a blank cell below means "same as above"),
closes each label's block with a subtotal row ('SaaS Total', '2026-11-02 Total') and ends with a
'Grand Total' row (and column). Labels are filled down within their block, subtotal and grand
total rows are never counted, and each is checked against the rows it totals: one that does not
add up is a pasted or edited pivot, refused naming its row.

Only report tables and weekly aggregates can be pivots (a few thousand rows at most): one query
with LIMIT 1 tells, so an export of a million event rows pays nothing.
"""

from __future__ import annotations

import dataclasses
import re

from lib.core.errors import RefusedFile
from lib.reading import decisions as reading
from lib.reading.cells import STRIPPED_CHARACTERS
from lib.reading.decisions import NumberColumn, ReadOptions
from lib.reading.files import RawTable

# The label fields a pivot's rows may carry, and its counts (which subtotals must add up to).
LABEL_FIELDS = ("form", "segment", "metric", "region", "week", "date", "year", "week_of_year", "target_status")
COUNT_FIELDS = ("achieved", "breached", "active", "sla_targets", "good", "bad", "rated", "total")
SUBTOTAL = re.compile(r"(.*\S)\s+total", re.IGNORECASE)
GRAND_TOTAL = re.compile(r"grand\s+totals?|totals?", re.IGNORECASE)


def label_columns(raw: RawTable) -> list[int]:
    """The row labels: the columns of label fields from the first column on, as a pivot lays them out."""
    labels = {raw.match.columns[f] for f in LABEL_FIELDS if f in raw.match.columns}
    leading = []
    for column in range(len(raw.header)):
        if column not in labels:
            break
        leading.append(column)
    return leading


def is_pivot(con, raw: RawTable, labels: list[int], counts: list[int]) -> bool:
    """A probe: a subtotal row ('SaaS Total'), or a Grand Total row beside a row whose first label is blank."""
    if not labels or not counts:
        return False
    subtotal = " OR ".join(f"regexp_full_match(c{c}, '(?i).*\\S\\s+total')" for c in labels)
    grand = f"regexp_full_match(coalesce(c{labels[0]}, ''), '(?i)\\s*grand\\s+totals?\\s*')"
    numbers = " OR ".join(f"coalesce(trim(c{c}), '') <> ''" for c in counts)
    blank_label = f"coalesce(trim(c{labels[0]}), '') = '' AND ({numbers})"
    found = con.execute(
        f"""SELECT (SELECT count(*) FROM (SELECT 1 FROM {raw.table} WHERE ({subtotal}) AND NOT {grand} LIMIT 1)),
                   (SELECT count(*) FROM (SELECT 1 FROM {raw.table} WHERE {grand} LIMIT 1)),
                   (SELECT count(*) FROM (SELECT 1 FROM {raw.table} WHERE {blank_label} LIMIT 1))"""
    ).fetchone()
    return bool(found[0] or (found[1] and found[2]))


def read_pivot_values(con, raw: RawTable, options: ReadOptions, file_name: str) -> RawTable:
    """The table with labels filled down and subtotal and grand total rows left out; ``raw`` when no pivot."""
    if raw.match is None or raw.match.shape.ticket_level:
        return raw
    labels = label_columns(raw)
    counts = [raw.match.columns[f] for f in COUNT_FIELDS if f in raw.match.columns]
    if not is_pivot(con, raw, labels, counts):
        return raw
    width = len(raw.header)
    columns = ", ".join(f"c{i}" for i in range(width))
    rows = con.execute(f"SELECT {raw.row_sql} AS source_row, {columns} FROM {raw.table} ORDER BY rowid").fetchall()
    value = count_reader(raw, rows, counts, options, file_name)
    kept, subtotals, grand_totals = [], 0, 0
    current: list[str | None] = [None] * len(labels)
    sums = [[0.0] * len(counts) for _ in range(len(labels) + 1)]  # per open block, and the whole table last
    for source_row, *cells in rows:
        cells = [(cell or "").strip(STRIPPED_CHARACTERS) for cell in cells]
        numbers = [value(cells[c]) for c in counts]
        level = subtotal_level(cells, labels, current)
        if level is not None or GRAND_TOTAL.fullmatch(cells[labels[0]]):
            totalled = len(labels) if level is None else level
            check_total(raw, file_name, source_row, cells, counts, numbers, sums[totalled], level is None)
            if level is None:
                grand_totals += 1
            else:
                subtotals += 1
                current[level:] = [None] * (len(labels) - level)  # the block is closed
            continue
        if not any(cells):
            kept.append([source_row, *cells])
            continue
        for position, column in enumerate(labels):
            if cells[column]:
                if cells[column] != current[position]:  # a new block (a repeated label is the same one)
                    current[position + 1 :] = [None] * (len(labels) - position - 1)
                    for reset in sums[position : len(labels)]:
                        reset[:] = [0.0] * len(counts)
                current[position] = cells[column]
            elif current[position] is not None:
                cells[column] = current[position]
        for block in sums:
            for index, number in enumerate(numbers):
                block[index] += number or 0
        kept.append([source_row, *cells])
    table = f"{raw.table}_pivot"
    names = ", ".join(f"c{i} VARCHAR" for i in range(width))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (source_row BIGINT, {names})")
    if kept:
        placeholders = ", ".join("?" for _ in range(width + 1))
        con.executemany(f"INSERT INTO {table} VALUES ({placeholders})", kept)
    said = f"labels filled down, {subtotals} subtotal row{'s' if subtotals != 1 else ''} left out"
    if grand_totals:
        said += f" and the Grand Total row{'s' if grand_totals > 1 else ''}"
    raw.reading["pivot"] = f"{said}; every total adds up to the rows it totals"
    return dataclasses.replace(raw, table=table, rows=len(kept), row_sql="source_row")


def count_reader(raw: RawTable, rows, counts: list[int], options: ReadOptions, file_name: str):
    """Reads a count cell in the file's one number format (decided as for the counting, DECISIONS.md §14)."""
    texts = [NumberColumn(raw.header[column], distinct_cells(rows, column), True) for column in counts]
    # The percentages are evidence of the format too, as when the file is counted (DECISIONS.md §14).
    texts += [
        NumberColumn(raw.header[raw.match.columns[name]], distinct_cells(rows, raw.match.columns[name]), False)
        for name in ("pct", "pct_achieved", "pct_satisfaction")
        if name in raw.match.columns
    ]
    number_format, _ = reading.decide_number_format(texts, options, file_name)

    def value(text: str) -> float | None:
        parsed = reading.parse_number(text, number_format) if text else None
        return parsed[0] if parsed else None

    return value


def distinct_cells(rows, column: int) -> list[tuple[str, int]]:
    """Each distinct non-empty text of a column, with the first row holding it."""
    first: dict[str, int] = {}
    for row in rows:
        text = (row[1 + column] or "").strip(STRIPPED_CHARACTERS)
        if text:
            first.setdefault(text, row[0])
    return list(first.items())


def subtotal_level(cells: list[str], labels: list[int], current: list[str | None]) -> int | None:
    """The label level a row subtotals ('SaaS Total' under the SaaS block), or None."""
    for level, column in enumerate(labels):
        found = SUBTOTAL.fullmatch(cells[column])
        if found and current[level] is not None and found.group(1).casefold() == current[level].casefold():
            return level
    return None


def check_total(raw: RawTable, file_name: str, row: int, cells, counts, numbers, sums, grand: bool) -> None:
    """A subtotal or grand total that does not add up to the rows above it: a pasted or edited pivot."""
    for index, column in enumerate(counts):
        if numbers[index] is not None and numbers[index] != sums[index]:
            what = "the Grand Total" if grand else f"the subtotal '{next(c for c in cells if c)}'"
            raise RefusedFile(
                file_name,
                f"{what} says {reading.format_value(numbers[index])} but the rows it totals add up to "
                f"{reading.format_value(sums[index])}: the pivot was pasted or edited, so its rows cannot be "
                "trusted. Export the pivot again (or the report it was made from)",
                row=row,
                column=raw.header[column],
                expected="subtotals that add up to their rows",
            )
