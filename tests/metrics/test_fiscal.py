"""GitLab's fiscal calendar: FY named by the year it ends in, quarters Feb–Apr, May–Jul, Aug–Oct, Nov–Jan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lib.metrics import fiscal
from lib.metrics.fiscal import FiscalQuarter


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 1, 31), "FY26-Q4"),  # the last day of FY26
        (date(2026, 2, 1), "FY27-Q1"),  # the first day of FY27
        (date(2026, 4, 30), "FY27-Q1"),
        (date(2026, 5, 1), "FY27-Q2"),
        (date(2026, 7, 31), "FY27-Q2"),
        (date(2026, 8, 1), "FY27-Q3"),
        (date(2026, 10, 31), "FY27-Q3"),
        (date(2026, 11, 1), "FY27-Q4"),
        (date(2026, 12, 31), "FY27-Q4"),  # Q4 straddles the calendar year
        (date(2027, 1, 1), "FY27-Q4"),
        (date(2027, 1, 31), "FY27-Q4"),
        (date(2027, 2, 1), "FY28-Q1"),
        (date(2028, 2, 29), "FY29-Q1"),  # a leap day
    ],
)
def test_a_date_gets_the_quarter_of_the_fiscal_year_it_falls_in(day, label):
    assert fiscal.label_of(day) == label
    assert fiscal.quarter_of(day).contains(day)


def test_fy27_runs_from_1_february_2026_to_31_january_2027():
    assert fiscal.fiscal_year_of(date(2026, 2, 1)) == 2027
    assert fiscal.fiscal_year_of(date(2027, 1, 31)) == 2027
    assert fiscal.fiscal_year_of(date(2026, 1, 31)) == 2026
    quarters = [FiscalQuarter(2027, q) for q in (1, 2, 3, 4)]
    assert [(q.start, q.end) for q in quarters] == [
        (date(2026, 2, 1), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 7, 31)),
        (date(2026, 8, 1), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2027, 1, 31)),
    ]


def test_quarters_tile_the_calendar_with_no_gap_or_overlap():
    day, end = date(2025, 1, 1), date(2029, 3, 1)
    previous = fiscal.quarter_of(day)
    while day <= end:
        quarter = fiscal.quarter_of(day)
        if quarter != previous:
            assert quarter == previous.next()
            assert quarter.previous() == previous
            assert day == quarter.start
            assert day - timedelta(days=1) == previous.end
        previous = quarter
        day += timedelta(days=1)


def test_next_and_previous_cross_the_fiscal_year():
    assert FiscalQuarter(2027, 4).next() == FiscalQuarter(2028, 1)
    assert FiscalQuarter(2027, 1).previous() == FiscalQuarter(2026, 4)
    assert FiscalQuarter(2027, 2).next().label == "FY27-Q3"


@pytest.mark.parametrize("text", ["FY27-Q4", "fy27 q4", "FY2027-Q4", " FY27Q4 ", "FY'27 Q4"])
def test_labels_are_read_in_the_forms_people_type(text):
    assert fiscal.parse_label(text) == FiscalQuarter(2027, 4)


@pytest.mark.parametrize("text", ["Q4 FY27", "FY27-Q5", "2026-11", ""])
def test_anything_else_is_not_a_quarter(text):
    with pytest.raises(ValueError, match="fiscal quarter"):
        fiscal.parse_label(text)


def test_dates_show_their_fiscal_quarter_label():
    assert fiscal.date_with_label(date(2026, 11, 26)) == "26 Nov 2026 (FY27-Q4)"
    assert fiscal.date_with_label(None) == ""
    assert FiscalQuarter(2027, 4).describe() == "FY27-Q4 (01 Nov 2026 – 31 Jan 2027)"


def test_current_quarter_follows_today():
    assert fiscal.current_quarter(date(2026, 11, 26)).label == "FY27-Q4"
    assert fiscal.current_quarter() == fiscal.quarter_of(fiscal.today())


@pytest.mark.parametrize(
    ("became_manager", "first_full"),
    [
        (date(2026, 2, 1), "FY27-Q1"),  # starts on a quarter's first day: that quarter is whole
        (date(2026, 2, 2), "FY27-Q2"),  # one day late: Q1 is not whole
        (date(2026, 1, 31), "FY27-Q1"),  # the last day of FY26-Q4: the next day begins a whole quarter
        (date(2026, 10, 31), "FY27-Q4"),
        (date(2026, 11, 1), "FY27-Q4"),
    ],
)
def test_the_first_full_quarter_is_the_first_that_starts_on_or_after_the_day(became_manager, first_full):
    assert fiscal.first_full_quarter_from(became_manager).label == first_full
