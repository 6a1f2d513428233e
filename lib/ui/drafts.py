"""Typed text that waits to be saved: drafts, save bars, confirm-before-delete, undo and one flash message.

A page makes one ``Drafts`` for its namespace and draws its widgets through it:

- ``widget(st.text_input, "Title", "wg1::title", stored)``: what is typed survives reruns and page
  switches (kept in ``st.session_state``) and is written only when the page's Save button is pressed;
  ``typed`` reads it back, ``forget`` drops it after a save or a discard.
- ``editor(name, rows, columns, column_config)``: a data editor whose edits are a draft the same way;
  ``edited_rows`` gives the rows as they are now, ``reset_editor`` shows the stored rows again.
- ``run(action, ...)``: calls a lib write; a refusal (``refusal``, with its ``message``) becomes a
  message on the next run instead of a traceback; ``flash``/``show_flash``: one message after a rerun.
- ``confirm_button``: a destructive button that asks first; ``offer_undo``/``show_undo``: undo the last
  change, once.

Nothing here knows what is being edited: the page says what a save or an undo calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from lib.core.errors import PermissionDenied
from lib.core.text import escape_markdown
from lib.ui.page import act_for_signed_in

FLASH_ICONS = {"success": ":material/check:", "error": ":material/error:", "warning": ":material/warning:"}


def cell(value):
    """One data-editor cell as plain Python: blanks become None, timestamps become dates."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str):
        return value if value.strip() else None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def table_rows(frame: pd.DataFrame) -> list[dict]:
    return [{column: cell(value) for column, value in row.items()} for row in frame.to_dict("records")]


