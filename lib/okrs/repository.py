"""Stored OKRs: reads and writes. Every write is one transaction with a change-log row and a version bump."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lib.core import auth
from lib.core.errors import RefusedFile
from lib.metrics import fiscal
from lib.metrics.fiscal import FiscalQuarter
from lib.okrs.checks import Known, check_tables
from lib.okrs.imports import OkrTable, read_okr_file, table_from_editor
from lib.okrs.model import KEY_COLUMN, KINDS, SHEET_NAMES, Batch, counts_text, text_of
from lib.store import database as store
from lib.store import okrs as stored

if TYPE_CHECKING:
    import pandas as pd


def known_items(con, *, include_demo: bool) -> Known:
    return Known(
        managers=stored.manager_names(con, include_demo=include_demo),
        objectives=stored.objective_quarters_and_levels(con, include_demo=include_demo),
        key_results=stored.key_result_ids(con, include_demo=include_demo),
    )


@dataclass
class ImportResult:
    counts: dict[str, int]
    removed: dict[str, int] = field(default_factory=dict)
    replaced_demo: bool = False

    def summary(self) -> str:
        stored = counts_text(self.counts)
        removed = counts_text(self.removed)
        text = f"stored {stored or 'nothing'}"
        if removed:
            text += f"; removed {removed}"
        if self.replaced_demo:
            text += "; the demo OKRs were removed"
        return text


def has_demo_okrs(con) -> bool:
    return stored.has_demo_okrs(con)


def delete_items(con, removed: dict[str, list]) -> dict[str, int]:
    """Delete by key; an objective takes its key results and their check-ins with it, and objectives
    aligned to it become unaligned (shown as gaps)."""
    counts = {}
    for objective_id in removed.get("objectives", []):
        stored.delete_objective(con, objective_id)
    for key_result_id in removed.get("key_results", []):
        stored.delete_key_result(con, key_result_id)
    for key_result_id, day in removed.get("check_ins", []):
        stored.delete_check_in(con, key_result_id, day)
    for name in removed.get("managers", []):
        stored.delete_manager(con, name)
    for kind, keys in removed.items():
        counts[kind] = len(keys)
    return counts


def write_batch(
    con,
    batch: Batch,
    actor: str,
    *,
    action: str,
    subject: str,
    is_demo: bool = False,
    removed: dict[str, list] | None = None,
) -> ImportResult:
    """One transaction: retire demo OKRs on the first real write of a file, delete, upsert, log, bump."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = ImportResult(counts=batch.counts())
    with store.transaction(con):
        if action == "import" and not is_demo and has_demo_okrs(con):
            stored.delete_demo_rows(con)
            result.replaced_demo = True
        result.removed = delete_items(con, removed or {})
        for kind in KINDS:
            stored.upsert(con, kind, list(getattr(batch, kind).values()), is_demo=is_demo, now=now)
        store.record_change(con, actor, f"okr {action}", subject, {"stored": result.counts, "removed": result.removed})
        store.bump_data_version(con)
    return result


def check_okr_file(con, path: Path | str, *, file_name: str | None = None) -> Batch:
    """Read and check a file without storing it; raises RefusedFile naming the row and column.

    While demo OKRs are present, references are checked against real rows only, because
    the import will replace the demo OKRs.
    """
    file_name = file_name or Path(path).name
    tables = read_okr_file(path, file_name)
    batch = check_tables(tables, known_items(con, include_demo=not has_demo_okrs(con)))
    if not any(batch.counts().values()):
        raise RefusedFile(file_name, "there are no rows to import", expected="one row per item under the header")
    return batch


def import_okr_file(con, path: Path | str, actor: str | None = None, *, file_name: str | None = None) -> ImportResult:
    """Store every row of an OKR workbook or CSV, or raise RefusedFile and store nothing.

    Items are added or replaced by their key (name, objective_id, key_result_id, key result
    and date); an import deletes nothing. The first file imported replaces the demo OKRs.
    """
    auth.require_editor("import OKRs")
    file_name = file_name or Path(path).name
    return import_checked(con, check_okr_file(con, path, file_name=file_name), actor, file_name=file_name)


