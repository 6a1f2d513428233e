"""lib/ui/drafts.py on a small page of its own: what a manager types is kept until saved, a delete asks
first and can be undone once, a refusal is a message (never a traceback), and a message shows once."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def notes_page():
    """A page with one drafted text box, a table, a delete that asks first, and a save that may be refused."""
    import streamlit as st

    from lib.ui.drafts import Drafts

    class Refused(ValueError):
        def __init__(self, message):
            super().__init__(message)
            self.message = message

    drafts = Drafts("notes", refusal=Refused)
    stored = st.session_state.setdefault("stored", {"note": "as stored", "rows": [{"id": 1, "name": "Ana"}]})
    log = st.session_state.setdefault("log", [])

    def save(note):
        if note == "refuse me":
            raise Refused("a note cannot say that")
        stored["note"] = note

    def save_clicked():
        if drafts.run(save, drafts.typed("note"), success="Saved."):
            drafts.forget("note")

    def delete(what):
        log.append(f"deleted {what}")
        drafts.offer_undo(f"Note {what} deleted.", restore, what)

    def restore(con, what):
        log.append(f"restored {what} with {con}")

    drafts.show_flash()
    drafts.show_undo("the run's cursor")
    if st.session_state.get("show_form", True):
        drafts.widget(st.text_input, "Note", "note", stored["note"])
        dirty = drafts.is_dirty("", {"note": stored["note"]})
        drafts.save_bar("note", dirty, save_clicked, discard=("note",))
        table_dirty = drafts.editor("people", stored["rows"], ["id", "name"], {})
        st.caption(f"table unsaved: {table_dirty}; rows now: {drafts.edited_rows('people')}")
        drafts.save_bar("people", table_dirty, log.append, discard_editor="people", args=("saved the table",))
        drafts.confirm_button("note_1", "Delete note #1", delete, args=(1,))


def page() -> AppTest:
    return AppTest.from_function(notes_page, default_timeout=30).run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_typed_text_is_kept_while_the_form_is_away_and_saved_only_on_save():
    at = ok(page())
    at.text_input(key="draft::note").input("typed in the meeting").run()
    assert [b.key for b in at.button if "note" in b.key] == ["save_note", "discard_note", "ask_note_1"]
    assert any("Unsaved changes" in c.value for c in at.caption)

    at.session_state["show_form"] = False  # another page, or another tab, for a while
    ok(at.run())
    at.session_state["show_form"] = True
    ok(at.run())
    assert at.text_input(key="draft::note").value == "typed in the meeting"
    assert at.session_state["stored"]["note"] == "as stored"

    ok(at.button(key="save_note").click().run())
    assert at.session_state["stored"]["note"] == "typed in the meeting"
    assert [t.value for t in at.toast] == ["Saved."]  # on screen wherever the page is scrolled
    ok(at.run())
    assert [s.value for s in at.success] == [], "a message shows once"
    assert "note" not in at.session_state["notes_drafts"]


def test_discard_goes_back_to_what_is_stored():
    at = ok(page())
    at.text_input(key="draft::note").input("a second thought").run()
    ok(at.button(key="discard_note").click().run())
    assert at.text_input(key="draft::note").value == "as stored"
    assert [b.key for b in at.button if "note" in b.key] == ["save_note", "ask_note_1"]


def test_a_refusal_is_a_message_and_the_typed_text_stays():
    at = ok(page())
    at.text_input(key="draft::note").input("refuse me").run()
    ok(at.button(key="save_note").click().run())
    assert [e.value for e in at.error] == ["a note cannot say that"]
    assert at.text_input(key="draft::note").value == "refuse me"
    assert at.session_state["stored"]["note"] == "as stored"


def test_a_delete_asks_first_and_can_be_undone_once():
    at = ok(page())
    ok(at.button(key="ask_note_1").click().run())
    assert [w.value for w in at.warning] == ["Delete note #1? You can undo this afterwards."]
    ok(at.button(key="cancel_note_1").click().run())
    assert at.session_state["log"] == [] and not at.warning

    ok(at.button(key="ask_note_1").click().run())
    ok(at.button(key="confirm_note_1").click().run())
    assert at.session_state["log"] == ["deleted 1"]
    assert any("Note 1 deleted." in m.value for m in at.markdown)
    ok(at.button(key="undo").click().run())
    assert at.session_state["log"] == ["deleted 1", "restored 1 with the run's cursor"]
    assert [t.value for t in at.toast] == ["Undone."]
    assert not any(b.key == "undo" for b in at.button), "undo is offered once"


def test_a_table_edit_is_kept_as_a_draft_until_discarded():
    at = AppTest.from_function(notes_page, default_timeout=30)
    at.session_state["notes_drafts"] = {"people": {"edited": [{"id": 1, "name": "Bo"}]}}  # typed before a page switch
    ok(at.run())
    captions = [c.value for c in at.caption]
    assert "table unsaved: True; rows now: [{'id': 1, 'name': 'Bo'}]" in captions
    ok(at.button(key="discard_people").click().run())
    assert "table unsaved: False; rows now: [{'id': 1, 'name': 'Ana'}]" in [c.value for c in at.caption]
    assert at.session_state["notes_drafts"] == {}


# --- a write from a button's callback, with sign-in configured ------------------------------------------------
# Streamlit runs the callback before the page script, so no page has recorded who is signed in yet: Drafts.run
# decides it from the identity provider's claims, as the sign-in gate does.

SIGN_IN_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a-test-cookie-secret-of-some-length",
        "client_id": "floorline",
        "client_secret": "test-client-secret",
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
    },
    "floorline": {"allowed_domains": ["example.com"], "editors": ["ann@example.com"]},
}


def guarded_write_page():
    """One button whose callback makes a write that only an editor may make, with no setup_page before it."""
    import streamlit as st

    from lib.core import auth
    from lib.ui.drafts import Drafts

    drafts = Drafts("notes")

    def write():
        auth.require_editor("change notes")
        st.session_state["written_by"] = auth.actor()

    drafts.show_flash()
    st.button("Write", key="write", on_click=drafts.run, args=(write,))


def pressed_write(user: dict, secrets: dict | None = SIGN_IN_SECRETS) -> AppTest:
    at = AppTest.from_function(guarded_write_page, default_timeout=30)
    if secrets is not None:
        at.secrets = secrets
    at.user = user
    ok(at.run())
    return ok(at.button(key="write").click().run())


def test_a_signed_in_editors_callback_write_is_made_as_the_editor():
    at = pressed_write({"is_logged_in": True, "email": "Ann@Example.com", "email_verified": True})
    assert at.session_state["written_by"] == "ann@example.com", "the address as the provider vouched for it"
    assert not at.error


def test_a_viewers_callback_write_is_refused_with_a_message():
    at = pressed_write({"is_logged_in": True, "email": "bob@example.com", "email_verified": True})
    assert "written_by" not in at.session_state
    assert "may view Floorline but not change notes" in at.error[0].value


REFUSED_CLAIMS = {
    "signed out": {"is_logged_in": False},
    "address not verified": {"is_logged_in": True, "email": "ann@example.com", "email_verified": False},
    "another domain": {"is_logged_in": True, "email": "ann@example.org", "email_verified": True},
}


def test_a_callback_write_from_anyone_the_sign_in_gate_turns_away_is_refused():
    for claims in REFUSED_CLAIMS.values():
        at = pressed_write(claims)
        assert "written_by" not in at.session_state, claims
        assert at.error[0].value == "sign in as an editor to change notes", claims


def test_without_sign_in_configured_a_callback_write_is_made():
    at = pressed_write({"email": "test@example.com"}, secrets=None)
    assert at.session_state["written_by"] == "unknown", "nobody is signed in to name"
