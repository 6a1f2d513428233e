"""Who is working on what: per manager, master epics led, OKR objectives and workgroups; who stands out."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from lib.epics.masters import MasterEpic, name_key
from lib.epics.model import FAR_MORE, FAR_MORE_FACTOR, FAR_MORE_MARGIN, NO_VISIBLE_WORK
from lib.epics.repository import open_workgroups_by_person


@dataclass
class ManagerWork:
    name: str
    region: str
    kpis: str  # 1. KPIs: sustained breaches in their region or segment
    workgroups: list[str]
    okrs: list[str]  # 3. manager objectives this quarter
    okr_note: str  # e.g. exempt as a new manager
    epics: list[str]  # open master epics they are DRI of
    load: int = 0
    stands_out: str = ""


def work_load(epics: int, okrs: int, workgroups: int) -> int:
    return epics + okrs + workgroups


def mark_outliers(rows: list[ManagerWork]) -> float:
    """Set ``stands_out`` on each row; returns the median load it was judged against."""
    if not rows:
        return 0.0
    median = statistics.median(r.load for r in rows)
    for row in rows:
        if row.load == 0:
            row.stands_out = NO_VISIBLE_WORK
        elif row.load >= FAR_MORE_FACTOR * median and row.load - median >= FAR_MORE_MARGIN:
            row.stands_out = FAR_MORE
    return median


def who_works_on_what(con, masters: list[MasterEpic], quarter_view) -> tuple[list[ManagerWork], float]:
    """One row per manager on the roster of ``quarter_view`` (lib.okrs.quarters.QuarterView), priority order kept."""
    workgroups = open_workgroups_by_person(con)
    rows = []
    for manager in quarter_view.managers:
        led = [m.area for m in masters if m.dri == manager.name and m.epic.state == "open"]
        objectives = [o.title for o in manager.objectives]
        note = ""
        if not objectives and manager.exemption.exempt:
            note = f"new manager: OKR expected from {manager.exemption.expected_from.label}"
        sits_on = workgroups.get(name_key(manager.name), [])
        row = ManagerWork(
            manager.name,
            manager.region,
            "; ".join(b.short for b in manager.kpi_breaches) or "No sustained breach",
            sits_on,
            objectives,
            note,
            led,
        )
        row.load = work_load(len(led), len(objectives), len(sits_on))
        rows.append(row)
    median = mark_outliers(rows)
    rows.sort(key=lambda r: (r.stands_out == "", r.region, r.name))
    return rows, median
