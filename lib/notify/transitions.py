"""The transitions worth telling the team, as the stored figures stand now.

- a KPI and scope in a sustained breach (once per breach: keyed by the week it began),
- an open workgroup's KPI recovered (once per workgroup),
- this week so far at or below the floor, a breach week likely (once per KPI and week).

Each is keyed so that finding it again, after a re-upload, a rollback and a restore, gives the same key:
``lib.store.notifications`` remembers which keys went to which channel. Messages write figures as the pages
do (``format_percent``, dates as ``02 Nov 2026``) and name workgroups by number and KPI, never by typed text.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.core.kpis import get_kpi, kpi_keys
from lib.core.links import page_address
from lib.core.settings import COMBINED, Settings
from lib.core.text import format_percent
from lib.metrics import explain
from lib.metrics.kpis import at_or_below, kpi_summaries
from lib.workgroups import repository
from lib.workgroups.breaches import current_breach, recovery_of, scope_series
from lib.workgroups.model import COMBINED_SCOPE, SCOPES, scope_label

# The pages' addresses (lib/ui/navigation.py derives them from the file names; a test checks they agree).
WORKGROUPS_PATH = "/Workgroups"
TRENDS_PATH = "/KPI_trends"


@dataclass(frozen=True)
class Transition:
    key: str
    subject: str
    body: str

    def message(self) -> str:
        return f"{self.subject}\n\n{self.body}"


def short_scope(scope: str) -> str:
    return COMBINED if scope == COMBINED_SCOPE else scope


def link_line(app_url: str, path: str, query: dict[str, str]) -> str:
    return f"Open it in Floorline: {page_address(app_url, path, query)}" if app_url else ""


def breaches(con, settings: Settings, app_url: str) -> list[Transition]:
    found = []
    for kpi in kpi_keys():
        floor = settings.floors[kpi]
        for scope in SCOPES:
            episode = current_breach(scope_series(con, settings, kpi, scope), kpi, settings)
            if episode is None:
                continue
            where = short_scope(scope)
            query = {"kpi": kpi, "start": episode.start.isoformat(), "end": episode.end.isoformat()}
            if scope != COMBINED_SCOPE:
                query["scope"] = scope
            body = (
                f"{get_kpi(kpi).name} ({scope_label(scope)}) has been at or below its {floor:g} % floor for "
                f"{episode.weeks} consecutive weeks, the weeks of {episode.start:%d %b %Y} to {episode.end:%d %b %Y}; "
                f"the lowest was {format_percent(episode.worst_value, floor)} "
                f"in the week of {episode.worst_week:%d %b %Y}. "
                "The handbook's next step is a metrics workgroup."
            )
            found.append(
                Transition(
                    f"breach:{kpi}:{scope}:{episode.start.isoformat()}",
                    f"{kpi} ({where}): sustained breach, {episode.weeks} weeks at or below the floor",
                    "\n".join(filter(None, [body, link_line(app_url, WORKGROUPS_PATH, query)])),
                )
            )
    return found


def recoveries(con, settings: Settings, app_url: str) -> list[Transition]:
    found = []
    for workgroup in repository.list_workgroups(con):
        if workgroup["status"] != "open":
            continue
        kpi, scope = workgroup["kpi"], workgroup["scope"]
        series = scope_series(con, settings, kpi, scope)
        recovery = recovery_of(series, workgroup["trigger_end"], settings.recovery_weeks)
        if not recovery.recovered:
            continue
        name = f"Workgroup #{workgroup['id']} on {kpi} ({short_scope(scope)})"
        body = (
            f"{name}: {recovery.describe()}. The workgroup can be closed once the meeting agrees "
            "(its exit criteria are on the workgroup)."
        )
        found.append(
            Transition(
                f"recovered:workgroup:{workgroup['id']}",
                f"{kpi} ({short_scope(scope)}) recovered: workgroup #{workgroup['id']} can close",
                "\n".join(filter(None, [body, link_line(app_url, WORKGROUPS_PATH, {"wg": str(workgroup["id"])})])),
            )
        )
    return found


def weeks_at_risk(con, settings: Settings, app_url: str) -> list[Transition]:
    found = []
    for kpi, summary in kpi_summaries(con, settings).items():
        so_far = explain.week_so_far(con, summary, settings)
        if so_far is None or not at_or_below(so_far.good, so_far.total, so_far.floor):
            continue
        found.append(
            Transition(
                f"at-risk:{kpi}:{so_far.week.isoformat()}",
                f"{kpi} this week so far: {format_percent(so_far.value, so_far.floor)}, at or below the "
                f"{so_far.floor:g} % floor",
                "\n".join(filter(None, [so_far.describe(), link_line(app_url, TRENDS_PATH, {"kpi": kpi})])),
            )
        )
    return found


def current_transitions(con, settings: Settings, app_url: str = "") -> list[Transition]:
    """Every transition the figures show now, sent or not (the caller leaves out those already sent)."""
    return breaches(con, settings, app_url) + recoveries(con, settings, app_url) + weeks_at_risk(con, settings, app_url)
