"""Key results and workgroup actions whose text names an epic, by URL or GitLab reference."""

from __future__ import annotations

from collections import Counter, defaultdict

from lib.epics.masters import Link
from lib.epics.model import REFERENCE_PATTERN, URL_PATTERN, Epic
from lib.store import okrs as stored_okrs
from lib.store import workgroups as stored_workgroups


def references_in(text: str, default_group: str | None) -> set[tuple[str, int]]:
    """Epics a piece of text names, by URL ('…/groups/g/-/epics/12') or reference ('g&12', '&12')."""
    found = set()
    text = text or ""
    for match in URL_PATTERN.finditer(text):
        found.add((match.group("group"), int(match.group("iid"))))
    without_urls = URL_PATTERN.sub(" ", text)
    for match in REFERENCE_PATTERN.finditer(without_urls):
        group = match.group("group")
        if group is None and default_group is None:
            continue
        found.add((group or default_group, int(match.group("iid"))))
    return found


def epic_links(con, epics: list[Epic]) -> dict[tuple[str, int], list[Link]]:
    """Key results and workgroup actions whose text names an epic of the snapshot.

    A bare '&12' means the group most of the snapshot's epics belong to.
    """
    known = {e.key for e in epics}
    groups = Counter(e.group_path for e in epics)
    default_group = groups.most_common(1)[0][0] if groups else None
    links: dict[tuple[str, int], list[Link]] = defaultdict(list)
    key_results = stored_okrs.key_results_with_quarter(con)
    for kr_id, title, owner, quarter in key_results:
        for key in references_in(title, default_group) & known:
            links[key].append(Link("Key result", f"{kr_id}: {title}", owner, f"./OKRs?quarter={quarter}"))
    actions = stored_workgroups.live_actions(con)
    for workgroup_id, change, owner, workgroup_title in actions:
        for key in references_in(change, default_group) & known:
            links[key].append(
                Link(
                    "Workgroup action",
                    f"Workgroup #{workgroup_id} ({workgroup_title}): {change}",
                    owner or "",
                    f"./Workgroups?wg={workgroup_id}&tab=Actions",
                )
            )
    return dict(links)
