"""Sign-in for real: Chromium signs in to a served Floorline through an OpenID Connect provider.

The provider (tests/browser/oidc_provider.py) runs on the loopback address with three users:
an editor and a viewer from the allowed domain, and an address from another domain. Floorline
is served on the demo year with an [auth] table pointing at the provider's discovery document,
with a client id and secret the provider issued and a cookie secret made for this run, in a
secrets file in a temporary folder. Every sign-in goes through the provider's own login page
and back through Floorline's /oauth2callback; every sign-out through the provider's end-session
page. Each test has a browser of its own, so no identity cookie carries over. The tests share
one server and database: the viewer looks at the demo year before the editor's upload replaces it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import VIEWPORT, wait_for_script
from export_builders import sla_rows, span_rows, write_sla
from oidc_provider import register_client, running_oidc_provider
from playwright.sync_api import Page, expect
from streamlit_process import free_port, running_streamlit

from lib.core.text import WORD_JOINER
from lib.store import database as store
from lib.ui import navigation
from lib.workgroups import repository

pytestmark = pytest.mark.browser

NOV_16 = dt.date(2026, 11, 16)
EDITOR = "editor@example.com"
VIEWER = "viewer@example.com"
OUTSIDER = "someone@example.org"
# Users the provider's login page offers by these names, with claims that must not get in (issue 23): the
# editor's address unverified, or an address that is not one mailbox, which the last @ would put in example.com.
NOT_VOUCHED_FOR = {
    "editor-unverified": {"email": EDITOR, "email_verified": False},
    "editor-unverified-as-text": {"email": EDITOR, "email_verified": "false"},
    "editor-verified-unsaid": {"email": EDITOR},
    "two-at-signs": {"email": "boss@evil.example?@example.com", "email_verified": True},
    "nul-before-the-second-at": {"email": "boss@evil.example\x00@example.com", "email_verified": True},
    "link-for-an-address": {"email": "[x](http://127.0.0.1:9/p)<img src=http://127.0.0.1:9/i.png>@example.com"},
}
EXPORT_NAME = "frt-week-47.csv"
NO_EXCEPTION = "[data-testid='stException']"
SCRIPT_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SECRETS = """
[auth]
redirect_uri = "{app}/oauth2callback"
cookie_secret = "{cookie_secret}"
client_id = "{client_id}"
client_secret = "{client_secret}"
server_metadata_url = "{issuer}/.well-known/openid-configuration"

