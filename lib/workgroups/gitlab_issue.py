"""Open a workgroup's "Metrics Workgroup" issue in GitLab, once, and follow it back.

Configured in ``.streamlit/secrets.toml`` (never in git), beside the epics fetch::

    [gitlab]
    url = "https://gitlab.com"
    token = "glpat-..."              # read_api: enough for the epics fetch
    issue_token = "glpat-..."        # api: creating issues needs it (falls back to token)
    issue_project = "gitlab-com/support/metrics"
    issue_labels = ["Metrics Workgroup"]

Only an editor's click opens an issue. Once and only once: the stored iid is checked first, and a search
by title comes before every create, so a press after a lost answer (GitLab made the issue, the reply never
arrived) finds that issue instead of making a second. Any refusal raises ``IssueFailed`` saying what to
do, and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from lib.core import auth
from lib.core.secrets import secret_table
from lib.core.settings import Settings
from lib.store import workgroup_issues
from lib.workgroups import exports, repository
from lib.workgroups.breaches import Recovery, scope_series
from lib.workgroups.model import WorkgroupError, one_line

TIMEOUT_SECONDS = 30
DEFAULT_PROJECT = "gitlab-com/support/metrics"
DEFAULT_LABELS = ("Metrics Workgroup",)
TITLE_PREFIX = "Metrics Workgroup: "  # the handbook template's name, then the workgroup's own title


class IssueFailed(Exception):
    """GitLab could not be asked, or refused: the message says what to do. Nothing was stored."""


@dataclass(frozen=True)
class IssueTarget:
    url: str
    project: str
    token: str
    labels: tuple[str, ...] = DEFAULT_LABELS

    @classmethod
    def from_secrets(cls, secrets: Mapping) -> IssueTarget | None:
        """``[gitlab]`` url and a token (``issue_token``, else ``token``); None when either is missing."""
        table = secret_table(secrets, "gitlab")
        url = str(table.get("url") or "").strip().rstrip("/")
        token = str(table.get("issue_token") or table.get("token") or "").strip()
        if not url or not token:
            return None
        project = str(table.get("issue_project") or DEFAULT_PROJECT).strip().strip("/")
        labels = table.get("issue_labels", DEFAULT_LABELS)
        labels = (labels,) if isinstance(labels, str) else tuple(str(label) for label in labels)
        return cls(url, project, token, labels)

    @property
    def description(self) -> str:
        return f"{self.url}/{self.project}"


@dataclass(frozen=True)
class OpenedIssue:
    issue: dict
    created: bool  # False: the stored issue, or one a search by title found, was kept instead


def issue_title(workgroup: dict) -> str:
    return TITLE_PREFIX + one_line(workgroup["title"])


def followed(item) -> dict:
    """What Floorline keeps of GitLab's issue JSON; an answer that is not an issue is refused."""
    try:
        return issue_fields(item)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise IssueFailed("GitLab's answer was not an issue as its API documents one; nothing was stored.") from None


def issue_fields(item: dict) -> dict:
    updated = item.get("updated_at")
    updated_at = dt.datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None
    return {
        "iid": int(item["iid"]),
        "web_url": str(item["web_url"]),
        "title": str(item.get("title") or ""),
        "state": str(item.get("state") or ""),
        "assignees": [str(who.get("name") or who.get("username") or "") for who in item.get("assignees") or []],
        "labels": [str(label) for label in item.get("labels") or []],
        "updated_at": updated_at.astimezone(dt.UTC).replace(tzinfo=None) if updated_at else None,
    }


def client_for(target: IssueTarget, timeout: float):
    import gitlab

    return gitlab.Gitlab(target.url, private_token=target.token, timeout=timeout, retry_transient_errors=False)


def project_path(target: IssueTarget) -> str:
    import gitlab

    return f"/projects/{gitlab.utils.EncodedId(target.project)}/issues"


