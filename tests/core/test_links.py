"""Weeks in page addresses: both spellings read, one written, a week without data said so."""

from __future__ import annotations

import datetime as dt

import pytest

from lib.core import links

WEEKS = [dt.date(2026, 9, 7), dt.date(2026, 9, 14), dt.date(2026, 9, 21)]


@pytest.mark.parametrize(
    "text", ["2026-09-14", "14 Sep 2026", "14+Sep+2026", " 14  sep 2026 ", "14 September 2026", "2026-09-16"]
)
def test_every_spelling_of_a_week_finds_it(text):
    found, notes = links.resolve_link_weeks([text], WEEKS)
    assert (found, notes) == ([dt.date(2026, 9, 14)], [])


def test_a_week_without_data_and_a_value_that_is_no_date_are_said_so():
    found, notes = links.resolve_link_weeks(["2026-09-28", "Sep 14", "2026-02-30"], WEEKS)
    assert found == []
    assert notes == [
        "The link names the week of 28 Sep 2026, which has no data here.",
        "The link's week “Sep 14” is not a date Floorline reads (write it as 2026-09-14 or 14 Sep 2026).",
        "The link's week “2026-02-30” is not a date Floorline reads (write it as 2026-09-14 or 14 Sep 2026).",
    ]


def test_floorline_writes_iso_weeks():
    assert links.link_value(dt.date(2026, 9, 14)) == "2026-09-14"
