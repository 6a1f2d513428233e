"""A pull against a local Zendesk gives the same weekly figures as Explore's exports of the same tickets."""

from __future__ import annotations

import datetime as dt
import json

from zendesk_server import EMAIL, REGION_FIELD_ID, TOKEN
from zendesk_tickets import event, explore_exports

from lib import cli
from lib.metrics.kpis import status_report
from lib.store import database as store
from lib.store import history as change_history
from lib.store import upload_records as records
from lib.store.history import change_log
from lib.uploads import ingest
from lib.uploads import status as upload_status
from lib.zendesk import pull as zendesk_pull
from lib.zendesk.settings import ZendeskSettings

SINCE = dt.date(2026, 11, 2)


def settings_for(fake) -> ZendeskSettings:
    return ZendeskSettings(
        subdomain="floorline",
        email=EMAIL,
        api_token=TOKEN,
        region_field_id=REGION_FIELD_ID,
        base_url_override=fake.base_url,
    )


def status_json(db_path, capsys) -> dict:
    capsys.readouterr()
    assert cli.main(["--db", str(db_path), "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_pull_gives_the_same_weekly_figures_as_the_explore_exports_of_the_same_tickets(zendesk, tmp_path, capsys):
    pulled_db, exported_db = tmp_path / "pulled.duckdb", tmp_path / "exported.duckdb"
    with store.connect(pulled_db) as con:
        result = zendesk_pull.pull(con, settings_for(zendesk), since=SINCE, pulled_by="cron")
    assert result.status == "stored"
    assert result.counts["events"] >= 47 and result.counts["tickets"] == 12
    with store.connect(exported_db) as con:
        for path in explore_exports(tmp_path):
            ingest.ingest_file(con, path, uploaded_by="manager")

    pulled, exported = status_json(pulled_db, capsys), status_json(exported_db, capsys)
    assert pulled == exported
    # ... and they are the figures DECISIONS.md §32 works out by hand from the events
    assert pulled["kpis"]["FRT"]["weekly"] == {"2026-11-02": 50.0, "2026-11-09": 100.0, "2026-11-16": 66.6667}
    assert pulled["kpis"]["NRT"]["weekly"] == {"2026-11-09": 0.0, "2026-11-16": 100.0}
    assert pulled["kpis"]["SSAT"]["weekly"] == {"2026-11-02": 50.0, "2026-11-09": 100.0, "2026-11-16": 60.0}


def weekly(con, kpi: str) -> dict:
    return status_report(con, store.load_settings(con))["kpis"][kpi]["weekly"]


def test_pulling_again_reads_only_what_changed_and_moves_the_weeks_whose_outcome_changed(zendesk, con):
    settings = settings_for(zendesk)
    zendesk_pull.pull(con, settings, since=SINCE, pulled_by="cron")
    uploads_before = len(records.list_uploads(con))

    # The same window again: nothing new in Zendesk, nothing changes here.
    zendesk.requests.clear()
    again = zendesk_pull.pull(con, settings, pulled_by="cron")
    assert again.status == "unchanged" and again.changes == []
    assert len(records.list_uploads(con)) == uploads_before
    # ... and it asked from where the last pull ended, not from the start
    assert "start_time=1790985600" not in " ".join(zendesk.requests)
    # The whole window read again on purpose (--since): the same files, nothing stored either.
    assert zendesk_pull.pull(con, settings, since=SINCE, pulled_by="cron").status == "unchanged"
    assert len(records.list_uploads(con)) == uploads_before

    # Ticket 3 is answered late (breached), ticket 9's requester rates it bad after it is solved.
    zendesk.events += [
        event(3, "breach", "2026-11-24T09:00:00Z"),
        event(3, "fulfill", "2026-11-24T10:00:00Z"),
    ]
    zendesk.tickets[3] = {**zendesk.tickets[3], "updated_at": "2026-11-24T10:00:00Z"}
    zendesk.tickets[9] = {
        **zendesk.tickets[9],
        "updated_at": "2026-11-24T11:00:00Z",
        "satisfaction_rating": {"score": "bad"},
    }
    zendesk.solved[9] = "2026-11-18T12:00:00Z"
    moved = zendesk_pull.pull(con, settings, pulled_by="cron")
    assert moved.status == "stored"
    assert weekly(con, "SSAT")["2026-11-16"] == 50.0  # 3 good of 6 now
    # ticket 3's breach lands in the week of its late reply, still partial (the data ends on its Tuesday)
    frt = status_report(con, store.load_settings(con))["kpis"]["FRT"]
    assert "2026-11-23" in frt["partial_weeks"] and "2026-11-23" not in frt["weekly"]
    logged = [row for row in change_log(con) if row[2] == "zendesk pull"]
    assert "SSAT" in logged[0][4] and "weekly figure" in logged[0][4]
    assert TOKEN not in str(change_log(con)) and TOKEN not in str(records.list_uploads(con))
    shown = change_history.changes(con)  # as the Change history page lists it
    pulled = shown[shown["Action"] == "Zendesk pull"].iloc[0]
    assert pulled["Area"] == "Uploads" and "SSAT" in pulled["Detail"]

    # Rollback takes the pull's figures out, restore brings them back.
    [upload] = moved.uploads
    upload_status.rollback(con, upload["upload_id"], actor="manager")
    assert weekly(con, "SSAT")["2026-11-16"] == 60.0
    upload_status.restore(con, upload["upload_id"], actor="manager")
    assert weekly(con, "SSAT")["2026-11-16"] == 50.0


def test_a_pull_is_one_upload_and_one_history_entry_whose_rollback_and_restore_move_every_kpi(zendesk, con):
    result = zendesk_pull.pull(con, settings_for(zendesk), since=SINCE, pulled_by="cron")
    [upload] = records.list_uploads(con)
    assert result.uploads == [{"upload_id": upload["id"], "status": "accepted", "file_name": upload["file"]}]
    assert upload["source"] == "zendesk" and upload["uploaded_by"] == "cron"
    # One entry says it all: who, the range pulled, what was read, the upload it stored.
    [entry] = change_log(con)
    assert entry[2] == "zendesk pull" and json.loads(entry[4])["upload_id"] == upload["id"]
    assert "2026-" in json.loads(entry[4])["range"] and "tickets" in json.loads(entry[4])["read"]
    pulled = {kpi: weekly(con, kpi) for kpi in ("FRT", "NRT", "SSAT")}
    assert all(pulled.values())

    upload_status.rollback(con, upload["id"], actor="manager")
    assert {kpi: weekly(con, kpi) for kpi in pulled} == {"FRT": {}, "NRT": {}, "SSAT": {}}
    upload_status.restore(con, upload["id"], actor="manager")
    assert {kpi: weekly(con, kpi) for kpi in pulled} == pulled


def test_the_command_pulls_then_finds_nothing_new(zendesk, db_path, capsys, monkeypatch):
    monkeypatch.setenv("ZENDESK_BASE_URL", zendesk.base_url)
    monkeypatch.setenv("ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("ZENDESK_API_TOKEN", TOKEN)
    monkeypatch.setenv("ZENDESK_REGION_FIELD_ID", str(REGION_FIELD_ID))
    monkeypatch.chdir(db_path.parent)
    capsys.readouterr()
    assert cli.main(["--db", str(db_path), "zendesk", "pull", "--since", "2026-11-02", "--json", "--by", "cron"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["status"] == "stored" and [u["status"] for u in first["uploads"]] == ["accepted"]
    assert cli.main(["--db", str(db_path), "zendesk", "pull"]) == 0
    out = capsys.readouterr().out
    assert "no weekly figure changes, nothing stored" in out and TOKEN not in out
    with store.connect(db_path) as con:
        uploads = records.list_uploads(con)
    assert len(uploads) == 1 and uploads[0]["source"] == "zendesk"


def test_an_oauth_token_is_sent_as_a_bearer_token(zendesk, con):
    settings = ZendeskSettings(
        subdomain="floorline", oauth_token=TOKEN, region_field_id=REGION_FIELD_ID, base_url_override=zendesk.base_url
    )
    assert zendesk_pull.pull(con, settings, since=SINCE, pulled_by="cron").status == "stored"
