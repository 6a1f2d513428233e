"""GitLab's fiscal calendar: quarters, their dates and their labels.

The fiscal year runs 1 February to 31 January and is named by the calendar year it ends
in: FY27 is 2026-02-01 .. 2027-01-31. Q1 is February–April, Q2 May–July, Q3
August–October and Q4 November–January (so Q4 straddles the new calendar year).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

FIRST_MONTH = 2  # the fiscal year starts on 1 February

LABEL_PATTERN = re.compile(r"^\s*FY\s*'?(\d{2}|\d{4})\s*[-\s/]?\s*Q\s*([1-4])\s*$", re.IGNORECASE)
# Fiscal years a quarter label may name: exactly those whose two-digit label (FY00 .. FY99) is unambiguous,
# so 'FY27' always means FY2027 and no label is ever read back as another century's year.
FIRST_LABELLED_YEAR, LAST_LABELLED_YEAR = 2000, 2099


@dataclass(frozen=True, order=True)
class FiscalQuarter:
    """One fiscal quarter; ``year`` is the fiscal year's full number (2027 for FY27)."""

    year: int
    quarter: int

    def __post_init__(self):
        if self.quarter not in (1, 2, 3, 4):
            raise ValueError(f"a fiscal quarter is 1 to 4, not {self.quarter}")

    @property
    def label(self) -> str:
        """'FY27-Q4'; a year outside FY2000–FY2099 keeps all four digits ('FY1995-Q2'), never another's label."""
        if FIRST_LABELLED_YEAR <= self.year <= LAST_LABELLED_YEAR:
            return f"FY{self.year % 100:02d}-Q{self.quarter}"
        return f"FY{self.year}-Q{self.quarter}"

    @property
    def start(self) -> dt.date:
        months_into_year = 3 * (self.quarter - 1)
        month = FIRST_MONTH + months_into_year
        return dt.date(self.year - 1 + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        return self.next().start - dt.timedelta(days=1)

    def next(self) -> FiscalQuarter:
        return FiscalQuarter(self.year + 1, 1) if self.quarter == 4 else FiscalQuarter(self.year, self.quarter + 1)

    def previous(self) -> FiscalQuarter:
        return FiscalQuarter(self.year - 1, 4) if self.quarter == 1 else FiscalQuarter(self.year, self.quarter - 1)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def describe(self) -> str:
        """'FY27-Q4 (1 Nov 2026 – 31 Jan 2027)'."""
        return f"{self.label} ({long_date(self.start)} – {long_date(self.end)})"

    def __str__(self) -> str:
        return self.label


def long_date(day: dt.date) -> str:
    """'01 Nov 2026': how every page, export and note writes a date (the README's glossary)."""
    return f"{day:%d %b %Y}"


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year a date falls in: 2027 for any day from 2026-02-01 to 2027-01-31."""
    return day.year + 1 if day.month >= FIRST_MONTH else day.year


def quarter_of(day: dt.date) -> FiscalQuarter:
    months_into_year = (day.month - FIRST_MONTH) % 12
    return FiscalQuarter(fiscal_year_of(day), months_into_year // 3 + 1)


def label_of(day: dt.date) -> str:
    """'FY27-Q4' for 2026-11-26."""
    return quarter_of(day).label


def date_with_label(day: dt.date | None) -> str:
    """'26 Nov 2026 (FY27-Q4)': how the OKR page shows a date."""
    return "" if day is None else f"{long_date(day)} ({label_of(day)})"


def today() -> dt.date:
    """The date the app treats as today (one place, so tests can pin it)."""
    return dt.date.today()


def current_quarter(day: dt.date | None = None) -> FiscalQuarter:
    return quarter_of(day or today())


def parse_label(text: str) -> FiscalQuarter:
    """'FY27-Q4', 'fy27 q4', 'FY2027-Q4' → FiscalQuarter(2027, 4); anything else raises ValueError.

    Four-digit years must lie in FY2000–FY2099: 'FY2127-Q4' is refused, not read as FY27-Q4.
    """
    match = LABEL_PATTERN.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a fiscal quarter like FY27-Q4")
    year = int(match.group(1))
    if len(match.group(1)) == 2:
        year += 2000
    if not FIRST_LABELLED_YEAR <= year <= LAST_LABELLED_YEAR:
        raise ValueError(
            f"FY{year} is outside the fiscal years FY{FIRST_LABELLED_YEAR}–FY{LAST_LABELLED_YEAR} a quarter may name"
        )
    return FiscalQuarter(year, int(match.group(2)))


def first_full_quarter_from(day: dt.date) -> FiscalQuarter:
    """The first fiscal quarter lying wholly on or after ``day``.

    A quarter counts only when the day is its first day or earlier: someone starting on
    1 February has all of Q1; someone starting on 2 February has none of Q1 in full, so
    their first full quarter is Q2.
    """
    quarter = quarter_of(day)
    return quarter if quarter.start == day else quarter.next()