[floorline]
allowed_domains = ["example.com"]
editors = ["{editor}"]
"""
# Every page by its address, and addresses with a page's state in them (shared links).
EVERY_ADDRESS = (
    "/",
    "/KPI_trends",
    "/Upload",
    "/Workgroups",
    "/OKRs",
    "/Team_epics",
    "/Data_trust",
    "/Change_history",
    "/?week=09+Nov+2026&present=1",
    "/KPI_trends?segments=L%26R&source=Sisense",
    "/Workgroups?wg=1&tab=Actions",
    "/Change_history?person=editor%40example.com",
    "/No_such_page",
)
# The pages that show figures, and what each shows a viewer and an editor alike.
# The OKRs page builds only its open tab: the editing tab is where an editor's controls are.
OKR_EDITING = "/OKRs?section=Import%2C+export%2C+edit"
FIGURE_PAGES = (
    "/",
    "/KPI_trends",
    "/Workgroups",
    "/OKRs",
    OKR_EDITING,
    "/Team_epics",
    "/Data_trust",
    "/Change_history",
)
PAGES_WITH_EDITORS_CONTROLS = ("/Workgroups", OKR_EDITING, "/Team_epics")
FIGURES = ("stMetric", "stPlotlyChart", "stDataFrame", "stTable")
# Buttons that change stored data, by the start of their label (Upload, the weekly review, Workgroups, OKRs).
CHANGING_LABEL = re.compile(
    r"^(Store \d|Roll back|Restore|Yes, |Remove the demo|Delete|Load the demo data|Record check-in|Import|Save"
    r"|Form |Add |Close|Reopen|Undo|Discard|Map the columns|Fetch )\b"
)


def on_screen(address: str) -> str:
    """An address as a page shows it: a word joiner after its @ keeps Markdown from making it a mailto link."""
    return address.replace("@", "@" + WORD_JOINER)


class SignedInApp(NamedTuple):
    url: str
    issuer: str


@pytest.fixture(scope="module")
def app(demo_template, tmp_path_factory):
    """Floorline on the demo year and an open FRT workgroup; sign-in through a provider that knows the three users."""
    folder = tmp_path_factory.mktemp("oidc")
    database = shutil.copyfile(demo_template, folder / "floorline.duckdb")
    con = store.connect(database)
    repository.form_workgroup(con, EDITOR, store.load_settings(con), "FRT", members=["Ana", "Bo"])
    con.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running_oidc_provider([EDITOR, VIEWER, OUTSIDER], NOT_VOUCHED_FOR) as issuer:
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
            ),
            encoding="utf-8",
        )
        # Only this secrets file: the working tree's own .streamlit/secrets.toml, if any, stays out of it.
        with running_streamlit(
            database, folder / "streamlit.log", port=port, extra_args=[f"--secrets.files={secrets_file}"]
        ):
            yield SignedInApp(url, issuer)


@pytest.fixture
def page(browser_page):
    """A browser context of its own for each test (conftest): no identity cookie from an earlier test."""
    return browser_page


def settle(page: Page) -> None:
    """Wait until the script run the last action started has finished."""
    page.wait_for_timeout(250)
    page.wait_for_selector(SCRIPT_IDLE, timeout=60_000)


def expect_sign_in_screen(page: Page) -> None:
    """Floorline's name, one sentence and one button: no figure, no control, no page list."""
    page.wait_for_selector(SCRIPT_IDLE, timeout=60_000)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Floorline")).to_be_visible()
    expect(main.get_by_text("Sign in with your company account to continue.")).to_be_visible()
    expect(main.get_by_role("button")).to_have_count(1)
    expect(main.get_by_role("button", name="Sign in")).to_be_visible()
    for figure_or_control in (*FIGURES, "stFileUploader", "stAlert", "stPageLink", "stSidebar"):
        expect(page.get_by_test_id(figure_or_control)).to_have_count(0)
    assert page.locator(NO_EXCEPTION).count() == 0


def sign_in(page: Page, app: SignedInApp, email: str) -> None:
    """From the sign-in screen, through the provider's login page, back into Floorline; ``email``: the
    user's name on the login page (its address, for the three users with a verified one)."""
    page.goto(app.url + "/")
    expect_sign_in_screen(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{app.issuer}/oauth2/authorize?*")
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name=email, exact=True).click()
    page.wait_for_url(re.compile("^" + re.escape(app.url)))
    wait_for_script(page)


def sign_out(page: Page, app: SignedInApp, where) -> None:
    """Press Sign out (in ``where``): the provider ends its session and sends the browser back to Floorline."""
    where.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{app.issuer}/oauth2/end_session?*")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile("^" + re.escape(app.url)))


def open_page(page: Page, app: SignedInApp, path: str) -> Page:
    page.goto(app.url + path)
    wait_for_script(page)
    assert page.locator(NO_EXCEPTION).count() == 0, path
    return page


def offered_pages(page: Page) -> list[str]:
    """The page list's labels (each link's text starts with its icon's name)."""
    links = page.get_by_test_id("stSidebar").get_by_test_id("stPageLink")
    expect(links.first).to_be_visible()
    links = links.all_inner_texts()
    return [text.rpartition("\n")[2] for text in links]


def changing_controls(page: Page) -> list[str]:
    """Buttons, and expanders holding a form ("Form a workgroup"), whose label says they change data."""
    texts = (
        page.get_by_role("button").all_inner_texts()
        + page.locator("[data-testid='stExpander'] summary").all_inner_texts()
    )
    labels = [text.strip().rpartition("\n")[2] for text in texts]  # a label starts with its icon's name on a line
    return [label for label in labels if CHANGING_LABEL.match(label)]


def figures_shown(page: Page) -> dict[str, object]:
    """The KPI cards (label and value), the number of charts and of tables on the page."""
    metrics = page.get_by_test_id("stMetric").all_inner_texts()
    return {"metrics": metrics, **{figure: page.get_by_test_id(figure).count() for figure in FIGURES[1:]}}


