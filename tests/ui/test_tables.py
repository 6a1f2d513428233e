"""lib/ui/tables.py's plain_table: one static HTML table whose cells are text, whatever they hold."""

from __future__ import annotations

from plain_tables import plain_tables
from streamlit.testing.v1 import AppTest


def hostile_table_script():
    # AppTest runs this function's body as a script of its own: it imports what it uses.
    import datetime as dt

    import pandas as pd

    from lib.ui.tables import plain_table

    plain_table(
        pd.DataFrame(
            {
                "<b>Name</b>": ['<img src=x onerror="alert(1)">', "[x](http://example.com) & **bold**", "L&R"],
                "Week": [pd.Timestamp(dt.date(2026, 11, 16)), None, pd.NaT],
                "Rows": [1234, 5, 6],
            }
        )
    )


def test_a_plain_tables_cells_and_header_are_text_never_markup():
    at = AppTest.from_function(hostile_table_script, default_timeout=30)
    at.run()
    assert not at.exception, [e.message for e in at.exception]

    body = at.get("html")[0].proto.body
    assert "<img" not in body and "<b>" not in body and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body
    [table] = plain_tables(at)
    assert list(table.columns) == ["<b>Name</b>", "Week", "Rows"]
    assert list(table["<b>Name</b>"]) == ['<img src=x onerror="alert(1)">', "[x](http://example.com) & **bold**", "L&R"]
    # Written as every static table writes them: a date as the pages do, thousands separated, a dash for nothing.
    assert list(table["Week"]) == ["16 Nov 2026", "—", "—"]
    assert list(table["Rows"]) == ["1,234", "5", "6"]
