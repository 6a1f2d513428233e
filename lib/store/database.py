"""The DuckDB store: schema, uploads (each one transaction), rollback and restore.

Write path, in order: the original file is copied into the archive under its SHA-256 (so
a crash can leave at most an unreferenced archive file, never a record without its
file); the export is loaded and checked in temp tables; then one transaction inserts the
upload record, its weekly counts, the weeks it covers and its breached rows. A refused
file never reaches the transaction, so it changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import shutil
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from lib.core import auth
from lib.core import settings as settings_module
from lib.core.errors import DatabaseLocked, NothingToChange, RefusedFile
from lib.core.settings import DEFAULT_FORM_SEGMENTS, DEFAULTS, Settings
from lib.reading.decisions import ReadOptions
from lib.reading.files import load_raw
from lib.reading.rules import NormalisedUpload, normalise
from lib.reading.shapes import PRIMARY_SOURCES, SOURCES, closest_shape
from lib.store import schema

# Writers in one process take turns: DuckDB allows one writing process, and two
# transactions appending to the same tables from two threads would conflict at commit.
WRITE_LOCK = threading.RLock()


@contextlib.contextmanager
def transaction(con):
    """Every write: one transaction under the write lock, rolled back on any error, so a failed change
    leaves every stored figure as it was."""
    with WRITE_LOCK:
        con.execute("BEGIN")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


@contextlib.contextmanager
def rehearsal(con):
    """A change tried out and always rolled back, under the write lock: a preview measures what a write
    would do, and nothing of it stays."""
    with WRITE_LOCK:
        con.execute("BEGIN")
        try:
            yield con
        finally:
            con.execute("ROLLBACK")


@dataclass(frozen=True)
class Comparison:
    """What a preview measures before and after a rehearsed change, and how the two are told apart.

    The store does not know what a figure is: the layer above (``lib.metrics.changes``) passes this in.
    """

    measure: Callable[[object], object]  # a cursor -> the figures as they stand on it
    differences: Callable[[object, object], list[dict]]  # (before, after) -> what changes, a dict each


# DuckDB's words when another process holds the file: "Could not set lock on file ...: Conflicting
# lock is held in /usr/bin/python3 (PID 1234)".
LOCK_HELD = re.compile(r"Could not set lock on file.*?held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def connect(path: Path | str | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database and make sure its schema is current."""
    db_path = Path(path) if path else settings_module.database_path()
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.IOException as error:
        locked = LOCK_HELD.search(str(error))
        if not locked:
            raise
        raise DatabaseLocked(str(db_path), Path(locked["program"]).name, int(locked["pid"])) from error
    if read_only:
        return con
    # Every stored time is UTC, whatever the server's zone: the pages label them so.
    con.execute("SET TimeZone = 'UTC'")
    with transaction(con):
        for tables in schema.EVERY_SCHEMA:
            con.execute(tables)
        if con.execute("SELECT count(*) FROM form_segments").fetchone()[0] == 0:
            con.executemany(
                "INSERT INTO form_segments VALUES (lower(?), ?, ?)",
                [(form, form, segment) for form, segment in DEFAULT_FORM_SEGMENTS.items()],
            )
        con.execute("INSERT INTO meta VALUES ('data_version', 0) ON CONFLICT DO NOTHING")
    return con


def database_file(con) -> Path:
    name = con.execute("SELECT file FROM pragma_database_list WHERE name = current_database()").fetchone()[0]
    return Path(name)


def load_settings(con) -> Settings:
    overrides = {key: json.loads(value) for key, value in con.execute("SELECT key, value FROM settings").fetchall()}
    return DEFAULTS.with_overrides(overrides)


def save_setting(con, key: str, value, actor: str | None = None) -> None:
    auth.require_editor("change settings")
    actor = actor or auth.actor()
    with transaction(con):
        con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, json.dumps(value)])
        record_change(con, actor, "setting", key, {"value": value})
        bump_data_version(con)


def data_version(con) -> int:
    """A number that changes whenever any stored figure could have changed (cache key for pages)."""
    return con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0]


def bump_data_version(con) -> None:
    con.execute("UPDATE meta SET value = value + 1 WHERE key = 'data_version'")


