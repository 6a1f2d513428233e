"""Fetch the group's epics straight from GitLab, then import them exactly as an uploaded file.

Configured in ``.streamlit/secrets.toml`` (never in git)::

    [gitlab]
    url = "https://gitlab.com"
    group = "gitlab-com/support"
    token = "glpat-..."   # a token with read_api

Only an editor's click runs it. It pages through ``GET /groups/:id/epics`` (100 a page, every
state) with python-gitlab, which follows the ``Link: <...>; rel="next"`` header; the progress
callback hears each page (``X-Page`` of ``X-Total-Pages`` when GitLab sends them). The pages
are written to one JSON file, which goes through ``lib.epics.repository.import_epics_file``: the same
checks, archive, snapshot and change-history row as an upload. Nothing is stored unless every
page arrived.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lib.core import auth
from lib.core.secrets import secret_table
from lib.epics import model as epic_model
from lib.epics import repository as epic_repository

TIMEOUT_SECONDS = 30
PER_PAGE = 100


class FetchFailed(Exception):
    """GitLab could not be asked, or refused: the message says what to check."""


DEFAULT_HOST = "gitlab.com"


def gitlab_host(secrets: Mapping) -> str:
    """The host epic links may lead to: that of ``[gitlab] url``, else gitlab.com."""
    table = secret_table(secrets, "gitlab")
    try:
        return urlsplit(str(table.get("url") or "")).hostname or DEFAULT_HOST
    except ValueError:
        return DEFAULT_HOST


@dataclass(frozen=True)
class GitLabSource:
    url: str
    group: str
    token: str

    @classmethod
    def from_secrets(cls, secrets: Mapping) -> GitLabSource | None:
        """The ``[gitlab]`` table when url, group and token are all there; else None (fetch not offered)."""
        table = secret_table(secrets, "gitlab")
        values = {key: str(table.get(key) or "").strip() for key in ("url", "group", "token")}
        if not all(values.values()):
            return None
        return cls(values["url"].rstrip("/"), values["group"].strip("/"), values["token"])

    @property
    def description(self) -> str:
        return f"{self.url}/groups/{self.group}"


def fetch_epic_pages(
    source: GitLabSource,
    on_progress: Callable[[float, str], None] | None = None,
    *,
    timeout: float = TIMEOUT_SECONDS,
) -> list[dict]:
    """Every epic of the group (all states, descendant groups included), as the REST API returns them."""
    import gitlab
    import requests

    progress = on_progress or (lambda fraction, text: None)
    client = gitlab.Gitlab(source.url, private_token=source.token, timeout=timeout, retry_transient_errors=False)
    path = f"/groups/{gitlab.utils.EncodedId(source.group)}/epics"
    items: list[dict] = []
    try:
        pages = client.http_list(path, iterator=True, per_page=PER_PAGE, state="all")
        page_seen = None
        for item in pages:
            items.append(item)
            if pages.current_page != page_seen:
                page_seen = pages.current_page
                total = pages.total_pages
                fraction = min(0.9, page_seen / total * 0.9) if total else 0.5
                of_total = f" of {total}" if total else ""
                progress(fraction, f"page {page_seen}{of_total} read ({len(items)} epics so far)")
    except gitlab.exceptions.GitlabAuthenticationError as error:
        raise FetchFailed(
            f"GitLab refused the token for {source.description} ({error.response_code}): "
            "check [gitlab] token in secrets.toml (it needs read_api and access to the group)"
        ) from None
    except gitlab.exceptions.GitlabError as error:
        code = getattr(error, "response_code", None)
        raise FetchFailed(
            f"GitLab answered {code or 'an error'} for {source.description}: {error.error_message}"
        ) from None
    except requests.exceptions.Timeout:
        raise FetchFailed(
            f"GitLab at {source.url} did not answer within {timeout:g} seconds; nothing was stored, try again later"
        ) from None
    except requests.exceptions.RequestException as error:
        raise FetchFailed(f"could not reach GitLab at {source.url}: {type(error).__name__}") from None
    return items


def fetch_and_import(
    con,
    source: GitLabSource,
    actor: str | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    *,
    timeout: float = TIMEOUT_SECONDS,
) -> epic_repository.ImportResult:
    """Fetch every page, then import them as one snapshot (FetchFailed or RefusedFile: nothing stored)."""
    auth.require_editor("fetch epics from GitLab")
    actor = actor or auth.actor()
    progress = on_progress or (lambda fraction, text: None)
    progress(0.0, f"asking {source.description}")
    items = fetch_epic_pages(source, progress, timeout=timeout)
    progress(0.95, f"storing {len(items)} epics")
    with tempfile.TemporaryDirectory(prefix="floorline-epics-") as folder:
        path = Path(folder) / "gitlab-epics.json"
        path.write_text(json.dumps(items), encoding="utf-8")
        result = epic_repository.import_epics_file(
            con,
            path,
            actor,
            file_name=f"{source.group} epics from {source.url}",
            shape=epic_model.FETCH_SHAPE,
            source=source.description,
        )
    progress(1.0, "done")
    return result
