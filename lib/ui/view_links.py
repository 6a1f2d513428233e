"""The query parameters of every in-app link: the view the meeting is in goes with it.

A link to another page starts a new session there, so what the page shows comes from its address
only. Presentation mode, the week, the KPI and the scope in the current address are copied into
each link (``st.page_link(..., query_params=view_query(wg="3"))``), so following a link never drops
presentation mode in front of the room nor loses the week being discussed.
"""

from __future__ import annotations

import streamlit as st

VIEW_PARAMS = ("present", "week", "kpi", "scope")


def view_query(**chosen: str | None) -> dict[str, str]:
    """The current view's parameters, with ``chosen`` added or replacing them (a None leaves one out)."""
    query = {name: st.query_params[name] for name in VIEW_PARAMS if name in st.query_params}
    for name, value in chosen.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return query
