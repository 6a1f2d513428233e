"""Reading ``lib.ui.tables.plain_table``'s HTML tables back as AppTest sees them: one frame of text per table."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self.tables[-1][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def plain_tables(at) -> list[pd.DataFrame]:
    """Every HTML table on the page, in order: the header row names the columns, cells as the browser shows them."""
    frames = []
    for element in at.get("html"):
        parser = _Cells()
        parser.feed(element.proto.body)
        frames += [pd.DataFrame(rows[1:], columns=rows[0]) for rows in parser.tables]
    return frames
