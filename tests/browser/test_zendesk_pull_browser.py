"""A real Chromium against `streamlit run` with [zendesk] pointing at a local Zendesk: the editor presses
"Pull from Zendesk now" and the weekly review shows the pulled figures. (The app runs without sign-in here,
so whoever opens it is an editor; that a viewer sees no button is tests/pages/test_zendesk_pull_page.py.)"""

from __future__ import annotations

import shutil

import pytest
from conftest import wait_for_elements
from pytest_httpserver import HTTPServer
from streamlit_process import running_streamlit
from zendesk_server import EMAIL, REGION_FIELD_ID, TOKEN
from zendesk_tickets import fake_zendesk

pytestmark = pytest.mark.browser

SCRIPT_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SECRETS = """
[zendesk]
email = "{email}"
api_token = "{token}"
region_field_id = {field}
base_url = "{base_url}"
"""


@pytest.fixture(scope="module")
def zendesk_app(demo_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("zendesk-app")
    database = shutil.copyfile(demo_template, folder / "floorline.duckdb")
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        fake = fake_zendesk()
        fake.install(server)
        secrets_file = folder / "secrets.toml"  # made for this run, in a temporary folder: never in git
        secrets_file.write_text(
            SECRETS.format(email=EMAIL, token=TOKEN, field=REGION_FIELD_ID, base_url=fake.base_url), encoding="utf-8"
        )
        with running_streamlit(
            database, folder / "streamlit.log", extra_args=[f"--secrets.files={secrets_file}"]
        ) as url:
            yield url
    finally:
        server.stop()


def settle(page) -> None:
    page.wait_for_timeout(250)
    page.wait_for_selector(SCRIPT_IDLE, timeout=60_000)


def weekly_review(page, url: str) -> str:
    """The weekly review's text once every element is drawn."""
    page.goto(url + "/")
    wait_for_elements(page)
    return page.inner_text("[data-testid='stMain']")


def test_pressing_pull_from_zendesk_now_changes_the_weekly_review(zendesk_app, browser_page):
    page = browser_page
    before = weekly_review(page, zendesk_app)
    assert "66.7" not in before and "16 Nov 2026" in before  # the demo year's figures

    page.goto(zendesk_app + "/Upload")
    settle(page)
    assert "Not pulled yet" in page.inner_text("body")
    page.get_by_role("button", name="Pull from Zendesk now").click()
    page.get_by_test_id("stAlertContentSuccess").wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "stored as upload" in body and TOKEN not in body
    assert page.locator("[data-testid='stException']").count() == 0

    after = weekly_review(page, zendesk_app)
    assert "66.7" in after  # week of 16 Nov: 2 of 3 first replies in time
    assert "60.0" in after  # and 3 of 5 surveys good
