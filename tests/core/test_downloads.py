"""No downloaded cell can run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from lib.core.downloads import neutralise, safe_csv


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","click")', "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"],
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["FRT", "L&R", "93 % floor", "", " =1", 93.0, -3.5, None])
def test_other_values_are_left_alone(value):
    assert neutralise(value) == value


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_safe_csv_neutralises_text_cells_and_headers_but_keeps_numbers():
    frame = pd.DataFrame(
        {
            "=cmd": ["ok", "=1+1", "@me", "-x"],
            "Change points": [-0.3, 1.5, -2.0, 0.0],
        }
    )

    rows = read_back(safe_csv(frame))

    assert rows[0] == ["'=cmd", "Change points"]
    assert [row[0] for row in rows[1:]] == ["ok", "'=1+1", "'@me", "'-x"]
    # A negative change is a number in a numeric column, so it stays a number a spreadsheet can sum.
    assert [row[1] for row in rows[1:]] == ["-0.3", "1.5", "-2.0", "0.0"]


def test_safe_csv_starts_with_a_bom_so_excel_reads_utf8():
    data = safe_csv(pd.DataFrame({"Segment": ["L&R — Sévérité"]}))

    assert data.startswith(b"\xef\xbb\xbf")
    assert read_back(data)[1] == ["L&R — Sévérité"]


def test_safe_csv_leaves_the_callers_frame_unchanged():
    frame = pd.DataFrame({"Note": ["=1+1"]})

    safe_csv(frame)

    assert frame["Note"].tolist() == ["=1+1"]
