"""The KPI trends page on the real demo database, driven by Streamlit's AppTest.

Every control is bound to the URL. AppTest plays the part of a pasted link (query params
set before the run must give the same controls and charts); the browser test checks the
other direction, that changing a control rewrites the address bar.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.core.kpis import get_kpi, kpi_keys
from lib.metrics import kpis
from lib.store import database as store
from lib.store import upload_records as records
from lib.uploads import status as upload_status
from lib.workgroups import repository

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FLOORS = {kpi: get_kpi(kpi).floor for kpi in kpi_keys()}


def open_trends(query_params: dict | None = None) -> AppTest:
    """The page as the multipage app serves it (so its links to other pages resolve)."""
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30)
    at.switch_page("pages/1_KPI_trends.py")
    at.query_params = dict(query_params or {})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def menu_labels(node) -> list[str]:
    """The labels of the popover menus under ``node``, in page order."""
    own = [node.proto.popover.label] if getattr(node, "type", None) == "popover" else []
    return own + [label for child in getattr(node, "children", {}).values() for label in menu_labels(child)]


def figures(at: AppTest) -> dict[str, dict]:
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"]["meta"]["kpi"]: spec for spec in specs}


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t["name"] == name)


def floor_line(spec: dict) -> dict:
    return next(s for s in spec["layout"]["shapes"] if s.get("name") == "floor")


def test_each_kpi_is_charted_against_its_labelled_floor(demo_db):
    charts = figures(open_trends())

    assert set(charts) == set(kpi_keys())
    for kpi, spec in charts.items():
        line = floor_line(spec)
        assert line["y0"] == line["y1"] == FLOORS[kpi]
        low, high = spec["layout"]["yaxis"]["range"]
        assert low < FLOORS[kpi] < high
        labels = [a["text"] for a in spec["layout"]["annotations"]]
        assert f"floor {FLOORS[kpi]:g} % — at or below is a breach" in labels


def test_the_default_view_is_the_last_26_weeks_of_combined_figures(demo_db):
    at = open_trends()

    assert at.select_slider(key="weeks").value == ("2026-06-01", "2026-11-23")
    assert at.multiselect(key="segments").value == []
    assert at.radio(key="source").value == "display"
    assert at.selectbox(key="region").value == "all"
    frt = figures(at)["FRT"]
    combined = trace(frt, "Combined")
    assert len(combined["x"]) == 26
    assert (combined["x"][0], combined["x"][-1]) == ("2026-06-01", "2026-11-23")
    assert [t["name"] for t in frt["data"] if t["mode"] == "lines"] == ["Combined"]
    assert at.query_params == {}  # defaults keep the link short
    # The controls sit in a closed menu; the view they make is written beside it, for everyone on the call.
    assert at.markdown[0].value == (r"**01 Jun 2026 to 23 Nov 2026** · Combined only · Every region · Explore first")


def test_the_sustained_frt_breach_is_marked_and_shaded(demo_db):
    frt = figures(open_trends())["FRT"]

    assert trace(frt, "Week at or below the floor")["x"] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert trace(frt, "Partial week (open marker)")["x"] == ["2026-11-23"]
    shading = [s for s in frt["layout"]["shapes"] if s["type"] == "rect"]
    assert len(shading) == 1
    assert shading[0]["x0"] < "2026-11-02" and "2026-11-16" < shading[0]["x1"] < "2026-11-23"


def test_a_pasted_link_reproduces_the_view(demo_db):
    at = open_trends(
        {
            "weeks": ["02 Mar 2026", "07 Sep 2026"],
            "segments": ["L&R", "Other"],
            "source": "Sisense only",
        }
    )

    assert at.select_slider(key="weeks").value == ("2026-03-02", "2026-09-07")
    assert at.multiselect(key="segments").value == ["L&R", "Other"]
    assert at.radio(key="source").value == "secondary"
    view_line = r"**02 Mar 2026 to 07 Sep 2026** · Combined, L\&R, Other · Every region · Sisense only"
    assert at.markdown[0].value == view_line
    nrt = figures(at)["NRT"]
    combined = trace(nrt, "Combined")
    assert (combined["x"][0], combined["x"][-1]) == ("2026-03-02", "2026-09-07")
    assert trace(nrt, "L&amp;R")["line"]["dash"] != trace(nrt, "Other")["line"]["dash"]  # legend text is HTML
    # Every week shown came from the Sisense upload, and the hover says so.
    assert all("sisense_weekly_kpis_demo.csv" in row[2] for row in combined["customdata"])
    # The link is kept as it was given, so copying it again gives the same view.
    assert at.query_params["source"] == "Sisense only"
    assert at.query_params["segments"] == ["L&R", "Other"]


def test_weeks_in_the_link_are_read_in_either_spelling_and_written_back_as_iso(demo_db):
    for spelling in (["2026-03-02", "2026-09-07"], ["02 Mar 2026", "2026-09-07"], ["07 Sep 2026", "2 March 2026"]):
        at = open_trends({"weeks": spelling})

        assert at.select_slider(key="weeks").value == ("2026-03-02", "2026-09-07")
        assert at.query_params["weeks"] == ["2026-03-02", "2026-09-07"]
        assert not any("link" in w.value for w in at.warning)


def test_a_link_naming_weeks_without_data_says_so_and_shows_the_default_weeks(demo_db):
    at = open_trends({"weeks": ["2026-03-02", "2031-01-06"]})

    assert at.select_slider(key="weeks").value == ("2026-06-01", "2026-11-23")
    warnings = [w.value.replace("\\", "") for w in at.warning]
    assert (
        "The link names the week of 06 Jan 2031, which has no data here. Showing 01 Jun 2026 to 23 Nov 2026 instead."
        in warnings
    )
    assert "weeks" not in at.query_params


def test_a_region_in_the_link_charts_that_regions_figures(demo_db):
    at = open_trends({"region": "EMEA"})

    assert at.selectbox(key="region").value == "EMEA"
    con = store.connect(demo_db)
    emea = kpis.build_series(kpis.fetch_cells(con, region="EMEA"), "FRT", 93)
    con.close()
    expected = {str(w.week): w.value for w in emea if w.status in ("ok", "breach")}
    combined = trace(figures(at)["FRT"], "Combined")
    shown = {x: y for x, y in zip(combined["x"], combined["y"], strict=True) if x in expected}
    assert len(shown) == 25  # 26 weeks, the last of them partial
    assert shown == pytest.approx({week: expected[week] for week in shown})


def test_a_choice_with_no_figures_says_so_instead_of_failing(demo_db):
    # Sisense's weekly aggregate has no regions.
    at = open_trends({"region": "APAC", "source": "Sisense only"})

    assert not at.get("plotly_chart")
    assert [i.value for i in at.info if i.value.startswith("No ")] == [
        f"No {kpi} figures for these weeks (source: Sisense only, region APAC)." for kpi in kpi_keys()
    ]


def test_changing_a_control_redraws_the_charts(demo_db):
    at = open_trends()

    at.multiselect(key="segments").set_value(["GitLab SaaS"]).run()

    assert not at.exception
    assert [t["name"] for t in figures(at)["SSAT"]["data"] if t["mode"] == "lines"] == ["Combined", "GitLab SaaS"]


def test_workgroups_appear_as_dated_markers_on_the_chart(demo_db):
    con = store.connect(demo_db)
    formed = repository.form_workgroup(con, "test", store.load_settings(con), "FRT", opened_on=dt.date(2026, 11, 17))
    con.close()

    frt = figures(open_trends())["FRT"]

    assert f"Workgroup #{formed.workgroup_id} formed" in [a["text"] for a in frt["layout"]["annotations"]]
    marker = next(s for s in frt["layout"]["shapes"] if s["type"] == "line" and s["xref"] == "x")
    assert marker["x0"] == "2026-11-17"


def test_marks_outside_the_chosen_weeks_are_not_drawn_and_the_caption_counts_them(demo_db):
    con = store.connect(demo_db)
    formed = repository.form_workgroup(con, "test", store.load_settings(con), "FRT", opened_on=dt.date(2026, 11, 20))
    con.close()

    at = open_trends({"weeks": ["02 Mar 2026", "07 Sep 2026"]})

    frt = figures(at)["FRT"]
    assert not any("Workgroup" in a["text"] for a in frt["layout"]["annotations"])
    assert not any(s["type"] == "line" and s["xref"] == "x" for s in frt["layout"]["shapes"])
    start, end = frt["layout"]["xaxis"]["range"]
    assert (start, end) == ("2026-02-26T12:00:00", "2026-09-10T12:00:00")  # half a week either side, no more
    assert "Workgroup marks outside the chosen weeks, not drawn: 1 (20 Nov 2026). Widen the weeks to see them." in [
        c.value for c in at.caption
    ]
    assert formed.workgroup_id


def test_presentation_mode_enlarges_chart_type_and_hides_the_chart_toolbar(demo_db):
    normal = open_trends()
    shown = open_trends({"present": "1"})

    assert figures(shown)["FRT"]["layout"]["font"]["size"] > figures(normal)["FRT"]["layout"]["font"]["size"]
    assert json.loads(shown.get("plotly_chart")[0].proto.config) == {"displayModeBar": False}
    assert not shown.expander  # the table and CSV download are for the desk, not the shared screen


def test_the_numbers_behind_the_charts_can_be_downloaded(demo_db):
    at = open_trends()
    assert at.expander[0].label == "The numbers behind the charts"
    assert not at.get("download_button"), "built only once opened"

    at.session_state["numbers"] = True
    at.run()

    assert at.get("download_button")[0].proto.label == "Download as CSV"


def test_with_every_upload_rolled_back_the_page_points_to_the_demo_and_upload(demo_db):
    con = store.connect(demo_db)
    for upload in records.list_uploads(con):
        upload_status.rollback(con, upload["id"], actor="test")
    con.close()

    at = open_trends()

    assert "No weekly figures to chart yet" in at.info[-1].value
    assert not at.get("plotly_chart")
    links = {link.proto.label: link.proto.page for link in at.main.get("page_link")}
    assert links == {
        "Upload exports, or load the demo data": "Upload",
        "The weekly review can load a year of demo data": "",  # "" is the app's main page
    }


def test_week_to_explain_defaults_to_the_latest_complete_week_not_the_partial_one(demo_db):
    at = open_trends()

    # The week picker and both questions are in a menu per KPI, built only once it is opened.
    assert menu_labels(at._tree) == ["Change the view"] + [f"{kpi}: explain a week" for kpi in ("FRT", "NRT", "SSAT")]
    assert not at.button
    at.session_state["explain_menu_FRT"] = True
    at.run()
    # The demo year ends Thu 26 Nov 2026: the week of 23 Nov is partial, 16 Nov the latest complete week.
    picker = at.selectbox(key="explain_FRT")
    assert picker.options[0] == "23 Nov 2026"
    assert picker.value == dt.date(2026, 11, 16)
