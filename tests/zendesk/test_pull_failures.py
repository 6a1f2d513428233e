"""Every way a pull can fail stores nothing, says which endpoint failed and what to do, and never shows the token."""

from __future__ import annotations

import datetime as dt
import json
import time

import duckdb
import pytest
from werkzeug import Response
from zendesk_server import EMAIL, EVENTS_PATH, GROUPS_PATH, REGION_FIELD_ID, TICKETS_PATH, TOKEN

from lib import cli
from lib.store import database as store
from lib.store import upload_records as records
from lib.zendesk import pull as zendesk_pull
from lib.zendesk.client import PullFailed, ZendeskClient
from lib.zendesk.settings import ZendeskSettings

SINCE = dt.date(2026, 11, 2)
ATTEMPTS = 3


def settings_for(base_url: str, token: str = TOKEN) -> ZendeskSettings:
    return ZendeskSettings(
        subdomain="floorline",
        email=EMAIL,
        api_token=token,
        region_field_id=REGION_FIELD_ID,
        base_url_override=base_url,
    )


def pull(con, settings):
    return zendesk_pull.pull(
        con, settings, since=SINCE, pulled_by="cron", client=ZendeskClient(settings, attempts=ATTEMPTS)
    )


def stored_state(con) -> tuple:
    """Everything a pull could change: uploads, their figures, the change log, the pulls, the mirror."""
    mirror_file = zendesk_pull.mirror_path(con)
    mirror = ()
    if mirror_file.exists():
        with duckdb.connect(str(mirror_file), read_only=True) as handle:
            tables = [row[0] for row in handle.execute("SELECT table_name FROM information_schema.tables").fetchall()]
            mirror = tuple(sorted((t, handle.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in tables))
    pulls = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'zendesk_pulls'").fetchall()[
        0
    ][0]
    return (
        con.execute("SELECT id, status FROM uploads ORDER BY id").fetchall(),
        con.execute("SELECT * FROM weekly_counts ORDER BY ALL").fetchall(),
        con.execute("SELECT count(*) FROM change_log").fetchall()[0][0],
        con.execute("SELECT count(*) FROM zendesk_pulls").fetchall()[0][0] if pulls else 0,
        mirror,
    )


def fails_cleanly(con, settings, endpoint: str, *words: str) -> PullFailed:
    before = stored_state(con)
    with pytest.raises(PullFailed) as caught:
        pull(con, settings)
    error = caught.value
    assert error.endpoint == endpoint
    for word in words:
        assert word in str(error)
    assert TOKEN not in str(error) and TOKEN not in repr(error) and TOKEN not in repr(settings)
    assert stored_state(con) == before
    return error


def json_response(body, status=200, headers=None) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers or {})


def test_a_wrong_token_is_401_and_names_the_credentials_to_check(zendesk, con):
    fails_cleanly(
        con, settings_for(zendesk.base_url, token="zd-wrong-token"), "ticket metric events export", "401", "api_token"
    )


def test_403_says_an_admin_token_is_needed(zendesk, con):
    zendesk.faults[TICKETS_PATH] = [json_response({"error": "Forbidden"}, 403)]
    fails_cleanly(con, settings_for(zendesk.base_url), "tickets export", "403", "admin")


def test_a_wrong_subdomain_is_404_and_says_so(zendesk, con):
    zendesk.faults[EVENTS_PATH] = [json_response({"error": "InvalidEndpoint"}, 404)]
    fails_cleanly(con, settings_for(zendesk.base_url), "ticket metric events export", "404", "subdomain")


def test_429_is_retried_after_retry_after_and_then_succeeds(zendesk, con):
    zendesk.faults[EVENTS_PATH] = [json_response({"error": "TooManyRequests"}, 429, {"Retry-After": "1"})]
    started = time.monotonic()
    result = pull(con, settings_for(zendesk.base_url))
    assert result.status == "stored"
    assert time.monotonic() - started >= 1.0  # Retry-After honoured


def test_429_every_time_gives_up_and_says_to_pull_later(zendesk, con):
    zendesk.faults[EVENTS_PATH] = [json_response({}, 429, {"Retry-After": "1"})] * ATTEMPTS
    fails_cleanly(con, settings_for(zendesk.base_url), "ticket metric events export", "429", "later")


