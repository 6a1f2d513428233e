"""Storing one export: read it, archive it, insert it in one transaction; or rehearse that, for a preview.

Write path, in order: the export is read and checked on the reader's own in-memory DuckDB
(``lib.reading.export``), which hands over Arrow tables, while a thread beside it hashes the
original and copies it into the archive folder under a temporary name; the copy is renamed to
its SHA-256 before the transaction (so a crash can leave at most an unreferenced archive file,
never a record without its file); then one transaction inserts the upload record, its weekly
counts, the weeks it covers and its breached rows. A refused file never reaches the
transaction, so it changes nothing, and its temporary copy is removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lib.core import auth
from lib.core.errors import RefusedFile
from lib.reading.decisions import ReadOptions
from lib.reading.export import ReadExport, as_one_export, read_export
from lib.reading.rules import NormalisedUpload
from lib.reading.shapes import SOURCES
from lib.store import database as store
from lib.store import upload_records as records
from lib.uploads.status import restore, retire_demo


def describe_weeks(weeks: list) -> str:
    """'52 weeks (24 Nov 2025 to 16 Nov 2026)': weeks by their Mondays, dates written as on every page."""
    if not weeks:
        return "no weeks"
    days = [week if isinstance(week, dt.date) else dt.date.fromisoformat(str(week)) for week in weeks]
    if len(days) == 1:
        return f"1 week ({days[0]:%d %b %Y})"
    return f"{len(days)} weeks ({days[0]:%d %b %Y} to {days[-1]:%d %b %Y})"


@dataclass
class IngestResult:
    """What one file did (or would do, for a preview)."""

    file_name: str
    status: str  # accepted, duplicate, restored, preview
    upload_id: int | None
    shape: str
    source: str
    encoding: str
    rows_read: int
    rows_used: int
    ignored: dict[str, int]
    weeks: list[dt.date]
    first_date: dt.date | None
    last_date: dt.date | None
    columns_used: dict[str, str] = field(default_factory=dict)
    columns_ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    replaced_demo: bool = False
    changes: list[dict] = field(default_factory=list)  # for a preview: every weekly figure that would move
    reading: dict[str, str] = field(default_factory=dict)  # how the file was read, in words

    def summary(self) -> str:
        weeks = describe_weeks(self.weeks)
        ignored = sum(self.ignored.values())
        return (
            f"upload {self.upload_id}: {self.shape} from {self.source}, {self.rows_read:,} rows read, "
            f"{self.rows_used:,} used, {ignored:,} ignored, {weeks}"
        )

    def to_json(self) -> dict:
        data = asdict(self)
        data["weeks"] = [str(w) for w in self.weeks]
        data["first_date"] = str(self.first_date) if self.first_date else None
        data["last_date"] = str(self.last_date) if self.last_date else None
        return data


@dataclass(frozen=True)
class Comparison:
    """What a preview measures before and after a rehearsed change, and how the two are told apart.

    The store does not know what a figure is: the layer above (``lib.uploads.changes``) passes this in.
    """

    measure: Callable[[object], object]  # a cursor -> the figures as they stand on it
    differences: Callable[[object, object], list[dict]]  # (before, after) -> what changes, a dict each


def infer_source(shape_name: str, requested: str | None) -> str:
    if requested:
        if requested not in SOURCES:
            raise ValueError(f"unknown source {requested!r}; expected one of {', '.join(SOURCES)}")
        return requested
    return {"dbt_sla_policies": "dbt", "dbt_ticket_metrics": "dbt", "weekly_aggregate": "sisense"}.get(
        shape_name, "explore"
    )


def ingest_file(
    con,
    path: Path | str,
    *,
    file_name: str | None = None,
    source: str | None = None,
    shape: str | None = None,
    column_map: dict | None = None,
    uploaded_by: str | None = None,
    is_demo: bool = False,
    preview: bool = False,
    on_progress=None,
    options: ReadOptions | None = None,
    compare: Comparison | None = None,
) -> IngestResult:
    """Store one export (or, with ``preview``, report what storing it would do, and store nothing).

    A preview rehearses the insert and rolls it back; with ``compare`` it also lists the figures that
    would move (``lib.uploads.changes.preview_ingest`` passes the weekly KPIs).

    Raises RefusedFile, naming the file and where possible the row and column, when the
    file cannot be read; nothing is stored then.
    """
    if not preview and not is_demo:
        auth.require_editor("upload exports")
    uploaded_by = uploaded_by or auth.actor()
    path = Path(path)
    file_name = file_name or path.name
    settings = store.load_settings(con)
    size = path.stat().st_size
    refuse_oversized(file_name, size, settings)
    progress = on_progress or (lambda fraction, text: None)
    progress(0.05, "reading rows")
    # The file is hashed and copied into the archive while DuckDB reads it (all release the GIL): on a
    # large export that saves the whole hashing and copying time. A preview keeps no copy.
    with ThreadPoolExecutor(max_workers=1) as beside:
        hashing = beside.submit(records.hash_and_stage, path, None if preview else records.archive_folder(con))
        try:
            read = read_export(
                path,
                file_name,
                shape=shape,
                column_map=column_map,
                week_start_index=settings.week_start_index,
                options=options,
            )
            digest, staged = hashing.result()
            return store_export(
                con,
                read,
                Archived(path, digest, size, records.file_kind(path), staged),
                file_name=file_name,
                source=source,
                uploaded_by=uploaded_by,
                is_demo=is_demo,
                preview=preview,
                progress=progress,
                compare=compare,
            )
        finally:
            discard_staged(hashing)


def discard_staged(hashing: Future) -> None:
    """The staged copy of a file not archived (refused, stored before, or the archive already had it) removed;
    a kept one was renamed into the archive, so there is nothing left to remove."""
    if hashing.exception() is None:
        _, staged = hashing.result()
        if staged is not None:
            staged.unlink(missing_ok=True)


def ingest_parts(
    con,
    parts: list[Path],
    archive: Path,
    *,
    file_name: str,
    source: str,
    uploaded_by: str,
    recorded_as: Callable[[object, int], tuple[str, dict]] | None = None,
) -> IngestResult:
    """Several exports stored as one upload (the Zendesk pull's SLA targets and satisfaction): one record
    holds every part's counts, so rollback and restore take them together, and the change history has
    one entry. ``archive`` is the original kept for them all (a zip of the parts); ``recorded_as`` gives
    that entry's action and detail, asked inside the upload's transaction so the caller's own record of
    it (the pull's cursor) lands with it or not at all."""
    auth.require_editor("upload exports")
    settings = store.load_settings(con)
    for part in parts:
        refuse_oversized(part.name, part.stat().st_size, settings)
    read = as_one_export(
        [
            read_export(part, part.name, shape=None, column_map=None, week_start_index=settings.week_start_index)
            for part in parts
        ]
    )
    return store_export(
        con,
        read,
        Archived(archive, records.sha256_of(archive), archive.stat().st_size, "zip"),
        file_name=file_name,
        source=source,
        uploaded_by=uploaded_by,
        recorded_as=recorded_as,
    )


def refuse_oversized(file_name: str, size: int, settings) -> None:
    if size > settings.max_upload_bytes:
        raise RefusedFile(
            file_name,
            f"the file is {size / 1024**2:,.1f} MB, over the {settings.max_upload_mb} MB limit",
            expected="a smaller export (or raise max_upload_mb in settings)",
        )


@dataclass(frozen=True)
class Archived:
    """The original an upload keeps: the file, its SHA-256 (which tells a file stored before), its size,
    the archive's file extension, and its copy already staged in the archive folder, if one was."""

    path: Path
    digest: str
    size: int
    kind: str
    staged: Path | None = None


def store_export(
    con,
    read: ReadExport,
    original: Archived,
    *,
    file_name: str,
    source: str | None,
    uploaded_by: str,
    is_demo: bool = False,
    preview: bool = False,
    progress=lambda fraction, text: None,
    compare: Comparison | None = None,
    recorded_as: Callable[[object, int], tuple[str, dict]] | None = None,
) -> IngestResult:
    """What was read, stored as one upload (or rehearsed, for a preview); an upload of the same original
    stored before is found by its digest instead."""
    digest = original.digest
    normalised = read.data
    with store.write_lock(con):
        existing = records.latest_upload_of(con, digest)
    cursor = con.cursor()
    try:
        chosen_source = infer_source(read.shape, source)
        result = IngestResult(
            file_name=file_name,
            status="preview" if preview else "accepted",
            upload_id=None,
            shape=read.shape,
            source=chosen_source,
            encoding=read.encoding,
            rows_read=normalised.rows_read,
            rows_used=normalised.rows_used,
            ignored=normalised.ignored,
            weeks=normalised.weeks,
            first_date=normalised.first_date,
            last_date=normalised.last_date,
            columns_used=read.columns_used,
            columns_ignored=read.columns_ignored,
            warnings=read.notes + list(normalised.warnings) + unmapped_form_warnings(cursor, normalised),
            reading=dict(normalised.reading),
        )
        if existing and preview and existing[1] == "active":
            result.status, result.upload_id = "duplicate", existing[0]
            return result
        if existing and not preview:
            upload_id, status, _ = existing
            if keep_missing_slices(cursor, upload_id, normalised, uploaded_by, file_name):
                result.warnings.append(
                    f"upload {upload_id} of this file now keeps its ticket group and priority counts, "
                    "which it was stored without"
                )
            if status == "active":
                result.status, result.upload_id = "duplicate", upload_id
                return result
            progress(0.7, "restoring the earlier upload of this file")
            restore(con, upload_id, actor=uploaded_by)
            result.status, result.upload_id = "restored", upload_id
            return result
        if preview:
            # Where it would go; nothing is written.
            archive = records.archive_path(con, digest, original.kind)
        else:
            progress(0.6, "archiving the original")
            archive = records.archive_original(con, original.path, digest, original.kind, original.staged)
        progress(0.75, "storing")
        with store.rehearsal(cursor) if preview else store.transaction(cursor):
            if not preview:
                # Checked again under the lock: the same file committed from two sessions at once
                # must land once.
                twin = records.active_upload_of(cursor, digest)
                if twin:
                    result.status, result.upload_id = "duplicate", twin
                    return result
            before = compare.measure(cursor) if preview and compare else None
            result.upload_id = records.insert_upload(
                cursor, result, normalised, digest, archive, original.size, uploaded_by, is_demo, read.kind
            )
            if not is_demo:
                result.replaced_demo = retire_demo(cursor, uploaded_by)
            if preview and compare:
                result.changes = compare.differences(before, compare.measure(cursor))
            elif not preview:
                action, detail = (
                    recorded_as(cursor, result.upload_id)
                    if recorded_as
                    else ("upload", {"upload_id": result.upload_id})
                )
                store.record_change(cursor, uploaded_by, action, file_name, detail)
                store.bump_data_version(cursor)
        progress(1.0, "done")
        return result
    finally:
        cursor.close()


def unmapped_form_warnings(con, normalised: NormalisedUpload) -> list[str]:
    """Forms the mapping does not name, with their rows: they count as Other, never in combined."""
    mapped = store.mapped_form_keys(con)
    rows: dict[str, int] = {}
    for count in normalised.counts.select(["form", "segment", "rows"]).to_pylist():
        if count["form"] is not None and count["segment"] is None and count["form"].lower() not in mapped:
            rows[count["form"]] = rows.get(count["form"], 0) + count["rows"]
    if not rows:
        return []
    ordered = sorted(rows.items(), key=lambda item: (-item[1], item[0]))
    listed = ", ".join(f"{form} ({count:,})" for form, count in ordered[:6])
    more = f" and {len(ordered) - 6} more" if len(ordered) > 6 else ""
    return [f"rows with forms outside the mapping count as Other, not in combined: {listed}{more}"]


def keep_missing_slices(cursor, upload_id: int, normalised, actor: str | None, file_name: str) -> bool:
    """An export stored before Floorline kept counts by group and priority, uploaded again: the stored
    upload gains them, so its weeks can be split by them. Only when the file reads to the very counts
    stored (the same columns chosen), so its slices add up to them."""
    if normalised.slices is None:
        return False
    if records.has_slices(cursor, upload_id) or not records.counts_match(cursor, upload_id, normalised.counts):
        return False
    with store.transaction(cursor):
        records.insert_slices(cursor, upload_id, normalised.slices)
        store.record_change(cursor, actor, "kept group and priority", file_name, {"upload_id": upload_id})
        store.bump_data_version(cursor)
    return True
