"""Reading Zendesk's API: each endpoint's own paging, retries, and errors that say what to do.

httpx makes the requests and tenacity decides when to try again (429 after ``Retry-After``, 5xx and
network failures with bounded exponential backoff); what is left here is what no library knows:
which field of each Zendesk answer leads to the next page, and when the stream has ended
(DECISIONS.md §32).

A next-page URL is followed by its path and query only, on the configured base URL: the credentials
never go to a host the answer names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import tenacity

from lib.zendesk.settings import ZendeskSettings, scrub

TIMEOUT_SECONDS = 60
ATTEMPTS = 5
# The longest wait between attempts, and the longest Retry-After honoured before giving up: a pull
# from cron waits a minute at most, then says when to try again.
MAX_WAIT_SECONDS = 60


class PullFailed(Exception):
    """A request that could not be completed: which endpoint, what happened, what to do. Never holds a secret."""

    def __init__(self, endpoint: str, what: str, todo: str):
        self.endpoint, self.what, self.todo = endpoint, what, todo
        super().__init__(f"Zendesk {endpoint}: {what}. {todo}")


def not_as_documented(endpoint: str, what: str) -> PullFailed:
    """An answer that is JSON but not what Zendesk documents: most often base_url is not Zendesk's API."""
    return PullFailed(endpoint, what, "Check base_url points at Zendesk's API, then pull again.")


class Retryable(Exception):
    """A 429 or 5xx answer, or a lost connection, worth asking again."""

    def __init__(self, response: httpx.Response | None, error: Exception | None = None):
        self.response, self.error = response, error
        super().__init__(str(response.status_code) if response is not None else type(error).__name__)


def wait_for(retry_state: tenacity.RetryCallState) -> float:
    """Retry-After when Zendesk sends it (429, some 503s), else exponential backoff."""
    error = retry_state.outcome.exception() if retry_state.outcome else None
    if isinstance(error, Retryable) and error.response is not None:
        after = error.response.headers.get("Retry-After", "")
        if after.strip().isdigit():
            return min(float(after), MAX_WAIT_SECONDS)
    return tenacity.wait_exponential(multiplier=0.5, max=MAX_WAIT_SECONDS)(retry_state)


@dataclass
class Page:
    body: dict
    url: str


class ZendeskClient:
    def __init__(self, settings: ZendeskSettings, *, attempts: int = ATTEMPTS, transport=None):
        self.settings = settings
        auth = None if settings.oauth_token else httpx.BasicAuth(f"{settings.email}/token", settings.api_token)
        headers = {"Authorization": f"Bearer {settings.oauth_token}"} if settings.oauth_token else {}
        self.http = httpx.Client(
            base_url=settings.base_url, auth=auth, headers=headers, timeout=TIMEOUT_SECONDS, transport=transport
        )
        self.attempts = attempts

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def get(self, endpoint: str, url: str, params: dict | None = None) -> Page:
        """One page as a dict, retried as Zendesk advises; PullFailed naming ``endpoint`` otherwise."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=wait_for,
            retry=tenacity.retry_if_exception_type(Retryable),
            reraise=True,
        )
        try:
            response = retrying(self.request, url, params)
        except Retryable as error:
            raise self.gave_up(endpoint, error) from None
        return Page(self.parse(endpoint, response), str(response.url))

    def request(self, url: str, params: dict | None) -> httpx.Response:
        try:
            response = self.http.get(url, params=params)
        except httpx.TransportError as error:  # refused, reset, timed out, or cut off mid-answer
            raise Retryable(None, error) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise Retryable(response)
        return response

    def gave_up(self, endpoint: str, error: Retryable) -> PullFailed:
        tries = f"{self.attempts} attempts"
        if error.response is None:
            cause = error.error
            if isinstance(cause, httpx.RemoteProtocolError | httpx.ReadError):
                what = f"the answer was cut off mid-way ({tries})"
            elif isinstance(cause, httpx.TimeoutException):
                what = f"no answer within {TIMEOUT_SECONDS} s ({tries})"
            else:
                what = f"could not connect to {self.settings.base_url} ({tries})"
            return PullFailed(endpoint, what, "Check the network (and base_url, if set), then pull again.")
        status = error.response.status_code
        if status == 429:
            after = error.response.headers.get("Retry-After", "?")
            return PullFailed(
                endpoint,
                f"rate limited (429) after {tries}; Zendesk asks to wait {after} s",
                "Pull again later; other integrations share the account's API rate limit.",
            )
        return PullFailed(
            endpoint,
            f"Zendesk answered {status} after {tries}",
            "Zendesk is having trouble (see status.zendesk.com); pull again later.",
        )

    def parse(self, endpoint: str, response: httpx.Response) -> dict:
        status = response.status_code
        if status == 401:
            raise PullFailed(
                endpoint,
                f"the credentials were refused (401, {self.settings.auth_description})",
                "Check [zendesk] email and api_token (or oauth_token); the token may have been revoked.",
            )
        if status == 403:
            raise PullFailed(
                endpoint,
                "permission denied (403)",
                "The incremental exports need a token of a Zendesk admin (or an OAuth token with the read scope).",
            )
        if status == 404:
            raise PullFailed(
                endpoint,
                f"not found (404) at {self.settings.base_url}",
                "Check [zendesk] subdomain (and base_url, if set).",
            )
        if status >= 400:
            raise PullFailed(endpoint, f"Zendesk answered {status}", "Check the [zendesk] settings, then pull again.")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            raise PullFailed(
                endpoint,
                "the answer was not the JSON object Zendesk documents",
                "Check base_url points at Zendesk (not a login page or proxy error), then pull again.",
            )
        return body

    def pages(self, endpoint: str, path: str, params: dict, items: str, next_field: str) -> Iterator[Page]:
        """Every page of one endpoint, following ``next_field``'s URL until ``end_of_stream`` (or no next page)."""
        url, query = path, params
        while True:
            page = self.get(endpoint, url, query)
            if not isinstance(page.body.get(items), list):
                raise not_as_documented(endpoint, f"the answer has no '{items}' list")
            yield page
            following = page.body.get(next_field)
            # end_of_stream is the documented end; an empty page or a next page that is this page again
            # also end it, so an answer without the flag cannot keep the pull asking for ever.
            ended = page.body.get("end_of_stream") is True or not page.body[items]
            if ended or not following or following == page.url:
                return
            parts = urlsplit(str(following))
            url, query = f"{parts.path}?{parts.query}" if parts.query else parts.path, None


def describe(settings: ZendeskSettings, error: Exception) -> str:
    """The words shown for any failure, with every secret scrubbed."""
    return scrub(str(error), settings)
