"""The uploads' records: the archived originals, the rows one upload stores, its status, the list.

Persistence only: what an upload means to a manager (preview, commit, rollback, the demo's
retirement) is ``lib.uploads``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import shutil
import time
import uuid
from pathlib import Path

from lib.core import settings as settings_module
from lib.reading.shapes import PRIMARY_SOURCES
from lib.store.database import database_file


def sha256_of(path: Path) -> str:
    return hash_and_stage(path, None)[0]


# A copy in the archive still named ``.….part`` after a day was left by a process that died mid-upload: an
# upload in flight is seconds old, so replicas sharing the folder never sweep each other's.
STALE_PART_SECONDS = 24 * 60 * 60


def hash_and_stage(path: Path, folder: Path | None) -> tuple[str, Path | None]:
    """The file's SHA-256 and, given the archive's folder, a copy of it there under a temporary name (``.….part``),
    made in the same pass over the file: the upload is read from disk once, not once to hash and once to copy.
    ``archive_original`` gives the copy its name; whoever staged it removes it when it is not kept.

    A copy that cannot be made (the archive's disk full or not writable) is given up and the hash goes on:
    a file stored before is still answered as a duplicate, and ``archive_original`` copies a new one itself."""
    digest = hashlib.sha256()
    staged = copy = None
    try:
        with open(path, "rb") as source:
            if folder is not None:
                staged, copy = _start_copy(folder)
            while chunk := source.read(4 * 1024 * 1024):
                digest.update(chunk)
                if copy is not None:
                    try:
                        copy.write(chunk)
                    except OSError:
                        staged, copy = _give_up_copy(staged, copy)
        if copy is not None:
            try:
                copy.close()
            except OSError:
                staged, copy = _give_up_copy(staged, None)
    except BaseException:
        _give_up_copy(staged, copy)  # the file gone or the run stopped: a copy cut short is nobody's but ours
        raise
    return digest.hexdigest(), staged


def _start_copy(folder: Path):
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(folder)
        staged = folder / f".{uuid.uuid4().hex}.part"
        return staged, open(staged, "wb")  # closed by hash_and_stage, which writes it chunk by chunk
    except OSError:
        return None, None


def _give_up_copy(staged: Path | None, copy) -> tuple[None, None]:
    if copy is not None:
        with contextlib.suppress(OSError):
            copy.close()
    if staged is not None:
        with contextlib.suppress(OSError):
            staged.unlink(missing_ok=True)
    return None, None


def _remove_stale_parts(folder: Path) -> None:
    too_old = time.time() - STALE_PART_SECONDS
    for part in folder.glob(".*.part"):
        with contextlib.suppress(OSError):  # another replica may sweep the same file at the same moment
            if part.stat().st_mtime < too_old:
                part.unlink()


def archive_folder(con) -> Path:
    return settings_module.archive_dir(database_file(con))


def archive_path(con, digest: str, kind: str) -> Path:
    """archive/<sha256>.<kind> beside the database: the user's file name never picks the path."""
    return archive_folder(con) / f"{digest}.{kind}"


def archive_original(con, path: Path, digest: str, kind: str, staged: Path | None = None) -> Path:
    """The upload, unchanged, in the archive: ``staged`` (its copy from ``hash_and_stage``) renamed into place,
    or else a copy made now."""
    target = archive_path(con, digest, kind)
    if target.exists():
        return target
    if staged is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.parent / f".{digest}.{uuid.uuid4().hex}.part"
        shutil.copyfile(path, staged)
    staged.replace(target)
    return target


def file_kind(path: Path) -> str:
    with open(path, "rb") as handle:
        return "xlsx" if handle.read(4) == b"PK\x03\x04" else "csv"


def layer_of(source: str) -> str:
    return "primary" if source in PRIMARY_SOURCES else "secondary"


@contextlib.contextmanager
def arrow_views(cursor, **tables):
    """Arrow tables the reader handed over, visible to SQL on this cursor under the given names.

    DuckDB registers nothing while a result is unfinished (a ``fetchone`` before), so results are finished
    first."""
    cursor.complete()
    for name, table in tables.items():
        cursor.register(name, table)
    try:
        yield
    finally:
        cursor.complete()
        for name in tables:
            cursor.unregister(name)


def insert_upload(cursor, result, normalised, digest, archive, size, uploaded_by, is_demo, kind) -> int:
    upload_id = cursor.execute("SELECT nextval('upload_ids')").fetchone()[0]
    cursor.execute(
        """INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
           now()::TIMESTAMP, ?, 'active', nextval('precedence_seq'), ?)""",
        [
            upload_id,
            result.file_name,
            digest,
            str(archive),
            size,
            kind,
            result.encoding,
            result.shape,
            result.source,
            layer_of(result.source),
            result.rows_read,
            result.rows_used,
            sum(result.ignored.values()),
            json.dumps(result.ignored),
            result.first_date,
            result.last_date,
            json.dumps([str(w) for w in result.weeks]),
            json.dumps(result.warnings),
            uploaded_by or "unknown",
            is_demo,
        ],
    )
    with arrow_views(cursor, read_counts=normalised.counts, read_coverage=normalised.coverage):
        cursor.execute(
            """INSERT INTO weekly_counts SELECT ?, kpi, week, form, segment, region, good, total, pct, rows
               FROM read_counts""",
            [upload_id],
        )
        cursor.execute("INSERT INTO coverage SELECT ?, kpi, week, complete FROM read_coverage", [upload_id])
    if normalised.slices is not None:
        insert_slices(cursor, upload_id, normalised.slices)
    with arrow_views(cursor, read_bad_events=normalised.bad_events):
        cursor.execute(
            """INSERT INTO bad_events SELECT ?, source_row, ticket_id, kpi, event_date, week, form, region,
               ticket_group, priority FROM read_bad_events""",
            [upload_id],
        )
    return upload_id


def insert_slices(cursor, upload_id: int, slices) -> None:
    with arrow_views(cursor, read_slices=slices):
        cursor.execute(
            """INSERT INTO dimension_counts SELECT ?, kpi, week, form, segment, region, dimension, slice, good, total
               FROM read_slices""",
            [upload_id],
        )


def apply_status(cursor, upload_id: int, status: str) -> None:
    """The status change itself; a restored upload becomes the newest again for the weeks it covers."""
    if status == "active":
        cursor.execute(
            "UPDATE uploads SET status = 'active', precedence = nextval('precedence_seq') WHERE id = ?", [upload_id]
        )
    else:
        cursor.execute("UPDATE uploads SET status = ? WHERE id = ?", [status, upload_id])


def list_uploads(con) -> list[dict]:
    cursor = con.execute(
        """SELECT id, file_name AS file, sha256, status, shape, source, layer, rows_read, rows_used,
                  rows_ignored, ignored_reasons, first_date, last_date, weeks, warnings, uploaded_at,
                  uploaded_by, is_demo, archive_path, size_bytes, encoding
           FROM uploads ORDER BY uploaded_at DESC, id DESC"""
    )
    names = [d[0] for d in cursor.description]
    uploads = []
    for row in cursor.fetchall():
        upload = dict(zip(names, row, strict=True))
        for key in ("ignored_reasons", "weeks", "warnings"):
            upload[key] = json.loads(upload[key] or "null")
        uploads.append(upload)
    return uploads


def has_demo_data(con) -> bool:
    return con.execute("SELECT count(*) FROM uploads WHERE is_demo AND status = 'active'").fetchone()[0] > 0


def latest_upload_of(con, digest: str) -> tuple[int, str, dt.datetime] | None:
    """(id, status, uploaded at) of the newest upload of these bytes, or None."""
    return con.execute(
        "SELECT id, status, uploaded_at FROM uploads WHERE sha256 = ? ORDER BY id DESC LIMIT 1", [digest]
    ).fetchone()


def active_upload_of(cursor, digest: str) -> int | None:
    found = cursor.execute("SELECT id FROM uploads WHERE sha256 = ? AND status = 'active'", [digest]).fetchone()
    return found[0] if found else None


def name_and_status(cursor, upload_id: int) -> tuple[str, str] | None:
    return cursor.execute("SELECT file_name, status FROM uploads WHERE id = ?", [upload_id]).fetchone()


def has_slices(cursor, upload_id: int) -> bool:
    return cursor.execute("SELECT count(*) FROM dimension_counts WHERE upload_id = ?", [upload_id]).fetchone()[0] > 0


def counts_match(cursor, upload_id: int, counts) -> bool:
    """The counts read from a file are the very counts an upload stored (cell by cell, summed)."""
    cells = "SELECT kpi, week, form, segment, region, sum(good), sum(total), sum(pct) FROM {} GROUP BY ALL"
    stored = cells.format("weekly_counts WHERE upload_id = $upload")
    read = cells.format("read_counts")
    with arrow_views(cursor, read_counts=counts):
        differing = cursor.execute(
            f"SELECT count(*) FROM (({stored} EXCEPT ALL {read}) UNION ALL ({read} EXCEPT ALL {stored}))",
            {"upload": upload_id},
        ).fetchone()[0]
    return differing == 0


def roll_back_demo_uploads(cursor) -> list[int]:
    """Every active demo upload rolled back; their ids."""
    demo_ids = [
        row[0] for row in cursor.execute("SELECT id FROM uploads WHERE is_demo AND status = 'active'").fetchall()
    ]
    if demo_ids:
        cursor.execute("UPDATE uploads SET status = 'rolled_back' WHERE is_demo AND status = 'active'")
    return demo_ids
