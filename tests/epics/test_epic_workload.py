"""The demo epics, epics named in key results and workgroup actions, and who is working on what."""

from __future__ import annotations

import pytest
from epic_builders import TODAY, WEEK

from lib.core.settings import DEFAULTS
from lib.demo import epics as epic_demo
from lib.demo import okrs as okr_demo
from lib.epics import links as epic_links_module
from lib.epics import masters as epic_masters
from lib.epics import model as epic_model
from lib.epics import overview as epic_overview
from lib.epics import repository as epic_repository
from lib.epics import workload
from lib.metrics import fiscal
from lib.okrs import quarters as okr_quarters
from lib.store import database as store
from lib.workgroups import contents, repository

# --- demo, links and who works on what ----------------------------------------------------------


def demo_view(con):
    okr_demo.load_demo_okrs(con, TODAY)
    epic_demo.load_demo_epics(con, TODAY)
    return epic_overview.epics_view(con, store.load_settings(con), TODAY)


def test_demo_epics_fit_the_demo_roster_and_show_every_flag(con):
    view = demo_view(con)

    assert view.snapshot["is_demo"] and view.snapshot["source"] == "demo epics"
    by_area = {m.area: m for m in view.masters}
    assert by_area["Hiring and onboarding"].dri == "Priya Nair"
    assert by_area["Engineer growth plans"].dri == "Sofia Rossi"  # written "Sofía Rossi"
    assert by_area["Ticket routing and triage"].dri == "Alex Rivera"  # written "alex rivera"
    assert by_area["Support tooling (Zendesk (Explore) dashboards)"].flags == ["Overdue"]
    assert by_area["EMEA on-call and weekend coverage"].flags == ["Stale"]
    assert by_area["Knowledge base and docs"].flags == ["No DRI"]
    assert by_area["Customer emergencies runbook"].flags == ["DRI not on roster"]
    dris = {m.dri for m in view.masters if m.dri}
    assert dris <= {name for name, *_ in okr_demo.DEMO_MANAGERS}


def test_a_key_result_or_workgroup_action_naming_an_epic_shows_on_the_epic(con):
    demo_view(con)
    workgroup_id = repository.form_workgroup(
        con, "ann@example.com", DEFAULTS, "FRT", start=WEEK, end=WEEK, opened_on=TODAY, title="FRT recovery"
    ).workgroup_id
    contents.save_actions(
        con,
        "ann@example.com",
        workgroup_id,
        [
            {
                "change": "Routing rules live, see https://gitlab.com/groups/gitlab-com/support/-/epics/23",
                "owner": "Alex Rivera",
            },
            {"change": "Weekend rota (gitlab-com/support&8)", "owner": "Lukas Becker"},
            {"change": "Unrelated &999", "owner": "Lukas Becker"},
        ],
        today=TODAY,
    )

    by_area = {m.area: m for m in epic_overview.epics_view(con, store.load_settings(con), TODAY).masters}

    routing = [(link.kind, link.item) for link in by_area["Ticket routing and triage"].links]
    assert routing == [
        ("Key result", "FY27-Q4-M1-KR2: SM routing review done (epic &2)"),  # names the master epic itself
        (
            "Workgroup action",
            f"Workgroup #{workgroup_id} (FRT recovery): Routing rules live, see "
            "https://gitlab.com/groups/gitlab-com/support/-/epics/23",
        ),  # names its child epic &23
    ]
    assert [link.owner for link in by_area["EMEA on-call and weekend coverage"].links] == ["Lukas Becker"]
    assert by_area["EMEA on-call and weekend coverage"].links[0].url == f"./Workgroups?wg={workgroup_id}&tab=Actions"


def test_references_in_text():
    text = "see gitlab-com/support&12, &3 and https://gitlab.com/groups/other/group/-/work_items/4?x=1"
    assert epic_links_module.references_in(text, "gitlab-com/support") == {
        ("gitlab-com/support", 12),
        ("gitlab-com/support", 3),
        ("other/group", 4),
    }
    assert epic_links_module.references_in("a & b, R&D", "g") == set()


def test_who_works_on_what_has_a_row_per_manager_and_the_outliers_stand_out(con):
    view = demo_view(con)
    quarter = okr_quarters.quarter_view(con, store.load_settings(con), fiscal.quarter_of(TODAY), TODAY)

    rows, median = workload.who_works_on_what(con, view.masters, quarter)

    by_name = {r.name: r for r in rows}
    assert set(by_name) == {name for name, *_ in okr_demo.DEMO_MANAGERS}
    assert median == 2
    alex = by_name["Alex Rivera"]
    assert (len(alex.epics), len(alex.okrs), alex.load, alex.stands_out) == (4, 1, 5, epic_model.FAR_MORE)
    assert (by_name["Kenji Watanabe"].load, by_name["Kenji Watanabe"].stands_out) == (0, epic_model.NO_VISIBLE_WORK)
    assert by_name["Jordan Lee"].epics == []  # their only master epic is closed
    assert by_name["Sam Carter"].okr_note == "new manager: OKR expected from FY28-Q1"
    assert [r.name for r in rows[:2]] == ["Alex Rivera", "Kenji Watanabe"]  # those who stand out come first
    frame = epic_overview.work_frame(rows)
    priorities = [frame.columns.get_loc(c) for c in ("1. KPIs now", "2. Team growth", "3. OKRs this quarter")]
    assert priorities == sorted(priorities)  # the handbook's order, left to right
    assert frame.loc[0, "Stands out"] == "▲ Far more than the rest"


def test_workgroup_members_and_facilitators_count_as_sitting_on_it(con):
    workgroup_id = repository.form_workgroup(
        con,
        "ann",
        DEFAULTS,
        "NRT",
        start=WEEK,
        end=WEEK,
        title="NRT",
        facilitator="lukas becker",
        members=["Priya Nair"],
    ).workgroup_id

    found = epic_repository.open_workgroups_by_person(con)

    assert found[epic_masters.name_key("Lukas Becker")] == [f"#{workgroup_id} NRT"]
    assert found[epic_masters.name_key("Priya Nair")] == [f"#{workgroup_id} NRT"]


@pytest.mark.parametrize(
    ("loads", "expected"),
    [
        ([5, 1, 1, 2, 0, 2, 2, 2], {0: epic_model.FAR_MORE, 4: epic_model.NO_VISIBLE_WORK}),
        ([4, 2, 2, 2], {}),  # twice the median but only 2 more
        ([7, 4, 4, 4], {}),  # 3 more but not twice
        (
            [3, 0, 0, 0],
            {
                0: epic_model.FAR_MORE,
                1: epic_model.NO_VISIBLE_WORK,
                2: epic_model.NO_VISIBLE_WORK,
                3: epic_model.NO_VISIBLE_WORK,
            },
        ),
    ],
)
def test_far_more_is_twice_the_median_and_three_more(loads, expected):
    rows = [workload.ManagerWork(f"m{i}", "AMER", "", [], [], "", [], load=load) for i, load in enumerate(loads)]

    workload.mark_outliers(rows)

    assert {i: r.stands_out for i, r in enumerate(rows) if r.stands_out} == expected
