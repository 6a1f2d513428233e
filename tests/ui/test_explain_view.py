"""The explain sections on real pages (AppTest on the demo database): waterfall, provenance, this week so far."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib.core.text import format_percent
from lib.metrics import explain, kpis
from lib.store import database as store
from lib.workgroups import checks as hypothesis_checks
from lib.workgroups import library, repository

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def open_page(page: str | None = None, query_params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30)
    if page:
        at.switch_page(page)
    at.query_params = dict(query_params or {})
    at.session_state["explain_menu_FRT"] = True  # KPI trends: the "FRT: explain a week" menu opened
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def waterfall(at: AppTest) -> dict:
    return next(spec for spec in chart_specs(at) if spec["data"][0]["type"] == "waterfall")


def texts(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown).replace("\\", "")


def test_kpi_trends_draws_the_waterfall_of_a_weeks_change_with_its_table(demo_db):
    at = open_page("pages/1_KPI_trends.py")
    week = at.selectbox(key="explain_FRT").value
    at.button(key="change_FRT").click().run()
    assert not at.exception, [e.message for e in at.exception]

    # The demo's FRT week to explain is in a sustained breach: the dialog opens on the breach weeks (pooled)
    # against the four weeks before the breach began (DECISIONS.md §16); the week before is one click away.
    against = at.radio(key=f"why_FRT_against_{week}")
    assert against.value == "breach" and against.options[:2] == [
        "the breach against the four weeks before it",
        "the week before",
    ]
    with store.connect(demo_db) as con:
        settings = store.load_settings(con)
        expected = explain.explain(con, settings, "FRT", week, against="breach").to_json()
        series = {w.week: w for w in kpis.kpi_summaries(con, settings)["FRT"].series}
    breach = [dt.date.fromisoformat(w) for w in expected["weeks"]]
    assert breach[-1] == week and all(series[w].status == "breach" for w in breach)
    assert series[breach[0] - dt.timedelta(days=7)].status == "ok"  # the breach began right after
    assert [dt.date.fromisoformat(w) for w in expected["against_weeks"]] == [
        breach[0] - dt.timedelta(days=7 * n) for n in (4, 3, 2, 1)
    ]
    spec = waterfall(at)
    bars = spec["data"][0]
    assert bars["measure"][0] == "absolute" and bars["measure"][-1] == "total"
    assert bars["y"][0] == expected["against_value"]
    pooled = sum(series[w].good for w in breach) / sum(series[w].total for w in breach)
    assert bars["y"][-1] == expected["value"] == round(100 * pooled, 4)
    # The bars between are the slices' contributions, and they add up to the change to the last decimal.
    assert round(sum(bars["y"][1:-1]), 4) == expected["total_change"] == spec["layout"]["meta"]["total_change"]
    table = next(frame.value for frame in at.dataframe if "Rate part" in frame.value.columns)
    assert list(table["Slice"]) == [entry["slice"] for entry in expected["slices"]]
    assert list(table["Counted now"]) == [entry["total"] for entry in expected["slices"]]
    # The sentence names the slice that moved it most, in points of the change (by segment, the default).
    assert any(" pts " in m.value and "by segment" in m.value for m in at.markdown), [m.value for m in at.markdown]
    assert "counted in the week of" in texts(at)  # the volume check

    # A dialog shows only in the run its button opens it: choose the split, then open it again.
    at.session_state["why_FRT_by"] = "region"
    at.button(key="change_FRT").click().run()
    assert not at.exception
    regions = waterfall(at)["data"][0]["x"][1:-1]
    assert {"AMER", "APAC", "EMEA"} <= {label.rstrip(" *") for label in regions}

    # The minimum is settable: raised above every region's count, the regions are grouped as too small.
    at.session_state["why_FRT_min_events"] = 100_000
    at.button(key="change_FRT").click().run()
    grouped = next(frame.value for frame in at.dataframe if "Rate part" in frame.value.columns)
    assert list(grouped["Slice"]) == [f"Small slices ({len(regions)})"]
    assert grouped["Note"][0].startswith("too small to judge: ")


def test_kpi_trends_splits_a_change_by_ticket_group_where_the_exports_have_it(demo_db):
    at = open_page("pages/1_KPI_trends.py")
    week = at.selectbox(key="explain_FRT").value
    at.session_state[f"why_FRT_against_{week}"] = "previous"  # this week against the week before
    at.button(key="change_FRT").click().run()
    split_by = at.radio(key="why_FRT_by")
    assert split_by.options == ["Segment", "Region", "Ticket form", "Ticket group", "Priority"]
    split_by.set_value("group")
    at.button(key="change_FRT").click().run()
    assert not at.exception, [e.message for e in at.exception]

    with store.connect(demo_db) as con:
        expected = explain.explain(con, store.load_settings(con), "FRT", week, by="group").to_json()
        series = {w.week: w for w in kpis.kpi_summaries(con, store.load_settings(con))["FRT"].series}
    assert (expected["good"], expected["total"]) == (series[week].good, series[week].total)
    bars = waterfall(at)["data"][0]
    # Labels come from the export, so the figure escapes them ("L&R" is drawn from "L&amp;R").
    labels = [html.unescape(label).rstrip(" *") for label in bars["x"][1:-1]]
    assert labels == [entry["slice"] for entry in expected["slices"]]
    assert {"Support AMER", "Support APAC", "Support EMEA"} <= set(bars["x"])
    assert round(sum(bars["y"][1:-1]), 4) == expected["total_change"]
    table = next(frame.value for frame in at.dataframe if "Rate part" in frame.value.columns)
    assert list(table["Counted now"]) == [entry["total"] for entry in expected["slices"]]
    assert sum(table["Counted now"]) == series[week].total
    assert any("by ticket group" in m.value for m in at.markdown), [m.value for m in at.markdown]


def test_the_trend_hover_carries_each_weeks_95_percent_interval(demo_db):
    at = open_page("pages/1_KPI_trends.py")
    spec = next(s for s in chart_specs(at) if s["layout"]["meta"].get("kpi") == "FRT")
    combined = next(t for t in spec["data"] if t["name"] == "Combined")
    with store.connect(demo_db) as con:
        latest = kpis.kpi_summaries(con, store.load_settings(con))["FRT"].latest
    index = combined["x"].index(latest.week.isoformat())
    assert explain.interval_text(latest.good, latest.total) in combined["customdata"][index][0]


def test_the_weekly_review_shows_this_week_so_far_under_the_cards(demo_db):
    at = open_page()
    with store.connect(demo_db) as con:
        settings = store.load_settings(con)
        summary = kpis.kpi_summaries(con, settings)["FRT"]
        so_far = explain.week_so_far(con, summary, settings)
    assert so_far is not None and so_far.week == dt.date(2026, 11, 23)
    assert summary.latest.week == dt.date(2026, 11, 16)  # the partial week is not the reviewed week
    assert "This week so far" in [header.value for header in at.subheader]
    shown = [alert.value.replace("\\", "") for alert in [*at.warning, *at.info]]
    assert any(text.startswith(f"FRT {format_percent(so_far.value, so_far.floor)} so far (Mon–Thu") for text in shown)
    assert any(f"{float(so_far.rest_must_exceed):.1f} %" in text for text in shown if text.startswith("FRT"))
    # An older week's review does not show this week's partial figures.
    older = open_page(query_params={"week": "09 Nov 2026"})
    assert not any("% so far (" in alert.value for alert in [*older.warning, *older.info])
    assert "This week so far" not in [header.value for header in older.subheader]


def test_a_library_hypothesis_is_checked_against_the_data_and_attached_as_dated_evidence(demo_db):
    with store.connect(demo_db) as con:
        formed = repository.form_workgroup(con, "ann@example.com", store.load_settings(con), "FRT")
        hypothesis_id = library.copy_from_library(con, "ann@example.com", formed.workgroup_id, 6)
        library.copy_from_library(con, "ann@example.com", formed.workgroup_id, 5)  # time off: no check
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / "2_Workgroups.py"), default_timeout=30)
    at.query_params["wg"] = str(formed.workgroup_id)
    at.query_params["tab"] = "Hypotheses"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("The data cannot speak to this hypothesis: PTO" in c.value.replace("\\", "") for c in at.caption)

    at.radio(key=f"check_{hypothesis_id}_by").set_value("segment").run()
    at.button(key=f"check_{hypothesis_id}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with store.connect(demo_db) as con:
        workgroup = repository.get_workgroup(con, formed.workgroup_id)
        hypothesis = next(h for h in workgroup["hypotheses"] if h["id"] == hypothesis_id)
        expected = hypothesis_checks.run_check(con, store.load_settings(con), workgroup, hypothesis, by="segment")
    shown = texts(at)
    assert expected.words in shown
    assert f"Suggested verdict: {expected.suggested}" in shown

    at.button(key=f"check_{hypothesis_id}_attach").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with store.connect(demo_db) as con:
        hypothesis = next(
            h for h in repository.get_workgroup(con, formed.workgroup_id)["hypotheses"] if h["id"] == hypothesis_id
        )
    [evidence] = hypothesis["evidence"]
    assert evidence["note"].startswith(f"Checked against the data on {dt.date.today().isoformat()} (data version ")
    assert expected.words in evidence["note"]
    assert hypothesis["verdict"] == "open"  # suggested, never set
    editor = next(e for e in at.data_editor if "note" in e.value.columns)
    assert list(editor.value["note"]) == [evidence["note"]]  # the evidence table shows what was stored
