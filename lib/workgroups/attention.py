"""What needs the meeting's attention on the Workgroups page: sustained breaches nobody is working on."""

from __future__ import annotations

from lib.core.kpis import kpi_keys
from lib.core.settings import Settings
from lib.metrics.kpis import Episode, WeekValue
from lib.workgroups.breaches import current_breach
from lib.workgroups.model import COMBINED_SCOPE
from lib.workgroups.repository import find_open


def unattended_breaches(
    con, settings: Settings, combined_series: dict[str, list[WeekValue]]
) -> list[tuple[str, Episode]]:
    """(KPI, its ongoing sustained episode) for each KPI whose combined figure is in sustained breach
    with no open combined workgroup, in KPI order.

    ``combined_series`` maps each KPI to its combined weekly series (``breaches.scope_series``), which
    the page has cached.
    """
    found = []
    for kpi in kpi_keys():
        episode = current_breach(combined_series[kpi], kpi, settings)
        if episode and find_open(con, kpi, COMBINED_SCOPE) is None:
            found.append((kpi, episode))
    return found