def settled_figures(page: Page) -> dict[str, object]:
    """What the page shows once it has stopped changing (a new session draws in several steps)."""
    shown = None
    for _ in range(40):
        page.wait_for_selector(SCRIPT_IDLE, timeout=60_000)
        now = figures_shown(page)
        if now == shown:
            return now
        shown = now
        page.wait_for_timeout(500)
    raise AssertionError(f"{page.url} kept changing: {shown}")


def drop_file(page: Page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").click()
    chooser.value.set_files(str(path))
    settle(page)


def downloaded_history(page: Page) -> list[dict]:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# --- signed out ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EVERY_ADDRESS)
def test_a_signed_out_visitor_sees_only_the_sign_in_screen_at_every_address(app, page, path):
    page.goto(app.url + path)
    expect_sign_in_screen(page)


def test_sign_in_leads_to_the_providers_login_page_and_a_refusal_there_keeps_the_visitor_out(app, page):
    page.goto(app.url + "/Change_history")
    expect_sign_in_screen(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{app.issuer}/oauth2/authorize?*")
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(re.compile("^" + re.escape(app.url)))
    page.goto(app.url + "/Change_history")
    expect_sign_in_screen(page)


# --- the viewer ------------------------------------------------------------------------------------------


def test_the_viewer_sees_every_figure_the_editor_sees_but_no_control_that_changes_data(app, page, chromium):
    editor_context = chromium.new_context(viewport=VIEWPORT)
    editor = editor_context.new_page()
    sign_in(editor, app, EDITOR)
    sign_in(page, app, VIEWER)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"Signed in as {on_screen(VIEWER)} · viewer (read only)")
    assert offered_pages(page) == [entry.label for entry in navigation.pages_for(can_edit=False)]

    for path in FIGURE_PAGES:
        shown = settled_figures(open_page(page, app, path))
        editor_sees = settled_figures(open_page(editor, app, path))
        assert shown["metrics"] or shown["stPlotlyChart"] or shown["stDataFrame"] or shown["stTable"], path
        if path in PAGES_WITH_EDITORS_CONTROLS:
            assert changing_controls(editor), path  # the same page gives the editor controls: the check can see them
            # An editor's editable tables (st.data_editor) are controls, not figures.
            assert shown["stDataFrame"] <= editor_sees["stDataFrame"], path
            editor_sees["stDataFrame"] = shown["stDataFrame"]
        assert shown == editor_sees, path
        assert changing_controls(page) == [], path
        assert page.get_by_test_id("stFileUploader").count() == 0, path
    expect(page.get_by_test_id("stMetric")).to_have_count(0)  # the last page, the change history, has a table
    editor_context.close()

    # Upload is not offered, but its address shows the upload history, read only.
    open_page(page, app, "/Upload")
    expect(page.get_by_text("Choose an upload to download")).to_be_visible()
    assert page.get_by_test_id("stFileUploader").count() == 0
    assert changing_controls(page) == []


# --- the editor ------------------------------------------------------------------------------------------


def test_the_editor_uploads_and_rolls_back_and_the_change_history_names_them(app, page, tmp_path):
    export = write_sla(
        tmp_path / EXPORT_NAME,
        span_rows(NOV_16, NOV_16 + dt.timedelta(days=6)) + sla_rows(NOV_16, "SaaS", "First reply time", 97, 3),
    )
    sign_in(page, app, EDITOR)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text(f"Signed in as {on_screen(EDITOR)} · editor")
    assert "Upload" in offered_pages(page)

    sidebar.get_by_test_id("stPageLink").filter(has_text="Upload").click()
    page.wait_for_url(f"{app.url}/Upload")
    settle(page)
    drop_file(page, export)
    page.get_by_role("button", name="Store 1 file").click()
    settle(page)
    stored = page.get_by_text(re.compile(rf"Stored {re.escape(EXPORT_NAME)} as upload \d+"))
    expect(stored).to_be_visible()
    upload_id = re.search(r"as upload (\d+)", stored.inner_text()).group(1)

    # The history opens on the newest upload: this one.
    page.get_by_role("button", name=f"Roll back upload {upload_id}…").click()
    settle(page)
    page.get_by_role("button", name="Yes, roll back").click()
    settle(page)
    expect(page.get_by_text(f"Upload {upload_id} ({EXPORT_NAME}) rolled back.")).to_be_visible()
    assert page.locator(NO_EXCEPTION).count() == 0

    open_page(page, app, "/Change_history?person=editor%40example.com")
    rows = downloaded_history(page)
    assert [(row["Who"], row["Action"], row["Subject"]) for row in rows[:2]] == [
        (EDITOR, "rollback", EXPORT_NAME),
        (EDITOR, "upload", EXPORT_NAME),
    ]


def test_the_editors_add_hypothesis_button_writes_as_the_editor_and_the_viewer_gets_no_such_button(app, page, chromium):
    # The button's write runs in its callback, before the page script has signed anyone in.
    hypotheses = "/Workgroups?wg=1&tab=Hypotheses"
    viewer_context = chromium.new_context(viewport=VIEWPORT)
    viewer = viewer_context.new_page()
    sign_in(viewer, app, VIEWER)
    open_page(viewer, app, hypotheses)
    expect(viewer.get_by_text("Read only: ask an editor")).to_be_visible()
    expect(viewer.get_by_role("button", name="Add hypothesis")).to_have_count(0)
    viewer_context.close()

    sign_in(page, app, EDITOR)
    open_page(page, app, hypotheses)
    statement = page.get_by_role("textbox", name="Testable statement")
    statement.fill("FRT fell because a macro broke")
    statement.press("Control+Enter")
    settle(page)
    page.get_by_role("button", name="Add hypothesis").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"Added hypothesis #\d+: it is open above"))).to_be_visible()
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    assert page.locator(NO_EXCEPTION).count() == 0

    open_page(page, app, "/Change_history?person=editor%40example.com")
    newest = downloaded_history(page)[0]
    assert (newest["Who"], newest["Action"], newest["Subject"]) == (EDITOR, "hypothesis added", "workgroup 1")


