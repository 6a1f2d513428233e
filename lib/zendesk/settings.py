"""Where Floorline reads Zendesk from, and with which credentials.

Configured in ``.streamlit/secrets.toml`` (never in git)::

    [zendesk]
    subdomain = "acme"                # https://acme.zendesk.com
    email = "reports@acme.example"    # with api_token: basic auth as "email/token"
    api_token = "..."                 # a token of an agent who may read tickets (see README)
    # oauth_token = "..."             # instead of email + api_token
    region_field_id = 360001234567    # the "Preferred Region for Support" custom field
    # base_url = "http://127.0.0.1:8080"   # a proxy, or the tests' local server

or, for cron and containers, the environment variables ``ZENDESK_SUBDOMAIN``, ``ZENDESK_EMAIL``,
``ZENDESK_API_TOKEN``, ``ZENDESK_OAUTH_TOKEN``, ``ZENDESK_REGION_FIELD_ID`` and ``ZENDESK_BASE_URL``
(each one overrides the secrets file's).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

KEYS = ("subdomain", "email", "api_token", "oauth_token", "region_field_id", "base_url")


@dataclass(frozen=True)
class ZendeskSettings:
    subdomain: str
    email: str = ""
    # repr=False: a settings object printed in a log, a traceback's locals or a page never shows a token.
    api_token: str = field(default="", repr=False)
    oauth_token: str = field(default="", repr=False)
    region_field_id: int | None = None
    base_url_override: str = ""

    @property
    def base_url(self) -> str:
        return (self.base_url_override or f"https://{self.subdomain}.zendesk.com").rstrip("/")

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in any output: checked by the tests, scrubbed from messages."""
        return tuple(value for value in (self.api_token, self.oauth_token) if value)

    @property
    def auth_description(self) -> str:
        return "an OAuth token" if self.oauth_token else f"{self.email}'s API token"

    @classmethod
    def from_sources(cls, secrets: Mapping | None = None, environ: Mapping | None = None) -> ZendeskSettings | None:
        """The ``[zendesk]`` table overlaid with ``ZENDESK_*`` variables; None when not configured
        (a subdomain or base URL, and either email + API token or an OAuth token, are needed)."""
        environ = os.environ if environ is None else environ
        try:
            table = dict((secrets or {}).get("zendesk") or {})
        except FileNotFoundError:  # st.secrets without any secrets.toml
            table = {}
        values = {key: str(table.get(key) or "").strip() for key in KEYS}
        for key in KEYS:
            if environ.get(f"ZENDESK_{key.upper()}", "").strip():
                values[key] = environ[f"ZENDESK_{key.upper()}"].strip()
        has_credentials = bool(values["oauth_token"] or (values["email"] and values["api_token"]))
        if not (values["subdomain"] or values["base_url"]) or not has_credentials:
            return None
        region = values["region_field_id"]
        return cls(
            subdomain=values["subdomain"],
            email=values["email"],
            api_token=values["api_token"],
            oauth_token=values["oauth_token"],
            region_field_id=int(region) if region.isdigit() else None,
            base_url_override=values["base_url"],
        )


def from_secrets_file(path: Path = Path(".streamlit/secrets.toml")) -> ZendeskSettings | None:
    """For the command line (cron, containers): the app's secrets file when there is one, and the environment."""
    secrets = {}
    if path.is_file():
        with open(path, "rb") as handle:
            secrets = tomllib.load(handle)
    return ZendeskSettings.from_sources(secrets)


def scrub(text: str, settings: ZendeskSettings) -> str:
    """A message with every secret replaced: an exception's text may quote a URL or header."""
    for secret in settings.secrets:
        text = text.replace(secret, "[hidden]")
    return text
