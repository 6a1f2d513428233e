"""Who sees what, page by page, with sign-in configured (an [auth] table in the secrets).

A signed-out visitor sees only the sign-in screen; an address from another domain only a
refusal; a viewer every figure but no control that changes data; an editor those controls too.
The pages that change data are the weekly review's empty state (load the demo data), Upload
(upload, roll back, remove the demo data, delete a column mapping), Workgroups, OKRs and Team
epics (its viewer and editor cases are in test_team_epics_page.py).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from page_cache import reset_page_resources
from streamlit.testing.v1 import AppTest

from lib.store import database as store
from lib.store import history
from lib.ui import navigation
from lib.ui.page import escape_markdown
from lib.uploads import flow as uploads
from lib.uploads import status as upload_status
from lib.workgroups import contents, repository

ROOT = Path(__file__).resolve().parents[2]
EDITOR = "ann@example.com"
VIEWER = "bob@example.com"
OUTSIDER = "eve@example.org"
SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a-test-cookie-secret-of-some-length",
        "client_id": "floorline",
        "client_secret": "test-client-secret",
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
    },
    "floorline": {"allowed_domains": ["example.com"], "editors": [EDITOR]},
}
ALL_PAGES = tuple(entry.script for entry in navigation.PAGES)
WORKGROUP_TABS = ("Overview", "Details and people", "Hypotheses", "Actions", "Export")
# Buttons that change workgroups, by the start of their keys (pages/2_Workgroups.py).
WORKGROUP_WRITE_KEYS = (
    "form_submit",
    "save_",
    "discard_",
    "ask_",
    "confirm_",
    "close_",
    "reopen_",
    "add_hypothesis_",
    "copy_",
    "library_add",
    "restore_",
    "undo",
)
UPLOAD_WRITE_KEYS = ("upload-commit", "ask-", "confirm-", "remove-demo", "profile-delete")
OKR_WRITE_LABELS = ("Record check-in", "Import", "Remove the demo OKRs")
COLUMN_MAP = {
    "ticket_id": "Case",
    "form": "Queue",
    "metric": "Clock",
    "metric_status": "Clock state",
    "target_status": "Outcome",
    "date": "When",
}


@pytest.fixture(scope="module")
def templates(demo_template, tmp_path_factory) -> dict[str, Path]:
    """Two databases built once: the demo year with workgroups and a column mapping, and one with no figures."""
    folder = tmp_path_factory.mktemp("access")
    full = folder / "full.duckdb"
    shutil.copyfile(demo_template, full)
    con = store.connect(full)
    settings = store.load_settings(con)
    formed = repository.form_workgroup(con, "ann", settings, "FRT", members=["Ana", "Bo"])
    hypothesis = contents.add_hypothesis(con, "ann", formed.workgroup_id, "FRT fell because many people took time off")
    contents.save_evidence(con, "ann", hypothesis, [{"link": "https://example.com/pto", "note": "PTO calendar"}])
    contents.save_actions(con, "ann", formed.workgroup_id, [{"change": "Stagger PTO", "status": "planned"}])
    deleted = repository.form_workgroup(con, "ann", settings, "NRT", start=dt.date(2026, 7, 6), end=dt.date(2026, 7, 6))
    repository.delete_workgroup(con, "ann", deleted.workgroup_id)
    uploads.save_profile(
        con,
        list(COLUMN_MAP.values()),
        name="Our SLA report",
        shape="explore_sla",
        source="explore",
        column_map=COLUMN_MAP,
        actor="ann",
    )
    con.close()
    empty = folder / "empty.duckdb"
    shutil.copyfile(full, empty)
    con = store.connect(empty)
    upload_status.remove_demo(con, "ann")  # every upload rolled back: the weekly review has no figures
    con.close()
    return {"full": full, "empty": empty}


def use_database(template: Path, tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "floorline.duckdb"
    shutil.copyfile(template, path)
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    reset_page_resources()
    return path


@pytest.fixture
def db(templates, tmp_path, monkeypatch):
    yield use_database(templates["full"], tmp_path, monkeypatch)
    reset_page_resources()


@pytest.fixture
def unopened_db(tmp_path, monkeypatch) -> Path:
    """A database path nobody has created: the gate must turn visitors away before any page opens it."""
    path = tmp_path / "never-opened.duckdb"
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    reset_page_resources()
    return path


@pytest.fixture
def empty_db(templates, tmp_path, monkeypatch):
    yield use_database(templates["empty"], tmp_path, monkeypatch)
    reset_page_resources()


def visit(page: str, user: dict, query: dict | None = None, session: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=30)
    at.secrets = SECRETS
    at.user = user
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in(email: str) -> dict:
    return {"is_logged_in": True, "email": email, "email_verified": True, "name": email.split("@")[0]}


def element_types(block) -> list[str]:
    found = []
    for child in getattr(block, "children", {}).values():
        found.append(child.type)
        found.extend(element_types(child))
    return found


def button_keys(at: AppTest) -> list[str]:
    return [button.key or "" for button in at.button]


def write_buttons(at: AppTest, prefixes: tuple[str, ...]) -> list[str]:
    return [key for key in button_keys(at) if key.startswith(prefixes)]


def data_editors(at: AppTest) -> list:
    """Editable tables (st.data_editor); st.dataframe is read only."""
    return [frame for frame in at.dataframe if frame.proto.editing_mode != 0]


def sidebar_text(at: AppTest) -> str:
    return " ".join(caption.value for caption in at.sidebar.caption)


# --- signed out, and from another domain: nothing but the gate ------------------------------------------


@pytest.mark.parametrize("page", ALL_PAGES)
def test_a_signed_out_visitor_sees_only_the_sign_in_screen(unopened_db, page):
    at = visit(page, {"is_logged_in": False})
    assert set(element_types(at.main)) <= {"title", "markdown", "button"}
    assert element_types(at.sidebar) == [], "no freshness, no figures, no toggles before sign-in"
    assert [button.label for button in at.button] == ["Sign in"]
    assert at.title[0].value == "Floorline"
    assert "Sign in with your company account" in at.markdown[0].value
    assert not unopened_db.exists(), "no data was read for a signed-out visitor"


@pytest.mark.parametrize("page", ALL_PAGES)
def test_an_address_from_another_domain_is_refused(unopened_db, page):
    at = visit(page, signed_in(OUTSIDER))
    assert set(element_types(at.main)) <= {"title", "error", "button"}
    assert element_types(at.sidebar) == []
    assert [button.label for button in at.button] == ["Sign out"]
    assert f"{escape_markdown(OUTSIDER)} is not from a domain allowed" in at.error[0].value
    assert not unopened_db.exists()


# A provider's claims that must not get in, even for the editor's address (issue 23: "nOAuth").
NOT_VOUCHED_FOR = {
    "email_verified false": {"email": EDITOR, "email_verified": False},
    "email_verified 'false'": {"email": EDITOR, "email_verified": "false"},
    "email_verified '0'": {"email": EDITOR, "email_verified": "0"},
    "no email_verified": {"email": EDITOR},
    "two @": {"email": "boss@evil.example?@example.com", "email_verified": True},
    "NUL before the second @": {"email": "boss@evil.example\x00@example.com", "email_verified": True},
    "zero-width space": {"email": "ann\u200b@example.com", "email_verified": True},
    "a link for an address": {"email": "[x](http://127.0.0.1:9/p)@example.com", "email_verified": True},
}


@pytest.mark.parametrize("claims", NOT_VOUCHED_FOR.values(), ids=NOT_VOUCHED_FOR.keys())
def test_an_address_the_provider_does_not_vouch_for_sees_only_a_refusal(unopened_db, claims):
    at = visit("app.py", {"is_logged_in": True, **claims})
    assert set(element_types(at.main)) <= {"title", "error", "button"}
    assert element_types(at.sidebar) == []
    assert [button.label for button in at.button] == ["Sign out"]
    refusal = at.error[0].value
    assert "verified the address" in refusal or escape_markdown("not one well-formed e-mail address") in refusal
    assert "](" not in refusal.replace("\\](", "")  # the address is shown escaped
    assert not unopened_db.exists()


def test_the_signed_in_address_is_the_normalised_one_and_decides_the_role(db):
    at = visit("app.py", signed_in("Ann@EXAMPLE.com"))
    assert f"Signed in as {escape_markdown(EDITOR)} · editor" in sidebar_text(at)


# --- the weekly review ---------------------------------------------------------------------------------


def test_the_weekly_review_shows_a_viewer_the_figures_and_says_who_is_signed_in(db):
    at = visit("app.py", signed_in(VIEWER))
    assert len(at.metric) == 3, "one card per KPI"
    assert f"Signed in as {escape_markdown(VIEWER)} · viewer (read only)" in sidebar_text(at)
    editor = visit("app.py", signed_in(EDITOR))
    assert "· editor" in sidebar_text(editor)


def test_the_navigation_offers_a_viewer_no_page_that_is_only_for_changing_data(db):
    def offered(email: str) -> list[str]:
        return [link.proto.label for link in visit("app.py", signed_in(email)).sidebar.get("page_link")]

    # The lists themselves are spelled out in tests/test_navigation.py; here the sidebar draws them by role.
    viewer_pages = offered(VIEWER)
    assert "Upload" not in viewer_pages
    assert viewer_pages == [entry.label for entry in navigation.pages_for(can_edit=False)]
    assert offered(EDITOR) == [entry.label for entry in navigation.PAGES]


def test_only_an_editor_may_load_the_demo_data_into_an_empty_app(empty_db):
    viewer = visit("app.py", signed_in(VIEWER))
    assert "load_demo" not in button_keys(viewer)
    assert any("An editor can upload exports" in text.value for text in viewer.markdown)

    editor = visit("app.py", signed_in(EDITOR))
    assert "load_demo" in button_keys(editor)


@pytest.mark.parametrize("page", ["app.py", "pages/1_KPI_trends.py", "pages/5_Data_trust.py"])
def test_an_empty_app_does_not_send_a_viewer_to_the_upload_page(empty_db, page):
    at = visit(page, signed_in(VIEWER))
    assert at.info, "the page says there are no figures"
    assert [link.proto.page for link in at.main.get("page_link")] == []


def test_the_demo_banner_tells_a_viewer_that_an_editor_replaces_the_demo_data(db):
    banner = visit("pages/1_KPI_trends.py", signed_in(VIEWER)).info[0].value
    assert banner.endswith("not real. An editor can upload your exports to replace them.")


# --- upload ----------------------------------------------------------------------------------------------


def test_upload_a_viewer_sees_the_history_but_no_control_that_changes_it(db):
    at = visit("pages/6_Upload.py", signed_in(VIEWER))
    assert not at.file_uploader
    assert write_buttons(at, UPLOAD_WRITE_KEYS) == []
    assert len(at.dataframe[0].value) == 3, "the three demo uploads are listed"
    mappings = next(frame.value for frame in at.dataframe if "Name" in frame.value.columns)
    assert mappings["Name"].tolist() == ["Our SLA report"], "saved column mappings are listed"
    assert at.get("download_button"), "originals can still be downloaded"


def test_upload_an_editor_may_upload_roll_back_remove_the_demo_and_delete_a_mapping(db):
    at = visit("pages/6_Upload.py", signed_in(EDITOR))
    assert at.file_uploader
    keys = button_keys(at)
    assert any(key.startswith("ask-rollback-") for key in keys)
    assert {"remove-demo", "profile-delete"} <= set(keys)


# --- workgroups --------------------------------------------------------------------------------------------


def test_workgroups_a_viewer_sees_the_list_read_only(db):
    at = visit("pages/2_Workgroups.py", signed_in(VIEWER))
    assert any(header.value.startswith("#1 · ") for header in at.subheader), "the workgroup's card is shown"
    assert at.get("plotly_chart"), "with its chart"
    assert write_buttons(at, WORKGROUP_WRITE_KEYS) == []
    assert any("Read only: ask an editor" in message.value for message in at.info)
    assert not [expander for expander in at.expander if expander.label == "Form a workgroup"]
    assert not [expander for expander in at.expander if expander.label.startswith("Deleted workgroups")]


def test_workgroups_an_editor_may_form_add_to_the_library_and_restore(db):
    at = visit("pages/2_Workgroups.py", signed_in(EDITOR), session={"library_list": True})  # the library opened
    assert [expander for expander in at.expander if expander.label == "Form a workgroup"]
    assert {"library_add", "restore_2"} <= set(button_keys(at))
    assert not any("Read only" in message.value for message in at.info)


@pytest.mark.parametrize("tab", WORKGROUP_TABS)
def test_workgroups_a_viewer_reads_every_tab_of_a_workgroup_without_controls(db, tab):
    at = visit("pages/2_Workgroups.py", signed_in(VIEWER), query={"wg": "1", "tab": tab}, session={"tab": tab})
    assert at.title[0].value == "Workgroup #1"
    assert write_buttons(at, WORKGROUP_WRITE_KEYS) == []
    assert not data_editors(at)
    assert not at.text_input and not at.text_area and not at.date_input and not at.selectbox
    if tab != "Overview" and tab != "Export":
        assert any("Read only: ask an editor" in caption.value for caption in at.caption)
    if tab == "Details and people":
        members = next(frame.value for frame in at.dataframe if "What they bring" in frame.value.columns)
        assert members["Name"].tolist() == ["Ana", "Bo"]
    if tab == "Hypotheses":
        assert "FRT fell because many people took time off" in [text.value for text in at.text]
        evidence = next(frame.value for frame in at.dataframe if "link" in frame.value.columns)
        assert evidence["note"].tolist() == ["PTO calendar"]
    if tab == "Actions":
        assert at.dataframe[0].value["change"].tolist() == ["Stagger PTO"]


@pytest.mark.parametrize(
    ("tab", "expected_keys"),
    [
        ("Details and people", {"save_details_1", "save_members_1", "close_1", "ask_workgroup_1"}),
        ("Hypotheses", {"save_h1", "ask_hypothesis_1", "add_hypothesis_1"}),
        ("Actions", {"save_actions_1"}),
    ],
)
def test_workgroups_an_editor_gets_the_controls_of_every_tab(db, tab, expected_keys):
    at = visit("pages/2_Workgroups.py", signed_in(EDITOR), query={"wg": "1", "tab": tab}, session={"tab": tab})
    assert expected_keys <= set(button_keys(at))
    if tab == "Hypotheses":
        assert at.text_area, "the hypothesis fields are editable"
    else:
        assert data_editors(at), "the members or actions table is editable"


# Streamlit runs a button's callback at the start of the next run, before the page's setup_page has recorded
# who is signed in: the workgroup actions and Undo must still land as the signed-in editor, and still be refused
# to anyone the identity provider's claims make a viewer.


def latest_change(db: Path) -> list[str]:
    connection = store.connect(db)
    try:
        return history.changes(connection).iloc[0][["Who", "Action", "Subject"]].tolist()
    finally:
        connection.close()


def workgroup_tab(tab: str, user: dict) -> AppTest:
    return visit("pages/2_Workgroups.py", user, query={"wg": "1", "tab": tab}, session={"tab": tab})


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [message.value for message in at.error]
    return at


def test_workgroups_an_editor_restores_a_deleted_workgroup_from_its_button(db):
    click(visit("pages/2_Workgroups.py", signed_in(EDITOR)), "restore_2")
    assert latest_change(db) == [EDITOR, "workgroup restored", "workgroup 2"]


def test_workgroups_an_editor_closes_a_workgroup_and_adds_a_hypothesis_from_their_buttons(db):
    click(workgroup_tab("Details and people", signed_in(EDITOR)), "close_1")
    assert latest_change(db) == [EDITOR, "workgroup closed", "workgroup 1"]
    at = workgroup_tab("Hypotheses", signed_in(EDITOR))
    at.text_area(key="draft::wg1::new::statement").set_value("FRT fell because a macro broke").run()
    click(at, "add_hypothesis_1")
    assert latest_change(db)[0] == EDITOR
    assert "FRT fell because a macro broke" in [text.value for text in at.text_area]


def test_workgroups_an_editor_deletes_a_workgroup_and_undoes_it(db):
    at = workgroup_tab("Details and people", signed_in(EDITOR))
    click(click(at, "ask_workgroup_1"), "confirm_workgroup_1")
    assert latest_change(db) == [EDITOR, "workgroup deleted", "workgroup 1"]
    click(at, "undo")
    assert latest_change(db) == [EDITOR, "workgroup restored", "workgroup 1"]


def test_workgroups_a_button_pressed_after_the_editor_became_a_viewer_is_refused(db):
    at = visit("pages/2_Workgroups.py", signed_in(EDITOR))
    before = latest_change(db)
    at.secrets = {**SECRETS, "floorline": {"allowed_domains": ["example.com"], "editors": []}}
    at.button(key="restore_2").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"{escape_markdown(EDITOR)} may view Floorline but not restore workgroups" in at.error[0].value
    assert latest_change(db) == before, "nothing is written"


# --- OKRs ----------------------------------------------------------------------------------------------------


def test_okrs_a_viewer_sees_them_but_cannot_check_in_import_or_edit(db):
    assert visit("pages/3_OKRs.py", signed_in(VIEWER), {"section": "Alignment"}).get("plotly_chart"), "the chart"
    at = visit("pages/3_OKRs.py", signed_in(VIEWER), {"section": "Import, export, edit"})
    assert not at.file_uploader
    assert not data_editors(at)
    assert not [button for button in at.button if button.label in OKR_WRITE_LABELS or button.label.startswith("Save")]


def test_okrs_an_editor_may_check_in_import_and_edit(db):
    at = visit("pages/3_OKRs.py", signed_in(EDITOR), {"section": "Import, export, edit"})
    labels = {button.label for button in at.button}
    assert {"Record check-in", "Remove the demo OKRs"} <= labels
    assert at.file_uploader
    assert data_editors(at)


# --- change history ----------------------------------------------------------------------------------------


def test_a_viewer_reads_the_change_history(db):
    at = visit("pages/7_Change_history.py", signed_in(VIEWER))
    changes = at.table[0].value.map(lambda cell: re.sub(r"\\(.)", r"\1", cell))  # as read: no escaping backslashes
    assert changes.iloc[0][["Who", "Action", "Subject"]].tolist() == ["ann", "column mapping saved", "Our SLA report"]
    assert "workgroup deleted" in changes["Action"].tolist()
