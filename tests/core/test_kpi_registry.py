"""The KPI registry (lib/core/kpis.py): a KPI added there, and nowhere else, reaches every figure.

The fourth KPI here, Full Resolution Time, exists only in this test: it is registered for the test's
duration, then read from a real Explore SLA export into a real DuckDB file, and followed through the
command line's status, the weekly review's cards, the trends page and the explanation of a change.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from export_builders import sla_rows, span_rows, weeks_from, write_sla
from page_cache import reset_page_resources
from streamlit.testing.v1 import AppTest

from lib import cli
from lib.core import kpis
from lib.core.kpis import SLA_TARGET, Kpi, UnknownKpi, get_kpi, kpi_keys
from lib.core.settings import Settings
from lib.metrics import explain, provenance
from lib.okrs.model import parse_kpi_link
from lib.store import database as store

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FULL_RESOLUTION = Kpi(
    "FullRT",
    "Full resolution time SLA",
    SLA_TARGET,
    floor=90.0,
    target=92.0,
    metric_names=("Full resolution time", "FullRT"),
    counting="One Full resolution time SLA target is one event: Achieved is good; Achieved + Breached are counted. "
    "Active targets and other SLA metrics are not counted.",
)
WEEKS = weeks_from(dt.date(2026, 9, 7), 6)
# Achieved of 100 Full resolution time targets, week by week: the last two weeks at or below the 90 % floor.
ACHIEVED = (95, 94, 96, 93, 89, 88)
PARTIAL_WEEK = WEEKS[-1] + dt.timedelta(days=7)


@pytest.fixture
def full_resolution_time(monkeypatch):
    """Full Resolution Time in the registry for this test only: one entry, no other change."""
    monkeypatch.setitem(kpis.REGISTRY, FULL_RESOLUTION.key, FULL_RESOLUTION)
    return FULL_RESOLUTION


def explore_sla_export(folder: Path) -> Path:
    """An Explore SLA event export over six whole weeks, First reply time and Full resolution time targets."""
    rows = span_rows(WEEKS[0], WEEKS[-1] + dt.timedelta(days=6))
    for week, achieved in zip(WEEKS, ACHIEVED, strict=True):
        rows += sla_rows(week, "SaaS", "First reply time", 96, 4)
        rows += sla_rows(week, "Self-Managed", "Full resolution time", achieved, 100 - achieved)
    rows += sla_rows(PARTIAL_WEEK, "Self-Managed", "Full resolution time", 87, 13)  # on its Wednesday: a week so far
    return write_sla(folder / "explore_sla.csv", rows)


def run_cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.run(list(args))
    return code, out.getvalue()


def test_the_registry_holds_the_three_kpis_in_agenda_order_with_their_defaults():
    assert kpi_keys() == ("FRT", "NRT", "SSAT")
    assert kpi_keys(SLA_TARGET) == ("FRT", "NRT")
    assert Settings().floors == {"FRT": 93.0, "NRT": 83.0, "SSAT": 93.0}
    assert Settings().targets == {"FRT": 95.0, "NRT": 85.0, "SSAT": 95.0}
    assert get_kpi("SSAT").family.bad_events == "Bad ratings"


def test_a_kpi_the_registry_does_not_hold_is_an_error_not_a_default():
    with pytest.raises(UnknownKpi, match="unknown KPI 'FullRT'; expected one of FRT, NRT, SSAT"):
        get_kpi("FullRT")


def test_floors_saved_before_a_kpi_was_added_leave_it_its_default_floor(db_path, full_resolution_time):
    con = store.connect(db_path)
    store.save_setting(con, "floors", {"FRT": 94.0}, actor="test")
    con.close()

    con = store.connect(db_path)
    settings = store.load_settings(con)
    con.close()

    assert settings.floors == {"FRT": 94.0, "NRT": 83.0, "SSAT": 93.0, "FullRT": 90.0}
    assert settings.targets["FullRT"] == 92.0


def test_an_added_kpi_flows_from_an_export_to_status_cards_trends_and_explain(db_path, tmp_path, full_resolution_time):
    code, out = run_cli("ingest", str(explore_sla_export(tmp_path)))
    assert code == 0, out

    code, out = run_cli("status", "--json")
    status = json.loads(out)
    full = status["kpis"]["FullRT"]
    assert set(status["kpis"]) == set(kpi_keys()) == {"FRT", "NRT", "SSAT", "FullRT"}
    assert full["floor"] == 90.0 and full["latest_value"] == 88.0
    assert full["weekly"] == {str(week): float(achieved) for week, achieved in zip(WEEKS, ACHIEVED, strict=True)}
    assert full["weeks_at_or_below"] == 2 and full["sustained_breach"] is True
    assert full["weekly_interval_95"][str(WEEKS[-1])] == [80.1879, 93.0006]  # Wilson, 88 of 100
    assert full["week_so_far"]["statement"].startswith("FullRT 87.0\u00a0% so far (Mon–Wed, 100 targets;")

    code, out = run_cli("explain", "fullrt", "--week", str(WEEKS[-1]), "--json")
    explained = json.loads(out)
    assert code == 0 and explained["kpi"] == "FullRT"
    con = store.connect(db_path)
    result = explain.explain(con, store.load_settings(con), "FullRT", WEEKS[-1])
    prov = provenance.provenance(con, store.load_settings(con), "FullRT", WEEKS[-1])
    con.close()
    assert explain.describe(result, 90.0).startswith("GitLab SM carries most of the drop of -1.00 pts")
    assert prov.rules[0].text == FULL_RESOLUTION.counting

    review = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30)
    review.run()
    assert not review.exception, [e.message for e in review.exception]
    headers = [m.value for m in review.markdown if m.value.startswith("## ")]
    # A sustained breach leads the agenda; then the KPIs in registry order.
    assert headers[0] == "## FullRT\n### :red[:material/report: Sustained breach]"
    assert sorted(h.split("\n")[0] for h in headers) == sorted(f"## {kpi}" for kpi in kpi_keys())

    trends = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30)
    trends.switch_page("pages/1_KPI_trends.py")
    trends.run()
    assert not trends.exception, [e.message for e in trends.exception]
    charts = {
        spec["layout"]["meta"]["kpi"]: spec for spec in (json.loads(c.proto.spec) for c in trends.get("plotly_chart"))
    }
    floor = next(s for s in charts["FullRT"]["layout"]["shapes"] if s.get("name") == "floor")
    assert floor["y0"] == floor["y1"] == 90.0
    assert "FullRT · Full resolution time SLA" in [h.value for h in trends.header]
    reset_page_resources()


def test_an_okr_may_link_to_an_added_kpi(full_resolution_time):
    link = parse_kpi_link("GitLab SM FULLRT >= 90")
    assert (link.kpi, link.scope, link.threshold) == ("FullRT", "GitLab SM", 90.0)
