"""The Change history page's parts: the log as a static table in pages, and a change read in full.

A grid draws on a canvas and ends a long subject or detail in "…" (on a projector, and beside the sidebar at
1400 px), so the log is a ``st.table`` (``lib.ui.tables.wrapping_table``: cells escaped, text wraps), 25 changes
a page, newest first, and the change to read in full is picked by its label. The page number sits in the address
beside the filters, so a link opens the same page of the same changes. Stored text is never Markdown: escaped in
the table and the heading, plain text in the select box and the code block.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.store import history
from lib.ui.page import escape_markdown, link_choices
from lib.ui.tables import MISSING, date_time_cell, page_count, page_range_text, rows_on_page, wrapping_table

PAGE_KEY = "page"  # ?page=2 in the address
TABLE_COLUMNS = [column for column in history.COLUMNS if column != "Area"]  # the area is a filter above


def text_or_dash(value: object) -> str:
    """Stored text as it is, or a dash where there is none (never "None", never an empty cell)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or str(value).strip() == "":
        return MISSING
    return str(value)


def change_label(change: pd.Series) -> str:
    """How a change is offered for reading in full: 'Change 123 · upload · frt-week-47.csv'."""
    return f"Change {change['Change']} · {text_or_dash(change['Action'])} · {text_or_dash(change['Subject'])}"


def table_rows(changes: pd.DataFrame) -> pd.DataFrame:
    """The changes as the static table writes them: the number as its label writes it, the time as
    '16 Nov 2026, 14:05', a dash for anything missing; the area left out (it is a filter above)."""
    return pd.DataFrame(
        {
            "Change": changes["Change"].map(str),
            "When (UTC)": changes["When (UTC)"].map(date_time_cell),
            **{column: changes[column].map(text_or_dash) for column in ("Who", "Action", "Subject", "Detail")},
        },
        columns=TABLE_COLUMNS,
    )


def show_change(change: pd.Series) -> None:
    """A change in full: what and by whom (escaped), then its detail one part a line as plain text."""
    st.markdown(
        f"**Change {change['Change']}: {escape_markdown(text_or_dash(change['Action']))} · "
        f"{escape_markdown(text_or_dash(change['Subject']))}**  \n"
        f"by {escape_markdown(text_or_dash(change['Who']))}, {date_time_cell(change['When (UTC)'])} UTC"
    )
    st.code(history.readable_detail(change["Detail"] or "") or "No detail recorded.", language=None, wrap_lines=True)


def step_page(by: int) -> None:
    st.session_state[PAGE_KEY] += by


def first_page() -> None:
    """A changed filter shows its newest changes (and no stale page number is left in the address)."""
    st.session_state[PAGE_KEY] = 1


def page_picker(pages: int, total: int) -> int:
    """Newer, the page select, Older and which changes the page holds, on one row: the page shown, 1 (the newest
    changes) unless the address or a click says otherwise. Bound to the address, so a link opens the same page and
    presentation mode and the filters stay in it."""
    numbers = list(range(1, pages + 1))
    link_choices(PAGE_KEY, numbers)
    with st.container(horizontal=True, vertical_alignment="center", key="change_pages"):
        # Placeholders in the row's order: whether Newer and Older can be pressed is known once the page is.
        newer, pick, older, where = st.empty(), st.empty(), st.empty(), st.empty()
        page = pick.selectbox(
            "Page", numbers, key=PAGE_KEY, bind="query-params", label_visibility="collapsed", width=110
        )
        newer.button("Newer", icon=":material/arrow_back:", disabled=page == 1, on_click=step_page, args=(-1,))
        older.button("Older", icon=":material/arrow_forward:", disabled=page == pages, on_click=step_page, args=(1,))
        where.caption(page_range_text(page, total, "changes"), width="content")
    return page


# The table's columns share the width by their text's length: a long address or file name breaks anywhere rather
# than squeezing the detail into a narrow column; the time stays on one line. Static CSS, no stored text.
CHANGE_TABLE_CSS = """
<style>
  .st-key-change_table td { vertical-align: top; }
  .st-key-change_table td:nth-child(2) p { white-space: nowrap; }
  .st-key-change_table :is(td:nth-child(3), td:nth-child(5), td:nth-child(6)) p { overflow-wrap: anywhere; }
</style>
"""


def paged_table(changes: pd.DataFrame) -> None:
    """``changes`` (newest first) a page at a time as a static table, and the one picked below it in full."""
    if changes.empty:
        st.info("No change matches these filters.", icon=":material/filter_alt_off:")
        return
    page = page_picker(page_count(len(changes)), len(changes))
    on_page = rows_on_page(changes, page)
    st.html(CHANGE_TABLE_CSS)
    with st.container(key="change_table"):
        wrapping_table(table_rows(on_page))
    # Picked by its change number, not its place on the page: a change recorded meanwhile or a new filter
    # moves the rows, and the pick must stay on the change the presenter chose (or clear if it left the page).
    by_number = {int(row["Change"]): row for _, row in on_page.iterrows()}
    chosen = st.selectbox(
        "Read a change in full",
        list(by_number),
        format_func=lambda number: change_label(by_number[number]),
        index=None,
        placeholder="Pick a change",
        key=f"change_on_page_{page}",  # a new page starts with nothing picked
    )
    if chosen is None:
        st.caption("Pick a change to read its detail in full.")
    else:
        show_change(by_number[chosen])
