"""The Data trust page on the real demo database (with its Sisense export), driven by AppTest.

The demo's Sisense weekly aggregate copies Explore's counts per form and week, except for 3
planted disagreements of 2–6 points at segment level. The page must flag exactly those.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from plain_tables import plain_tables
from streamlit.testing.v1 import AppTest

from lib.core.kpis import kpi_keys
from lib.core.settings import DEFAULT_FORM_SEGMENTS
from lib.metrics import explain, kpis, reconcile
from lib.store import database as store
from lib.uploads import status as upload_status

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAGE = str(PROJECT_ROOT / "pages" / "5_Data_trust.py")
DEMO_END = dt.date(2026, 11, 26)


def latest_frt(db_path: Path) -> kpis.WeekValue:
    """The demo's latest complete FRT week, as lib.metrics.kpis computes it."""
    con = store.connect(db_path)
    try:
        return kpis.kpi_summaries(con, store.load_settings(con))["FRT"].latest
    finally:
        con.close()


def breach_weeks_frt(db_path: Path) -> float:
    """The demo's FRT breach weeks up to the latest complete week, pooled, as lib.metrics.explain compares them."""
    con = store.connect(db_path)
    try:
        settings = store.load_settings(con)
        latest = kpis.kpi_summaries(con, settings)["FRT"].latest
        return float(explain.explain(con, settings, "FRT", latest.week, against="breach").value1)
    finally:
        con.close()