# --- another domain, and signing out ---------------------------------------------------------------------


def test_an_address_from_another_domain_is_refused_with_a_way_to_sign_out(app, page):
    sign_in(page, app, OUTSIDER)
    for path in ("/", "/Upload", "/Change_history"):
        open_page(page, app, path)
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name="Floorline")).to_be_visible()
        refusal = page.get_by_test_id("stAlertContentError")
        expect(refusal).to_contain_text(
            f"{on_screen(OUTSIDER)} is not from a domain allowed to use Floorline. Sign out, then"
        )
        expect(main.get_by_role("button")).to_have_count(1)
        expect(main.get_by_role("button", name="Sign out")).to_be_visible()
        for figure_or_control in (*FIGURES, "stFileUploader", "stPageLink", "stSidebar"):
            expect(page.get_by_test_id(figure_or_control)).to_have_count(0)

    sign_out(page, app, page.get_by_test_id("stMain"))
    expect_sign_in_screen(page)


@pytest.mark.parametrize("user", NOT_VOUCHED_FOR)
def test_an_address_the_provider_does_not_vouch_for_is_refused_even_the_editors(app, page, user):
    sign_in(page, app, user)
    for path in ("/", "/Upload?present=1"):
        open_page(page, app, path)
        refusal = page.get_by_test_id("stAlertContentError")
        expect(refusal).to_contain_text(re.compile("has not verified|did not say it verified|not one well-formed"))
        expect(refusal).to_contain_text("Sign out, then sign in with your company account")
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("button")).to_have_count(1)
        expect(main.get_by_role("button", name="Sign out")).to_be_visible()
        for figure_or_control in (*FIGURES, "stFileUploader", "stPageLink", "stSidebar"):
            expect(page.get_by_test_id(figure_or_control)).to_have_count(0)
        assert refusal.locator("a, img").count() == 0  # the address is text, never a link or an image
    sign_out(page, app, page.get_by_test_id("stMain"))
    expect_sign_in_screen(page)


def test_signing_out_returns_to_the_sign_in_screen(app, page):
    sign_in(page, app, VIEWER)
    open_page(page, app, "/KPI_trends")
    sign_out(page, app, page.get_by_test_id("stSidebar"))
    expect_sign_in_screen(page)
    for path in ("/KPI_trends", "/Change_history"):  # the identity cookie is gone: every page asks again
        page.goto(app.url + path)
        expect_sign_in_screen(page)
