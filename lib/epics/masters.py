"""Master epics: the area and DRI in a title, child epics, and the flags (no DRI, not on roster, overdue, stale)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from lib.core.settings import Settings
from lib.epics.model import FLAG_SYMBOLS, NO_DRI, NOT_ON_ROSTER, OVERDUE, STALE, Epic


def name_key(name: str) -> str:
    """Case-, accent- and spacing-insensitive form of a name: 'JOSÉ  Núñez' and 'jose nunez' agree."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def last_parentheses(title: str) -> tuple[str, int] | None:
    """The text inside the last top-level balanced parentheses, and where they open; None without any."""
    depth, opened, found = 0, 0, None
    for position, char in enumerate(title):
        if char == "(":
            if depth == 0:
                opened = position
            depth += 1
        elif char == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                found = (title[opened + 1 : position], opened)
    return found


def dri_text(inside: str) -> str:
    """The name in a DRI's parentheses: nested parentheses and a leading 'DRI:' or '@' left out."""
    previous = None
    while previous != inside:
        previous, inside = inside, re.sub(r"\([^()]*\)", " ", inside)
    inside = re.sub(r"^\s*(?:DRI\s*[:\-]?\s*)", "", inside, flags=re.IGNORECASE).strip().lstrip("@")
    return " ".join(inside.split())


def master_pattern(settings: Settings) -> re.Pattern:
    try:
        return re.compile(settings.epic_master_pattern, re.IGNORECASE)
    except re.error as error:
        raise ValueError(
            f"the setting epic_master_pattern '{settings.epic_master_pattern}' is not a valid pattern: {error}"
        ) from None


@dataclass(frozen=True)
class TitleParts:
    area: str
    dri: str | None  # as written in the title


def split_title(title: str, match: re.Match) -> TitleParts:
    """'area: Hiring and onboarding (Priya Nair)' → area 'Hiring and onboarding', DRI 'Priya Nair'."""
    found = last_parentheses(title)
    rest_start = match.end()
    if found is None or found[1] < rest_start:
        return TitleParts(title[rest_start:].strip(" -–—:|") or title, None)
    inside, opened = found
    area = title[rest_start:opened].strip(" -–—:|") or title[:opened].strip() or title
    return TitleParts(area, dri_text(inside) or None)


@dataclass
class Link:
    kind: str  # "Key result" or "Workgroup action"
    item: str
    owner: str
    url: str  # where it lives in this app: the OKRs page at its quarter, or the workgroup's actions


@dataclass
class MasterEpic:
    epic: Epic
    area: str
    dri_written: str | None
    dri: str | None  # the roster's spelling when on the roster
    region: str | None
    children_open: int
    children_closed: int
    last_update: dt.date | None
    days_since_update: int | None
    flags: list[str]
    links: list[Link]

    @property
    def on_roster(self) -> bool:
        return self.dri is not None


def child_map(epics: list[Epic]) -> dict[tuple[str, int], list[Epic]]:
    children = defaultdict(list)
    for epic in epics:
        if epic.parent_key is not None:
            children[epic.parent_key].append(epic)
    return children


def master_epics(
    epics: list[Epic],
    roster: dict[str, str],
    settings: Settings,
    today: dt.date,
    links: dict[tuple[str, int], list[Link]] | None = None,
) -> list[MasterEpic]:
    """Every master epic with its area, DRI, child counts and flags, ordered by area.

    ``roster`` maps each manager's name to their region; ``links`` the key results and
    workgroup actions naming an epic (a master epic shows its own and its children's).
    """
    pattern = master_pattern(settings)
    by_name = {name_key(name): name for name in roster}
    children = child_map(epics)
    links = links or {}
    found = []
    for epic in epics:
        match = pattern.search(epic.title)
        if not match:
            continue
        parts = split_title(epic.title, match)
        dri = by_name.get(name_key(parts.dri)) if parts.dri else None
        kids = children.get(epic.key, [])
        updates = [e.updated_at for e in (epic, *kids) if e.updated_at is not None]
        last = max(updates).date() if updates else None
        days = (today - last).days if last else None
        flags = []
        if parts.dri is None:
            flags.append(NO_DRI)
        elif dri is None:
            flags.append(NOT_ON_ROSTER)
        if epic.state == "open":
            if epic.due_date is not None and epic.due_date < today:
                flags.append(OVERDUE)
            if days is None or days >= settings.epic_stale_after_days:
                flags.append(STALE)
        named = list(links.get(epic.key, []))
        for kid in kids:
            named += links.get(kid.key, [])
        found.append(
            MasterEpic(
                epic,
                parts.area,
                parts.dri,
                dri,
                roster.get(dri) if dri else None,
                sum(k.state == "open" for k in kids),
                sum(k.state == "closed" for k in kids),
                last,
                days,
                flags,
                named,
            )
        )
    found.sort(key=lambda m: (m.epic.state != "open", m.area.casefold(), m.epic.iid))
    return found


def flag_text(flags: list[str], master: MasterEpic | None = None) -> str:
    parts = []
    for flag in flags:
        text = f"{FLAG_SYMBOLS[flag]} {flag}"
        if master is not None and flag == NOT_ON_ROSTER:
            text += f" ({master.dri_written})"
        if master is not None and flag == STALE and master.days_since_update is not None:
            text += f" ({master.days_since_update} days)"
        if master is not None and flag == OVERDUE:
            text += f" (due {master.epic.due_date:%d %b %Y})"
        parts.append(text)
    return " · ".join(parts)
