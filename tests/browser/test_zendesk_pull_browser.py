"""A real Chromium against `streamlit run` with sign-in (the loopback OIDC provider of tests/browser/oidc_provider.py)
and [zendesk] pointing at a local Zendesk: the viewer sees no "Pull from Zendesk now"; the editor presses it and
the weekly review shows the pulled weeks."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import wait_for_elements
from oidc_provider import register_client, running_oidc_provider
from playwright.sync_api import Page, expect
from pytest_httpserver import HTTPServer
from streamlit_process import free_port, running_streamlit
from test_sign_in_browser import EDITOR, VIEWER, sign_in
from test_sign_in_browser import SECRETS as SIGN_IN_SECRETS
from zendesk_server import EMAIL, REGION_FIELD_ID, TOKEN
from zendesk_tickets import fake_zendesk

pytestmark = pytest.mark.browser

# Sign-in as the sign-in tests configure it, and the local Zendesk.
SECRETS = (
    SIGN_IN_SECRETS
    + """
[zendesk]
email = "{email}"
api_token = "{token}"
region_field_id = {field}
base_url = "{zendesk}"
"""
)


class App(NamedTuple):
    url: str
    issuer: str
    database: Path


@pytest.fixture(scope="module")
def app(demo_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("zendesk-app")
    database = shutil.copyfile(demo_template, folder / "floorline.duckdb")
    zendesk = HTTPServer(host="127.0.0.1", port=0)
    zendesk.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        fake = fake_zendesk()
        fake.install(zendesk)
        with running_oidc_provider([EDITOR, VIEWER]) as issuer:
            client = register_client(issuer, f"{url}/oauth2callback")
            secrets_file = folder / "secrets.toml"  # made for this run, in a temporary folder: never in git
            secrets_file.write_text(
                SECRETS.format(
                    app=url,
                    cookie_secret=secrets.token_hex(32),
                    client_id=client.client_id,
                    client_secret=client.client_secret,
                    issuer=issuer,
                    editor=EDITOR,
                    email=EMAIL,
                    token=TOKEN,
                    field=REGION_FIELD_ID,
                    zendesk=fake.base_url,
                ),
                encoding="utf-8",
            )
            with running_streamlit(
                database, folder / "streamlit.log", port=port, extra_args=[f"--secrets.files={secrets_file}"]
            ):
                yield App(url, issuer, database)
    finally:
        zendesk.stop()


def open_page(page: Page, app: App, path: str) -> str:
    """The page's main text once every element is drawn."""
    page.goto(app.url + path)
    wait_for_elements(page)
    assert page.locator("[data-testid='stException']").count() == 0, path
    return page.inner_text("[data-testid='stMain']")


def test_a_viewer_does_not_see_the_button(app, browser_page):
    sign_in(browser_page, app, VIEWER)
    text = open_page(browser_page, app, "/Upload")
    assert "signed in as a viewer" in text
    expect(browser_page.get_by_role("button", name="Pull from Zendesk now")).to_have_count(0)


def test_the_editor_presses_pull_from_zendesk_now_and_the_weekly_review_changes(app, browser_page):
    page = browser_page
    sign_in(page, app, EDITOR)
    before = open_page(page, app, "/")
    assert "66.7" not in before and "16 Nov 2026" in before  # the demo year's figures

    assert "Not pulled yet" in open_page(page, app, "/Upload")
    page.get_by_role("button", name="Pull from Zendesk now").click()
    page.get_by_test_id("stAlertContentSuccess").wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "stored as upload" in body and TOKEN not in body

    after = open_page(page, app, "/")
    assert "66.7" in after  # week of 16 Nov: 2 of 3 first replies in time
    assert "60.0" in after  # and 3 of 5 surveys good


def test_a_scheduled_pull_while_the_app_runs_is_run_by_the_app(app, browser_page):
    sign_in(browser_page, app, EDITOR)
    open_page(browser_page, app, "/Upload")  # the app has opened, and holds, the database
    # Cron's command, with no Zendesk configuration of its own: the app's process pulls, with the app's secrets.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ZENDESK_")}
    done = subprocess.run(
        [sys.executable, "-m", "lib", "--db", str(app.database), "zendesk", "pull", "--json", "--by", "cron"],
        cwd=app.database.parent,
        env={**environment, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] in {"stored", "unchanged"} and answer["counts"]["tickets"] >= 0
    assert TOKEN not in done.stdout + done.stderr
    assert "Last pull" in open_page(browser_page, app, "/Upload")
