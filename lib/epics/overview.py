"""What the Team epics page and the command line show: the active snapshot's master epics and tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lib.core.settings import Settings
from lib.epics.links import epic_links
from lib.epics.masters import MasterEpic, flag_text, master_epics
from lib.epics.model import ACTIVE, NO_VISIBLE_WORK
from lib.epics.repository import active_snapshot, roster, stored_epics
from lib.epics.workload import ManagerWork

if TYPE_CHECKING:
    import pandas as pd


MASTER_COLUMNS = (
    "Area",
    "DRI",
    "Flags",
    "Epic",
    "State",
    "Child epics",
    "Due",
    "Last update",
    "Start",
    "Region",
    "Named in",
)
WORK_COLUMNS = (
    "Manager",
    "Stands out",
    "Region",
    "1. KPIs now",
    "Workgroups",
    "2. Team growth",
    "3. OKRs this quarter",
    "Master epics (DRI)",
    "Items",
)


def masters_frame(masters: list[MasterEpic]) -> pd.DataFrame:
    """Flags and the link come right after the DRI, so they stay in view on a shared screen."""
    import pandas as pd

    rows = [
        (
            m.area,
            m.dri or (m.dri_written or "—"),
            flag_text(m.flags, m) or "—",
            m.epic.web_url or m.epic.reference,
            m.epic.state,
            f"{m.children_open} open · {m.children_closed} closed",
            m.epic.due_date,
            m.last_update,
            m.epic.start_date,
            m.region or "",
            "; ".join(link.item for link in m.links),
        )
        for m in masters
    ]
    frame = pd.DataFrame(rows, columns=list(MASTER_COLUMNS))
    for column in ("Due", "Last update", "Start"):  # a missing date is an empty cell, never the word "None"
        frame[column] = pd.to_datetime(frame[column])
    return frame


def work_frame(rows: list[ManagerWork]) -> pd.DataFrame:
    import pandas as pd

    cells = [
        (
            r.name,
            ("▲ " + r.stands_out) if r.stands_out else "",
            r.region,
            r.kpis,
            "; ".join(r.workgroups) or "—",
            "Hiring, development",
            "; ".join(r.okrs) or (r.okr_note or "No OKR"),
            "; ".join(r.epics) or "—",
            r.load,
        )
        for r in rows
    ]
    return pd.DataFrame(cells, columns=list(WORK_COLUMNS))


def links_frame(masters: list[MasterEpic]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "Epic": f"{m.area} ({m.epic.reference})",
                "Named by": link.kind,
                "Item": link.item,
                "Owner": link.owner,
                "Open": link.url,
            }
            for m in masters
            for link in m.links
        ],
        columns=["Epic", "Named by", "Item", "Owner", "Open"],
    )


@dataclass(frozen=True)
class Headline:
    """The four numbers above the Team epics page's tables."""

    open_masters: int
    flagged: int
    without_roster_dri: int
    no_visible_work: int


def headline(masters: list[MasterEpic], work: list[ManagerWork]) -> Headline:
    return Headline(
        open_masters=sum(1 for m in masters if m.epic.state == "open"),
        flagged=sum(1 for m in masters if m.flags),
        without_roster_dri=sum(1 for m in masters if not m.on_roster),
        no_visible_work=sum(1 for r in work if r.stands_out == NO_VISIBLE_WORK),
    )


def snapshots_frame(found: list[dict]) -> pd.DataFrame:
    """Every snapshot, newest first, as the page lists them."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "Snapshot": s["id"],
                "Status": s["status"] + (" (demo)" if s["is_demo"] else ""),
                "Imported (UTC)": s["imported_at"],
                "By": s["imported_by"],
                "From": s["source"],
                "Shape": s["shape"],
                "Epics": s["epic_count"],
            }
            for s in found
        ]
    )


def restorable(found: list[dict]) -> list[int]:
    """Snapshots that may be shown again: every one but the active one."""
    return [s["id"] for s in found if s["status"] != ACTIVE]


@dataclass
class EpicsView:
    snapshot: dict | None
    masters: list[MasterEpic]
    epic_count: int


def epics_view(con, settings: Settings, today: dt.date) -> EpicsView:
    snapshot = active_snapshot(con)
    if snapshot is None:
        return EpicsView(None, [], 0)
    epics = stored_epics(con, snapshot["id"])
    masters = master_epics(epics, roster(con), settings, today, epic_links(con, epics))
    return EpicsView(snapshot, masters, len(epics))


def report(view: EpicsView) -> dict:
    """What ``python -m lib epics --json`` prints: each master epic with its DRI, state, dates and flags."""
    snapshot = view.snapshot
    return {
        "snapshot": None
        if snapshot is None
        else {
            "id": snapshot["id"],
            "source": snapshot["source"],
            "imported_at": str(snapshot["imported_at"]),
            "imported_by": snapshot["imported_by"],
            "is_demo": snapshot["is_demo"],
            "epics": view.epic_count,
        },
        "master_epics": [
            {
                "reference": m.epic.reference,
                "title": m.epic.title,
                "area": m.area,
                "dri": m.dri or m.dri_written,
                "dri_on_roster": m.on_roster,
                "region": m.region,
                "state": m.epic.state,
                "start_date": str(m.epic.start_date) if m.epic.start_date else None,
                "due_date": str(m.epic.due_date) if m.epic.due_date else None,
                "last_update": str(m.last_update) if m.last_update else None,
                "children_open": m.children_open,
                "children_closed": m.children_closed,
                "flags": m.flags,
                "web_url": m.epic.web_url,
                "named_in": [link.item for link in m.links],
            }
            for m in view.masters
        ],
    }