def test_5xx_is_retried_a_bounded_number_of_times(zendesk, con):
    zendesk.faults[GROUPS_PATH] = [json_response({"error": "oops"}, 503)] * (ATTEMPTS + 1)
    fails_cleanly(con, settings_for(zendesk.base_url), "groups", "503", f"{ATTEMPTS} attempts")
    assert sum(r.startswith(GROUPS_PATH) for r in zendesk.requests) == ATTEMPTS


def test_a_page_that_is_not_json_stores_nothing(zendesk, con):
    zendesk.faults[TICKETS_PATH] = [None, Response("<html>Sign in</html>", content_type="text/html")]
    fails_cleanly(con, settings_for(zendesk.base_url), "tickets export", "JSON")


def test_a_page_without_its_list_stores_nothing(zendesk, con):
    zendesk.faults[EVENTS_PATH] = [json_response({"next_page": None, "end_of_stream": True})]
    fails_cleanly(con, settings_for(zendesk.base_url), "ticket metric events export", "ticket_metric_events")


def test_an_item_not_shaped_as_documented_stores_nothing(zendesk, con):
    zendesk.events[5] = {**zendesk.events[5], "instance_id": "the first"}
    fails_cleanly(con, settings_for(zendesk.base_url), "ticket metric events export", "not shaped as documented")


def test_a_pull_cut_off_mid_way_stores_nothing_even_after_an_earlier_pull(zendesk, con):
    pull(con, settings_for(zendesk.base_url))
    zendesk.events[0] = {**zendesk.events[0]}  # nothing new needed: the second pull is cut off on its 2nd page
    cut = Response('{"ticket_metric_events": [{"id": 1', content_type="application/json")
    cut.headers["Content-Length"] = "5000"
    zendesk.faults[EVENTS_PATH] = [None] + [cut] * ATTEMPTS
    settings = settings_for(zendesk.base_url)
    before = stored_state(con)
    with pytest.raises(PullFailed) as caught:
        zendesk_pull.pull(con, settings, since=SINCE, pulled_by="cron", client=ZendeskClient(settings, attempts=3))
    assert caught.value.endpoint == "ticket metric events export" and "cut off" in str(caught.value)
    assert stored_state(con) == before


def test_no_network_names_the_address_and_stores_nothing(con):
    # A port nobody listens on: the connection is refused.
    fails_cleanly(con, settings_for("http://127.0.0.1:9"), "ticket metric events export", "connect", "network")


def test_the_command_line_says_what_failed_without_the_token(zendesk, db_path, capsys, monkeypatch):
    monkeypatch.setenv("ZENDESK_BASE_URL", zendesk.base_url)
    monkeypatch.setenv("ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("ZENDESK_API_TOKEN", "zd-wrong-token-0000")
    monkeypatch.chdir(db_path.parent)  # no secrets file here: the environment alone
    assert cli.main(["--db", str(db_path), "zendesk", "pull", "--since", "2026-11-02"]) == 1
    out, err = capsys.readouterr()
    assert "nothing stored: Zendesk ticket metric events export" in err and "401" in err
    assert "zd-wrong-token-0000" not in out + err
    with store.connect(db_path) as con:
        assert records.list_uploads(con) == []


def test_not_configured_says_how_to_configure(db_path, capsys, monkeypatch):
    for key in ("SUBDOMAIN", "EMAIL", "API_TOKEN", "OAUTH_TOKEN", "BASE_URL"):
        monkeypatch.delenv(f"ZENDESK_{key}", raising=False)
    monkeypatch.chdir(db_path.parent)
    assert cli.main(["--db", str(db_path), "zendesk", "pull"]) == 2
    assert "[zendesk]" in capsys.readouterr().err


def test_settings_never_show_the_token():
    settings = ZendeskSettings.from_sources({"zendesk": {"subdomain": "acme", "email": EMAIL, "api_token": TOKEN}}, {})
    assert settings.base_url == "https://acme.zendesk.com"
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert ZendeskSettings.from_sources({"zendesk": {"subdomain": "acme"}}, {}) is None  # no credentials