def asking(target: IssueTarget, timeout: float, call):
    """Run one GitLab request; every way it can fail becomes an IssueFailed saying what to do."""
    import gitlab
    import requests

    try:
        return call(client_for(target, timeout))
    except gitlab.exceptions.GitlabAuthenticationError as error:
        raise IssueFailed(
            f"GitLab refused the token ({error.response_code}): check [gitlab] issue_token (or token) in "
            "secrets.toml; it must be valid and have the api scope. Nothing was stored."
        ) from None
    except gitlab.exceptions.GitlabError as error:
        code = getattr(error, "response_code", None)
        if code == 403:
            raise IssueFailed(
                f"GitLab answered 403 Forbidden for {target.project}: the token needs the api scope (read_api "
                "cannot create issues) and at least the Guest role in the project. Nothing was stored."
            ) from None
        if code == 404:
            raise IssueFailed(
                f"GitLab has no project {target.project} that this token can see (404): check [gitlab] "
                "issue_project in secrets.toml, and that the token's user or bot is a member. Nothing was stored."
            ) from None
        if code == 400:
            raise IssueFailed(
                f"GitLab refused the issue as invalid (400: {error.error_message}): check [gitlab] issue_labels "
                "and the workgroup's title. Nothing was stored."
            ) from None
        raise IssueFailed(
            f"GitLab answered {code or 'an error'} for {target.project}: {error.error_message}. Nothing was stored."
        ) from None
    except requests.exceptions.Timeout:
        raise IssueFailed(
            f"GitLab at {target.url} did not answer within {timeout:g} seconds; nothing was stored. Press again: "
            "Floorline first searches for the issue by title, so an issue GitLab did make is found, not made twice."
        ) from None
    except requests.exceptions.RequestException as error:
        reason = type(error).__name__
        raise IssueFailed(f"Could not reach GitLab at {target.url} ({reason}); nothing was stored.") from None


def find_by_title(client, target: IssueTarget, title: str) -> dict | None:
    """An issue of the project already bearing exactly this title (any state), or None."""
    found = client.http_list(
        project_path(target), query_data={"search": title, "in": "title", "state": "all"}, get_all=True
    )
    return next((item for item in found if item.get("title") == title), None)


def open_issue(
    con,
    target: IssueTarget,
    settings: Settings,
    workgroup_id: int,
    actor: str | None = None,
    *,
    timeout: float = TIMEOUT_SECONDS,
) -> OpenedIssue:
    """The workgroup's issue: the stored one, else one with its title found by search, else a new one."""
    auth.require_editor("open workgroup issues in GitLab")
    actor = actor or auth.actor()
    stored = workgroup_issues.stored_issue(con, workgroup_id)
    if stored:
        return OpenedIssue(stored, False)
    workgroup = repository.get_workgroup(con, workgroup_id)
    if workgroup is None:
        raise WorkgroupError(f"there is no workgroup #{workgroup_id}")
    floor = settings.floors[workgroup["kpi"]]
    body = exports.issue_body(workgroup, scope_series(con, settings, workgroup["kpi"], workgroup["scope"]), floor)
    title = issue_title(workgroup)

    def create(client) -> tuple[dict, bool]:
        existing = find_by_title(client, target, title)
        if existing:
            return existing, False
        data = {"title": title, "description": body, "labels": ",".join(target.labels)}
        return client.http_post(project_path(target), post_data=data), True

    item, created = asking(target, timeout, create)
    issue = followed(item) | {"found_by_search": not created}
    workgroup_issues.save_opened(con, actor, workgroup_id, target.url, target.project, issue)
    return OpenedIssue(issue, created)


def follow_issue(con, target: IssueTarget, workgroup_id: int, *, timeout: float = TIMEOUT_SECONDS) -> dict:
    """Read the stored issue's state, assignees, labels and last update from GitLab, and keep them."""
    auth.require_editor("refresh workgroup issues from GitLab")
    stored = workgroup_issues.stored_issue(con, workgroup_id)
    if stored is None:
        raise WorkgroupError(f"workgroup #{workgroup_id} has no issue opened from Floorline")
    item = asking(target, timeout, lambda client: client.http_get(f"{project_path(target)}/{stored['iid']}"))
    issue = followed(item)
    workgroup_issues.save_followed(con, workgroup_id, issue, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    return issue


def follow_every_issue(con, target: IssueTarget, *, timeout: float = TIMEOUT_SECONDS) -> list[str]:
    """Follow back every stored issue (after an upload or pull); what could not be read, one sentence each."""
    problems = []
    for workgroup_id in workgroup_issues.every_issue(con):
        try:
            follow_issue(con, target, workgroup_id, timeout=timeout)
        except IssueFailed as error:
            problems.append(f"Workgroup #{workgroup_id}'s issue could not be read: {error}")
    return problems


def closed_but_not_recovered(kpi: str, issue: dict | None, recovery: Recovery) -> str | None:
    """The flag for the meeting when GitLab says the issue is closed while the KPI has not recovered."""
    if not issue or issue.get("state") != "closed" or recovery.recovered:
        return None
    weeks = f"{recovery.weeks_above} of {recovery.weeks_needed} weeks above the floor"
    return f"closed in GitLab, {kpi} not recovered: {weeks}"
