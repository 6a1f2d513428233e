"""Weeks in page addresses: read in either spelling, written in one.

A link names a week as ``2026-09-14`` (what Floorline writes) or as a page shows it,
``14 Sep 2026`` (what people type or copy from a chart). Any day of a week stands for that
week. A week the data does not have is reported in words, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from urllib.parse import quote, urlencode, urlsplit

# ISO first: it is what Floorline writes. Month names are English, as every page prints them.
WEEK_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%d %B %Y")
SPELLINGS = "2026-09-14 or 14 Sep 2026"


# A link value longer than this is refused unread: no week, id or name Floorline writes comes near it.
MAX_LINK_VALUE = 100
# Workgroup and other ids are at most this many digits (DuckDB BIGINT); more is not an id Floorline made.
MAX_ID_DIGITS = 18


def shown_link_value(text: str) -> str:
    """A link's value as a notice quotes it: cut short, so a 100,000-character value is not repeated."""
    return text if len(text) <= 40 else text[:40] + "…"


def read_id(text: str) -> int | None:
    """A link's id (``?wg=12``): ASCII digits only (``²`` and ``١`` are digits to ``str.isdigit``, not ids)."""
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= MAX_ID_DIGITS else None


def read_choice(text: str, choices) -> str | None:
    """The one of ``choices`` a link names, in any case (``?kpi=frt``), or None."""
    return next((choice for choice in choices if choice.casefold() == text.casefold()), None)


def parse_week_text(text: str) -> dt.date | None:
    """The date a link's week value names, or None when it is not a date in a known spelling."""
    if len(str(text)) > MAX_LINK_VALUE:
        return None
    cleaned = " ".join(str(text).replace("+", " ").split())
    for spelling in WEEK_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, spelling).date()
        except ValueError:
            continue
    return None


def unreadable_note(value: str, which: str = "") -> str:
    shown = shown_link_value(value)
    return f"The link's {which}week “{shown}” is not a date Floorline reads (write it as {SPELLINGS})."


def week_holding(day: dt.date, weeks: list[dt.date]) -> dt.date | None:
    """The week (named by its first day) among ``weeks`` that ``day`` falls in."""
    return next((week for week in weeks if week <= day < week + dt.timedelta(days=7)), None)


def resolve_link_weeks(values: list[str], weeks: list[dt.date]) -> tuple[list[dt.date], list[str]]:
    """The weeks a link names, among the weeks there is data for, and a sentence for each it cannot use."""
    found, notes = [], []
    for value in values:
        day = parse_week_text(value)
        if day is None:
            notes.append(unreadable_note(value))
            continue
        week = week_holding(day, weeks)
        if week is None:
            notes.append(f"The link names the week of {day:%d %b %Y}, which has no data here.")
            continue
        found.append(week)
    return found, notes


def link_value(week: dt.date) -> str:
    """How Floorline writes a week into a link."""
    return week.isoformat()


def web_link(url: object, hosts: tuple[str, ...] = ()) -> str | None:
    """``url`` when a link column may open it: an absolute http or https address with a host (one of
    ``hosts``, lower case, when given) and no control, format or space character; else None, so the
    cell shows nothing to click. ``javascript:…``, ``data:…``, ``//evil.example`` and a GitLab
    look-alike host are all None."""
    if not isinstance(url, str) or any(unicodedata.category(char)[0] in "CZ" for char in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # an unbalanced [ in the host, a port that is not a number
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or (hosts and host not in hosts):
        return None
    return url


# The view the meeting is in, carried by every in-app link (lib/ui/view_links.py reads them from the address).
VIEW_PARAMS = ("present", "week", "kpi", "scope")


def view_query_from(current: Mapping[str, str], **chosen: str | None) -> dict[str, str]:
    """The view parameters of ``current``, with ``chosen`` added or replacing them (a None leaves one out)."""
    query = {name: current[name] for name in VIEW_PARAMS if name in current}
    for name, value in chosen.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return query


def page_address(app_url: str, url_path: str, query: Mapping[str, str]) -> str:
    """The address that opens a page of the app at ``app_url`` on a view (``/Workgroups?wg=3``), for messages
    sent outside the app."""
    return app_url.rstrip("/") + url_path + (f"?{urlencode(query)}" if query else "")


# Characters left as they are in a Markdown link's address; the rest (brackets, parentheses, angle brackets,
# quotes, backslashes, spaces) are percent-encoded, so no address can end the link early or add markup.
MARKDOWN_ADDRESS_SAFE = ":/?#@!$&+,;=%~"


def markdown_link(label: str, url: str | None) -> str:
    """A Markdown link to ``url`` as ``label`` (Floorline's own text) for a ``st.table`` cell; "—" when there is no
    address. ``url`` is one ``web_link`` passed or one Floorline wrote (a page of its own): only the characters
    Markdown reads are encoded here, the address is not checked again."""
    if url is None:
        return "—"
    return f"[{label}]({quote(url, safe=MARKDOWN_ADDRESS_SAFE)})"
