"""The stored figures more than one page reads, each cached on the data version (``lib.ui.cache``)."""

from __future__ import annotations

from lib.metrics import kpis, review
from lib.ui.cache import by_data_version

upload_facts = by_data_version(review.upload_facts)


@by_data_version(takes_context=True)
def kpi_summaries(ctx) -> dict[str, kpis.KpiSummary]:
    """Every KPI's combined summary (the weekly review's cards, this week so far)."""
    return kpis.kpi_summaries(ctx.con, ctx.settings)


def upload_labels(ctx) -> dict[int, str]:
    """Upload id -> how a chart names it: "upload 12 (frt-week.csv)"."""
    return {upload_id: facts["label"] for upload_id, facts in upload_facts(ctx).items()}
