"""Epics test helpers: GitLab API responses of each shape, built in the test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lib.epics import imports as epic_imports
from lib.epics import model as epic_model

TODAY = dt.date(2026, 11, 26)
WEEK = dt.date(2026, 11, 16)
GROUP = "gitlab-com/support"
ROSTER = {"Priya Nair": "APAC", "José Núñez": "AMER", "Alex Rivera": "AMER", "Lukas Becker": "EMEA"}


def rest_epic(iid: int, title: str, **fields) -> dict:
    """One epic as GET /groups/:id/epics returns it."""
    item = {
        "id": 5000 + iid,
        "iid": iid,
        "group_id": 42,
        "title": title,
        "state": "opened",
        "web_url": f"https://gitlab.com/groups/{GROUP}/-/epics/{iid}",
        "references": {"short": f"&{iid}", "full": f"{GROUP}&{iid}"},
        "labels": ["Support Team"],
        "parent_id": None,
        "parent_iid": None,
        "author": {"name": "Morgan Hayes", "username": "mhayes"},
        "start_date": "2026-09-01",
        "due_date": "2026-12-31",
        "created_at": "2026-09-01T10:00:00.000Z",
        "updated_at": "2026-11-20T10:00:00.000Z",
        "closed_at": None,
    }
    item.update(fields)
    return item


def graphql_epic(iid: int, title: str, *, parent: int | None = None, due: str | None = None, state="OPEN") -> dict:
    """One node of data.group.workItems (GraphQL), epics as work items of type Epic."""
    return {
        "id": f"gid://gitlab/WorkItem/{7000 + iid}",
        "iid": str(iid),
        "title": title,
        "state": state,
        "webUrl": f"https://gitlab.com/groups/{GROUP}/-/work_items/{iid}",
        "createdAt": "2026-09-01T10:00:00Z",
        "updatedAt": "2026-11-20T10:00:00Z",
        "closedAt": None,
        "author": {"name": "Morgan Hayes", "username": "mhayes"},
        "workItemType": {"name": "Epic"},
        "widgets": [
            {"type": "ASSIGNEES", "__typename": "WorkItemWidgetAssignees"},
            {
                "type": "HIERARCHY",
                "parent": None
                if parent is None
                else {"iid": str(parent), "webUrl": f"https://gitlab.com/groups/{GROUP}/-/work_items/{parent}"},
            },
            {"type": "START_AND_DUE_DATE", "startDate": "2026-09-01", "dueDate": due},
            {"type": "LABELS", "labels": {"nodes": [{"title": "Support Team"}]}},
        ],
    }


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def parse(content: str) -> epic_model.ParsedFile:
    return epic_imports.parse_epics(content.encode("utf-8"), "epics.json")
