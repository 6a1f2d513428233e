"""The weekly review (app.py) on the real demo database, driven by Streamlit's AppTest.

The demo year ends Thursday 26 Nov 2026: the latest complete week is 16 Nov, FRT has been
at or below its floor since 2 Nov (a sustained breach), NRT and SSAT are above theirs, and
the week of 23 Nov is partial.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.core.kpis import kpi_keys
from lib.metrics import kpis, review
from lib.store import database as store
from lib.store import upload_records as records
from lib.uploads import status as upload_status
from lib.workgroups import repository

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def open_review(query_params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30)
    at.query_params = dict(query_params or {})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def card_headers(at: AppTest) -> list[str]:
    """Each card's heading: the KPI, then its status in words with an icon."""
    return [m.value for m in at.markdown if m.value.startswith("## ")]


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def summaries_of(db: Path) -> dict[str, kpis.KpiSummary]:
    """What lib.metrics.kpis computes for the same database: the page must show exactly these figures."""
    con = store.connect(db)
    try:
        return kpis.kpi_summaries(con, store.load_settings(con))
    finally:
        con.close()


def test_cards_show_each_kpi_in_agenda_order_with_status_in_words_and_icon(demo_db):
    at = open_review()

    assert at.title[0].value == "Weekly review · week of 16 Nov 2026"
    assert card_headers(at) == [
        "## FRT\n### :red[:material/report: Sustained breach]",
        "## NRT\n### :green[:material/check_circle: OK]",
        "## SSAT\n### :green[:material/check_circle: OK]",
    ]
    expected = summaries_of(demo_db)
    assert [m.value for m in at.metric] == [
        review.format_percent(expected[kpi].latest.value, expected[kpi].floor) for kpi in kpi_keys()
    ]
    assert [m.delta for m in at.metric] == [review.format_points(expected[kpi].change_points) for kpi in kpi_keys()]
    frt = expected["FRT"].latest
    frt_facts = next(m.value for m in at.markdown if m.value.startswith(f"{frt.good:,} good of {frt.total:,}"))
    assert "floor **93 %**" in frt_facts
    assert "3 weeks at or below (since 02 Nov)" in frt_facts


def test_segments_are_listed_with_sample_sizes_and_other_on_its_own(demo_db):
    at = open_review()

    frt_table = plain(next(m.value for m in at.markdown if m.value.startswith("| Segment")))
    cells = summaries_of(demo_db)["FRT"].latest.segments
    for segment, shown in [
        ("L&R", "L&R"),
        ("GitLab SM", "GitLab SM"),
        ("GitLab SaaS", "GitLab SaaS"),
        ("Other", "Other (not in combined)"),
    ]:
        cell = cells[segment]
        assert f"| {shown} | {100 * cell.good / cell.total:.1f} % | {cell.good:,} / {cell.total:,} |" in frt_table


def test_a_kpi_near_its_floor_comes_before_the_kpis_that_are_fine(demo_db):
    ssat = summaries_of(demo_db)["SSAT"].latest.value
    con = store.connect(demo_db)
    store.save_setting(con, "floors", {"FRT": 93, "NRT": 83, "SSAT": round(ssat - 0.5, 1)}, actor="test")
    con.close()

    at = open_review()

    assert [header.split("\n")[0] for header in card_headers(at)] == ["## FRT", "## SSAT", "## NRT"]
    assert "Near the floor" in card_headers(at)[1]


def test_sustained_breach_calls_for_a_workgroup_with_a_prefilled_link(demo_db):
    at = open_review()

    assert [e.value for e in at.error] == [
        "Form a metrics workgroup: FRT has been at or below its 93 % floor for 3 weeks in a row "
        "(since the week of 02 Nov 2026); the handbook calls for a workgroup after 2 (a sustained breach)."
    ]
    links = [link.proto for link in at.main.get("page_link")]
    assert [(link.page, link.query_string) for link in links] == [
        ("Workgroups", "kpi=FRT&start=2026-11-02&end=2026-11-16")
    ]


def test_the_first_lines_give_each_kpis_status_value_and_floor_and_links_keep_presentation_and_week(demo_db):
    at = open_review({"present": "1", "week": "2026-11-09"})

    summary = [m.value for m in at.main.markdown if m.value.startswith("**") and " · floor " in m.value]
    assert [line.split("**")[1] for line in summary] == list(kpi_keys())
    assert all("\u00a0%** · floor " in line for line in summary)
    links = [(link.proto.page, link.proto.query_string) for link in at.main.get("page_link")]
    assert ("Workgroups", "present=1&week=2026-11-09&kpi=FRT&start=2026-11-02&end=2026-11-09") in links
    assert ("KPI_trends", "present=1&week=2026-11-09") in links  # the presentation bar's page switcher
    assert all(query.startswith("present=1&week=2026-11-09") for _, query in links)


