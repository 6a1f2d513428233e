"""Master epics: the DRI in the title, the pattern setting, the flags and child epics."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from epic_builders import ROSTER, TODAY, parse, rest_epic

from lib.core.settings import DEFAULTS
from lib.epics import masters as epic_masters

# --- master epics, DRIs, flags ------------------------------------------------------------------


def masters(*items: dict, roster=None, settings=DEFAULTS, today=TODAY) -> dict[str, epic_masters.MasterEpic]:
    parsed = parse(json.dumps(list(items)))
    found = epic_masters.master_epics(parsed.epics, ROSTER if roster is None else roster, settings, today)
    return {m.epic.title: m for m in found}


@pytest.mark.parametrize(
    ("title", "area", "written", "dri"),
    [
        ("area: Hiring and onboarding (Priya Nair)", "Hiring and onboarding", "Priya Nair", "Priya Nair"),
        (
            "area: Tooling (Zendesk (Explore) dashboards) (Alex Rivera)",
            "Tooling (Zendesk (Explore) dashboards)",
            "Alex Rivera",
            "Alex Rivera",
        ),
        ("area: Docs (Priya Nair (interim))", "Docs", "Priya Nair", "Priya Nair"),
        ("AREA: Routing (  PRIYA   nair )", "Routing", "PRIYA nair", "Priya Nair"),
        ("area: Growth (Jose Nunez)", "Growth", "Jose Nunez", "José Núñez"),
        ("area: Growth (JOSÉ NÚÑEZ)", "Growth", "JOSÉ NÚÑEZ", "José Núñez"),
        ("area: Coverage (DRI: @Lukas Becker)", "Coverage", "Lukas Becker", "Lukas Becker"),
        ("area: Knowledge base", "Knowledge base", None, None),
        ("area: Half open (Priya Nair", "Half open (Priya Nair", None, None),
        ("area: Empty ()", "Empty", None, None),
        ("area: Runbook (Dana Whitfield)", "Runbook", "Dana Whitfield", None),
    ],
)
def test_the_dri_is_the_name_in_the_last_parentheses_matched_ignoring_case_and_accents(title, area, written, dri):
    master = masters(rest_epic(1, title))[title]

    assert (master.area, master.dri_written, master.dri) == (area, written, dri)
    assert master.region == (ROSTER[dri] if dri else None)


def test_only_titles_matching_the_pattern_are_master_epics_and_the_pattern_is_a_setting():
    items = [
        rest_epic(1, "area: A (Priya Nair)"),
        rest_epic(2, "Plain epic (Priya Nair)"),
        rest_epic(3, "Theme: B (Alex Rivera)"),
    ]

    assert set(masters(*items)) == {"area: A (Priya Nair)"}
    assert set(masters(*items, settings=DEFAULTS.with_overrides({"epic_master_pattern": r"^(area|theme):"}))) == {
        "area: A (Priya Nair)",
        "Theme: B (Alex Rivera)",
    }
    with pytest.raises(ValueError, match="epic_master_pattern '\\(' is not a valid pattern"):
        masters(*items, settings=DEFAULTS.with_overrides({"epic_master_pattern": "("}))


def test_flags_no_dri_not_on_roster_overdue_and_stale():
    found = masters(
        rest_epic(1, "area: Fine (Priya Nair)", due_date="2026-11-26", updated_at="2026-10-28T12:00:00Z"),
        rest_epic(2, "area: No owner", due_date=None),
        rest_epic(3, "area: Stranger (Dana Whitfield)"),
        rest_epic(4, "area: Late (Alex Rivera)", due_date="2026-11-25"),
        rest_epic(5, "area: Quiet (Lukas Becker)", updated_at="2026-10-27T23:00:00Z"),
        rest_epic(
            6,
            "area: Closed late (Lukas Becker)",
            state="closed",
            due_date="2026-01-01",
            updated_at="2026-01-01T00:00:00Z",
        ),
        rest_epic(7, "area: Never updated (Priya Nair)", updated_at=None),
    )

    flags = {title: master.flags for title, master in found.items()}
    assert flags == {
        "area: Fine (Priya Nair)": [],  # due today is not overdue; 29 days without an update is not stale
        "area: No owner": ["No DRI"],
        "area: Stranger (Dana Whitfield)": ["DRI not on roster"],
        "area: Late (Alex Rivera)": ["Overdue"],
        "area: Quiet (Lukas Becker)": ["Stale"],  # 30 days: stale at the setting's 30
        "area: Closed late (Lukas Becker)": [],  # a closed epic is neither overdue nor stale
        "area: Never updated (Priya Nair)": ["Stale"],
    }
    assert found["area: Quiet (Lukas Becker)"].days_since_update == 30
    assert epic_masters.flag_text(found["area: Late (Alex Rivera)"].flags, found["area: Late (Alex Rivera)"]) == (
        "▲ Overdue (due 25 Nov 2026)"
    )


def test_a_child_epics_update_keeps_its_master_from_going_stale_and_children_are_counted():
    found = masters(
        rest_epic(1, "area: Slow master (Priya Nair)", updated_at="2026-09-01T00:00:00Z"),
        rest_epic(2, "Busy child", parent_id=5001, parent_iid=1, updated_at="2026-11-24T09:00:00Z"),
        rest_epic(3, "Done child", parent_id=5001, parent_iid=1, state="closed"),
        rest_epic(4, "Grandchild", parent_id=5002, parent_iid=2),
    )

    master = found["area: Slow master (Priya Nair)"]
    assert (master.children_open, master.children_closed) == (1, 1)  # direct children only
    assert (master.last_update, master.days_since_update, master.flags) == (dt.date(2026, 11, 24), 2, [])


def test_a_parent_outside_the_file_is_not_taken_for_an_epic_with_the_same_number():
    found = masters(
        rest_epic(1, "area: Here (Priya Nair)"),
        rest_epic(2, "Child of another group's &1", parent_id=999_999, parent_iid=1),
    )

    assert (found["area: Here (Priya Nair)"].children_open, found["area: Here (Priya Nair)"].children_closed) == (0, 0)


def test_stale_after_days_is_a_setting():
    item = rest_epic(1, "area: A (Priya Nair)", updated_at="2026-11-16T00:00:00Z")  # 10 days before today

    assert masters(item)["area: A (Priya Nair)"].flags == []
    settings = DEFAULTS.with_overrides({"epic_stale_after_days": 10})
    assert masters(item, settings=settings)["area: A (Priya Nair)"].flags == ["Stale"]