def open_page(query_params: dict | None = None, session: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.query_params = dict(query_params or {})
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page_in_app() -> AppTest:
    """Through the landing page, as in the app: links to other pages resolve against app.py."""
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/5_Data_trust.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def plain(text: str) -> str:
    """Page text as read: no bold markers, no backslashes from escape_markdown, ordinary spaces."""
    return re.sub(r"\\(.)", r"\1", text.replace("**", "")).replace("\u00a0", " ")


def markdown(at: AppTest) -> list[str]:
    return [plain(m.value) for m in at.markdown]


def table_with(at: AppTest, *columns: str):
    """The first dataframe on the page with all these columns."""
    return next(df.value for df in at.dataframe if set(columns) <= set(df.value.columns))


def static_table_with(at: AppTest, *columns: str):
    """The first static table on the page with all these columns, as the browser shows its text."""
    return next(table for table in plain_tables(at) if set(columns) <= set(table.columns))


def planted(db: Path) -> set[tuple[str, dt.date, str]]:
    """Ground truth from the stored rows: where Sisense's counts differ from Explore's, by segment."""
    con = store.connect(db)
    try:
        rows = con.execute(
            """WITH explore AS (
                   SELECT w.kpi, w.week, w.form, sum(w.good) AS good, sum(w.total) AS total FROM weekly_counts w
                   JOIN uploads u ON u.id = w.upload_id WHERE u.source = 'explore' GROUP BY ALL),
               sisense AS (
                   SELECT w.kpi, w.week, w.form, w.good, w.total FROM weekly_counts w
                   JOIN uploads u ON u.id = w.upload_id WHERE u.source = 'sisense')
               SELECT s.kpi, s.week, s.form FROM sisense s JOIN explore e USING (kpi, week, form)
               WHERE s.good <> e.good OR s.total <> e.total"""
        ).fetchall()
    finally:
        con.close()
    return {(kpi, week, DEFAULT_FORM_SEGMENTS[form]) for kpi, week, form in rows}


def test_the_page_flags_exactly_the_planted_disagreements(demo_db):
    expected = planted(demo_db)
    assert len(expected) == 3

    at = open_page(session={"every_week": True})  # the table of every comparison is built once opened

    # Every disagreement in a static table (readable on a projector): the per-KPI summary comes first.
    flagged = static_table_with(at, "Segment", "Difference (pts)", "Sisense")
    segment_rows = flagged[flagged["Segment"] != "Combined"]
    found = {
        (row.KPI, dt.datetime.strptime(row.Week, "%d %b %Y").date(), row.Segment) for row in segment_rows.itertuples()
    }
    assert found == expected
    assert all(2 <= abs(float(difference)) <= 6 for difference in segment_rows["Difference (pts)"])
    assert "Flag" not in flagged.columns  # every row here is beyond the tolerance
    # Each side's figure and counts are on the row, side by side.
    assert segment_rows["Explore good / counted"].str.contains(" / ").all()
    assert segment_rows["Sisense good / counted"].str.contains(" / ").all()
    # Where a planted error is large enough, the pooled Combined figure moves beyond the tolerance too.
    assert set(flagged[flagged["Segment"] == "Combined"]["KPI"]) <= {kpi for kpi, _, _ in expected}

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Beyond ±1 point"] == "3"
    assert metrics["Segment-weeks compared"] == "468"
    summary = next(text for text in markdown(at) if text.startswith("Sisense differs from Explore"))
    assert "in 3 of 468 segment-weeks" in summary
    # How often and how far, per KPI.
    per_kpi = plain_tables(at)[0]  # a static table: three rows need no grid
    assert list(per_kpi["KPI"]) == list(kpi_keys())
    assert list(per_kpi["Beyond ±1 pt"]) == ["1", "1", "1"]
    assert all(2 <= abs(float(largest.removesuffix(" pts"))) <= 6 for largest in per_kpi["Largest"])
    # Every comparison, side by side: 3 KPIs x 52 complete weeks x (3 segments + Combined).
    every = next(df.value for df in at.dataframe if len(df.value) > 100)
    assert len(every) == 3 * 52 * 4
    assert (every["Flag"] == "beyond tolerance").sum() == len(flagged)
    assert set(every[every["Flag"] == "beyond tolerance"]["Segment"]) == set(flagged["Segment"])
    # The partial week of 23 Nov has no Sisense figure: it is not compared.
    assert dt.date(2026, 11, 23) not in set(every["Week"])


def planted_nrt_disagreement(db_path: Path):
    """The demo's planted NRT disagreement (its segment and week), as lib.metrics.reconcile finds it."""
    con = store.connect(db_path)
    try:
        flagged = reconcile.reconcile(con, store.load_settings(con)).flagged
    finally:
        con.close()
    return next(c for c in flagged if c.kpi == "NRT" and c.scope in DEFAULT_FORM_SEGMENTS.values())


def test_picking_a_disagreement_fills_the_picks_below_and_opens_each_sources_figure(demo_db):
    planted = planted_nrt_disagreement(demo_db)
    at = open_page()
    assert not any(t.startswith("Upload 1: explore_sla_events_demo.csv") for t in markdown(at))  # built on demand

    explain = at.selectbox(key="explain_disagreement")
    label = f"NRT · {planted.week:%d %b %Y} · {planted.scope}: {planted.difference:+.2f} pts"
    assert label in explain.options and len(explain.options) == len(static_table_with(at, "Difference (pts)"))
    explain.select_index(explain.options.index(label)).run()

    assert not at.exception, [e.message for e in at.exception]
    picks = {box.key: box.value for box in at.selectbox if box.key in ("kpi", "week", "scope")}
    assert picks == {"kpi": "NRT", "week": planted.week.isoformat(), "scope": planted.scope}
    assert at.query_params["week"] == planted.week.isoformat()  # in the address, as a link would carry it
    texts = markdown(at)
    assert any(t.startswith("Upload 1: explore_sla_events_demo.csv") for t in texts)
    assert any(t.startswith("Upload 3: sisense_weekly_kpis_demo.csv") for t in texts)
    assert at.selectbox(key="explain_disagreement").value is None  # ready to pick again


def test_a_long_list_of_disagreements_is_shown_a_page_at_a_time(demo_db):
    con = store.connect(demo_db)  # Sisense one good event short wherever a segment-week has under 100: over 1 point
    con.execute(
        """UPDATE weekly_counts SET good = good - 1 WHERE good > 0 AND total < 100
           AND upload_id = (SELECT id FROM uploads WHERE source = 'sisense')"""
    )
    flagged = reconcile.comparison_rows(reconcile.reconcile(con, store.load_settings(con)).flagged)
    con.close()
    assert len(flagged) > 25

    at = open_page()
    page = at.selectbox(key="disagreements_page")
    assert page.options == [str(number) for number in range(1, -(-len(flagged) // 25) + 1)]
    assert len(static_table_with(at, "Difference (pts)")) == 25
    pages = len(page.options)
    assert any(c.value == f"Page 1 of {pages}: disagreements 1–25 of {len(flagged)}, newest first" for c in at.caption)
    page.select(2).run()
    assert any(c.value.startswith(f"Page 2 of {pages}: disagreements 26–50 of ") for c in at.caption)
    shown = static_table_with(at, "Difference (pts)")
    assert list(shown["Week"]) == [f"{row['Week']:%d %b %Y}" for row in flagged[25:50]]
    # The rows to explain are the page's own.
    assert at.selectbox(key="explain_disagreement").options[0].startswith(f"{flagged[25]['KPI']} · ")


def test_the_charts_draw_both_sources_and_mark_the_flagged_week(demo_db):
    planted = planted_nrt_disagreement(demo_db)
    assert len(open_page({"chart": planted.scope}).get("plotly_chart")) == 1, "only the open tab's chart is built"
    at = open_page({"chart": planted.scope}, session={"series_kpi": "NRT · Next reply time SLA"})
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    nrt = next(figure for figure in figures if "NRT" in json.dumps(figure["layout"]["annotations"]))
    names = [trace.get("name") for trace in nrt["data"]]
    assert names[:2] == ["Explore", "Sisense"]
    marked = next(trace for trace in nrt["data"] if str(trace.get("name", "")).startswith("Beyond"))
    assert [x[:10] for x in marked["x"]] == [planted.week.isoformat()]


def test_the_url_picks_a_kpi_week_and_segment_and_both_sides_explain_themselves(demo_db):
    planted = planted_nrt_disagreement(demo_db)
    week = planted.week.isoformat()
    at = open_page({"kpi": "NRT", "week": week, "scope": planted.scope})

    picks = {box.key: box.value for box in at.selectbox if box.key in ("kpi", "week", "scope")}
    assert picks == {"kpi": "NRT", "week": week, "scope": planted.scope}
    texts = markdown(at)
    assert any(
        t.startswith(f"Sisense minus Explore: {planted.difference:+.1f} pts, beyond the ±1 point tolerance")
        for t in texts
    )
    assert any(t.startswith("Upload 1: explore_sla_events_demo.csv") for t in texts)
    assert any(t.startswith("Upload 3: sisense_weekly_kpis_demo.csv") for t in texts)
    con = store.connect(demo_db)
    explore_rows = con.execute(
        """SELECT sum(w.rows) FROM weekly_counts w JOIN uploads u ON u.id = w.upload_id JOIN form_segments m
           ON m.form_key = lower(w.form) WHERE u.source = 'explore' AND w.kpi = 'NRT'
           AND w.week = ? AND m.segment = ?""",
        [planted.week, planted.scope],
    ).fetchone()[0]
    con.close()
    assert any(f"uses {explore_rows:,} rows of this upload" in t for t in texts)  # Explore: one row per NRT target
    assert any("uses 1 row of this upload" in t for t in texts)  # Sisense: one aggregate row


def test_the_drill_down_is_safe_to_share_until_switched_off(demo_db):
    query = {"kpi": "FRT", "week": "2026-11-16", "scope": "Combined"}
    assert not any(t == "Safe to share" for t in (toggle.label for toggle in open_page(query).toggle))
    at = open_page(query, session={"trust_behind": True})  # the rows behind the figure, once opened

    toggle = at.toggle(key="trust_drill_safe")
    assert toggle.value is True
    rows = table_with(at, "Date", "Ticket form", "Ticket group")
    assert "Ticket ID" not in rows.columns and "Row in the file" not in rows.columns
    behind = next(t for t in markdown(at) if "breached targets behind this value" in t)
    counted, good, breached = map(int, re.search(r"\((\d+) counted − (\d+) good = (\d+)\)", behind).groups())
    frt = latest_frt(demo_db)
    assert (counted, good) == (frt.total, frt.good)
    assert breached == counted - good == len(rows)

    toggle.set_value(False).run()
    rows = table_with(at, "Date", "Ticket form", "Ticket group")
    assert "Ticket ID" in rows.columns
    assert rows["Ticket ID"].str.fullmatch(r"\d+").all()
    assert any("Ticket IDs are showing" in w.value for w in at.warning)


def test_a_week_from_a_link_that_has_no_data_falls_back_to_the_latest_complete_week_and_says_so(demo_db):
    at = open_page({"kpi": "SSAT", "week": "1999-01-04"})
    assert at.selectbox(key="week").value == "2026-11-16"
    warnings = [w.value.replace("\\", "") for w in at.warning]
    assert "The link names the week of 04 Jan 1999, which has no data here. Showing 16 Nov 2026 instead." in warnings


def test_a_week_in_the_link_is_read_as_the_pages_show_it_too_and_written_back_as_iso(demo_db):
    at = open_page({"kpi": "NRT", "week": "13 Jul 2026"})
    assert at.selectbox(key="week").value == "2026-07-13"
    assert at.query_params["week"] == "2026-07-13"
    assert not any("link" in w.value for w in at.warning)


def test_without_a_sisense_upload_the_page_says_what_to_upload(demo_db):
    con = store.connect(demo_db)
    sisense_id = con.execute("SELECT id FROM uploads WHERE source = 'sisense'").fetchone()[0]
    upload_status.rollback(con, sisense_id, actor="test")
    con.close()

    at = open_page_in_app()

    assert any("Nothing to compare yet" in info.value for info in at.info)
    assert not at.get("plotly_chart")
    # The provenance section still explains Explore's figures.
    assert any(t.startswith("Upload 1: explore_sla_events_demo.csv") for t in markdown(at))


def provenance_dialog_script():
    # AppTest runs this function's body as a script of its own: it imports what it uses.
    import datetime as dt

    import streamlit as st

    from lib.ui.page import setup_page
    from lib.ui.provenance_view import show_provenance

    ctx = setup_page("Dialog", ":material/manage_search:")
    if st.button("Where does this number come from?", key="why_FRT"):
        show_provenance(ctx, "FRT", dt.date(2026, 11, 16))


def test_the_shared_dialog_opens_from_a_button_with_the_upload_and_safe_drill_down(demo_db):
    at = AppTest.from_function(provenance_dialog_script, default_timeout=30)
    at.run()
    at.button(key="why_FRT").click().run()

    assert not at.exception, [e.message for e in at.exception]
    texts = markdown(at)
    assert any(t.startswith("Upload 1: explore_sla_events_demo.csv") for t in texts)
    frt = latest_frt(demo_db)
    assert any(f"{frt.total - frt.good} breached targets" in t for t in texts)
    assert at.toggle(key="provenance_FRT_safe").value is True
    rows = table_with(at, "Date", "Ticket form")
    assert "Ticket ID" not in rows.columns
    # The value's 95 % interval, and why it differs from the week before (DECISIONS.md §16, §17).
    assert any(explain.interval_text(frt.good, frt.total) in t for t in texts)
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    waterfall = next(spec for spec in charts if spec["data"][0]["type"] == "waterfall")
    # The latest FRT week is in a sustained breach: the dialog compares the breach weeks, pooled, with the
    # four weeks before the breach began; the bar it ends on is the pooled breach weeks' value.
    assert waterfall["data"][0]["y"][-1] == round(breach_weeks_frt(demo_db), 4)
