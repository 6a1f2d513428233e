"""The demo OKRs' story, and how the first real import replaces them."""

from __future__ import annotations

from datetime import date

import pytest
from okr_builders import (
    CHECK_INS,
    DEMO_END,
    Q3,
    Q4,
    base_sheets,
    counts,
    write_csv,
    write_workbook,
)

from lib.core.errors import RefusedFile
from lib.core.kpis import kpi_keys
from lib.core.settings import COMBINED_SEGMENTS, REGIONS
from lib.demo import okrs as okr_demo
from lib.metrics import kpis
from lib.okrs import quarters, repository
from lib.store import database as store

# --- demo OKRs ----------------------------------------------------------------------------


@pytest.fixture
def demo_okrs(demo_con):
    """The demo loader seeds the demo OKRs with the exports; loading them again adds nothing."""
    assert demo_con.execute("SELECT count(*) FROM okr_managers").fetchone()[0] > 0
    assert not okr_demo.load_demo_okrs(demo_con, DEMO_END)
    return demo_con


def test_demo_okrs_tell_the_intended_story(demo_okrs):
    assert not okr_demo.load_demo_okrs(demo_okrs, DEMO_END)  # a second call changes nothing
    settings = store.load_settings(demo_okrs)
    view = quarters.quarter_view(demo_okrs, settings, Q4, DEMO_END)
    regions = {m.region for m in view.managers}
    assert len(view.managers) == 8 and regions == {"AMER", "APAC", "EMEA"}
    exempt = [m for m in view.managers if m.exemption.exempt]
    assert [(m.name, m.exemption.until) for m in exempt] == [("Sam Carter", date(2027, 1, 31))]
    checks = {(gap.manager, gap.check) for gap in view.gaps}
    assert ("Kenji Watanabe", "No OKR") in checks
    assert ("Lukas Becker", "Not aligned") in checks
    assert ("Sofia Rossi", "No check-in for 3 weeks") in checks
    linked = [kr for kr in view.key_results if kr.kpi_link == "GitLab SM FRT >= 95"]
    assert [(kr.manager, kr.score_source, kr.band) for kr in linked] == [("Alex Rivera", "KPI data", "At risk")]
    frt = next(kr for kr in view.key_results if kr.kpi_link == "Combined FRT >= 95")
    assert (frt.score, frt.band) == (0, "At risk")  # the sustained breach: no Q4 week at 95 %
    # The D1 roll-up: its own key results and those of the manager objectives aligned with it.
    d1 = next(d for d in view.departments if d.objective.id == "FY27-Q4-D1")
    assert [o.owner for o in d1.aligned] == ["Alex Rivera", "Chioma Okafor"]
    beneath = [kr.score for kr in view.key_results if kr.objective_id in ("FY27-Q4-D1", "FY27-Q4-M1", "FY27-Q4-M4")]
    assert len(beneath) == 5 and d1.progress == pytest.approx(sum(beneath) / 5)
    previous = quarters.quarter_view(demo_okrs, settings, Q3, DEMO_END)
    assert not [gap for gap in previous.gaps if gap.check in ("No OKR", "Not aligned", "No check-in for 3 weeks")]
    assert "of 13 complete weeks" in next(kr for kr in previous.key_results if kr.kpi_link).kpi_note


def test_kpis_come_first_for_managers_whose_region_or_segment_is_in_sustained_breach(demo_okrs):
    settings = store.load_settings(demo_okrs)
    view = quarters.quarter_view(demo_okrs, settings, Q4, DEMO_END)
    # What lib.metrics.kpis says is in a sustained breach now, by region and by segment.
    in_breach = {
        region
        for region in REGIONS
        if any(s.sustained_breach for s in kpis.kpi_summaries(demo_okrs, settings, region=region).values())
    }
    cells = kpis.fetch_cells(demo_okrs)
    for segment in COMBINED_SEGMENTS:
        for kpi in kpi_keys():
            series = kpis.build_series(cells, kpi, settings.floors[kpi], segments=(segment,))
            if kpis.summarise(series, kpi, settings).sustained_breach:
                in_breach.add(segment)
    assert in_breach  # the demo's FRT breach reaches managers
    for manager in view.managers:
        expected = {manager.region, manager.segment} & in_breach
        assert {b.scope for b in manager.kpi_breaches} == expected, manager.name
    # Chioma (EMEA) follows L&R as well as her region; Alex AMER and GitLab SM.
    chioma = next(m for m in view.managers if m.name == "Chioma Okafor")
    assert ("L&R" in in_breach) == any(b.scope == "L&R" for b in chioma.kpi_breaches)
    order = [bool(m.kpi_breaches) for m in view.managers]
    assert order == sorted(order, reverse=True)  # everyone with a breach is listed first
    table = quarters.managers_frame(view)
    assert list(table.columns[-3:]) == ["1. KPIs now", "2. Team growth", "3. OKRs"]


def test_the_first_real_import_replaces_the_demo_okrs(demo_okrs, tmp_path):
    assert repository.has_demo_okrs(demo_okrs)
    result = repository.import_okr_file(demo_okrs, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    assert result.replaced_demo and not repository.has_demo_okrs(demo_okrs)
    assert counts(demo_okrs) == {"okr_managers": 2, "okr_objectives": 2, "okr_key_results": 2, "okr_check_ins": 1}


def test_a_real_file_may_not_refer_to_demo_rows_it_is_about_to_replace(demo_okrs, tmp_path):
    path = write_csv(tmp_path / "c.csv", [*CHECK_INS, ("FY27-Q4-M1-KR2", "2026-11-25", 80, "")])
    with pytest.raises(RefusedFile) as refused:
        repository.import_okr_file(demo_okrs, path, "ana")
    assert (refused.value.row, refused.value.column) == (2, "key_result_id")
    assert repository.has_demo_okrs(demo_okrs)
