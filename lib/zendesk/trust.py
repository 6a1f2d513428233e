"""Data trust for the pull: the Zendesk API's weekly figures against the Explore export's and Sisense's.

The API and Explore exports are both primary (newest wins on every other page), so the page's
Explore-against-Sisense comparison cannot tell them apart; this one takes each source's own uploads
(``fetch_cells(sources=...)``, the newest complete upload per week, as everywhere) and compares them at
Combined with the same tolerance and the same rule as Sisense (``reconcile.compare``: strictly beyond
the tolerance is flagged, a partial week is not).
"""

from __future__ import annotations

from lib.core.kpis import kpi_keys
from lib.core.settings import COMBINED, Settings
from lib.metrics import reconcile
from lib.metrics.kpis import build_series, fetch_cells
from lib.zendesk.pull import SOURCE

EXPORT_SOURCES = ["explore", "dbt"]


def weeks_with_figures(cells, kpi: str, floor: float, layer: str) -> dict:
    return {w.week: w for w in build_series(cells, kpi, floor, layer=layer) if reconcile.has_figure(w)}


def verdict(comparison: reconcile.Comparison | None, tolerance: float) -> str:
    return reconcile.verdict(comparison, tolerance) if comparison else ""


def api_comparison_rows(con, settings: Settings) -> list[dict]:
    """One row per KPI and week the API covers and the export or Sisense covers too, newest first."""
    tolerance = settings.reconciliation_tolerance_points
    api_cells = fetch_cells(con, sources=[SOURCE])
    if not api_cells:
        return []
    export_cells, every_cell = fetch_cells(con, sources=EXPORT_SOURCES), fetch_cells(con)
    rows = []
    for kpi in kpi_keys():
        floor = settings.floors[kpi]
        api = weeks_with_figures(api_cells, kpi, floor, "primary")
        export = weeks_with_figures(export_cells, kpi, floor, "primary")
        sisense = weeks_with_figures(every_cell, kpi, floor, "secondary")
        for week in sorted(set(api) & (set(export) | set(sisense)), reverse=True):
            # The API in the place of the secondary side: the difference reads "API minus the other".
            against_export = (
                reconcile.compare(kpi, COMBINED, export[week], api[week], tolerance) if week in export else None
            )
            against_sisense = (
                reconcile.compare(kpi, COMBINED, sisense[week], api[week], tolerance) if week in sisense else None
            )
            rows.append(
                {
                    "KPI": kpi,
                    "Week": week,
                    "Zendesk API": api[week].value,
                    "Explore export": export[week].value if week in export else None,
                    "Sisense": sisense[week].value if week in sisense else None,
                    "API − export (points)": reconcile.rounded(against_export.difference) if against_export else None,
                    "API − Sisense (points)": reconcile.rounded(against_sisense.difference)
                    if against_sisense
                    else None,
                    "Against the export": verdict(against_export, tolerance),
                    "Against Sisense": verdict(against_sisense, tolerance),
                }
            )
    return rows
