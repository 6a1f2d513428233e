"""Epics: every import shape (files built here), the DRI rules, the flags, snapshots, links and who-works-on-what."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from lib import cli, epics, workgroups
from lib.core.errors import RefusedFile
from lib.core.settings import DEFAULTS
from lib.demo import okrs as okr_demo
from lib.metrics import fiscal
from lib.okrs import views
from lib.store import database as store
from lib.store import history

TODAY = dt.date(2026, 11, 26)
WEEK = dt.date(2026, 11, 16)
GROUP = "gitlab-com/support"
ROSTER = {"Priya Nair": "APAC", "José Núñez": "AMER", "Alex Rivera": "AMER", "Lukas Becker": "EMEA"}


def rest_epic(iid: int, title: str, **fields) -> dict:
    """One epic as GET /groups/:id/epics returns it."""
    item = {
        "id": 5000 + iid,
        "iid": iid,
        "group_id": 42,
        "title": title,
        "state": "opened",
        "web_url": f"https://gitlab.com/groups/{GROUP}/-/epics/{iid}",
        "references": {"short": f"&{iid}", "full": f"{GROUP}&{iid}"},
        "labels": ["Support Team"],
        "parent_id": None,
        "parent_iid": None,
        "author": {"name": "Morgan Hayes", "username": "mhayes"},
        "start_date": "2026-09-01",
        "due_date": "2026-12-31",
        "created_at": "2026-09-01T10:00:00.000Z",
        "updated_at": "2026-11-20T10:00:00.000Z",
        "closed_at": None,
    }
    item.update(fields)
    return item


def graphql_epic(iid: int, title: str, *, parent: int | None = None, due: str | None = None, state="OPEN") -> dict:
    """One node of data.group.workItems (GraphQL), epics as work items of type Epic."""
    return {
        "id": f"gid://gitlab/WorkItem/{7000 + iid}",
        "iid": str(iid),
        "title": title,
        "state": state,
        "webUrl": f"https://gitlab.com/groups/{GROUP}/-/work_items/{iid}",
        "createdAt": "2026-09-01T10:00:00Z",
        "updatedAt": "2026-11-20T10:00:00Z",
        "closedAt": None,
        "author": {"name": "Morgan Hayes", "username": "mhayes"},
        "workItemType": {"name": "Epic"},
        "widgets": [
            {"type": "ASSIGNEES", "__typename": "WorkItemWidgetAssignees"},
            {
                "type": "HIERARCHY",
                "parent": None
                if parent is None
                else {"iid": str(parent), "webUrl": f"https://gitlab.com/groups/{GROUP}/-/work_items/{parent}"},
            },
            {"type": "START_AND_DUE_DATE", "startDate": "2026-09-01", "dueDate": due},
            {"type": "LABELS", "labels": {"nodes": [{"title": "Support Team"}]}},
        ],
    }


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def parse(content: str) -> epics.ParsedFile:
    return epics.parse_epics(content.encode("utf-8"), "epics.json")


# --- reading each shape ------------------------------------------------------------------------


def test_a_rest_page_reads_with_parents_dates_and_state():
    page = [
        rest_epic(1, "area: Hiring and onboarding (Priya Nair)"),
        rest_epic(2, "Interview loop", parent_id=5001, parent_iid=1, state="closed", closed_at="2026-11-01T08:00:00Z"),
    ]

    parsed = parse(json.dumps(page))

    assert parsed.shape == epics.REST_SHAPE
    master, child = parsed.epics
    assert (master.group_path, master.iid, master.state, master.due_date) == (GROUP, 1, "open", dt.date(2026, 12, 31))
    assert master.updated_at == dt.datetime(2026, 11, 20, 10, 0)
    assert (child.parent_key, child.state, child.closed_at) == ((GROUP, 1), "closed", dt.datetime(2026, 11, 1, 8))


@pytest.mark.parametrize(
    "joined",
    [
        lambda pages: "".join(json.dumps(page) for page in pages),  # [...][...] as `cat page*.json` gives
        lambda pages: "\n".join(json.dumps(page) for page in pages),  # one array per line
        lambda pages: json.dumps(pages),  # a list of pages
    ],
    ids=["concatenated", "one-per-line", "list-of-pages"],
)
def test_several_pages_concatenated_read_as_one_set(joined):
    pages = [[rest_epic(1, "area: A (Priya Nair)"), rest_epic(2, "B")], [rest_epic(3, "area: C")], []]

    parsed = parse(joined(pages))

    assert [e.iid for e in parsed.epics] == [1, 2, 3]


def test_an_epic_on_two_pages_is_kept_once_with_its_newest_update():
    older = rest_epic(1, "area: A (Old Name)", updated_at="2026-11-01T00:00:00Z")
    newer = rest_epic(1, "area: A (Priya Nair)", updated_at="2026-11-20T00:00:00Z")

    parsed = parse(json.dumps([newer]) + json.dumps([older]))

    assert [e.title for e in parsed.epics] == ["area: A (Priya Nair)"]
    assert parsed.warnings == ["1 epic(s) appeared on more than one page; the newest update of each was kept"]


def test_missing_fields_are_left_empty_and_a_missing_state_follows_closed_at():
    bare = [
        {"iid": 7, "title": "area: Bare minimum"},
        {"iid": 8, "title": "Closed child", "closed_at": "2026-10-01T00:00:00Z", "parent_iid": 7},
    ]

    first, second = parse(json.dumps(bare)).epics

    assert (first.group_path, first.web_url, first.due_date, first.updated_at, first.state) == (
        "",
        None,
        None,
        None,
        "open",
    )
    assert first.reference == "&7"
    assert (second.state, second.parent_key) == ("closed", ("", 7))


def test_work_items_graphql_response_reads_epics_and_leaves_other_types_out():
    issue = graphql_epic(99, "An issue")
    issue["workItemType"] = {"name": "Issue"}
    response = {
        "data": {
            "group": {
                "workItems": {
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                    "nodes": [
                        graphql_epic(1, "area: Tooling (Alex Rivera)", due="2026-11-01"),
                        graphql_epic(2, "Dashboards", parent=1, state="CLOSED"),
                        issue,
                    ],
                }
            }
        }
    }

    parsed = parse(json.dumps(response))

    assert parsed.shape == epics.GRAPHQL_SHAPE
    assert parsed.ignored == {"not an epic (Issue)": 1}
    master, child = parsed.epics
    assert (master.group_path, master.iid, master.due_date, master.labels) == (
        GROUP,
        1,
        dt.date(2026, 11, 1),
        ("Support Team",),
    )
    assert (child.state, child.parent_key) == ("closed", (GROUP, 1))


def test_work_items_graphql_pages_with_edges_read_too():
    pages = [
        {"data": {"group": {"workItems": {"edges": [{"node": graphql_epic(1, "area: A (Priya Nair)")}]}}}},
        {"data": {"group": {"workItems": {"edges": [{"node": graphql_epic(2, "Child", parent=1)}]}}}},
    ]

    parsed = parse("\n".join(json.dumps(page) for page in pages))

    assert [(e.iid, e.parent_iid) for e in parsed.epics] == [(1, None), (2, 1)]


def test_work_items_rest_shape_with_features_reads():
    item = {
        "id": 7001,
        "iid": 1,
        "title": "area: Docs (Priya Nair)",
        "state": "opened",
        "work_item_type": {"name": "Epic"},
        "web_url": f"https://gitlab.com/groups/{GROUP}/-/work_items/1",
        "features": {
            "start_and_due_date": {"start_date": "2026-10-01", "due_date": "2027-01-15"},
            "labels": {"labels": [{"name": "Support Team"}]},
        },
        "updated_at": "2026-11-25T00:00:00Z",
    }

    parsed = parse(json.dumps([item]))

    assert parsed.shape == epics.WORK_ITEMS_REST_SHAPE
    assert (parsed.epics[0].due_date, parsed.epics[0].labels) == (dt.date(2027, 1, 15), ("Support Team",))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "the file is empty"),
        ("iid,title\n1,area: A\n", "not readable as JSON at line 1, column 1"),
        ('[{"iid": 1, "title": "ok"}]\n[{"iid": 2, "title": ', "not readable as JSON at line 2"),
        ('{"message": "401 Unauthorized"}', "it is GitLab's error reply, not epics: '401 Unauthorized'"),
        ('[{"id": 3, "name": "support"}]', "no epics found in it"),
        ('{"errors": [{"message": "Field workItems doesnt exist"}]}', "a GraphQL error response"),
        ('[{"iid": 1, "title": "  ", "state": "opened"}]', "column 'item 1 (iid 1) title': the epic has no title"),
        ('[{"iid": 1, "title": "A", "due_date": "soon"}]', "column 'item 1 due_date': 'soon' is not a date"),
        ('[{"iid": 1, "title": "A", "state": "merged"}]', "'merged' is not an epic state"),
    ],
)
def test_bad_files_are_refused_naming_the_file_and_what_was_expected(content, says):
    with pytest.raises(RefusedFile) as refused:
        parse(content)

    assert refused.value.message.startswith("epics.json: ")
    assert says in refused.value.message


# --- master epics, DRIs, flags ------------------------------------------------------------------


def masters(*items: dict, roster=None, settings=DEFAULTS, today=TODAY) -> dict[str, epics.MasterEpic]:
    parsed = parse(json.dumps(list(items)))
    found = epics.master_epics(parsed.epics, ROSTER if roster is None else roster, settings, today)
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
    assert epics.flag_text(found["area: Late (Alex Rivera)"].flags, found["area: Late (Alex Rivera)"]) == (
        "▲ Overdue (due 2026-11-25)"
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


def test_utf16_and_bom_files_read():
    page = json.dumps([rest_epic(1, "area: Growth (José Núñez)")], ensure_ascii=False)

    for data in (page.encode("utf-16"), b"\xef\xbb\xbf" + page.encode("utf-8")):
        assert [e.title for e in epics.parse_epics(data, "epics.json").epics] == ["area: Growth (José Núñez)"]
    with pytest.raises(RefusedFile, match="not UTF-8 text"):
        epics.parse_epics(page.encode("latin-1"), "epics.json")


def test_stale_after_days_is_a_setting():
    item = rest_epic(1, "area: A (Priya Nair)", updated_at="2026-11-16T00:00:00Z")  # 10 days before today

    assert masters(item)["area: A (Priya Nair)"].flags == []
    settings = DEFAULTS.with_overrides({"epic_stale_after_days": 10})
    assert masters(item, settings=settings)["area: A (Priya Nair)"].flags == ["Stale"]


# --- snapshots in the store ---------------------------------------------------------------------


def test_reimport_replaces_the_snapshot_the_old_one_can_be_restored_and_both_are_in_the_history(con, tmp_path):
    first = write(tmp_path, "epics-monday.json", json.dumps([rest_epic(1, "area: A (Priya Nair)")]))
    second = write(
        tmp_path, "epics-friday.json", json.dumps([rest_epic(1, "area: A (Alex Rivera)"), rest_epic(2, "area: B")])
    )

    one = epics.import_epics_file(con, first, "ann@example.com")
    two = epics.import_epics_file(con, second, "bob@example.com")

    view = epics.epics_view(con, DEFAULTS, TODAY)
    assert view.snapshot["id"] == two.snapshot_id
    assert [m.dri_written for m in view.masters] == ["Alex Rivera", None]
    assert [(s["id"], s["status"]) for s in epics.snapshots(con)] == [
        (two.snapshot_id, "active"),
        (one.snapshot_id, "replaced"),
    ]

    epics.restore_snapshot(con, one.snapshot_id, "carol@example.com")

    assert [m.dri_written for m in epics.epics_view(con, DEFAULTS, TODAY).masters] == ["Priya Nair"]
    assert history.area_of("epics import") == history.area_of("epics restore") == history.EPICS
    log = con.execute("SELECT actor, action, subject FROM change_log ORDER BY id").fetchall()
    assert log == [
        ("ann@example.com", "epics import", "epics-monday.json"),
        ("bob@example.com", "epics import", "epics-friday.json"),
        ("carol@example.com", "epics restore", "epics-monday.json"),
    ]
    archived = store.archive_path(con, store.sha256_of(first), "json")
    assert archived.read_bytes() == first.read_bytes()
    with pytest.raises(LookupError):
        epics.restore_snapshot(con, 99, "carol@example.com")


def test_a_refused_file_stores_nothing_and_changes_no_version(con, tmp_path):
    epics.import_epics_file(con, write(tmp_path, "good.json", json.dumps([rest_epic(1, "area: A")])), "ann")
    version = store.data_version(con)

    with pytest.raises(RefusedFile, match="bad.json"):
        epics.import_epics_file(con, write(tmp_path, "bad.json", "[{"), "ann")

    assert store.data_version(con) == version
    assert len(epics.snapshots(con)) == 1


def test_the_first_real_import_removes_the_demo_epics(con, tmp_path):
    epics.load_demo_epics(con, TODAY)
    assert epics.active_snapshot(con)["is_demo"]

    result = epics.import_epics_file(con, write(tmp_path, "real.json", json.dumps([rest_epic(1, "area: A")])), "ann")

    assert result.replaced_demo
    assert [s["is_demo"] for s in epics.snapshots(con)] == [False]
    assert con.execute("SELECT count(*) FROM epics").fetchone()[0] == 1


def test_the_demo_epics_can_be_removed_and_the_removal_is_recorded(con):
    epics.load_demo_epics(con, TODAY)

    epics.remove_demo_epics(con, "ann@example.com")

    assert epics.snapshots(con) == [] and epics.epics_view(con, DEFAULTS, TODAY).snapshot is None
    assert con.execute("SELECT count(*) FROM epics").fetchone()[0] == 0
    last = con.execute("SELECT actor, action FROM change_log ORDER BY id DESC LIMIT 1").fetchone()
    assert last == ("ann@example.com", "epics demo removed")


# --- demo, links and who works on what ----------------------------------------------------------


def demo_view(con):
    okr_demo.load_demo_okrs(con, TODAY)
    epics.load_demo_epics(con, TODAY)
    return epics.epics_view(con, store.load_settings(con), TODAY)


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
    workgroup_id = workgroups.form_workgroup(
        con, "ann@example.com", DEFAULTS, "FRT", start=WEEK, end=WEEK, opened_on=TODAY, title="FRT recovery"
    ).workgroup_id
    workgroups.save_actions(
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

    by_area = {m.area: m for m in epics.epics_view(con, store.load_settings(con), TODAY).masters}

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
    assert epics.references_in(text, "gitlab-com/support") == {
        ("gitlab-com/support", 12),
        ("gitlab-com/support", 3),
        ("other/group", 4),
    }
    assert epics.references_in("a & b, R&D", "g") == set()


def test_who_works_on_what_has_a_row_per_manager_and_the_outliers_stand_out(con):
    view = demo_view(con)
    quarter = views.quarter_view(con, store.load_settings(con), fiscal.quarter_of(TODAY), TODAY)

    rows, median = epics.who_works_on_what(con, view.masters, quarter)

    by_name = {r.name: r for r in rows}
    assert set(by_name) == {name for name, *_ in okr_demo.DEMO_MANAGERS}
    assert median == 2
    alex = by_name["Alex Rivera"]
    assert (len(alex.epics), len(alex.okrs), alex.load, alex.stands_out) == (4, 1, 5, epics.FAR_MORE)
    assert (by_name["Kenji Watanabe"].load, by_name["Kenji Watanabe"].stands_out) == (0, epics.NO_VISIBLE_WORK)
    assert by_name["Jordan Lee"].epics == []  # their only master epic is closed
    assert by_name["Sam Carter"].okr_note == "new manager: OKR expected from FY28-Q1"
    assert [r.name for r in rows[:2]] == ["Alex Rivera", "Kenji Watanabe"]  # those who stand out come first
    frame = epics.work_frame(rows)
    priorities = [frame.columns.get_loc(c) for c in ("1. KPIs now", "2. Team growth", "3. OKRs this quarter")]
    assert priorities == sorted(priorities)  # the handbook's order, left to right
    assert frame.loc[0, "Stands out"] == "▲ Far more than the rest"


def test_workgroup_members_and_facilitators_count_as_sitting_on_it(con):
    workgroup_id = workgroups.form_workgroup(
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

    found = epics.open_workgroups_by_person(con)

    assert found[epics.name_key("Lukas Becker")] == [f"#{workgroup_id} NRT"]
    assert found[epics.name_key("Priya Nair")] == [f"#{workgroup_id} NRT"]


@pytest.mark.parametrize(
    ("loads", "expected"),
    [
        ([5, 1, 1, 2, 0, 2, 2, 2], {0: epics.FAR_MORE, 4: epics.NO_VISIBLE_WORK}),
        ([4, 2, 2, 2], {}),  # twice the median but only 2 more
        ([7, 4, 4, 4], {}),  # 3 more but not twice
        (
            [3, 0, 0, 0],
            {0: epics.FAR_MORE, 1: epics.NO_VISIBLE_WORK, 2: epics.NO_VISIBLE_WORK, 3: epics.NO_VISIBLE_WORK},
        ),
    ],
)
def test_far_more_is_twice_the_median_and_three_more(loads, expected):
    rows = [epics.ManagerWork(f"m{i}", "AMER", "", [], [], "", [], load=load) for i, load in enumerate(loads)]

    epics.mark_outliers(rows)

    assert {i: r.stands_out for i, r in enumerate(rows) if r.stands_out} == expected


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def pinned_today(monkeypatch):
    monkeypatch.setattr(fiscal, "today", lambda: TODAY)


def test_cli_import_then_json(db_path, tmp_path, capsys, pinned_today):
    good = write(tmp_path, "epics.json", json.dumps([rest_epic(1, "area: Docs (Priya Nair)", due_date="2026-01-01")]))

    assert cli.main(["epics", "import", str(good), "--by", "ann"]) == 0
    assert "imported  epics.json: snapshot 1: 1 epics from the GitLab epics REST API" in capsys.readouterr().out
    assert cli.main(["epics", "--json"]) == 0

    report = json.loads(capsys.readouterr().out)
    assert report["master_epics"] == [
        {
            "reference": f"{GROUP}&1",
            "title": "area: Docs (Priya Nair)",
            "area": "Docs",
            "dri": "Priya Nair",
            "dri_on_roster": False,  # this database has no roster
            "region": None,
            "state": "open",
            "start_date": "2026-09-01",
            "due_date": "2026-01-01",
            "last_update": "2026-11-20",
            "children_open": 0,
            "children_closed": 0,
            "flags": ["DRI not on roster", "Overdue"]
            + (["Stale"] if (fiscal.today() - dt.date(2026, 11, 20)).days >= 30 else []),
            "web_url": f"https://gitlab.com/groups/{GROUP}/-/epics/1",
            "named_in": [],
        }
    ]


def test_cli_refusal_exits_2_and_names_the_file(db_path, tmp_path, capsys):
    bad = write(tmp_path, "explore.csv", "Ticket ID,SLA metric\n1,First reply time\n")

    assert cli.main(["epics", "import", str(bad)]) == 2
    assert capsys.readouterr().out.startswith("refused   explore.csv: not readable as JSON")
    assert cli.main(["epics", "import", str(tmp_path / "missing.json")]) == 2


def test_a_viewer_cannot_import_restore_or_fetch_epics(con, tmp_path):
    import contextvars

    from lib.core import auth
    from lib.core.errors import PermissionDenied
    from lib.epics import fetch as epics_fetch

    viewer = auth.Principal("viewer@example.com", auth.VIEWER, signed_in=True)
    path = write(tmp_path, "epics.json", json.dumps([rest_epic(1, "area: A")]))
    source = epics_fetch.GitLabSource("http://127.0.0.1:9", GROUP, "token")  # never reached: refused first
    for change in (
        lambda: epics.import_epics_file(con, path),
        lambda: epics.restore_snapshot(con, 1),
        lambda: epics_fetch.fetch_and_import(con, source),
    ):

        def as_viewer(change=change):
            auth.set_principal(viewer)
            return change()

        with pytest.raises(PermissionDenied, match="viewer@example.com may view Floorline"):
            contextvars.copy_context().run(as_viewer)
    assert epics.snapshots(con) == []


def test_cli_lists_master_epics_and_restores_a_snapshot(db_path, tmp_path, capsys, pinned_today):
    first = write(tmp_path, "first.json", json.dumps([rest_epic(1, "area: Docs (Priya Nair)")]))
    second = write(tmp_path, "second.json", json.dumps([rest_epic(2, "area: Tooling")]))
    assert cli.main(["epics", "import", str(first)]) == 0
    assert cli.main(["epics", "import", str(second)]) == 0
    capsys.readouterr()

    assert cli.main(["epics", "restore", "1", "--by", "carol"]) == 0
    assert cli.main(["epics"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "epics snapshot 1 restored"
    assert lines[1].startswith("epics snapshot 1 from first.json")
    assert lines[2].split() == ["gitlab-com/support&1", "open", "Priya", "Nair", "Docs", "[DRI", "not", "on", "roster]"]
    assert cli.main(["epics", "restore", "7"]) == 2
