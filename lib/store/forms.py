"""Ticket forms and the segment each counts in: which forms the stored figures leave outside the mapping,
and taking a mapping back.

A mapping is set by ``lib.store.database.set_form_segment`` (editors only, in the change history as
"form mapping"); ``unmap_form`` undoes a new one the same way ("form mapping removed").
"""

from __future__ import annotations

from lib.core import auth
from lib.store.database import bump_data_version, record_change, transaction

UNMAPPED_ACTION = "form mapping removed"


def unmapped_forms(con) -> list[tuple[str, int]]:
    """(form, rows) of the ticket forms in the active uploads whose rows count as Other only because no
    mapping places the form (the export named no segment either), most rows first."""
    return con.execute(
        """SELECT w.form, sum(w.rows)::BIGINT FROM weekly_counts w
           JOIN uploads u ON u.id = w.upload_id
           LEFT JOIN form_segments m ON m.form_key = lower(w.form)
           WHERE u.status = 'active' AND w.form IS NOT NULL AND w.segment IS NULL AND m.segment IS NULL
           GROUP BY 1 ORDER BY 2 DESC, 1"""
    ).fetchall()


def unmap_form(con, form: str, actor: str | None = None) -> None:
    """Take a form's mapping back: its rows count as Other again."""
    auth.require_editor("change the form mapping")
    actor = actor or auth.actor()
    with transaction(con):
        con.execute("DELETE FROM form_segments WHERE form_key = lower(trim(?))", [form])
        record_change(con, actor, UNMAPPED_ACTION, form, {})
        bump_data_version(con)