def record_change(con, actor: str | None, action: str, subject: str, detail: dict | None = None) -> None:
    con.execute(
        "INSERT INTO change_log VALUES (nextval('change_ids'), now()::TIMESTAMP, ?, ?, ?, ?)",
        [actor or "unknown", action, subject, json.dumps(detail or {}, default=str)],
    )


def form_segments(con) -> dict[str, str]:
    return dict(con.execute("SELECT form, segment FROM form_segments ORDER BY form").fetchall())


def set_form_segment(con, form: str, segment: str, actor: str | None = None) -> None:
    auth.require_editor("change the form mapping")
    actor = actor or auth.actor()
    with transaction(con):
        con.execute("INSERT OR REPLACE INTO form_segments VALUES (lower(trim(?)), trim(?), ?)", [form, form, segment])
        record_change(con, actor, "form mapping", form, {"segment": segment})
        bump_data_version(con)


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def archive_path(con, digest: str, kind: str) -> Path:
    """archive/<sha256>.<kind> beside the database: the user's file name never picks the path."""
    return settings_module.archive_dir(database_file(con)) / f"{digest}.{kind}"


def archive_original(con, path: Path, digest: str, kind: str) -> Path:
    """Copy the upload, unchanged, into the archive."""
    target = archive_path(con, digest, kind)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = folder / f".{digest}.{uuid.uuid4().hex}.part"
        shutil.copyfile(path, partial)
        partial.replace(target)
    return target


def infer_source(shape_name: str, requested: str | None) -> str:
    if requested:
        if requested not in SOURCES:
            raise ValueError(f"unknown source {requested!r}; expected one of {', '.join(SOURCES)}")
        return requested
    return {"dbt_sla_policies": "dbt", "dbt_ticket_metrics": "dbt", "weekly_aggregate": "sisense"}.get(
        shape_name, "explore"
    )


def layer_of(source: str) -> str:
    return "primary" if source in PRIMARY_SOURCES else "secondary"


def file_kind(path: Path) -> str:
    with open(path, "rb") as handle:
        return "xlsx" if handle.read(4) == b"PK\x03\x04" else "csv"


