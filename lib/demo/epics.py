"""Demo epics: consistent with the demo managers (``lib.demo.okrs``), written as the REST API would return them.

Built to show every flag: a DRI written in another case or with accents, a DRI not on the roster,
a master epic with no DRI, overdue and stale ones, and child epics.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from lib.epics.repository import import_epics_file
from lib.store import epics as epics_store

DEMO_GROUP = "gitlab-com/support"
DEMO_GROUP_ID = 2573
DEMO_URL = "https://gitlab.com/groups/gitlab-com/support/-/epics"
# iid, title, state, days since last update, due in days (None: no due date), parent iid
DEMO_EPICS = (
    (1, "area: GitLab SM first replies (Alex Rivera)", "opened", 3, 60, None),
    (2, "area: Ticket routing and triage (alex rivera)", "opened", 5, 45, None),
    (3, "area: Support tooling (Zendesk (Explore) dashboards) (Alex Rivera)", "opened", 9, -10, None),
    (4, "area: Self-managed upgrade playbooks (Alex Rivera)", "opened", 12, 90, None),
    (5, "area: Hiring and onboarding (Priya Nair)", "opened", 2, 75, None),
    (6, "area: Manager onboarding (Sam Carter)", "opened", 6, 30, None),
    (7, "area: L&R licensing workflows (Chioma Okafor)", "opened", 4, 50, None),
    (8, "area: EMEA on-call and weekend coverage (Lukas Becker)", "opened", 45, 20, None),
    (9, "area: Engineer growth plans (Sofía Rossi)", "opened", 8, 100, None),
    (10, "area: Knowledge base and docs", "opened", 15, None, None),
    (11, "area: Customer emergencies runbook (Dana Whitfield)", "opened", 20, 40, None),
    (12, "area: FY27-Q2 support readiness (Jordan Lee)", "closed", 120, -130, None),
    (21, "SM first-reply rota for AMER mornings", "opened", 3, 20, 1),
    (22, "SM ticket backlog review", "closed", 30, -20, 1),
    (23, "Routing rules for SM and SaaS forms", "opened", 5, 25, 2),
    (24, "Explore SLA dashboard for managers", "closed", 40, -30, 3),
    (25, "Interview loop for APAC hires", "opened", 2, 40, 5),
    (26, "Onboarding buddy programme", "opened", 10, 60, 5),
    (27, "Onboarding checklist for new hires", "closed", 50, -40, 5),
    (28, "License key renewals runbook", "opened", 4, 30, 7),
    (29, "Weekend rota tooling", "opened", 45, 10, 8),
)


def demo_epics_json(today: dt.date) -> list[dict]:
    """The demo epics in the shape of GET /groups/:id/epics (REST), dated relative to ``today``."""
    noon = dt.datetime.combine(today, dt.time(12, 0))
    items = []
    for iid, title, state, days_since_update, due_in, parent_iid in DEMO_EPICS:
        updated = noon - dt.timedelta(days=days_since_update)
        created = min(updated, noon - dt.timedelta(days=200 - iid))
        items.append(
            {
                "id": DEMO_GROUP_ID * 1000 + iid,
                "iid": iid,
                "group_id": DEMO_GROUP_ID,
                "parent_id": None if parent_iid is None else DEMO_GROUP_ID * 1000 + parent_iid,
                "parent_iid": parent_iid,
                "title": title,
                "state": state,
                "web_url": f"{DEMO_URL}/{iid}",
                "references": {"short": f"&{iid}", "full": f"{DEMO_GROUP}&{iid}"},
                "author": {"name": "Morgan Hayes", "username": "mhayes"},
                "labels": ["Support Team", "demo"],
                "start_date": (created.date()).isoformat(),
                "due_date": None if due_in is None else (today + dt.timedelta(days=due_in)).isoformat(),
                "created_at": created.isoformat() + "Z",
                "updated_at": updated.isoformat() + "Z",
                "closed_at": updated.isoformat() + "Z" if state == "closed" else None,
            }
        )
    return items


def load_demo_epics(con, today: dt.date, actor: str = "demo generator") -> bool:
    """Seed the demo epics as a demo snapshot; nothing if any epics snapshot exists."""
    if epics_store.has_snapshots(con):
        return False
    with tempfile.TemporaryDirectory(prefix="floorline-demo-epics-") as folder:
        path = Path(folder) / "demo-epics.json"
        path.write_text(json.dumps(demo_epics_json(today), indent=1), encoding="utf-8")
        import_epics_file(con, path, actor, is_demo=True, source="demo epics")
    return True
