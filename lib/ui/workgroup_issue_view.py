"""A workgroup's GitLab issue on the Workgroups page: the button that opens it, what GitLab says about it,
and the flag when it was closed before the KPI recovered.

Titles, labels and assignee names come from GitLab, so they are untrusted: they are shown with
``escape_markdown`` (or as plain text), and a link only becomes a button when ``web_link`` lets it.
"""

from __future__ import annotations

import streamlit as st

from lib.core.text import escape_markdown
from lib.store import workgroup_issues
from lib.ui.page import PageContext
from lib.ui.workgroups_view import DRAFTS, follow_back_lines, issue_link
from lib.workgroups import gitlab_issue
from lib.workgroups.breaches import Recovery
from lib.workgroups.gitlab_issue import IssueFailed, IssueTarget


def issue_target() -> IssueTarget | None:
    return IssueTarget.from_secrets(st.secrets)


def open_in_gitlab(ctx: PageContext, target: IssueTarget, workgroup_id: int) -> None:
    try:
        opened = gitlab_issue.open_issue(ctx.con, target, ctx.settings, workgroup_id, ctx.user)
    except IssueFailed as refused:
        DRAFTS.flash(escape_markdown(refused), "error")
        return
    found = "made" if opened.created else "found (it already existed) and linked"
    DRAFTS.flash(f"GitLab issue #{opened.issue['iid']} {found}.")


def refresh_from_gitlab(ctx: PageContext, target: IssueTarget, workgroup_id: int) -> None:
    try:
        gitlab_issue.follow_issue(ctx.con, target, workgroup_id)
    except IssueFailed as refused:
        DRAFTS.flash(escape_markdown(refused), "error")


def issue_section(ctx: PageContext, workgroup: dict, recovery: Recovery) -> None:
    """On the workgroup's overview: the issue link, what GitLab says, and the editor's buttons."""
    issue = workgroup_issues.stored_issue(ctx.con, workgroup["id"])
    issue_link(workgroup, issue, key=f"issue_link_{workgroup['id']}")
    follow_back_lines(workgroup, recovery, issue)
    if not ctx.can_edit:
        return
    target = issue_target()
    if target is None:
        if not workgroup.get("issue_url"):
            st.caption(
                "To open the issue from here, put `url` and a token with the api scope (`issue_token`) under "
                "`[gitlab]` in `.streamlit/secrets.toml` (see the README)."
            )
        return
    if issue:
        st.button(
            "Refresh from GitLab",
            key=f"issue_refresh_{workgroup['id']}",
            icon=":material/refresh:",
            on_click=refresh_from_gitlab,
            args=(ctx, target, workgroup["id"]),
        )
    elif not workgroup.get("issue_url"):
        st.button(
            "Open the issue in GitLab",
            key=f"issue_open_{workgroup['id']}",
            icon=":material/add_task:",
            on_click=open_in_gitlab,
            args=(ctx, target, workgroup["id"]),
            help=f"Creates the Metrics Workgroup issue in {target.project} with this workgroup's issue body "
            "(Export tab). Pressing again never makes a second one.",
        )
    else:
        st.caption("The issue was linked by hand: Floorline follows back only the issues it opened.")
