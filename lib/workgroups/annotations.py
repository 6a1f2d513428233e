"""Dated marks a workgroup leaves on the KPI trends chart: formed, closed, actions shipped."""

from __future__ import annotations

from lib.workgroups.model import ACTION_KINDS, COMBINED_SCOPE


def trend_annotations(con, kpi: str) -> list[dict]:
    """Dated marks for the KPI trends chart: workgroups formed and closed, actions shipped.

    Labels are built from numbers and fixed words only, never from text a user typed, so a
    chart can show them without escaping.
    """
    marks = []
    for workgroup_id, scope, opened_on, closed_on in con.execute(
        """SELECT id, scope, opened_on, closed_on FROM workgroups
           WHERE kpi = ? AND deleted_at IS NULL ORDER BY opened_on, id""",
        [kpi],
    ).fetchall():
        where = "" if scope == COMBINED_SCOPE else f" ({scope})"
        marks.append({"date": opened_on, "label": f"Workgroup #{workgroup_id}{where} formed", "kind": "formed"})
        if closed_on:
            marks.append({"date": closed_on, "label": f"Workgroup #{workgroup_id}{where} closed", "kind": "closed"})
    for workgroup_id, kind, shipped_on in con.execute(
        """SELECT a.workgroup_id, a.kind, a.shipped_on FROM workgroup_actions a
           JOIN workgroups w ON w.id = a.workgroup_id
           WHERE w.kpi = ? AND w.deleted_at IS NULL AND a.deleted_at IS NULL
             AND a.status = 'shipped' AND a.shipped_on IS NOT NULL
           ORDER BY a.shipped_on, a.id""",
        [kpi],
    ).fetchall():
        what = f"{kind} action" if kind in ACTION_KINDS else "action"
        marks.append(
            {"date": shipped_on, "label": f"Workgroup #{workgroup_id}: {what} shipped", "kind": "action shipped"}
        )
    return sorted(marks, key=lambda mark: mark["date"])
