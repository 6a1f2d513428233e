"""The GitLab issue each workgroup opened, as stored: its iid and address, and what GitLab last said about it.

Opening writes the row, the workgroup's issue link and the audit row in one transaction; following it
back only updates what GitLab said (state, assignees, labels, last update) and when it was asked.
"""

from __future__ import annotations

import datetime as dt
import json

from lib.store import database as store

# The order both reads select them in.
ISSUE_COLUMNS = (
    "workgroup_id",
    "gitlab_url",
    "project",
    "iid",
    "web_url",
    "title",
    "opened_at",
    "opened_by",
    "state",
    "assignees",
    "labels",
    "gitlab_updated_at",
    "checked_at",
)


def decoded(row: tuple) -> dict:
    issue = dict(zip(ISSUE_COLUMNS, row, strict=True))
    issue["assignees"] = json.loads(issue["assignees"] or "[]")
    issue["labels"] = json.loads(issue["labels"] or "[]")
    return issue


def stored_issue(con, workgroup_id: int) -> dict | None:
    """The issue opened from this workgroup, or None."""
    row = con.execute(
        """SELECT workgroup_id, gitlab_url, project, iid, web_url, title, opened_at, opened_by, state, assignees,
           labels, gitlab_updated_at, checked_at FROM workgroup_issues WHERE workgroup_id = ?""",
        [workgroup_id],
    ).fetchone()
    return decoded(row) if row else None


def every_issue(con) -> dict[int, dict]:
    """Every opened issue, by workgroup id."""
    rows = con.execute(
        """SELECT workgroup_id, gitlab_url, project, iid, web_url, title, opened_at, opened_by, state, assignees,
           labels, gitlab_updated_at, checked_at FROM workgroup_issues ORDER BY workgroup_id"""
    ).fetchall()
    return {row[0]: decoded(row) for row in rows}


def save_opened(con, actor: str, workgroup_id: int, gitlab_url: str, project: str, issue: dict) -> None:
    """Keep the issue GitLab made (or the one a search found) with the workgroup, in one audited transaction."""
    with store.transaction(con):
        con.execute(
            """INSERT INTO workgroup_issues
               VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, now()::TIMESTAMP)""",
            [
                workgroup_id,
                gitlab_url,
                project,
                issue["iid"],
                issue["web_url"],
                issue["title"],
                actor,
                issue["state"],
                json.dumps(issue["assignees"]),
                json.dumps(issue["labels"]),
                issue["updated_at"],
            ],
        )
        con.execute(
            "UPDATE workgroups SET issue_url = ?, updated_at = now()::TIMESTAMP, updated_by = ? WHERE id = ?",
            [issue["web_url"], actor, workgroup_id],
        )
        store.record_change(
            con,
            actor,
            "workgroup issue opened",
            f"workgroup {workgroup_id}",
            {"project": project, "iid": issue["iid"], "found_by_search": issue.get("found_by_search", False)},
        )
        store.bump_data_version(con)


def save_followed(con, workgroup_id: int, issue: dict, checked_at: dt.datetime) -> None:
    """What GitLab says about the issue now: its state, assignees, labels and last update."""
    with store.transaction(con):
        con.execute(
            """UPDATE workgroup_issues SET state = ?, assignees = ?, labels = ?, gitlab_updated_at = ?, checked_at = ?
               WHERE workgroup_id = ?""",
            [
                issue["state"],
                json.dumps(issue["assignees"]),
                json.dumps(issue["labels"]),
                issue["updated_at"],
                checked_at,
                workgroup_id,
            ],
        )
        store.bump_data_version(con)
