"""Between page tests, reset what a server start sets up (the one connection, the staging sweep), nothing else.

Every figure cache is keyed on the database file and its data version (``lib.ui.cache``), and each test
has a database file of its own, so no cached figure can answer for another test's data: clearing them
all would only make every test compute every figure again.
"""

from __future__ import annotations

from lib.ui.page import shared_connection, sweep_staging_at_start


def reset_page_resources() -> None:
    """As at a server start: the connection (which holds the database file open) and the staging sweep go."""
    shared_connection.clear()
    sweep_staging_at_start.clear()
