"""The reading decisions on their own: numbers, dates and Explore's week numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from lib.core.errors import RefusedFile
from lib.reading.decisions import (
    NumberColumn,
    NumberFormat,
    ReadOptions,
    decide_date_order,
    decide_number_format,
    decide_week_numbering,
    file_week,
    numbered_week_start,
    parse_number,
    weeks_in_year,
)

MONDAY, SUNDAY = 0, 6


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "value"),
    [
        ("1.050", "comma", "dot", 1050),
        ("1 050,25", "comma", "space", 1050.25),
        ("1\u202f050,25", "comma", "space", 1050.25),
        ("1,050.00000", "dot", "comma", 1050),
        ("93.5%", "dot", "none", 93.5),
        ("12", "comma", "dot", 12),
    ],
)
def test_parse_number_under_each_export_setting(text, decimal, thousands, value):
    assert parse_number(text, NumberFormat(decimal, thousands))[0] == value


@pytest.mark.parametrize("text", ["1.0505", "10.50", "1.050.5", "1,050,5", "abc", "1,123456"])
def test_thousands_dot_with_decimal_comma_reads_only_well_formed_numbers(text):
    assert parse_number(text, NumberFormat("comma", "dot")) is None


def test_number_format_prefers_one_number_of_decimal_places_per_column():
    """'7' and '1.000' in one count column: Explore prints every cell of a column alike, so 1,000."""
    column = NumberColumn("Achieved SLA targets", [("7", 2), ("1.000", 3)], whole=True)
    chosen, how = decide_number_format([column], ReadOptions(), "f.csv")
    assert (chosen.decimal, chosen.thousands) == ("comma", "dot")
    assert "from '1.000'" in how


def test_number_format_refuses_two_readings():
    column = NumberColumn("Achieved SLA targets", [("1.000", 2), ("2.000", 3)], whole=True)
    with pytest.raises(RefusedFile, match="could be 1 .* or 1,000"):
        decide_number_format([column], ReadOptions(), "f.csv")


def test_a_percentage_is_evidence_of_the_setting_but_never_refuses_the_counts():
    counts = NumberColumn("Achieved SLA targets", [("1.050", 2), ("7", 3)], whole=True)
    decides = NumberColumn("% Achieved SLA targets", [("95,45", 2), ("-", 3)], whole=False)
    assert decide_number_format([counts, decides], ReadOptions(), "f.csv")[0] == NumberFormat("comma", "dot")
    # A percentage that contradicts the counts (no setting reads both) is set aside, not a refusal.
    contradicts = NumberColumn("% Achieved SLA targets", [("95.45", 2), ("0.970873786407767", 3)], whole=False)
    assert decide_number_format([counts, contradicts], ReadOptions(), "f.csv")[0] == NumberFormat("comma", "dot")
    # Two readings of a percentage alone, with the counts the same either way: no refusal.
    plain = NumberColumn("Achieved SLA targets", [("7", 2)], whole=True)
    two_ways = NumberColumn("% Achieved SLA targets", [("95.450", 2)], whole=False)
    decide_number_format([plain, two_ways], ReadOptions(), "f.csv")


def test_weeks_in_a_year_as_zendesk_numbers_them():
    """Week 1 holds 4 January: ISO weeks from Monday; from Sunday, 2026's week 1 starts on 4 January."""
    assert numbered_week_start(2026, 1, MONDAY) == dt.date(2025, 12, 29)
    assert numbered_week_start(2026, 1, SUNDAY) == dt.date(2026, 1, 4)
    assert weeks_in_year(2026, MONDAY) == 53  # ISO 2026-W53 runs 28 Dec 2026 to 3 Jan 2027
    assert numbered_week_start(2026, 53, MONDAY) == dt.date(2026, 12, 28)
    assert numbered_week_start(2025, 53, MONDAY) is None


def test_a_period_is_filed_under_the_week_holding_most_of_it():
    assert file_week(dt.date(2026, 11, 15), False, MONDAY) == dt.date(2026, 11, 16)  # Sunday, first day
    assert file_week(dt.date(2026, 11, 15), True, MONDAY) == dt.date(2026, 11, 9)  # Sunday, week ending
    assert file_week(dt.date(2026, 11, 19), False, MONDAY) == dt.date(2026, 11, 16)  # Thursday: 4 days in
    assert file_week(dt.date(2026, 11, 20), False, MONDAY) == dt.date(2026, 11, 23)  # Friday: 3 days in


def test_the_last_week_split_by_the_calendar_year_is_one_week():
    """1-3 January 2027 belong to ISO 2026-W53; Explore's calendar Year says 2027."""
    mapping, _ = decide_week_numbering(
        [(2026, 52, 2), (2026, 53, 3), (2027, 53, 4)], ReadOptions(week_numbering="monday"), MONDAY, "f.csv", "w"
    )
    assert mapping[(2026, 53)] == mapping[(2027, 53)] == dt.date(2026, 12, 28)


def test_date_order_needs_evidence():
    texts = [("05/06/2026", 2)]
    with pytest.raises(RefusedFile, match="--dates dmy or --dates mdy"):
        decide_date_order(texts, ReadOptions(), "f.csv", "Date")
    assert decide_date_order(texts, ReadOptions(dates="mdy"), "f.csv", "Date")[0] is False
    assert decide_date_order([("2026-06-05", 2)], ReadOptions(), "f.csv", "Date")[0] is False


def test_a_slash_text_that_is_a_date_neither_way_is_no_evidence():
    """'22/13/2026' is refused later as not a date, not as dates written both ways."""
    day_first, how = decide_date_order([("09/14/2026", 2), ("22/13/2026", 3)], ReadOptions(), "f.csv", "Date")
    assert day_first is False and "'09/14/2026' has a day above 12" in how
