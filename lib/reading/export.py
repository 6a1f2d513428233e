"""One export read on its own in-memory DuckDB, handed on as plain data.

Reading never touches the database file: the file is loaded, checked and counted on a private
``:memory:`` connection, and what the store keeps (weekly counts, slices, coverage, breached
rows) leaves as Arrow tables in a ``ReadExport``. The connection and everything on it are gone
before the store starts writing, so any backend can take the data, and a refused file has
touched nothing stored.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lib.core.errors import RefusedFile
from lib.reading.decisions import ReadOptions
from lib.reading.files import RawTable, load_raw
from lib.reading.rules import NormalisedUpload, normalise
from lib.reading.shapes import closest_shape

# Where the reading connection spills a large export it cannot hold in memory.
SPILL_DIR = Path(tempfile.gettempdir()) / "floorline-reading"


@dataclass(frozen=True)
class ReadExport:
    """What reading one file found: its kind and columns, and the normalised data."""

    shape: str
    kind: str  # csv or xlsx
    encoding: str  # in words, with the sheet of a workbook
    columns_used: dict[str, str]  # field -> the header it was read from
    columns_ignored: list[str]
    notes: list[str]  # what the reader ignored or chose, for the user
    data: NormalisedUpload


def read_export(
    path: Path,
    file_name: str,
    *,
    shape: str | None,
    column_map: dict | None,
    week_start_index: int,
    options: ReadOptions | None = None,
) -> ReadExport:
    """Read and count one export; raises RefusedFile, naming the file and where possible the row and column."""
    SPILL_DIR.mkdir(parents=True, exist_ok=True)
    # Memory a finished query or a dropped table frees goes back to the system at once, not kept by DuckDB's
    # allocator: this instance lives beside the store's, and kept, it raised the peak of an ingest by a fifth
    # (DECISIONS.md §29).
    lean = {"allocator_bulk_deallocation_flush_threshold": "0MB"}
    con = duckdb.connect(":memory:", config={"temp_directory": str(SPILL_DIR), **lean})
    try:
        # The same zone as the store, so a date reads as the same day on both sides.
        con.execute("SET TimeZone = 'UTC'")
        raw = load_raw(con, path, file_name, "export_raw", shape_name=shape, column_map=column_map)
        try:
            refuse_unknown_columns(raw, file_name)
            data = normalise(con, raw, file_name, week_start_index, "export", options)
        finally:
            raw.cleanup()
    finally:
        con.close()
    return ReadExport(
        shape=raw.match.shape.name,
        kind=raw.kind,
        encoding=raw.encoding_label,
        columns_used={name: raw.header[index] for name, index in raw.match.columns.items()},
        columns_ignored=[h for i, h in enumerate(raw.header) if i not in raw.match.columns.values() and h],
        notes=list(raw.notes),
        data=data,
    )


def as_one_export(reads: list[ReadExport]) -> ReadExport:
    """Several exports read as one (the Zendesk pull's SLA targets and satisfaction): their counts,
    coverage, breached rows and slices side by side. Each KPI comes from one of them, so nothing is
    counted twice; what each said of its reading is kept under its shape's name."""
    import pyarrow as pa

    datas = [read.data for read in reads]
    slices = [data.slices for data in datas if data.slices is not None]
    ignored: dict[str, int] = {}
    for data in datas:
        for reason, rows in data.ignored.items():
            ignored[reason] = ignored.get(reason, 0) + rows
    firsts = [data.first_date for data in datas if data.first_date]
    lasts = [data.last_date for data in datas if data.last_date]
    return ReadExport(
        shape="+".join(read.shape for read in reads),
        kind="+".join(read.kind for read in reads),
        encoding=", ".join(dict.fromkeys(read.encoding for read in reads)),
        columns_used={f"{read.shape} {field}": header for read in reads for field, header in read.columns_used.items()},
        columns_ignored=[header for read in reads for header in read.columns_ignored],
        notes=[note for read in reads for note in read.notes],
        data=NormalisedUpload(
            counts=pa.concat_tables([data.counts for data in datas], promote_options="default"),
            coverage=pa.concat_tables([data.coverage for data in datas], promote_options="default"),
            bad_events=pa.concat_tables([data.bad_events for data in datas], promote_options="default"),
            slices=pa.concat_tables(slices, promote_options="default") if slices else None,
            rows_read=sum(data.rows_read for data in datas),
            rows_used=sum(data.rows_used for data in datas),
            ignored=ignored,
            first_date=min(firsts, default=None),
            last_date=max(lasts, default=None),
            weeks=sorted({week for data in datas for week in data.weeks}),
            warnings=[warning for data in datas for warning in data.warnings],
            reading={f"{read.shape} {key}": text for read in reads for key, text in read.data.reading.items()},
        ),
    )


def refuse_unknown_columns(raw: RawTable, file_name: str) -> None:
    """A file whose header is no known export's: say the nearest export's missing columns, or what is expected."""
    if raw.match is not None:
        return
    closest = closest_shape(raw.header)
    if closest and closest[1]:
        shape_found, missing = closest
        raise RefusedFile(
            file_name,
            f"missing column{'s' if len(missing) > 1 else ''} for {shape_found.title}: "
            + ", ".join(f"'{label}'" for label in missing),
            column=missing[0],
            expected="the columns of the export (or map them on the upload page)",
        )
    raise RefusedFile(
        file_name,
        "the columns are not those of any known export: " + ", ".join(f"'{h}'" for h in raw.header[:12] if h.strip()),
        expected="an Explore SLA or satisfaction export, a weekly aggregate, or a dbt_zendesk model "
        "(or map the columns on the upload page)",
    )
