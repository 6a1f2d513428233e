"""The audit trail: every stored change, with who made it and when, newest first.

Each change writes its row into ``change_log`` (``lib.store.database.record_change``) inside its own
transaction, so a change and its audit row commit together or not at all. This module only
reads them, as a table the Change history page filters by area, action and person (and offers
as a CSV through ``lib.core.downloads.safe_csv``).
"""

from __future__ import annotations

import json

import pandas as pd

UPLOADS = "Uploads"
SETTINGS = "Settings"
WORKGROUPS = "Workgroups"
OKRS = "OKRs"
EPICS = "Epics"
NOTIFICATIONS = "Notifications"
OTHER = "Other"
AREAS = (UPLOADS, SETTINGS, WORKGROUPS, OKRS, EPICS, NOTIFICATIONS, OTHER)

# The actions lib/ records, by the part of the app they change. OKR actions all start "okr ", epics ones "epics ".
AREA_OF_ACTION = {
    "upload": UPLOADS,
    "rollback": UPLOADS,
    "restore": UPLOADS,
    "demo removed": UPLOADS,
    "column mapping saved": UPLOADS,
    "column mapping deleted": UPLOADS,
    "zendesk pull": UPLOADS,  # lib/zendesk: a pull's uploads, its window and the weekly figures that moved
    "setting": SETTINGS,
    "form mapping": SETTINGS,
    "form mapping removed": SETTINGS,
    "workgroup formed": WORKGROUPS,
    "workgroup edited": WORKGROUPS,
    "workgroup closed": WORKGROUPS,
    "workgroup reopened": WORKGROUPS,
    "workgroup deleted": WORKGROUPS,
    "workgroup restored": WORKGROUPS,
    "hypothesis added": WORKGROUPS,
    "hypothesis edited": WORKGROUPS,
    "hypothesis deleted": WORKGROUPS,
    "hypothesis restored": WORKGROUPS,
    "members saved": WORKGROUPS,
    "evidence saved": WORKGROUPS,
    "actions saved": WORKGROUPS,
    "rows restored": WORKGROUPS,
    "library hypothesis added": WORKGROUPS,
    "workgroup issue opened": WORKGROUPS,
    "notification sent": NOTIFICATIONS,
    "notification failed": NOTIFICATIONS,
}

COLUMNS = ("Change", "When (UTC)", "Who", "Area", "Action", "Subject", "Detail")


def area_of(action: str) -> str:
    if action.startswith("okr "):
        return OKRS
    if action.startswith("epics "):
        return EPICS
    return AREA_OF_ACTION.get(action, OTHER)


# Stored action names that read as internal words; every other action is already plain English.
ACTION_LABELS = {
    "okr demo": "OKR demo loaded",
    "okr demo removed": "OKR demo removed",
    "okr import": "OKR import",
    "okr edit": "OKR edit",
    "okr check-in": "OKR check-in",
    "zendesk pull": "Zendesk pull",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def change_log(con, limit: int | None = None) -> list[tuple]:
    """The recorded changes as stored, newest first (the id orders changes made within the same second):
    (changed at, who, action, subject, detail JSON, id), the newest ``limit`` of them or all."""
    return con.execute(
        "SELECT changed_at, actor, action, subject, detail, id FROM change_log ORDER BY id DESC LIMIT ?", [limit]
    ).fetchall()


def changes(con) -> pd.DataFrame:
    """Every recorded change, newest first, as the Change history page shows it.

    Action and Detail are in words (``action_label``, ``detail_text``), not the stored names and JSON.
    """
    return pd.DataFrame(
        [
            (change_id, changed_at, actor, area_of(action), action_label(action), subject, detail_text(detail))
            for changed_at, actor, action, subject, detail, change_id in change_log(con)
        ],
        columns=list(COLUMNS),
    )


def words(key: str) -> str:
    return key.replace("_", " ")


def value_text(value) -> str:
    """A detail's value in words: counts as "8 managers", lists comma-separated, empty as nothing."""
    if isinstance(value, dict):
        return ", ".join(
            f"{count:,} {words(name)}" if isinstance(count, int) else f"{words(name)} → {value_text(count)}"
            for name, count in value.items()
            if count not in (None, "", [], {})
        )
    if isinstance(value, list):
        return ", ".join(value_text(item) for item in value)
    return str(value)


def detail_parts(detail: str | None) -> list[str]:
    """'key: value' for each part of a change's stored detail (JSON); text that is not JSON as it is."""
    try:
        parsed = json.loads(detail or "{}")
    except (TypeError, ValueError):
        return [str(detail)]
    if not isinstance(parsed, dict):
        return [value_text(parsed)]
    return [f"{words(key)}: {value_text(value)}" for key, value in parsed.items() if value_text(value)]


def detail_text(detail: str | None) -> str:
    """A change's detail on one line, for the table: 'stored: 8 managers, 19 objectives · ...'."""
    return " · ".join(detail_parts(detail))


def choices(frame: pd.DataFrame, column: str) -> list[str]:
    """The values a filter can offer: those present, in the order of AREAS for areas, else alphabetical."""
    present = set(frame[column])
    if column == "Area":
        return [area for area in AREAS if area in present]
    return sorted(present, key=str.casefold)


def filter_changes(frame: pd.DataFrame, *, areas=(), actions=(), people=()) -> pd.DataFrame:
    """The changes matching every filter given; an empty filter lets everything through."""
    keep = pd.Series(True, index=frame.index)
    for column, wanted in (("Area", areas), ("Action", actions), ("Who", people)):
        if wanted:
            keep &= frame[column].isin(list(wanted))
    return frame[keep].reset_index(drop=True)


def readable_detail(detail_line: str) -> str:
    """A change's detail (as ``detail_text`` wrote it) one part a line, for reading in full."""
    return "\n".join(detail_line.split(" · "))
