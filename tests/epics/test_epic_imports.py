"""Reading epics files: every import shape (files built here), and refusals naming what is wrong."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from epic_builders import GROUP, graphql_epic, parse, rest_epic

from lib.core.errors import RefusedFile
from lib.epics import imports as epic_imports
from lib.epics import model as epic_model

# --- reading each shape ------------------------------------------------------------------------


def test_a_rest_page_reads_with_parents_dates_and_state():
    page = [
        rest_epic(1, "area: Hiring and onboarding (Priya Nair)"),
        rest_epic(2, "Interview loop", parent_id=5001, parent_iid=1, state="closed", closed_at="2026-11-01T08:00:00Z"),
    ]

    parsed = parse(json.dumps(page))

    assert parsed.shape == epic_model.REST_SHAPE
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

    assert parsed.shape == epic_model.GRAPHQL_SHAPE
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

    assert parsed.shape == epic_model.WORK_ITEMS_REST_SHAPE
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


def test_utf16_and_bom_files_read():
    page = json.dumps([rest_epic(1, "area: Growth (José Núñez)")], ensure_ascii=False)

    for data in (page.encode("utf-16"), b"\xef\xbb\xbf" + page.encode("utf-8")):
        assert [e.title for e in epic_imports.parse_epics(data, "epics.json").epics] == ["area: Growth (José Núñez)"]
    with pytest.raises(RefusedFile, match="not UTF-8 text"):
        epic_imports.parse_epics(page.encode("latin-1"), "epics.json")
