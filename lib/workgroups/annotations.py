"""Dated marks a workgroup leaves on the KPI trends chart: formed, closed, actions shipped."""

from __future__ import annotations

from lib.store import workgroups as stored
from lib.workgroups.model import ACTION_KINDS, COMBINED_SCOPE


def trend_annotations(con, kpi: str) -> list[dict]:
    """Dated marks for the KPI trends chart: workgroups formed and closed, actions shipped.

    Labels are built from numbers and fixed words only, never from text a user typed, so a
    chart can show them without escaping.
    """
    marks = []
    for workgroup_id, scope, opened_on, closed_on in stored.workgroup_dates(con, kpi):
        where = "" if scope == COMBINED_SCOPE else f" ({scope})"
        marks.append({"date": opened_on, "label": f"Workgroup #{workgroup_id}{where} formed", "kind": "formed"})
        if closed_on:
            marks.append({"date": closed_on, "label": f"Workgroup #{workgroup_id}{where} closed", "kind": "closed"})
    for workgroup_id, kind, shipped_on in stored.shipped_actions(con, kpi):
        what = f"{kind} action" if kind in ACTION_KINDS else "action"
        marks.append(
            {"date": shipped_on, "label": f"Workgroup #{workgroup_id}: {what} shipped", "kind": "action shipped"}
        )
    return sorted(marks, key=lambda mark: mark["date"])
