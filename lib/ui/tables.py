"""Static tables for a shared screen: HTML that wraps its text and takes the presentation type size.

A dataframe draws on a canvas at a fixed size and cuts a long cell with "…"; zoomed for a projector,
Chromium redrew its scrolled rows unzoomed. ``st.table`` is HTML, so long text wraps and the page's larger
type applies. Its cells are Markdown: every text cell is escaped, and a link column is written as a link
only to an address ``lib.core.links.web_link`` accepted.
"""

from __future__ import annotations

import html
import math
import numbers
from functools import partial

import pandas as pd
import streamlit as st

from lib.core.links import markdown_link
from lib.core.text import escape_markdown, escape_table_cells
from lib.metrics.fiscal import long_date

MISSING = "—"  # a missing date or number, never the word "None"
ROWS_A_PAGE = 25  # a long static table in pages: a few screens to scroll in a meeting, quick to draw


def table_cell(value: object) -> object:
    """A date as every page writes it (16 Nov 2026), a number with thousands separators (one decimal), a missing
    value as a dash. Written here rather than by a pandas Styler, which costs more server time than the table."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return MISSING
    if isinstance(value, pd.Timestamp):
        return long_date(value.date())
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{value:,.1f}"
    return value


def date_time_cell(moment: object) -> str:
    """A moment as every page writes one: '16 Nov 2026, 14:05' (the glossary's date, then the time); a dash for
    none."""
    if moment is None or pd.isna(moment):
        return MISSING
    return f"{long_date(moment.date())}, {moment:%H:%M}"


def page_count(rows: int, rows_a_page: int = ROWS_A_PAGE) -> int:
    """How many pages ``rows`` rows take: 60 rows, 25 a page → 3 (the last holds 10); no rows still make a page."""
    return max(1, math.ceil(rows / rows_a_page))


def page_range_text(page: int, total: int, noun: str, rows_a_page: int = ROWS_A_PAGE) -> str:
    """'Page 2 of 3: changes 26–50 of 60, newest first' (page 2 of 60 changes, 25 a page)."""
    first = (page - 1) * rows_a_page + 1
    last = min(page * rows_a_page, total)
    return f"Page {page} of {page_count(total, rows_a_page)}: {noun} {first:,}–{last:,} of {total:,}, newest first"


def rows_on_page(frame: pd.DataFrame, page: int, rows_a_page: int = ROWS_A_PAGE) -> pd.DataFrame:
    """The rows of page ``page`` (1 is the first): page 2 of 60 rows is rows 26 to 50. A page past either end
    gives the nearest page that exists (the page select offers only those; a link's page outside them is
    dropped with a notice before it gets here)."""
    page = min(max(page, 1), page_count(len(frame), rows_a_page))
    return frame.iloc[(page - 1) * rows_a_page : page * rows_a_page]


def wrapping_table(frame: pd.DataFrame, links: dict[str, str] | None = None) -> None:
    """``frame`` as a static table without its index. ``links``: column → the label its addresses are shown as;
    those cells hold addresses that passed ``web_link``, or Floorline's own pages (None: nothing to open)."""
    links = links or {}
    cells = escape_table_cells(frame.drop(columns=list(links)).map(table_cell))
    for column, label in links.items():
        cells.insert(frame.columns.get_loc(column), column, frame[column].map(partial(markdown_link, label)))
    cells.columns = [escape_markdown(column) for column in cells.columns]  # "1. KPIs now" is no list item
    st.table(cells, hide_index=True)


# The look of ``st.table`` (hairlines in the text's colour, faded header, the small type presentation mode
# enlarges) in both themes, from the text colour itself. Static CSS, no stored text.
PLAIN_TABLE_CSS = """<style>
  .floorline-plain-table { overflow-x: auto; border: 1px solid color-mix(in srgb, currentColor 15%, transparent);
    border-radius: 0.5rem; }
  .floorline-plain-table table { border-spacing: 0; width: 100%; font-size: 0.875rem; line-height: 1.6; }
  .floorline-plain-table :is(th, td) { padding: 0.25rem 0.375rem; text-align: left; font-weight: normal;
    border-bottom: 1px solid color-mix(in srgb, currentColor 15%, transparent);
    border-right: 1px solid color-mix(in srgb, currentColor 15%, transparent); }
  .floorline-plain-table th { color: color-mix(in srgb, currentColor 80%, transparent); }
  .floorline-plain-table tr:last-child td { border-bottom: none; }
  .floorline-plain-table :is(th, td):last-child { border-right: none; }
</style>"""


def plain_table(frame: pd.DataFrame) -> None:
    """``frame`` as one static HTML table without its index: text only, every cell written as ``table_cell`` writes
    it and escaped as HTML, so nothing in it renders live.

    For tables of the app's own words and figures that a page draws on every load: ``st.table`` renders each cell as
    a Markdown element of its own (a 5 x 8 table is 48), which cost the browser more than a grid; one HTML element
    costs about what a line of text does. Tables with links stay ``wrapping_table``'s."""
    header = "".join(f'<th scope="col">{html.escape(str(column))}</th>' for column in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(table_cell(value)))}</td>" for value in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    st.html(
        f'{PLAIN_TABLE_CSS}<div class="floorline-plain-table"><table><thead><tr>{header}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )
