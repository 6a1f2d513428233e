"""What a change to the stored data would do to the weekly figures, before it is made.

A preview rehearses the change in the store (``store.rehearsal``: the transaction is always rolled
back) and compares the KPI summaries before and after it. The comparison lives here, not in the store:
the store writes and rolls back, this layer knows what a figure is.
"""

from __future__ import annotations

from pathlib import Path

from lib.core.text import format_percent
from lib.metrics.kpis import kpi_summaries
from lib.store import database as store
from lib.store import upload_records as records
from lib.uploads import flow, ingest

STATUS_LABELS = {
    "ok": "above floor",
    "breach": "at or below floor",
    "gap": "no data",
    "partial": "partial week",
    "unknown": "cannot pool",
    "no data": "no data",
}


def current_figures(cursor) -> dict:
    """Every KPI's summary as the cursor sees it, inside a rehearsal or out."""
    return kpi_summaries(cursor, store.load_settings(cursor))


def figure_changes(before: dict, after: dict) -> list[dict]:
    """Every (KPI, week) whose combined value or status differs, with breach flags that appear or go."""
    changes = []
    for kpi, summary_after in after.items():
        old_weeks = {w.week: w for w in before[kpi].series}
        new_weeks = {w.week: w for w in summary_after.series}
        for week in sorted(set(old_weeks) | set(new_weeks)):
            old, new = old_weeks.get(week), new_weeks.get(week)
            old_value = old.value if old else None
            new_value = new.value if new else None
            old_status = old.status if old else "no data"
            new_status = new.status if new else "no data"
            same_value = old_value == new_value or (
                old_value is not None and new_value is not None and abs(old_value - new_value) < 1e-9
            )
            if same_value and old_status == new_status:
                continue
            changes.append(
                {
                    "kpi": kpi,
                    "floor": summary_after.floor,
                    "week": week,
                    "old_value": old_value,
                    "new_value": new_value,
                    "old_status": old_status,
                    "new_status": new_status,
                    "breach_flag": "appears"
                    if new_status == "breach" and old_status != "breach"
                    else ("disappears" if old_status == "breach" and new_status != "breach" else ""),
                }
            )
        if before[kpi].sustained_breach != summary_after.sustained_breach:
            changes.append(
                {
                    "kpi": kpi,
                    "floor": summary_after.floor,
                    "week": None,
                    "old_value": None,
                    "new_value": None,
                    "old_status": "sustained breach" if before[kpi].sustained_breach else "no sustained breach",
                    "new_status": "sustained breach" if summary_after.sustained_breach else "no sustained breach",
                    "breach_flag": "sustained breach appears"
                    if summary_after.sustained_breach
                    else "sustained breach ends",
                }
            )
    return changes


KPI_FIGURES = ingest.Comparison(measure=current_figures, differences=figure_changes)


def preview_ingest(con, path: Path | str, **options) -> ingest.IngestResult:
    """``ingest.ingest_file`` as a preview: nothing is stored, and ``changes`` lists every figure that would move."""
    return ingest.ingest_file(con, path, preview=True, compare=KPI_FIGURES, **options)


def preview_file(
    con, staged: flow.StagedFile, choice: flow.Choice, *, uploaded_by: str, on_progress=None
) -> flow.FileOutcome:
    """What storing a staged file would do; stores nothing."""
    return flow.run_ingest(
        con, staged, choice, uploaded_by=uploaded_by, on_progress=on_progress, preview=True, compare=KPI_FIGURES
    )


def changes_table(changes: list[dict]) -> list[dict]:
    """Rows for display: a sustained breach starting or ending first, then breach flags, then the newest weeks."""
    ordered = [c for c in changes if c["week"] is None]
    weekly = sorted((c for c in changes if c["week"] is not None), key=lambda c: (c["week"], c["kpi"]), reverse=True)
    ordered += [c for c in weekly if c["breach_flag"]] + [c for c in weekly if not c["breach_flag"]]
    return [
        {
            "KPI": change["kpi"],
            "Week": f"{change['week']:%d %b %Y}" if change["week"] else "whole series",
            "Before": format_percent(change["old_value"], change["floor"]),
            "After": format_percent(change["new_value"], change["floor"]),
            "Status before": STATUS_LABELS.get(change["old_status"], change["old_status"]),
            "Status after": STATUS_LABELS.get(change["new_status"], change["new_status"]),
            "Breach flag": change["breach_flag"],
        }
        for change in ordered
    ]


def changes_summary(changes: list[dict]) -> str:
    """One sentence: how many weekly figures move, and which breach flags appear or go."""
    weekly = [c for c in changes if c["week"] is not None]
    if not changes:
        return "No weekly figure changes."
    kpis = sorted({c["kpi"] for c in weekly})
    parts = [f"{len(weekly)} weekly figure{'s' if len(weekly) != 1 else ''} change ({', '.join(kpis)})"]
    appear = [c for c in weekly if c["breach_flag"] == "appears"]
    disappear = [c for c in weekly if c["breach_flag"] == "disappears"]
    if appear:
        parts.append(f"breach flag appears in {len(appear)} week{'s' if len(appear) != 1 else ''}")
    if disappear:
        parts.append(f"breach flag disappears in {len(disappear)} week{'s' if len(disappear) != 1 else ''}")
    for change in changes:
        if change["week"] is None:
            parts.append(f"{change['kpi']}: {change['breach_flag']}")
    return "; ".join(parts) + "."


def status_change_preview(con, upload_id: int, action: str) -> list[dict]:
    """The figures a rollback or restore would change, measured inside a transaction then rolled back."""
    if action not in flow.ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    cursor = con.cursor()
    try:
        with store.rehearsal(cursor):
            before = current_figures(cursor)
            records.apply_status(cursor, upload_id, "rolled_back" if action == "rollback" else "active")
            after = current_figures(cursor)
    finally:
        cursor.close()
    return figure_changes(before, after)
