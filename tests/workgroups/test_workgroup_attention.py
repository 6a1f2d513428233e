"""Which sustained breaches the Workgroups page warns about: a combined breach with no open combined workgroup."""

from __future__ import annotations

from workgroup_builders import FRT_BREACH, OPENED

from lib.core.kpis import kpi_keys
from lib.workgroups import attention, breaches, model, repository


def combined_series(con, settings) -> dict:
    return {kpi: breaches.scope_series(con, settings, kpi) for kpi in kpi_keys()}


def test_a_sustained_combined_breach_without_a_workgroup_needs_attention(demo, settings):
    found = attention.unattended_breaches(demo, settings, combined_series(demo, settings))
    assert [kpi for kpi, _ in found] == ["FRT"]
    episode = found[0][1]
    assert (episode.start, episode.weeks) == (FRT_BREACH[0], len(FRT_BREACH))


def test_only_an_open_combined_workgroup_answers_the_breach(demo, settings):
    repository.form_workgroup(demo, "ana", settings, "FRT", scope="L&R", start=FRT_BREACH[0], end=FRT_BREACH[-1])
    assert [kpi for kpi, _ in attention.unattended_breaches(demo, settings, combined_series(demo, settings))] == ["FRT"]

    formed = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED)
    assert attention.unattended_breaches(demo, settings, combined_series(demo, settings)) == []

    repository.close_workgroup(demo, "ana", formed.workgroup_id, OPENED)
    assert [kpi for kpi, _ in attention.unattended_breaches(demo, settings, combined_series(demo, settings))] == ["FRT"]


def test_the_combined_scope_is_stored_as_old_databases_hold_it(demo, settings):
    formed = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED)
    stored = demo.execute("SELECT scope FROM workgroups WHERE id = ?", [formed.workgroup_id]).fetchone()[0]
    assert stored == model.COMBINED_SCOPE == "combined"
    assert repository.open_workgroup_for(demo, "FRT")["scope"] == "combined"
    assert model.default_exit_criteria("FRT", stored, settings).startswith("Combined FRT above its 93 % floor")
