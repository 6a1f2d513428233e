"""The query parameters of every in-app link: the view the meeting is in goes with it.

A link to another page starts a new session there, so what the page shows comes from its address
only. Presentation mode, the week, the KPI and the scope in the current address are copied into
each link (``st.page_link(..., query_params=view_query(wg="3"))``), so following a link never drops
presentation mode in front of the room nor loses the week being discussed.
"""

from __future__ import annotations

import streamlit as st

from lib.core.links import view_query_from


def view_query(**chosen: str | None) -> dict[str, str]:
    """The current view's parameters, with ``chosen`` added or replacing them (a None leaves one out)."""
    return view_query_from(st.query_params, **chosen)
