"""Data trust: the pull against the Explore export of the same tickets, and against Sisense, with the same flags."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from export_builders import csv_text
from streamlit.testing.v1 import AppTest
from zendesk_server import EMAIL, REGION_FIELD_ID, TOKEN
from zendesk_tickets import explore_exports, fake_zendesk

from lib.store import database as store
from lib.uploads import ingest
from lib.zendesk import pull as zendesk_pull
from lib.zendesk import trust
from lib.zendesk.settings import ZendeskSettings

APP = str(Path(__file__).resolve().parents[2] / "app.py")
NOV_09, NOV_16 = dt.date(2026, 11, 9), dt.date(2026, 11, 16)


@pytest.fixture
def three_sources(httpserver, con, tmp_path):
    """The Explore exports of the tickets, then a pull of the same tickets, then Sisense for two weeks."""
    for path in explore_exports(tmp_path):
        ingest.ingest_file(con, path, uploaded_by="manager")
    fake = fake_zendesk()
    fake.install(httpserver)
    settings = ZendeskSettings(
        "floorline", EMAIL, TOKEN, region_field_id=REGION_FIELD_ID, base_url_override=fake.base_url
    )
    zendesk_pull.pull(con, settings, since=dt.date(2026, 11, 2), pulled_by="cron")
    sisense = tmp_path / "sisense.csv"
    # FRT: week of 9 Nov as the API says (2 of 2), week of 16 Nov far below it (1 of 3 against 2 of 3).
    sisense.write_text(
        csv_text(
            ["week_start", "ticket_form", "kpi", "achieved", "total"],
            [["2026-11-09", "SaaS", "FRT", 2, 2], ["2026-11-16", "SaaS", "FRT", 1, 3]],
        )
    )
    ingest.ingest_file(con, sisense, source="sisense", uploaded_by="manager")
    return con


def test_the_api_agrees_with_the_export_of_the_same_tickets_and_sisense_is_flagged_beyond_the_tolerance(
    three_sources,
):
    rows = {
        (r["KPI"], r["Week"]): r for r in trust.api_comparison_rows(three_sources, store.load_settings(three_sources))
    }
    assert {key for key in rows if key[0] == "SSAT"} == {("SSAT", dt.date(2026, 11, d)) for d in (2, 9, 16)}
    assert all(
        r["API − export (points)"] == 0 and r["Against the export"] == "within the tolerance" for r in rows.values()
    )
    assert rows[("FRT", NOV_09)]["Against Sisense"] == "within the tolerance"
    frt = rows[("FRT", NOV_16)]
    assert (frt["Zendesk API"], frt["Explore export"]) == (pytest.approx(66.667, abs=0.01),) * 2
    assert frt["API − Sisense (points)"] == pytest.approx(33.33, abs=0.01)
    assert frt["Against Sisense"].startswith("beyond the ±1")


def test_the_data_trust_page_shows_the_three_sources(three_sources, db_path):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/5_Data_trust.py")
    at.run()
    assert not at.exception
    assert any(h.value == "Zendesk API against the Explore export and Sisense" for h in at.header)
    table = next(df.value for df in at.dataframe if "Zendesk API" in df.value.columns)
    assert len(table) == len(trust.api_comparison_rows(three_sources, store.load_settings(three_sources)))
