"""Where the team hears of a transition: one apprise URL per channel, named in ``[notify]``.

Configured in ``.streamlit/secrets.toml`` (never in git)::

    [notify]
    app_url = "https://floorline.example.com"    # the links in messages open the app here
    slack = "https://hooks.slack.com/services/T000/B000/XXXX"
    teams = "https://HOST:443/workflows/..."      # a Microsoft Teams workflow webhook, as Teams gives it
    webhook = "jsons://hooks.example.com/floorline"   # any webhook: JSON {"title", "message", "type"}
    email = "mailtos://user:password@smtp.example.com?to=support-managers@example.com"

Every key but ``app_url`` is a channel; its name is what the Change history and the pages show. Its URL
holds the secret, so it is never stored, printed or shown: a failure's reason has every part of the URL
taken out before anyone sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from lib.core.secrets import secret_table

APP_URL_KEY = "app_url"
# Parts of a URL this short (a port, "json", "services") say nothing secret, and taking them out would
# blank ordinary words in a failure's reason.
SHORTEST_SECRET = 6


@dataclass(frozen=True)
class Channel:
    name: str
    url: str  # holds the secret: never stored nor shown

    def __repr__(self) -> str:  # a traceback or a log line names the channel, never its URL
        return f"Channel({self.name!r})"


@dataclass(frozen=True)
class NotifyConfig:
    app_url: str
    channels: tuple[Channel, ...]

    @classmethod
    def from_secrets(cls, secrets: Mapping) -> NotifyConfig:
        table = secret_table(secrets, "notify")
        channels = tuple(
            Channel(str(name), str(url).strip())
            for name, url in table.items()
            if name != APP_URL_KEY and str(url or "").strip()
        )
        return cls(str(table.get(APP_URL_KEY) or "").strip(), channels)


def scrubbed(text: str, url: str) -> str:
    """``text`` with the URL and each of its longer parts (user, password, host, path pieces, query) cut out."""
    parts = urlsplit(url)
    pieces = [url, parts.netloc, parts.query, parts.path, *parts.path.split("/"), *parts.query.split("&")]
    pieces += [parts.username or "", parts.password or ""]
    pieces += [unquote(piece) for piece in pieces]
    for piece in sorted({p for p in pieces if len(p) >= SHORTEST_SECRET}, key=len, reverse=True):
        text = text.replace(piece, "…")
    return text


def deliver(channel: Channel, subject: str, body: str) -> str | None:
    """Send one message to one channel; None when it went, else why not (with no part of the URL)."""
    import apprise

    sender = apprise.Apprise()
    if not sender.add(channel.url):
        return f"the URL of [notify] {channel.name} is not one apprise can send to (check its scheme)"
    warnings: list[str] = []
    try:
        result = sender.notify(
            body=body,
            title=subject,
            body_format=apprise.NotifyFormat.TEXT,
            log_callback=lambda entry, plugin: warnings.append(str(entry.message)),
        )
    except Exception as error:  # noqa: BLE001 - one channel's failure must not stop the others nor the upload
        return scrubbed(f"{type(error).__name__}: {error}", channel.url)
    if result:
        return None
    return scrubbed(" ".join(warnings) or "the channel did not accept the message", channel.url)
