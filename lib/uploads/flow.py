"""What the Upload page does, apart from layout: staging, preview, commit, column profiles, history.

An uploaded file is written to disk at once, a chunk at a time: Streamlit's copy vanishes
with the session, and a 200 MB export must reach DuckDB without passing through pandas.
From disk the same ``ingest.ingest_file`` as the command line previews it (a rehearsal: the
transaction is always rolled back) and commits it (one transaction). What a preview changes in
the figures is measured in ``lib.uploads.changes``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import time
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lib.core import auth
from lib.core.errors import RefusedFile
from lib.core.labels import SOURCE_NAMES
from lib.reading.decisions import ReadOptions
from lib.reading.files import read_header_only
from lib.reading.shapes import SHAPES, SHAPES_BY_NAME, SOURCES, Field, detect_shape, match_header, normalise_header
from lib.store import column_profiles as profiles
from lib.store import upload_records as records
from lib.uploads import ingest, status

CHUNK_BYTES = 4 * 1024 * 1024
STAGED_PREFIX = "upload-"
XLSX_MAGIC = b"PK\x03\x04"
# Staged files of sessions that ended without committing are swept after a day.
STALE_STAGED_SECONDS = 24 * 60 * 60

UPLOAD_STATUS_LABELS = {"active": "active", "rolled_back": "rolled back"}
ACTIONS = ("rollback", "restore")
SHAPE_NAMES = tuple(shape.name for shape in SHAPES)


# --- Staging: the uploaded bytes, on disk ------------------------------------------------


@dataclass(frozen=True)
class StagedFile:
    """An uploaded file saved to disk, not yet stored. The path is ours; the user's name is only a label."""

    file_name: str
    path: Path
    size: int
    sha256: str


def staging_dir() -> Path:
    return Path(tempfile.gettempdir()) / "floorline-staging"


def stage_upload(source: BinaryIO, file_name: str, folder: Path | None = None) -> StagedFile:
    """Copy an uploaded file to disk in chunks, hashing it on the way.

    The copy is named by us, with the suffix its content calls for (openpyxl opens only
    files named .xlsx), never by the user's file name.
    """
    folder = folder or staging_dir()
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_staged_files(folder)
    source.seek(0)
    chunk = source.read(CHUNK_BYTES)
    suffix = ".xlsx" if chunk.startswith(XLSX_MAGIC) else ".csv"
    path = folder / f"{STAGED_PREFIX}{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    size = 0
    with open(path, "wb") as target:
        while chunk:
            target.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            chunk = source.read(CHUNK_BYTES)
    return StagedFile(file_name=file_name, path=path, size=size, sha256=digest.hexdigest())


def discard(staged: StagedFile) -> None:
    staged.path.unlink(missing_ok=True)


def remove_paths(paths: set[Path]) -> None:
    for path in list(paths):
        path.unlink(missing_ok=True)
    paths.clear()


class SessionStaging:
    """The files one browser session staged. When the session ends (Streamlit drops its session
    state, or the server stops) whatever is still staged is deleted; a file stored or discarded
    before then is already gone. Files of a server that was killed go with the sweep at the next
    start (``remove_stale_staged_files``)."""

    def __init__(self):
        self.paths: set[Path] = set()
        # The callback holds the set, not self, so the session's state can be collected.
        self._finalizer = weakref.finalize(self, remove_paths, self.paths)

    def add(self, staged: StagedFile) -> StagedFile:
        self.paths.add(staged.path)
        return staged