@dataclass(frozen=True)
class Drafts:
    """One page's drafts and messages, kept in session state under ``{namespace}_...`` keys."""

    namespace: str
    refusal: type[Exception] = ValueError  # the error a lib write raises to refuse, shown as a message

    @property
    def saved(self) -> dict:
        """Every draft of this namespace: name -> typed value (or {"edited": rows} for an editor)."""
        return st.session_state.setdefault(f"{self.namespace}_drafts", {})

    # --- typed values ------------------------------------------------------------------------------

    def widget(self, widget, label: str, name: str, stored, **kwargs):
        """A widget whose value survives reruns and page switches as a draft until saved or discarded."""
        key = f"draft::{name}"
        if key not in st.session_state:  # a fresh widget (first view, or back from another page)
            st.session_state[key] = self.saved.get(name, stored)

        def remember():
            self.saved[name] = st.session_state[key]

        return widget(label, key=key, on_change=remember, **kwargs)

    def typed(self, name: str, stored=None):
        """What is in a drafted widget now (callbacks run before the script, so read the widget's state)."""
        key = f"draft::{name}"
        if key in st.session_state:
            return st.session_state[key]
        return self.saved.get(name, stored)

    def set(self, name: str, value) -> None:
        """Put a value in a draft, as if it had been typed (a link that fills in a form)."""
        self.saved[name] = value

    def forget(self, *prefixes: str) -> None:
        """Drop drafts (and their widgets' state) whose names start with any of the prefixes."""
        for name in [n for n in self.saved if n.startswith(prefixes)]:
            del self.saved[name]
        widget_keys = tuple(f"draft::{prefix}" for prefix in prefixes)
        for key in [k for k in st.session_state if str(k).startswith(widget_keys)]:
            del st.session_state[key]

    def is_dirty(self, prefix: str, stored: dict) -> bool:
        """Whether any field of ``stored`` (drafted as ``prefix + field``) differs from what is stored."""
        return any(self.saved.get(f"{prefix}{field}", value) != value for field, value in stored.items())

    def any_under(self, *prefixes: str) -> bool:
        """Whether anything typed under any of the prefixes is still unsaved."""
        return any(name.startswith(prefixes) for name in self.saved)

    # --- tables --------------------------------------------------------------------------------------

    @staticmethod
    def editor_key(name: str) -> str:
        return f"editor::{name}::{st.session_state.get(f'editor_version::{name}', 0)}"

    def editor(self, name: str, stored_rows: list[dict], columns: list[str], column_config: dict) -> bool:
        """A data editor whose edits are a draft until saved; returns whether there are unsaved edits."""
        entry = self.saved.get(name)
        key = self.editor_key(name)
        base_key = f"editor_base::{name}"
        if key in st.session_state and base_key in st.session_state:
            base = st.session_state[base_key]  # the editor keeps its edits relative to the rows it was first given
        else:
            base = entry["edited"] if entry else stored_rows
        st.session_state[base_key] = base
        edited = st.data_editor(
            pd.DataFrame(base, columns=columns),
            key=key,
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={"id": None, **column_config},
            placeholder="",  # an empty cell reads empty, not "None"
        )
        rows = table_rows(edited)
        if rows != table_rows(pd.DataFrame(stored_rows, columns=columns)):
            self.saved[name] = {"edited": rows}
            return True
        self.saved.pop(name, None)
        return False

    def edited_rows(self, name: str) -> list[dict] | None:
        """The editor's rows as they are now: the rows it was given with its pending edits applied."""
        delta = st.session_state.get(self.editor_key(name))
        base = st.session_state.get(f"editor_base::{name}")
        if delta is None or base is None:
            entry = self.saved.get(name)
            return entry["edited"] if entry else None
        rows = [dict(row) for row in base]
        for index, changes in delta.get("edited_rows", {}).items():
            rows[int(index)].update(changes)
        deleted = {int(index) for index in delta.get("deleted_rows", [])}
        rows = [row for index, row in enumerate(rows) if index not in deleted]
        rows += [dict(row) for row in delta.get("added_rows", [])]
        return rows

    def reset_editor(self, name: str) -> None:
        """Forget an editor's edits; a new widget key makes it show the stored rows again."""
        self.saved.pop(name, None)
        st.session_state.pop(f"editor_base::{name}", None)
        version_key = f"editor_version::{name}"
        st.session_state[version_key] = st.session_state.get(version_key, 0) + 1

    def save_bar(self, name: str, dirty: bool, on_save, *, discard=(), discard_editor=None, args=()) -> None:
        """Save, and while there are unsaved changes, Discard and a note that they are kept."""
        with st.container(horizontal=True, vertical_alignment="center"):
            st.button("Save", key=f"save_{name}", type="primary", icon=":material/save:", on_click=on_save, args=args)
            if dirty:
                if discard_editor:
                    st.button("Discard", key=f"discard_{name}", on_click=self.reset_editor, args=(discard_editor,))
                else:
                    st.button("Discard", key=f"discard_{name}", on_click=self.forget, args=discard)
                st.caption(":material/edit: Unsaved changes (kept while you use other pages)")

    # --- messages ------------------------------------------------------------------------------------

    def flash(self, message: str, kind: str = "success") -> None:
        """A message shown once, on the next run (``kind``: success, error or warning)."""
        st.session_state[f"{self.namespace}_flash"] = (kind, message)

    def show_flash(self) -> None:
        """A toast, on screen wherever the page is scrolled (the presenter looks at what was just clicked); a
        refusal or warning also stays on the page, above, until the next run."""
        kind, message = st.session_state.pop(f"{self.namespace}_flash", (None, None))
        if message:
            st.toast(message, icon=FLASH_ICONS[kind])
            if kind != "success":
                getattr(st, kind)(message, icon=FLASH_ICONS[kind])

    def run(self, action: Callable, *args, success: str | None = None, **kwargs):
        """Call a lib write as the signed-in person (``act_for_signed_in``: most writes run in a button's
        callback, before the page has signed anyone in); its refusal, or a refusal of the person's role,
        becomes a message instead of a traceback (and None is returned)."""
        act_for_signed_in()
        try:
            result = action(*args, **kwargs)
        except self.refusal as error:
            self.flash(getattr(error, "message", str(error)), "error")
            return None
        except PermissionDenied as denied:  # quotes the signed-in address: shown as text, never as a live link
            self.flash(escape_markdown(denied), "error")
            return None
        if success:
            self.flash(success)
        return result if result is not None else True

    # --- undo ----------------------------------------------------------------------------------------

    def offer_undo(self, label: str, restore: Callable, *args) -> None:
        """Offer to undo the change just made: ``restore(con, *args)`` when Undo is pressed.

        ``label`` is Markdown: build it from ids and fixed words only, never from typed text.
        """
        st.session_state[f"{self.namespace}_undo"] = {"label": label, "restore": restore, "args": args}

    def drop_undo(self) -> None:
        st.session_state.pop(f"{self.namespace}_undo", None)

    def undo(self, con) -> None:
        offer = st.session_state.pop(f"{self.namespace}_undo", None)
        if offer:
            self.run(offer["restore"], con, *offer["args"], success="Undone.")

    def show_undo(self, con) -> None:
        offer = st.session_state.get(f"{self.namespace}_undo")
        if not offer:
            return
        with st.container(border=True):
            text, restore, dismiss = st.columns([6, 1, 1], vertical_alignment="center")
            text.markdown(f":material/delete: {offer['label']}")
            restore.button("Undo", key="undo", icon=":material/undo:", on_click=self.undo, args=(con,), width="stretch")
            dismiss.button("Dismiss", key="undo_dismiss", on_click=self.drop_undo)

    # --- confirmation ---------------------------------------------------------------------------------

    def confirm_button(self, name: str, label: str, on_confirm: Callable, args=()) -> None:
        """A delete button that asks first: ``on_confirm(*args)`` runs only after "Yes, delete"."""
        confirm_key = f"{self.namespace}_confirm"
        if st.session_state.get(confirm_key) != name:
            st.button(label, key=f"ask_{name}", icon=":material/delete:", on_click=self.ask, args=(name,))
            return
        with st.container(border=True):
            st.warning(f"{label}? You can undo this afterwards.", icon=":material/warning:")
            yes, no = st.columns(2)
            yes.button(
                "Yes, delete",
                key=f"confirm_{name}",
                type="primary",
                icon=":material/delete:",
                on_click=self.confirmed,
                args=(on_confirm, *args),
            )
            no.button("Cancel", key=f"cancel_{name}", on_click=self.ask, args=(None,))

    def ask(self, name: str | None) -> None:
        st.session_state[f"{self.namespace}_confirm"] = name

    def confirmed(self, on_confirm: Callable, *args) -> None:
        st.session_state.pop(f"{self.namespace}_confirm", None)
        on_confirm(*args)