def stage(
    con,
    path: Path,
    file_name: str,
    *,
    shape: str | None,
    column_map: dict | None,
    week_start_index: int,
    prefix: str,
    options: ReadOptions | None = None,
):
    raw = load_raw(con, path, file_name, f"{prefix}_raw", shape_name=shape, column_map=column_map)
    try:
        if raw.match is None:
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
                "the columns are not those of any known export: "
                + ", ".join(f"'{h}'" for h in raw.header[:12] if h.strip()),
                expected="an Explore SLA or satisfaction export, a weekly aggregate, or a dbt_zendesk model "
                "(or map the columns on the upload page)",
            )
        normalised = normalise(con, raw, file_name, week_start_index, prefix, options)
    finally:
        raw.cleanup()
    return raw, normalised


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
    would move (``lib.metrics.changes.preview_ingest`` passes the weekly KPIs).

    Raises RefusedFile, naming the file and where possible the row and column, when the
    file cannot be read; nothing is stored then.
    """
    if not preview and not is_demo:
        auth.require_editor("upload exports")
    uploaded_by = uploaded_by or auth.actor()
    path = Path(path)
    file_name = file_name or path.name
    settings = load_settings(con)
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        raise RefusedFile(
            file_name,
            f"the file is {size / 1024**2:,.1f} MB, over the {settings.max_upload_mb} MB limit",
            expected="a smaller export (or raise max_upload_mb in settings)",
        )
    progress = on_progress or (lambda fraction, text: None)
    progress(0.05, "reading rows")
    prefix = f"stage_{uuid.uuid4().hex[:12]}"
    cursor = con.cursor()  # temp tables live on this cursor and vanish with it
    # The file is hashed while DuckDB reads it (both release the GIL): on a large export
    # that saves the whole hashing time.
    with ThreadPoolExecutor(max_workers=1) as hasher:
        hashing = hasher.submit(sha256_of, path)
        try:
            raw, normalised = stage(
                cursor,
                path,
                file_name,
                shape=shape,
                column_map=column_map,
                week_start_index=settings.week_start_index,
                prefix=prefix,
                options=options,
            )
        except BaseException:
            cursor.close()
            raise
        digest = hashing.result()
    with WRITE_LOCK:
        existing = con.execute(
            "SELECT id, status FROM uploads WHERE sha256 = ? ORDER BY id DESC LIMIT 1", [digest]
        ).fetchone()
    try:
        chosen_source = infer_source(raw.match.shape.name, source)
        result = IngestResult(
            file_name=file_name,
            status="preview" if preview else "accepted",
            upload_id=None,
            shape=raw.match.shape.name,
            source=chosen_source,
            encoding=raw.encoding_label,
            rows_read=normalised.rows_read,
            rows_used=normalised.rows_used,
            ignored=normalised.ignored,
            weeks=normalised.weeks,
            first_date=normalised.first_date,
            last_date=normalised.last_date,
            columns_used={name: raw.header[index] for name, index in raw.match.columns.items()},
            columns_ignored=[h for i, h in enumerate(raw.header) if i not in raw.match.columns.values() and h],
            warnings=raw.notes + list(normalised.warnings) + unmapped_form_warnings(cursor, normalised),
            reading=dict(normalised.reading),
        )
        if existing and preview and existing[1] == "active":
            result.status, result.upload_id = "duplicate", existing[0]
            return result
        if existing and not preview:
            upload_id, status = existing
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
            archive = archive_path(con, digest, file_kind(path))  # where it would go; nothing is written
        else:
            progress(0.6, "archiving the original")
            archive = archive_original(con, path, digest, file_kind(path))
        progress(0.75, "storing")
        with rehearsal(cursor) if preview else transaction(cursor):
            if not preview:
                # Checked again under the lock: the same file committed from two sessions at once
                # must land once.
                twin = cursor.execute(
                    "SELECT id FROM uploads WHERE sha256 = ? AND status = 'active'", [digest]
                ).fetchone()
                if twin:
                    result.status, result.upload_id = "duplicate", twin[0]
                    return result
            before = compare.measure(cursor) if preview and compare else None
            result.upload_id = insert_upload(
                cursor, result, normalised, digest, archive, size, uploaded_by, is_demo, raw.kind
            )
            if not is_demo:
                result.replaced_demo = retire_demo(cursor, uploaded_by)
            if preview and compare:
                result.changes = compare.differences(before, compare.measure(cursor))
            elif not preview:
                record_change(cursor, uploaded_by, "upload", file_name, {"upload_id": result.upload_id})
                bump_data_version(cursor)
        progress(1.0, "done")
        return result
    finally:
        cursor.close()


def unmapped_form_warnings(con, normalised: NormalisedUpload) -> list[str]:
    rows = con.execute(
        f"""SELECT c.form, sum(c.rows) FROM {normalised.counts_table} c
            LEFT JOIN form_segments m ON m.form_key = lower(c.form)
            WHERE c.form IS NOT NULL AND c.segment IS NULL AND m.segment IS NULL
            GROUP BY 1 ORDER BY 2 DESC"""
    ).fetchall()
    if not rows:
        return []
    listed = ", ".join(f"{form} ({count:,})" for form, count in rows[:6])
    more = f" and {len(rows) - 6} more" if len(rows) > 6 else ""
    return [f"rows with forms outside the mapping count as Other, not in combined: {listed}{more}"]


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
    cursor.execute(
        f"""INSERT INTO weekly_counts SELECT ?, kpi, week, form, segment, region, good, total, pct, rows
            FROM {normalised.counts_table}""",
        [upload_id],
    )
    if normalised.slices_table:
        insert_slices(cursor, upload_id, normalised.slices_table)
    cursor.execute(f"INSERT INTO coverage SELECT ?, kpi, week, complete FROM {normalised.coverage_table}", [upload_id])
    cursor.execute(
        f"""INSERT INTO bad_events SELECT ?, source_row, ticket_id, kpi, event_date, week, form, region,
            ticket_group, priority FROM {normalised.bad_events_table}""",
        [upload_id],
    )
    return upload_id


def insert_slices(cursor, upload_id: int, slices_table: str) -> None:
    cursor.execute(
        f"""INSERT INTO dimension_counts SELECT ?, kpi, week, form, segment, region, dimension, slice, good, total
            FROM {slices_table}""",
        [upload_id],
    )


def keep_missing_slices(cursor, upload_id: int, normalised, actor: str | None, file_name: str) -> bool:
    """An export stored before Floorline kept counts by group and priority, uploaded again: the stored
    upload gains them, so its weeks can be split by them. Only when the file reads to the very counts
    stored (the same columns chosen), so its slices add up to them."""
    if not normalised.slices_table:
        return False
    if cursor.execute("SELECT count(*) FROM dimension_counts WHERE upload_id = ?", [upload_id]).fetchone()[0]:
        return False
    cells = "SELECT kpi, week, form, segment, region, sum(good), sum(total), sum(pct) FROM {} GROUP BY ALL"
    stored = cells.format("weekly_counts WHERE upload_id = $upload")
    read = cells.format(normalised.counts_table)
    differing = cursor.execute(
        f"SELECT count(*) FROM (({stored} EXCEPT ALL {read}) UNION ALL ({read} EXCEPT ALL {stored}))",
        {"upload": upload_id},
    ).fetchone()[0]
    if differing:
        return False
    with transaction(cursor):
        insert_slices(cursor, upload_id, normalised.slices_table)
        record_change(cursor, actor, "kept group and priority", file_name, {"upload_id": upload_id})
        bump_data_version(cursor)
    return True


def retire_demo(cursor, actor: str | None) -> bool:
    """The first real upload replaces the demo data (rolled back, so it can still be brought back)."""
    demo_ids = [
        row[0] for row in cursor.execute("SELECT id FROM uploads WHERE is_demo AND status = 'active'").fetchall()
    ]
    if not demo_ids:
        return False
    cursor.execute("UPDATE uploads SET status = 'rolled_back' WHERE is_demo AND status = 'active'")
    record_change(cursor, actor, "demo removed", "demo data", {"upload_ids": demo_ids})
    return True


def set_status(con, upload_id: int, status: str, actor: str | None, action: str) -> None:
    auth.require_editor(f"{action} uploads")
    actor = actor or auth.actor()
    cursor = con.cursor()
    try:
        with transaction(cursor):
            found = cursor.execute("SELECT file_name, status FROM uploads WHERE id = ?", [upload_id]).fetchone()
            if not found:
                raise LookupError(f"there is no upload {upload_id}")
            if found[1] == status:
                # A second restore would bump its precedence over newer uploads and log a restore
                # that changed nothing the meeting could see: refuse, and say why.
                raise NothingToChange(already_text(upload_id, found[0], status))
            apply_status(cursor, upload_id, status)
            record_change(cursor, actor, action, found[0], {"upload_id": upload_id, "was": found[1]})
            bump_data_version(cursor)
    finally:
        cursor.close()


def already_text(upload_id: int, file_name: str, status: str) -> str:
    already = "already active" if status == "active" else "already rolled back"
    return f"Upload {upload_id} ({file_name}) is {already}: nothing changed."


def apply_status(cursor, upload_id: int, status: str) -> None:
    """The status change itself; a restored upload becomes the newest again for the weeks it covers."""
    if status == "active":
        cursor.execute(
            "UPDATE uploads SET status = 'active', precedence = nextval('precedence_seq') WHERE id = ?", [upload_id]
        )
    else:
        cursor.execute("UPDATE uploads SET status = ? WHERE id = ?", [status, upload_id])


def rollback(con, upload_id: int, actor: str | None = None) -> None:
    """Take an upload's figures out; the older upload of the same weeks, if any, shows again."""
    set_status(con, upload_id, "rolled_back", actor, "rollback")


def restore(con, upload_id: int, actor: str | None = None) -> None:
    """Undo a rollback: the upload becomes the newest again for the weeks it covers."""
    set_status(con, upload_id, "active", actor, "restore")


def remove_demo(con, actor: str | None = None) -> int:
    auth.require_editor("remove the demo data")
    actor = actor or auth.actor()
    cursor = con.cursor()
    try:
        with transaction(cursor):
            retired = retire_demo(cursor, actor)
            bump_data_version(cursor)
    finally:
        cursor.close()
    return int(retired)


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
