"""One way to cache a figure on a page: per database file and data version, with a bounded size.

Every stored change bumps the data version (``store.bump_data_version``), so a cached value can never
outlive the figures it was computed from, and no page needs to clear a cache after a change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class DataAt:
    """A database file at one data version, with a cursor on it: what every cached figure is keyed on.

    ``PageContext`` has the same three fields; this is for the page setup, which needs a cached value
    before the context exists.
    """

    con: object
    database: str
    data_version: int


def by_data_version(
    function: Callable | None = None, *, max_entries: int = 64, keep_objects: bool = False, takes_context: bool = False
):
    """Cache ``function(con, *args)`` as ``cached(ctx, *args)``, keyed on the database, its data version and args.

    ``keep_objects`` keeps the returned object itself (``st.cache_resource``) rather than a pickled copy:
    for plotly figures, which cost more to unpickle than a rerun may. Callers must not mutate those.
    ``takes_context`` hands the function the context itself rather than its cursor: for a figure that is
    built from other cached values (``function(ctx, *args)`` calls them with the same ``ctx``).
    """

    def decorate(function: Callable) -> Callable:
        def compute(_ctx, database: str, data_version: int, *args, **kwargs):
            del database, data_version  # the cache key: the connection itself is not hashable
            return function(_ctx if takes_context else _ctx.con, *args, **kwargs)

        # Streamlit keys a cache on the function's module and qualified name: each decorated function
        # must keep its own, or every use of this decorator would share one cache.
        compute.__module__, compute.__qualname__ = function.__module__, function.__qualname__
        store = st.cache_resource if keep_objects else st.cache_data
        cached = store(show_spinner=False, max_entries=max_entries)(compute)

        @functools.wraps(function)
        def call(ctx, *args, **kwargs):
            return cached(ctx, ctx.database, ctx.data_version, *args, **kwargs)

        call.clear = cached.clear
        return call

    return decorate(function) if function is not None else decorate