def test_an_open_workgroup_replaces_the_call_to_action_and_links_to_it(demo_db):
    con = store.connect(demo_db)
    formed = repository.form_workgroup(
        con, "test", store.load_settings(con), "FRT", title="FRT *November* dip", opened_on=dt.date(2026, 11, 24)
    )
    con.close()

    at = open_review()

    assert not at.error
    assert [i.value for i in at.info if "already open" in i.value] == [
        "A workgroup is already open: FRT \\*November\\* dip"
    ]
    links = [link.proto for link in at.main.get("page_link")]
    assert [(link.page, link.query_string) for link in links] == [("Workgroups", f"wg={formed.workgroup_id}")]


def test_partial_week_is_announced_quietly_with_how_far_the_data_goes(demo_db):
    at = open_review()

    said = "The week of 23 Nov 2026 is partial: data through Thu 26 Nov 2026"
    assert any(said in caption.value for caption in at.caption)
    assert not any(
        said in warning.value for warning in at.warning
    )  # news, not an alarm: the meeting acts on none of it


def test_every_card_chart_draws_its_kpis_floor(demo_db):
    at = open_review()

    floors = {}
    for spec in figures(at):
        floor_line = next(s for s in spec["layout"]["shapes"] if s.get("name") == "floor")
        floors[spec["layout"]["meta"]["kpi"]] = floor_line["y0"]
    assert floors == {"FRT": 93, "NRT": 83, "SSAT": 93}


@pytest.mark.parametrize("spelling", ["02 Nov 2026", "2026-11-02", "2026-11-04", "2+Nov+2026"])
def test_the_week_in_the_url_opens_that_weeks_review_in_either_spelling(demo_db, spelling):
    at = open_review({"week": spelling})

    assert at.selectbox(key="week").value == "2026-11-02"
    assert at.title[0].value == "Weekly review · week of 02 Nov 2026"
    # On 2 Nov FRT had been at or below its floor for one week only: no workgroup yet.
    assert card_headers(at)[0] == "## FRT\n### :orange[:material/warning: At or below the floor]"
    assert not at.main.get("page_link")
    assert at.query_params["week"] == "2026-11-02"  # the address is rewritten in the one spelling Floorline writes
    assert not any("link" in w.value for w in at.warning)


def test_choosing_a_week_writes_it_into_the_url_as_an_iso_date(demo_db):
    at = open_review()
    at.selectbox(key="week").set_value("2026-10-26").run()

    assert at.query_params["week"] == "2026-10-26"
    at.selectbox(key="week").set_value("2026-11-16").run()
    assert "week" not in at.query_params


@pytest.mark.parametrize(
    ("spelling", "said"),
    [
        ("2024-01-01", "The link names the week of 01 Jan 2024, which has no data here."),
        ("14 Sep 2030", "The link names the week of 14 Sep 2030, which has no data here."),
        (
            "last week",
            "The link's week “last week” is not a date Floorline reads (write it as 2026-09-14 or 14 Sep 2026).",
        ),
    ],
)
def test_a_url_week_without_data_is_said_so_not_dropped_silently(demo_db, spelling, said):
    at = open_review({"week": spelling})

    assert at.selectbox(key="week").value == "2026-11-16"
    warnings = [w.value.replace("\\", "") for w in at.warning]
    assert any(w.startswith(said) and w.endswith(" Showing 16 Nov 2026 instead.") for w in warnings), warnings
    assert "week" not in at.query_params


def test_the_default_week_keeps_the_url_clean(demo_db):
    at = open_review()

    assert at.selectbox(key="week").value == "2026-11-16"
    assert "week" not in at.query_params


def test_meeting_notes_are_offered_as_a_markdown_download(demo_db):
    at = open_review()

    button = at.get("download_button")[0].proto
    assert button.label == "Meeting notes"
    assert button.url.endswith(".md")


def test_presentation_mode_from_the_url_enlarges_the_charts(demo_db):
    normal = open_review()
    shown = open_review({"present": "1"})

    assert shown.toggle[0].value is True
    assert figures(shown)[0]["layout"]["font"]["size"] > figures(normal)[0]["layout"]["font"]["size"]


def test_with_every_upload_rolled_back_the_page_points_to_upload_and_demo(demo_db):
    con = store.connect(demo_db)
    for upload in records.list_uploads(con):
        upload_status.rollback(con, upload["id"], actor="test")
    con.close()

    at = open_review()

    assert "no weekly figures to review yet" in at.info[-1].value
    assert not at.metric
    assert at.button(key="load_demo").label == "Load the demo data"

    at.button(key="load_demo").click().run()

    assert not at.exception
    assert len(at.metric) == 3


def test_a_card_explains_where_its_number_comes_from(demo_db):
    at = open_review()
    at.button(key="provenance_FRT").click().run()
    assert not at.exception, [e.message for e in at.exception]
    shown = (" ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)).replace("\\", "")
    assert "explore_sla_events_demo.csv" in shown  # the upload the value comes from
    assert "target still active" in shown  # and what was left out of it


def test_a_database_another_process_holds_shows_what_is_happening_not_a_traceback(locked_db):
    path, pid = locked_db
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30).run()

    assert not at.exception
    assert at.title[0].value == "Floorline cannot open its data"
    error = at.error[0].value.replace("\\", "")
    assert "is in use by python" in error and f"(process {pid})" in error and "Stop that program" in error
    assert at.button(key="floorline_retry_database")
