"""An editor opens a workgroup's issue in GitLab in a real Chromium against `streamlit run`, with the app's
[gitlab] secrets pointing at the local GitLab server (tests/gitlab_server.py); the link lands on the card."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import wait_for_script
from export_builders import DEMO_END
from gitlab_server import GOOD_TOKEN, PROJECT, GitLabHandler, running_gitlab
from playwright.sync_api import expect
from streamlit_process import running_streamlit

from lib.demo.load import load_demo
from lib.store import database as store
from lib.workgroups import repository

pytestmark = pytest.mark.browser

NO_EXCEPTION = "[data-testid='stException']"


@pytest.fixture(scope="module")
def streamlit_database(tmp_path_factory):
    """The demo year with a workgroup formed on its FRT breach, and no issue yet."""
    path = tmp_path_factory.mktemp("issue-db") / "floorline.duckdb"
    con = store.connect(path)
    load_demo(con, end=DEMO_END)
    repository.form_workgroup(con, "ana", store.load_settings(con), "FRT", opened_on=dt.date(2026, 11, 20))
    con.close()
    return path


@pytest.fixture(scope="module")
def streamlit_server(streamlit_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("issue-app")
    with running_gitlab() as gitlab_url:
        secrets = folder / "secrets.toml"
        secrets.write_text(f'[gitlab]\nurl = "{gitlab_url}"\nissue_token = "{GOOD_TOKEN}"\n', encoding="utf-8")
        # only this file: the working tree's own secrets.toml stays out of it
        with running_streamlit(
            streamlit_database, folder / "streamlit.log", extra_args=[f"--secrets.files={secrets}"]
        ) as url:
            yield url


@pytest.fixture
def open_page(browser_page, streamlit_server):
    def open_path(path: str):
        browser_page.goto(streamlit_server + path)
        wait_for_script(browser_page)
        return browser_page

    return open_path


def test_an_editor_opens_the_issue_from_the_workgroup_and_the_link_appears_on_the_card(open_page):
    page = open_page("/Workgroups?wg=1")
    page.get_by_role("button", name="Open the issue in GitLab").click()

    issue_url = f"https://gitlab.example/{PROJECT}/-/issues/1"
    expect(page.get_by_role("link", name="GitLab issue #1")).to_have_attribute("href", issue_url, timeout=30_000)
    expect(page.get_by_role("button", name="Open the issue in GitLab")).to_have_count(0)
    assert len(GitLabHandler.issues) == 1
    assert GitLabHandler.issues[0]["title"].startswith("Metrics Workgroup: FRT at or below the floor")

    page = open_page("/Workgroups")  # the list: one card per workgroup
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Workgroups (1)")).to_be_visible()
    expect(main.get_by_role("link", name="GitLab issue #1")).to_have_attribute("href", issue_url)
    assert page.locator(NO_EXCEPTION).count() == 0
    assert len(GitLabHandler.issues) == 1
