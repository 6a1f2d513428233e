"""The hypothesis library: seeded, searchable, copied into a workgroup, with past conclusions."""

from __future__ import annotations

from workgroup_builders import OPENED

from lib.workgroups import contents, library, repository


def test_the_library_is_seeded_searchable_copyable_and_shows_past_conclusions(demo, settings):
    titles = [entry["title"] for entry in library.library(demo)]
    assert len(titles) == 8
    for expected in ("Ticket volume", "time-consuming workflow", "subset of tickets", "harder", "Time off"):
        assert any(expected.lower() in title.lower() for title in titles), expected
    assert any("single portion" in t for t in titles) and any("Staffing" in t for t in titles)
    assert "A single bad day" in titles  # checked against the data (lib.workgroups.checks)
    assert any("AMER, APAC and EMEA" in entry["statement"] for entry in library.library(demo))

    [time_off] = library.library(demo, "time OFF")
    assert library.library(demo, "no such words anywhere") == []
    workgroup_id = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    hypothesis_id = library.copy_from_library(demo, "ana", workgroup_id, time_off["id"])
    copied = repository.get_workgroup(demo, workgroup_id)["hypotheses"][0]
    assert copied["statement"] == "FRT fell because many people took time off."
    assert copied["title"] == "Time off" and copied["falsified_if"]
    assert library.library(demo, "time off")[0]["past"] == [], "an open hypothesis is no conclusion yet"

    contents.update_hypothesis(demo, "ana", hypothesis_id, verdict="falsified", notes="PTO was steady")
    [entry] = library.library(demo, "time off")
    assert entry["tally"]["falsified"] == 1
    assert entry["past"][0]["workgroup_id"] == workgroup_id and entry["past"][0]["notes"] == "PTO was steady"

    custom = library.add_to_library(demo, "ana", "A new tool slowed replies", statement="{kpi} fell after the switch.")
    assert custom > 7 and library.library(demo, "new tool")[0]["id"] == custom
