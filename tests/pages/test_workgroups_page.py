"""The Workgroups page, driven through Streamlit's AppTest on the demo data's sustained FRT breach."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.store import database as store
from lib.workgroups import breaches, repository

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "2_Workgroups.py")
DEMO_END = dt.date(2026, 11, 26)
WEEKLY_REVIEW_LINK = {"kpi": "FRT", "start": "2026-11-02", "end": "2026-11-16"}


@pytest.fixture
def db(demo_db):
    """A database of this test's own holding the demo year (the page's connection is cached per path)."""
    return demo_db


def page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def form_from_weekly_review() -> AppTest:
    at = ok(page(WEEKLY_REVIEW_LINK))
    at.text_area(key="draft::form::members").set_value("Ana\nBo").run()
    return ok(at.button(key="form_submit").click().run())


def open_workgroups(db) -> list[dict]:
    connection = store.connect(db)
    try:
        return [repository.get_workgroup(connection, w["id"]) for w in repository.list_workgroups(connection)]
    finally:
        connection.close()


def choose_tab(at: AppTest, label: str) -> AppTest:
    """Click a tab of the detail view (AppTest has no tab clicks: set the tabs' state and their URL parameter)."""
    at.session_state["tab"] = label
    at.query_params["tab"] = label
    return ok(at.run())


def figure(at: AppTest, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def test_form_from_the_breach_add_a_hypothesis_set_its_verdict_and_export_it(db):
    at = ok(page(WEEKLY_REVIEW_LINK))
    assert "FRT** has been at or below its 93 % floor for 3 weeks" in at.warning[0].value
    assert [d.value for d in at.date_input] == [dt.date(2026, 11, 2), dt.date(2026, 11, 16)]

    at.text_area(key="draft::form::members").set_value("Ana\nBo").run()
    ok(at.button(key="form_submit").click().run())
    [workgroup] = open_workgroups(db)
    assert at.query_params["wg"] == [str(workgroup["id"])] or at.query_params["wg"] == str(workgroup["id"])
    assert [w["week"] for w in workgroup["trigger_weeks"]] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert at.title[0].value == f"Workgroup #{workgroup['id']}"
    shapes = figure(at)["layout"]["shapes"]
    assert any(shape.get("y0") == 93 and shape.get("y1") == 93 for shape in shapes), "the floor line sits at 93"

    choose_tab(at, "Hypotheses")
    key = f"wg{workgroup['id']}::new::"
    at.text_area(key=f"draft::{key}statement").set_value("FRT fell because many people took time off").run()
    at.text_area(key=f"draft::{key}falsified_if").set_value("PTO coverage steady at 90 %").run()
    ok(at.button(key=f"add_hypothesis_{workgroup['id']}").click().run())
    [hypothesis] = open_workgroups(db)[0]["hypotheses"]
    assert any("Open (1)" in h.value for h in at.subheader)
    assert [s.value for s in at.success] == [
        f"Added hypothesis #{hypothesis['id']}: it is open above, with its falsifier."
    ]

    at.selectbox(key=f"draft::h{hypothesis['id']}::verdict").set_value("falsified").run()
    at.text_area(key=f"draft::h{hypothesis['id']}::notes").set_value("PTO was like other years").run()
    ok(at.button(key=f"save_h{hypothesis['id']}").click().run())
    assert any("Falsified (1)" in h.value for h in at.subheader), "hypotheses are grouped by verdict"
    assert not any("Open (" in h.value for h in at.subheader), "an empty verdict heading is left out"
    assert at.query_params["tab"] in ("Hypotheses", ["Hypotheses"]), "saving keeps the chosen tab"

    choose_tab(at, "Export")

    handbook, issue = (code.value for code in at.code)
    assert "### FRT fell because many people took time off" in handbook
    assert f"- **Verdict:** Falsified on {dt.date.today():%d %b %Y}" in handbook
    assert "PTO was like other years" in handbook
    assert "1. **FRT fell because many people took time off**" in issue
    assert "- **Member:** Ana" in issue and "### Exit criteria" in issue


def test_a_breach_with_an_open_workgroup_shows_it_instead_of_a_new_form(db):
    form_from_weekly_review()
    at = ok(page(WEEKLY_REVIEW_LINK))
    assert not any(b.key == "form_submit" for b in at.button)
    assert any("already has an open workgroup, #1" in i.value for i in at.info)
    ok(at.button(key="form_show_existing").click().run())
    assert at.title[0].value == "Workgroup #1"
    assert len(open_workgroups(db)) == 1


def test_without_a_link_the_form_is_prefilled_from_the_current_sustained_breach(db):
    at = ok(page())
    assert at.selectbox(key="draft::form::kpi").value == "FRT"
    assert [d.value for d in at.date_input] == [dt.date(2026, 11, 2), dt.date(2026, 11, 16)]
    at.selectbox(key="draft::form::kpi").set_value("SSAT").run()
    assert any("no sustained breach" in c.value for c in at.caption)


def test_a_link_names_its_breach_weeks_in_either_spelling(db):
    at = ok(page({"kpi": "FRT", "start": "09 Nov 2026", "end": "2026-11-16"}))
    assert [d.value for d in at.date_input] == [dt.date(2026, 11, 9), dt.date(2026, 11, 16)]

    at = ok(page({"kpi": "FRT", "start": "the ninth", "end": "16 Nov 2026"}))
    warnings = [w.value.replace("\\", "") for w in at.warning]
    assert (
        "The link's start week “the ninth” is not a date Floorline reads (write it as 2026-09-14 or 14 Sep 2026)."
        in warnings
    )
    assert [d.value for d in at.date_input] == [dt.date(2026, 11, 2), dt.date(2026, 11, 16)]  # the breach's own


def test_the_list_shows_open_workgroups_first_with_a_chart_and_recovery(db):
    connection = store.connect(db)
    settings = store.load_settings(connection)
    nrt = breaches.scope_series(connection, settings, "NRT")
    dip = next(w.week for w in nrt if w.status == "breach")
    closed = repository.form_workgroup(
        connection, "ana", settings, "NRT", start=dip, end=dip, opened_on=dip
    ).workgroup_id
    repository.close_workgroup(connection, "ana", closed, dip + dt.timedelta(weeks=3))
    connection.close()
    form_from_weekly_review()

    at = ok(page())
    headings = [h.value for h in at.subheader if h.value.startswith("#")]
    assert headings[0].startswith("#2 · FRT") and headings[1].startswith(f"#{closed} · NRT")
    assert len(at.get("plotly_chart")) == 2
    captions = [m.value for m in at.markdown]  # key facts, in full-contrast text
    assert "Not recovered: 0 of 2 weeks above the floor so far" in captions or any(
        c.startswith("No complete week after the trigger") for c in captions
    )
    assert any(c.startswith("Recovered: 2 weeks above the floor") for c in captions)


def test_deleting_asks_first_and_can_be_undone(db):
    at = form_from_weekly_review()
    choose_tab(at, "Details and people")
    ok(at.button(key="ask_workgroup_1").click().run())
    assert any("Delete workgroup #1? You can undo this" in w.value for w in at.warning)
    assert open_workgroups(db), "nothing is deleted before the confirmation"
    ok(at.button(key="confirm_workgroup_1").click().run())
    assert open_workgroups(db) == []
    assert "wg" not in at.query_params
    ok(at.button(key="undo").click().run())
    assert [w["id"] for w in open_workgroups(db)] == [1]


def test_typed_text_survives_leaving_the_view_and_coming_back(db):
    form_from_weekly_review()  # another session forms one, so this session can open it
    at = page()
    at.session_state["library_list"] = True  # the hypothesis library is built once opened
    at = ok(at.run())
    at.text_input(key="draft::library::new::title").set_value("A new tool slowed replies").run()
    ok(at.button(key="open_1").click().run())  # the list is gone from the screen, and its widgets with it
    assert not any(t.key == "draft::library::new::title" for t in at.text_input)
    choose_tab(at, "Details and people")
    at.text_input(key="draft::wg1::facilitator").set_value("Fay").run()
    choose_tab(at, "Overview")  # another tab: the details' widgets are gone too
    assert not any(t.key == "draft::wg1::facilitator" for t in at.text_input)
    ok(at.button(key="back").click().run())
    at.session_state["library_list"] = True  # opened again: it is built only when open
    ok(at.run())
    assert at.text_input(key="draft::library::new::title").value == "A new tool slowed replies"
    assert any("Unsaved changes in this workgroup" in c.value for c in at.caption), "the card says where drafts wait"
    ok(at.button(key="open_1").click().run())
    choose_tab(at, "Details and people")
    assert at.text_input(key="draft::wg1::facilitator").value == "Fay"
    assert any("Unsaved changes" in c.value for c in at.caption)
    ok(at.button(key="save_details_1").click().run())
    assert open_workgroups(db)[0]["facilitator"] == "Fay"


def test_typed_text_is_shown_as_text_never_html(db):
    connection = store.connect(db)
    settings = store.load_settings(connection)
    title = "<img src=x onerror=alert(1)> **loud** [link](javascript:alert(1))"
    repository.form_workgroup(connection, "ana", settings, "FRT", title=title, opened_on=dt.date(2026, 11, 20))
    connection.close()
    for query in ({}, {"wg": "1"}):
        at = ok(page(query))
        shown = [h for h in at.subheader if "img src" in h.value]
        assert shown, "the title is on the page"
        for element in shown:
            assert "\\<img" in element.value and "\\*\\*loud\\*\\*" in element.value
        assert not any(m.proto.allow_html for m in at.markdown if "img src" in m.value)
        assert not any("img src" in element.proto.body for element in at.get("html")), "no HTML carries user text"