def import_checked(con, batch: Batch, actor: str | None = None, *, file_name: str) -> ImportResult:
    """Store a batch ``check_okr_file`` just returned (the page checks a file once, to preview and to store)."""
    auth.require_editor("import OKRs")
    return write_batch(con, batch, actor or auth.actor(), action="import", subject=file_name)


def save_table(
    con, kind: str, frame: pd.DataFrame, actor: str | None = None, *, original_keys: list, today: dt.date
) -> ImportResult:
    """Store an edited in-app table: its rows are checked like a file's; keys no longer present are deleted.

    A changed score on a key result is recorded as a check-in dated ``today``, so the rule
    "a key result's score is its newest check-in" keeps holding and the change counts as a
    check-in.
    """
    auth.require_editor("edit OKRs")
    actor = actor or auth.actor()
    table = table_from_editor(kind, frame)
    known = known_items(con, include_demo=True)
    current_keys = set()
    for _, record in table.rows:
        current_keys.add(row_key(kind, record))
    removed_keys = [key for key in original_keys if key not in current_keys]
    forget_removed(known, kind, removed_keys)
    batch = check_tables([table], known)
    if kind == "key_results":
        scores = stored.typed_scores(con)
        for key_result_id, record in batch.key_results.items():
            before = scores.get(key_result_id)
            if record["score"] is not None and (before is None or abs(before - record["score"]) > 1e-9):
                batch.check_ins[(key_result_id, today)] = {
                    "key_result_id": key_result_id,
                    "check_in_date": today,
                    "score": record["score"],
                    "note": "score changed in the app",
                }
    return write_batch(
        con,
        batch,
        actor,
        action="edit",
        subject=SHEET_NAMES[kind],
        is_demo=False,
        removed={kind: removed_keys} if removed_keys else None,
    )


def row_key(kind: str, record: dict):
    if kind == "check_ins":
        day = record.get("date")
        if isinstance(day, dt.datetime):
            day = day.date()
        elif isinstance(day, str):
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(day.strip()[:10])
        return (text_of(record.get("key_result_id")), day)
    return text_of(record.get(KEY_COLUMN[kind]))


def forget_removed(known: Known, kind: str, removed_keys: list) -> None:
    if kind == "managers":
        known.managers -= set(removed_keys)
    elif kind == "objectives":
        for key in removed_keys:
            known.objectives.pop(key, None)
    elif kind == "key_results":
        known.key_results -= set(removed_keys)


def add_check_in(
    con, key_result_id: str, day: dt.date, score: float, note: str | None, actor: str | None = None
) -> None:
    """Record one check-in (a second one the same day replaces the first)."""
    auth.require_editor("check in on key results")
    actor = actor or auth.actor()
    table = OkrTable(
        "check_ins",
        "the check-in",
        [(1, {"key_result_id": key_result_id, "date": day, "score": score, "note": note})],
    )
    batch = check_tables([table], known_items(con, include_demo=True))
    is_demo = stored.key_result_is_demo(con, key_result_id)
    write_batch(con, batch, actor, action="check-in", subject=key_result_id, is_demo=is_demo)


def remove_demo_okrs(con, actor: str | None = None) -> None:
    auth.require_editor("remove the demo OKRs")
    actor = actor or auth.actor()
    with store.transaction(con):
        stored.delete_demo_rows(con)
        store.record_change(con, actor, "okr demo removed", "demo OKRs", {})
        store.bump_data_version(con)


def stored_frame(con, kind: str, quarter: FiscalQuarter | None = None) -> pd.DataFrame:
    """A kind's rows with the same column names as the template (for an editor or a download)."""
    return stored.okr_frame(con, kind, None if quarter is None else quarter.label)


def quarters_with_okrs(con) -> list[FiscalQuarter]:
    return sorted({fiscal.parse_label(label) for label in stored.quarter_labels(con)})
