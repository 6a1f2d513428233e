"""Taking an upload's figures out and bringing them back; the demo data retired by the first real upload."""

from __future__ import annotations

from lib.core import auth
from lib.core.errors import NothingToChange
from lib.store import database as store
from lib.store import upload_records as records


def retire_demo(cursor, actor: str | None) -> bool:
    """The first real upload replaces the demo data (rolled back, so it can still be brought back)."""
    demo_ids = records.roll_back_demo_uploads(cursor)
    if not demo_ids:
        return False
    store.record_change(cursor, actor, "demo removed", "demo data", {"upload_ids": demo_ids})
    return True


def set_status(con, upload_id: int, status: str, actor: str | None, action: str) -> None:
    auth.require_editor(f"{action} uploads")
    actor = actor or auth.actor()
    cursor = con.cursor()
    try:
        with store.transaction(cursor):
            found = records.name_and_status(cursor, upload_id)
            if not found:
                raise LookupError(f"there is no upload {upload_id}")
            if found[1] == status:
                # A second restore would bump its precedence over newer uploads and log a restore
                # that changed nothing the meeting could see: refuse, and say why.
                raise NothingToChange(already_text(upload_id, found[0], status))
            records.apply_status(cursor, upload_id, status)
            store.record_change(cursor, actor, action, found[0], {"upload_id": upload_id, "was": found[1]})
            store.bump_data_version(cursor)
    finally:
        cursor.close()


def already_text(upload_id: int, file_name: str, status: str) -> str:
    already = "already active" if status == "active" else "already rolled back"
    return f"Upload {upload_id} ({file_name}) is {already}: nothing changed."


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
        with store.transaction(cursor):
            retired = retire_demo(cursor, actor)
            store.bump_data_version(cursor)
    finally:
        cursor.close()
    return int(retired)
