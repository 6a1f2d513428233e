"""The Upload page's "Pull from Zendesk now", driven through AppTest against a local Zendesk."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from page_cache import reset_page_resources
from streamlit.testing.v1 import AppTest
from werkzeug import Response
from zendesk_server import EMAIL, GROUPS_PATH, REGION_FIELD_ID, TOKEN
from zendesk_tickets import fake_zendesk

from lib.store import database as store
from lib.store import upload_records as records

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/6_Upload.py"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "floorline",
    "client_secret": "test-client-secret",
    "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
}


@pytest.fixture
def con(demo_template, db_path):
    shutil.copyfile(demo_template, db_path)
    reset_page_resources()
    connection = store.connect(db_path)
    yield connection
    connection.close()
    reset_page_resources()


@pytest.fixture
def zendesk(httpserver):
    fake = fake_zendesk()
    fake.install(httpserver)
    return fake


def upload_page(email: str, zendesk=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(PAGE)
    at.secrets = {"auth": AUTH, "floorline": {"allowed_domains": ["example.com"], "editors": ["ann@example.com"]}}
    if zendesk is not None:
        at.secrets["zendesk"] = {
            "email": EMAIL,
            "api_token": TOKEN,
            "region_field_id": REGION_FIELD_ID,
            "base_url": zendesk.base_url,
        }
    at.user = {"is_logged_in": True, "email": email, "email_verified": True, "name": email.split("@")[0]}
    return at.run()


def plain(text: str) -> str:
    """Page text without the backslashes escape_markdown puts before punctuation."""
    return re.sub(r"\\(.)", r"\1", text)


def pull_buttons(at: AppTest) -> list:
    return [b for b in at.button if b.label == "Pull from Zendesk now"]


def test_an_editor_pulls_and_the_uploads_say_zendesk_api(con, zendesk):
    at = upload_page("ann@example.com", zendesk)
    assert not at.exception
    assert any("Not pulled yet" in c.value for c in at.caption)
    pull_buttons(at)[0].click().run()
    assert not at.exception
    assert any("stored as upload" in s.value for s in at.success)
    assert TOKEN not in str([e.value for e in at.main if hasattr(e, "value")])
    stored = [u for u in records.list_uploads(con) if u["status"] == "active"]
    assert {u["source"] for u in stored} == {"zendesk"}  # the demo data gave way to the pull
    assert {u["uploaded_by"] for u in stored} == {"ann@example.com"}
    # (an address is written with a word joiner after its "@", so it is never an autolink)
    assert any("Last pull" in c.value and "by ann@" in plain(c.value) for c in at.caption)


def test_a_viewer_does_not_see_the_button(con, zendesk):
    at = upload_page("bob@example.com", zendesk)
    assert not at.exception and not pull_buttons(at)


def test_without_zendesk_configured_there_is_no_button(con, monkeypatch):
    for key in ("SUBDOMAIN", "EMAIL", "API_TOKEN", "OAUTH_TOKEN", "BASE_URL"):
        monkeypatch.delenv(f"ZENDESK_{key}", raising=False)
    at = upload_page("ann@example.com")
    assert not at.exception and not pull_buttons(at)


def test_a_failed_pull_says_why_and_stores_nothing(con, zendesk):
    zendesk.faults[GROUPS_PATH] = [Response("{}", status=404)]
    before = records.list_uploads(con)
    at = upload_page("ann@example.com", zendesk)
    pull_buttons(at)[0].click().run()
    assert not at.exception
    assert any("groups" in e.value and "404" in e.value for e in at.error)
    assert records.list_uploads(con) == before