def remove_stale_staged_files(folder: Path, max_age_seconds: int = STALE_STAGED_SECONDS) -> None:
    cutoff = time.time() - max_age_seconds
    for path in folder.glob(f"{STAGED_PREFIX}*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another session swept it first
            continue


# --- What the user chose for a file ------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """How to read one file: the export type and source (None = detect), and a column mapping."""

    shape: str | None = None
    source: str | None = None
    column_map: tuple[tuple[str, str], ...] = ()  # (field, header text), hashable for cache keys
    profile_name: str | None = None
    options: ReadOptions = ReadOptions()  # date order, week reading, number format: "auto" decides from the file

    def map_dict(self) -> dict[str, str] | None:
        return dict(self.column_map) or None


# --- Column profiles: mappings for headers the app does not know ---------------------------


@dataclass(frozen=True)
class ColumnProfile:
    header_key: str
    name: str
    shape: str
    source: str
    column_map: dict[str, str]
    created_at: dt.datetime | None = None


def header_key(cells: list[str]) -> str:
    """The same headers give the same key, whatever their case, spacing or punctuation."""
    normalised = [normalise_header(cell) for cell in cells]
    while normalised and not normalised[-1]:
        normalised.pop()
    return "|".join(normalised)


def find_profile(con, cells: list[str]) -> ColumnProfile | None:
    row = profiles.profile_row(con, header_key(cells))
    return profile_from_row(row) if row else None


def list_profiles(con) -> list[ColumnProfile]:
    return [profile_from_row(row) for row in profiles.profile_rows(con)]


def profile_from_row(row) -> ColumnProfile:
    key, name, shape, source, column_map, created_at = row
    return ColumnProfile(key, name, shape, source, json.loads(column_map), created_at)


def mapping_problems(cells: list[str], shape_name: str | None, column_map: dict[str, str | None]) -> list[str]:
    """What is wrong with a mapping, in plain words; empty when the file can be read with it."""
    if shape_name not in SHAPES_BY_NAME:
        return ["choose what kind of export this is"]
    shape = SHAPES_BY_NAME[shape_name]
    chosen = {name: header for name, header in column_map.items() if header}
    problems = [
        f"choose the column that holds {describe_field(f)}" for f in shape.fields if f.required and f.name not in chosen
    ]
    by_header: dict[str, list[str]] = {}
    for name, header in chosen.items():
        by_header.setdefault(normalise_header(header), []).append(name)
    for names in by_header.values():
        if len(names) > 1:
            labels = " and ".join(describe_field(shape.field(n)) for n in names)
            problems.append(f"one column cannot be both {labels}")
    unknown = [header for header in chosen.values() if normalise_header(header) not in map(normalise_header, cells)]
    problems += [f"the file has no column '{header}'" for header in unknown]
    if not problems and match_header(cells, shape, chosen) is None:
        problems.append(
            "a report table needs at least one of Zendesk's metric columns (Achieved SLA targets, Good "
            "satisfaction tickets, ...)"
            if shape_name == "explore_report"
            else "a weekly aggregate needs good and total counts or a percentage, and a ticket form or a segment"
        )
    return problems


def describe_field(spec: Field) -> str:
    return f"'{spec.label or spec.name}'"


def suggested_map(cells: list[str], shape_name: str) -> dict[str, str]:
    """Columns the aliases already recognise, as a starting point for a mapping."""
    shape = SHAPES_BY_NAME[shape_name]
    normalised = [normalise_header(c) for c in cells]
    suggestion: dict[str, str] = {}
    taken: set[int] = set()
    for spec in shape.fields:
        hits = [i for i, h in enumerate(normalised) if h in spec.aliases and i not in taken]
        if not hits and spec.date_like:
            hits = [i for i, h in enumerate(normalised) if h.endswith("date") and i not in taken]
        if not hits and spec.suffixes:
            hits = [i for i, h in enumerate(normalised) if h.endswith(spec.suffixes) and i not in taken]
        if hits:
            suggestion[spec.name] = cells[hits[0]]
            taken.add(hits[0])
    return suggestion


def save_profile(
    con,
    cells: list[str],
    *,
    name: str,
    shape: str,
    source: str,
    column_map: dict[str, str | None],
    actor: str | None = None,
) -> ColumnProfile:
    """Save (or replace) the mapping for these headers. Raises ValueError with the problems in words."""
    auth.require_editor("save column mappings")
    actor = actor or auth.actor()
    name = name.strip()
    problems = mapping_problems(cells, shape, column_map)
    if not name:
        problems.insert(0, "give the mapping a name")
    if source not in SOURCES:
        problems.append(f"choose a source: {', '.join(SOURCES)}")
    if problems:
        raise ValueError("; ".join(problems))
    chosen = {field_name: header for field_name, header in column_map.items() if header}
    key = header_key(cells)
    profiles.save_profile(con, key, name, shape, source, chosen, actor)
    return ColumnProfile(key, name, shape, source, chosen)


def delete_profile(con, key: str, actor: str | None = None) -> None:
    auth.require_editor("delete column mappings")
    actor = actor or auth.actor()
    profiles.delete_profile(con, key, actor)


# --- Looking at a file before previewing it ------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """A file's header row, the export type it was recognised as, and any saved mapping for it."""

    header: list[str]
    detected_shape: str | None
    profile: ColumnProfile | None

    def initial_choice(self) -> Choice | None:
        """A saved mapping wins; else what was recognised; None when the user must map the columns."""
        if self.profile:
            return Choice(
                self.profile.shape,
                self.profile.source,
                tuple(sorted(self.profile.column_map.items())),
                self.profile.name,
            )
        if self.detected_shape:
            return Choice(self.detected_shape, default_source(self.detected_shape))
        return None

    def fits(self, choice: Choice) -> bool:
        return detect_shape(self.header, choice.shape, choice.map_dict()) is not None


def inspect_file(con, staged: StagedFile) -> Inspection:
    """Raises RefusedFile for a file that cannot be read at all (empty, an image, a broken workbook...).

    Such a file is of no further use (no other export type or column mapping can read it), so
    its staged copy is deleted at once: a refused 50 MB upload does not sit in the staging folder.
    """
    try:
        header = read_header_only(staged.path, staged.file_name)
    except RefusedFile:
        discard(staged)
        raise
    match = detect_shape(header)
    return Inspection(header, match.shape.name if match else None, find_profile(con, header))


# --- Preview and commit --------------------------------------------------------------------


@dataclass
class FileOutcome:
    """What a preview or commit of one file gave: a result, or a refusal in plain words."""

    file_name: str
    result: ingest.IngestResult | None = None
    refusal: str | None = None
    earlier_upload: dict | None = None  # the same bytes, stored before

    @property
    def can_commit(self) -> bool:
        return self.result is not None and self.result.status != "duplicate"


def earlier_upload_of(con, sha256: str) -> dict | None:
    row = records.latest_upload_of(con, sha256)
    return {"id": row[0], "status": row[1], "uploaded_at": row[2]} if row else None


def commit_file(con, staged: StagedFile, choice: Choice, *, uploaded_by: str, on_progress=None) -> FileOutcome:
    """Store the file in one transaction; the staged copy goes once it is stored."""
    outcome = run_ingest(con, staged, choice, uploaded_by=uploaded_by, on_progress=on_progress, preview=False)
    if outcome.result is not None:
        discard(staged)
    return outcome


def run_ingest(con, staged, choice, *, uploaded_by, on_progress, preview, compare=None) -> FileOutcome:
    """Preview (rehearsed, with ``compare`` listing what would move) or store one staged file."""
    earlier = earlier_upload_of(con, staged.sha256)
    try:
        result = ingest.ingest_file(
            con,
            staged.path,
            file_name=staged.file_name,
            shape=choice.shape,
            source=choice.source,
            column_map=choice.map_dict(),
            uploaded_by=uploaded_by,
            preview=preview,
            on_progress=on_progress,
            options=choice.options,
            compare=compare,
        )
    except RefusedFile as refused:
        return FileOutcome(staged.file_name, refusal=refused.message, earlier_upload=earlier)
    return FileOutcome(staged.file_name, result=result, earlier_upload=earlier)


def describe_rows_and_weeks(result: ingest.IngestResult) -> str:
    return f"{result.rows_used:,} rows counted, {ingest.describe_weeks(result.weeks)}"


# --- How a file was read, and how a manager can change it ---------------------------------

READING_LABELS = {
    "kind": "Kind of export",
    "encoding": "Encoding",
    "layout": "Layout",
    "pivot": "Pivot table",
    "date order": "Date order",
    "week labels": "Week labels",
    "weeks": "Week numbers",
    "numbers": "Number format",
    "rows weighted": "Rows standing for several",
}
# Each decision a manager may take over: the option's field, its label, and its choices in words.
READING_CHOICES = {
    "dates": (
        "Date order",
        {"auto": "Decide from the file", "dmy": "Day first (31/12/2026)", "mdy": "Month first (12/31/2026)"},
    ),
    "week_labels": (
        "Week labels",
        {
            "auto": "Decide from the file",
            "start": "A label is the week's first day",
            "end": "A label is the week's last day (week ending)",
        },
    ),
    "week_numbering": (
        "Explore's week numbers start on",
        {"auto": "Decide from the file", "sunday": "Sunday (English, US)", "monday": "Monday (English, UK; German)"},
    ),
    "decimal": ("Decimal separator", {"auto": "Decide from the file", "dot": "Dot (1.5)", "comma": "Comma (1,5)"}),
    "thousands": (
        "Thousands separator",
        {
            "auto": "Decide from the file",
            "none": "None (1050)",
            "space": "Space (1 050)",
            "comma": "Comma (1,050)",
            "dot": "Dot (1.050)",
        },
    ),
}


def reading_rows(result: ingest.IngestResult) -> list[dict]:
    """How the file was read, one decision a row, for the preview."""
    return [
        {"Decision": READING_LABELS.get(what, what), "How Floorline read it": how}
        for what, how in result.reading.items()
    ]


def apply_action(con, upload_id: int, action: str, actor: str | None) -> None:
    if action == "rollback":
        status.rollback(con, upload_id, actor=actor)
    elif action == "restore":
        status.restore(con, upload_id, actor=actor)
    else:
        raise ValueError(f"unknown action {action!r}")


# --- History -------------------------------------------------------------------------------


def history(con) -> list[dict]:
    """Every upload, newest first, with what the history table shows and what the actions need."""
    rows = []
    for upload in records.list_uploads(con):
        weeks = upload["weeks"] or []
        rows.append(
            {
                "id": upload["id"],
                "uploaded_at": upload["uploaded_at"],
                "uploaded_by": upload["uploaded_by"],
                "file": upload["file"],
                "source": SOURCE_NAMES.get(upload["source"], upload["source"]),
                "kind": shape_title(upload["shape"]),
                "rows": upload["rows_used"],
                "weeks": ingest.describe_weeks(weeks),
                "status": UPLOAD_STATUS_LABELS.get(upload["status"], upload["status"]),
                "is_demo": upload["is_demo"],
                "sha256": upload["sha256"],
                "archive_path": upload["archive_path"],
                "size_bytes": upload["size_bytes"],
                "action": "rollback" if upload["status"] == "active" else "restore",
            }
        )
    return rows


def archived_original(upload: dict) -> Path | None:
    """The archived copy of what was uploaded, when it is on disk."""
    path = Path(upload["archive_path"])
    return path if path.is_file() else None


def read_archived(path: Path) -> bytes:
    return path.read_bytes()


def default_source(shape_name: str) -> str:
    return ingest.infer_source(shape_name, None)


def shape_title(shape_name: str | None) -> str:
    return SHAPES_BY_NAME[shape_name].title if shape_name in SHAPES_BY_NAME else "unknown"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024**2:
        return f"{size / 1024:,.1f} KB"
    return f"{size / 1024**2:,.1f} MB"
