"""How a file's numbers, dates and weeks are read, decided from evidence in the whole file.

Explore writes numbers, dates and weeks the way its user's settings say: a decimal comma
or dot, a thousands separator (none, space, comma or dot), 0-5 decimal places; day-first
or month-first dates; weeks starting on Sunday (English, US) or Monday (English, UK,
German), numbered so that week 1 holds the week's fourth day. None of that is in the file.
This module looks at every distinct value, decides what the file must mean, and says how
it decided, so the Upload page and the command line can show it and let a manager flip it.
Where the evidence allows two readings that give different figures, it refuses and names
the setting that settles it. (DECISIONS.md §14.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass

from lib.core.errors import RefusedFile

DATE_ORDERS = ("auto", "dmy", "mdy")
WEEK_LABELS = ("auto", "start", "end")
WEEK_NUMBERING = ("auto", "sunday", "monday")
DECIMALS = ("auto", "dot", "comma")
THOUSANDS = ("auto", "none", "space", "comma", "dot")

SEPARATOR_CHARACTERS = {"dot": ".", "comma": ",", "space": " ", "none": ""}
# Spreadsheets print a "space" thousands separator as a no-break or narrow no-break space too.
SPACES = ("\u00a0", "\u202f", "\u2009")


@dataclass(frozen=True)
class ReadOptions:
    """What a manager told Floorline about a file; "auto" means decide from the file."""

    dates: str = "auto"  # dmy or mdy for slash dates
    week_labels: str = "auto"  # a week label is the week's first day (start) or last day (end)
    week_numbering: str = "auto"  # the first day of Explore's numbered weeks: sunday or monday
    decimal: str = "auto"
    thousands: str = "auto"

    def __post_init__(self):
        for name, allowed in (
            ("dates", DATE_ORDERS),
            ("week_labels", WEEK_LABELS),
            ("week_numbering", WEEK_NUMBERING),
            ("decimal", DECIMALS),
            ("thousands", THOUSANDS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")


# --- Numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberFormat:
    decimal: str  # dot or comma
    thousands: str  # none, space, comma or dot

    def describe(self) -> str:
        thousands = "no thousands separator" if self.thousands == "none" else f"thousands separator {self.thousands}"
        return f"decimal {self.decimal}, {thousands}"


CANDIDATE_FORMATS = tuple(
    NumberFormat(decimal, thousands)
    for decimal in ("dot", "comma")
    for thousands in ("none", "comma", "dot", "space")
    if thousands != decimal
)


def clean_number_text(text: str) -> str:
    text = text.strip()
    for space in SPACES:
        text = text.replace(space, " ")
    return text.removesuffix("%").strip()


def parse_number(text: str, number_format: NumberFormat) -> tuple[float, int] | None:
    """(value, decimal places) of a cell under a format, or None when the format cannot read it."""
    text = clean_number_text(text)
    decimal = SEPARATOR_CHARACTERS[number_format.decimal]
    thousands = SEPARATOR_CHARACTERS[number_format.thousands]
    whole = r"\d+" if not thousands else rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})*|\d+"
    found = re.fullmatch(rf"(-?)({whole})(?:{re.escape(decimal)}(\d{{1,5}}))?", text)
    if not found:
        return None
    sign, integer, fraction = found.groups()
    digits = integer.replace(thousands, "") if thousands else integer
    value = float(f"{sign}{digits}.{fraction or '0'}")
    return value, len(fraction or "")


@dataclass(frozen=True)
class NumberColumn:
    label: str  # the header, for messages
    values: list[tuple[str, int]]  # distinct cell texts with the first row holding each
    whole: bool  # a count: must be a whole number


def decide_number_format(columns: list[NumberColumn], options: ReadOptions, file_name: str) -> tuple[NumberFormat, str]:
    """The number format that reads every count, with how it was decided.

    A format fits when it reads every cell and every count is whole. Among fitting formats,
    those that print each column with one number of decimal places (Explore's setting) are
    preferred. If the fitting formats still disagree on any count, the file is refused.

    A column that is not a count (a percentage, ignored where counts exist) is evidence only:
    its cells that no setting reads ('-', 'n/a', a workbook's exact 0.970873786407767) say
    nothing, and if it contradicts the counts it is set aside. It never refuses a file.
    """
    candidates = [
        f
        for f in CANDIDATE_FORMATS
        if options.decimal in ("auto", f.decimal) and options.thousands in ("auto", f.thousands)
    ]
    texts = [
        (column, text, row)
        for column in columns
        for text, row in column.values
        if clean_number_text(text) and (column.whole or any(parse_number(text, c) for c in candidates))
    ]
    fitting = fitting_formats(texts, candidates)
    if not fitting and any(not column.whole for column, _, _ in texts):
        texts = [(column, text, row) for column, text, row in texts if column.whole]
        fitting = fitting_formats(texts, candidates)
    if not texts:
        return candidates[0], "no numbers to read"
    if not fitting:
        column, text, row = first_unreadable(texts, candidates)
        raise RefusedFile(
            file_name,
            f"'{text}' is not a number Floorline can read" + (" as a whole count" if column.whole else ""),
            row=row,
            column=column.label,
            expected="a count such as 1050, 1,050 or 1.050 (Explore's export settings: any decimal and "
            "thousands separator)",
        )
    uniform = [candidate for candidate, is_uniform in fitting if is_uniform]
    pool = uniform or [candidate for candidate, _ in fitting]
    counts = [(column, text, row) for column, text, row in texts if column.whole]
    readings = {candidate: tuple(parse_number(text, candidate)[0] for _, text, _ in counts) for candidate in pool}
    if len(set(readings.values())) > 1:
        first = pool[0]
        second = next(c for c in pool if readings[c] != readings[first])
        column, text, row = next(
            (c, t, r) for c, t, r in counts if parse_number(t, first)[0] != parse_number(t, second)[0]
        )
        raise RefusedFile(
            file_name,
            f"'{text}' could be {format_value(parse_number(text, first)[0])} ({first.describe()}) or "
            f"{format_value(parse_number(text, second)[0])} ({second.describe()}), and nothing else in the file "
            "settles it. Export again with Explore's thousands separator set to none, or say which: on the Upload "
            "page under 'How the file was read', or on the command line with --decimal and --thousands",
            row=row,
            column=column.label,
            expected="numbers whose separators can be read only one way",
        )
    chosen = pool[0]
    if options.decimal != "auto" or options.thousands != "auto":
        return chosen, f"{chosen.describe()} (as you chose)"
    # The settings that would give other figures, and the cells (at most two, from any column) that rule
    # them out: '93,2' rules out every decimal dot, '1.004' as a whole count every other thousands separator.
    others = [c for c in CANDIDATE_FORMATS if c != chosen and any(differs(t, chosen, c) for _, t, _ in texts)]
    if not others:
        return chosen, "plain whole numbers, which read the same under every export setting"
    evidence = []
    while others and len(evidence) < 2:
        ruled, column, text = max(
            ((sum(rules_out(column, text, other) for other in others), column, text) for column, text, _ in texts),
            key=lambda scored: scored[0],
        )
        if not ruled:
            break
        evidence.append(text)
        others = [other for other in others if not rules_out(column, text, other)]
    if not evidence:  # only the one number of decimal places a column prints tells them apart
        evidence.append(next(text for _, text, _ in texts if differs(text, chosen, others[0])))
    return chosen, f"{chosen.describe()} (from " + " and ".join(f"'{text}'" for text in evidence) + ")"


def rules_out(column: NumberColumn, text: str, other: NumberFormat) -> bool:
    """Whether a cell shows the file is not in another format: that format cannot read it, or not as a whole count."""
    return parse_number(text, other) is None or (column.whole and not reads_as_count(text, other))


def fitting_formats(texts, candidates) -> list[tuple[NumberFormat, bool]]:
    """The formats that read every cell (every count whole), each with whether it prints each column
    with one number of decimal places."""
    fitting = []
    for candidate in candidates:
        places: dict[str, set[int]] = {}
        ok = True
        for column, text, _ in texts:
            parsed = parse_number(text, candidate)
            if parsed is None or (column.whole and not reads_as_count(text, candidate)):
                ok = False
                break
            places.setdefault(column.label, set()).add(parsed[1])
        if ok:
            fitting.append((candidate, all(len(p) == 1 for p in places.values())))
    return fitting


def differs(text: str, chosen: NumberFormat, other: NumberFormat) -> bool:
    """Whether another export setting would read this cell differently (or not at all)."""
    mine, theirs = parse_number(text, chosen), parse_number(text, other)
    return theirs is None or mine is None or theirs[0] != mine[0]


def first_unreadable(texts, candidates):
    """The cell to name when no format fits: one no format reads, else a count no format reads as whole
    ('1.5' beside '1'), else the first count (each reads under some format, but no one format reads all)."""
    for column, text, row in texts:
        if all(parse_number(text, c) is None for c in candidates):
            return column, text, row
    for column, text, row in texts:
        if column.whole and not any(reads_as_count(text, c) for c in candidates):
            return column, text, row
    for column, text, row in texts:
        if column.whole:
            return column, text, row
    return texts[0]


def reads_as_count(text: str, number_format: NumberFormat) -> bool:
    parsed = parse_number(text, number_format)
    return parsed is not None and parsed[0] == int(parsed[0]) and parsed[0] >= 0


def format_value(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.5f}".rstrip("0")


def number_lookup(values: list[str], number_format: NumberFormat) -> list[tuple[str, float | None]]:
    return [(text, (parse_number(text, number_format) or (None,))[0]) for text in values]


# --- Dates ---------------------------------------------------------------------------------

# A spreadsheet date saved as a plain number (a workbook cell without a date format, or a CSV saved from
# one): Excel's serial day, counted from 30 December 1899. Only five-digit serials from 25000 to 73999
# (1968 to 2102) are dates; a week number, a year or a count in a date column stays unreadable.
EXCEL_SERIAL_DAY = r"(2[5-9]|[3-6]\d|7[0-3])\d{3}(\.\d+)?"


# An ISO week label ("2026-W41", "2026 W41", "2026W41"): the Monday that starts ISO week 41 of 2026.
ISO_WEEK_LABEL = r"(\d{4})[- ]?[Ww](\d{1,2})"

SLASH_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})")


def decide_date_order(texts: list[tuple[str, int]], options: ReadOptions, file_name: str, column: str):
    """(day_first, how it was decided) for the slash dates among ``texts`` (distinct text, first row).

    Evidence, in order: a number above 12 (a day) in one position; else the reading under
    which the dates form the tighter range (an export covers one contiguous period); else
    the reading under which weekly labels share one weekday. Evidence both ways, or none,
    refuses the file unless the manager said which.
    """
    slashed = [(m, text, row) for text, row in texts if (m := SLASH_DATE.match(text))]
    if options.dates != "auto":
        label = "day first (DD/MM/YYYY)" if options.dates == "dmy" else "month first (MM/DD/YYYY)"
        return options.dates == "dmy", f"{label}, as you chose" if slashed else "no slash dates"
    if not slashed:
        if texts and all(re.fullmatch(EXCEL_SERIAL_DAY, text.strip()) for text, _ in texts):
            return False, "dates stored as spreadsheet day numbers (days since 30 December 1899)"
        if texts and all(re.fullmatch(ISO_WEEK_LABEL, text.strip()) for text, _ in texts):
            return False, "ISO weeks such as 2026-W41, each read as its Monday"
        return False, "dates written year-month-day (or day.month.year), which read only one way"
    # A text that is a date neither way ('22/13/2026') is no evidence: it is refused later as not a date.
    slashed = [(m, t, r) for m, t, r in slashed if valid_either_way(m)]
    if not slashed:
        return False, "no slash date reads as a date either way"
    day_first_at = next(((t, r) for m, t, r in slashed if int(m.group(1)) > 12), None)
    month_first_at = next(((t, r) for m, t, r in slashed if int(m.group(2)) > 12), None)
    if day_first_at and month_first_at:
        raise RefusedFile(
            file_name,
            f"the dates are written both day-first ('{day_first_at[0]}', row {day_first_at[1]}) and month-first "
            f"('{month_first_at[0]}')",
            row=month_first_at[1],
            column=column,
            expected="one date order in a file",
        )
    if day_first_at:
        return True, f"day first (DD/MM/YYYY): '{day_first_at[0]}' has a day above 12"
    if month_first_at:
        return False, f"month first (MM/DD/YYYY): '{month_first_at[0]}' has a day above 12"
    readings = {}
    for day_first in (True, False):
        days = []
        for m, _, _ in slashed:
            first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            day, month = (first, second) if day_first else (second, first)
            try:
                days.append(dt.date(year, month, day))
            except ValueError:
                days = None
                break
        readings[day_first] = days
    if readings[True] == readings[False] and readings[True] is not None:
        return False, "every slash date has the same day and month, so the order does not matter"
    spans = {k: (max(v) - min(v)).days if v else None for k, v in readings.items()}
    if spans[True] is not None and spans[False] is not None:
        tighter = min(spans, key=spans.get)
        looser = not tighter
        if spans[tighter] * 2 < spans[looser]:
            order = "day first (DD/MM/YYYY)" if tighter else "month first (MM/DD/YYYY)"
            return tighter, (
                f"{order}: read that way the dates cover {spans[tighter] + 1} days, the other way {spans[looser] + 1}"
            )
        weekdays = {k: len({d.weekday() for d in v}) for k, v in readings.items()}
        if len(readings[True]) > 1 and weekdays[True] != weekdays[False] and 1 in weekdays.values():
            one_weekday = weekdays[True] == 1
            order = "day first (DD/MM/YYYY)" if one_weekday else "month first (MM/DD/YYYY)"
            return one_weekday, f"{order}: read that way every week label falls on the same weekday"
    example, row = slashed[0][1], slashed[0][2]
    raise RefusedFile(
        file_name,
        f"the dates could be day-first or month-first ('{example.strip()}' is "
        f"{describe_both(slashed[0][0])}), and nothing in the file settles it. Say which: on the Upload page "
        "under 'How the file was read', or on the command line with --dates dmy or --dates mdy "
        "(or export dates as year-month-day)",
        row=row,
        column=column,
        expected="dates that read only one way",
    )


def valid_either_way(found: re.Match) -> bool:
    first, second, year = int(found.group(1)), int(found.group(2)), int(found.group(3))
    for day, month in ((first, second), (second, first)):
        try:
            dt.date(year, month, day)
            return True
        except ValueError:
            continue
    return False


def describe_both(found: re.Match) -> str:
    first, second, year = int(found.group(1)), int(found.group(2)), int(found.group(3))
    try:
        one = dt.date(year, second, first).strftime("%-d %B %Y")
        other = dt.date(year, first, second).strftime("%-d %B %Y")
    except ValueError:
        return "two different dates"
    return f"{one} read day first or {other} read month first"


# --- Weeks ---------------------------------------------------------------------------------

# Words that make a week label the week's last day, or its first; a header saying either wins over a title.
WEEK_ENDING = re.compile(
    r"week[\s_-]*(?:ending|ended|end)|end[\s_-]*of[\s_-]*(?:the[\s_-]*)?week|\bw/e\b|\bending\b", re.IGNORECASE
)
WEEK_STARTING = re.compile(
    r"week[\s_-]*(?:starting|start|beginning|begins|commencing|of)|start[\s_-]*of[\s_-]*(?:the[\s_-]*)?week|\bw/c\b",
    re.IGNORECASE,
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def week_of(day: dt.date, week_start_index: int) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - week_start_index) % 7)


def file_week(label: dt.date, label_is_end: bool, week_start_index: int) -> dt.date:
    """The database week a seven-day period labelled by ``label`` mostly covers (4 of its 7 days)."""
    first_day = label - dt.timedelta(days=6) if label_is_end else label
    return week_of(first_day + dt.timedelta(days=3), week_start_index)


def decide_week_labels(
    labels: list[dt.date], header: str, titles: list[str], options: ReadOptions, week_start_index: int
) -> tuple[bool, str]:
    """(label_is_end, how it was decided) for a weekly file's labels."""
    if options.week_labels != "auto":
        label_is_end = options.week_labels == "end"
        said = "the week's last day" if label_is_end else "the week's first day"
        return label_is_end, f"each label is {said}, as you chose" + shift_note(labels, label_is_end, week_start_index)
    if WEEK_STARTING.search(header or "") and not WEEK_ENDING.search(header or ""):
        return False, f"each label is the week's first day ('{header.strip()[:60]}' says so)" + shift_note(
            labels, False, week_start_index
        )
    said_where = next((text for text in [header, *titles] if WEEK_ENDING.search(text or "")), None)
    if said_where is not None:
        return True, f"each label is the week's last day ('{said_where.strip()[:60]}' says so)" + shift_note(
            labels, True, week_start_index
        )
    return False, "each label is the week's first day (as in Explore)" + shift_note(labels, False, week_start_index)


def shift_note(labels: list[dt.date], label_is_end: bool, week_start_index: int) -> str:
    moved = [d for d in labels if file_week(d, label_is_end, week_start_index) != d]
    if not moved:
        return "; every label is the first day of its week here"
    example = moved[0]
    filed = file_week(example, label_is_end, week_start_index)
    return (
        f"; labels on a {WEEKDAY_NAMES[example.weekday()]} are filed under the week they mostly cover "
        f"({example} goes under the week of {filed})"
    )


def week_one_start(year: int, first_weekday: int) -> dt.date:
    """Zendesk's week 1: the week (starting on ``first_weekday``) that holds the week's fourth day,
    i.e. the week holding 4 January."""
    return week_of(dt.date(year, 1, 4), first_weekday)


def weeks_in_year(year: int, first_weekday: int) -> int:
    return (week_one_start(year + 1, first_weekday) - week_one_start(year, first_weekday)).days // 7


def numbered_week_start(year: int, week: int, first_weekday: int) -> dt.date | None:
    if week < 1 or week > weeks_in_year(year, first_weekday):
        return None
    return week_one_start(year, first_weekday) + dt.timedelta(weeks=week - 1)


def calendar_year_fix(pairs: set[tuple[int, int]], first_weekday: int) -> dict[tuple[int, int], tuple[int, int]]:
    """Explore's "Year" is the calendar year of the day, so the days of week 1 that fall in December
    come as (that December's year, 1), and the January days of the last week as (the new year, 52/53).
    Map those back onto the week they belong to."""
    fixed = {}
    for year, week in pairs:
        if week > weeks_in_year(year, first_weekday) and week >= 52:
            fixed[(year, week)] = (year - 1, week)
        elif (
            week == 1
            and any(y == year and w >= 50 for y, w in pairs)
            and not any(y == year and 2 <= w <= 10 for y, w in pairs)
        ):
            fixed[(year, week)] = (year + 1, 1)
    return fixed


def decide_week_numbering(
    pairs: list[tuple[int, int, int]], options: ReadOptions, week_start_index: int, file_name: str, column: str
) -> tuple[dict[tuple[int, int], dt.date | None], str]:
    """Database weeks for (year, week number) pairs (with the first row of each), and how it was decided.

    Sunday-start and Monday-start numbering put week N a day apart in most years, which
    files it under the same week; in a year whose 4 January is a Sunday (2015, 2026, 2037)
    they are six days apart and file every week differently. Then the manager must say.
    """
    plain = {(y, w) for y, w, _ in pairs}

    def mapping(first_weekday: int) -> dict[tuple[int, int], dt.date | None]:
        fixes = calendar_year_fix(plain, first_weekday)
        result = {}
        for pair in plain:
            year, week = fixes.get(pair, pair)
            start = numbered_week_start(year, week, first_weekday)
            result[pair] = file_week(start, False, week_start_index) if start else None
        return result

    readings = {"sunday": mapping(6), "monday": mapping(0)}
    if options.week_numbering != "auto":
        chosen = options.week_numbering
        return readings[chosen], f"weeks numbered from {chosen.title()} (as you chose)"
    if readings["sunday"] == readings["monday"]:
        return readings["monday"], (
            "weeks numbered as Explore does (week 1 holds 4 January); Sunday- and Monday-start numbering "
            "file them under the same weeks here"
        )
    year, week, row = next((y, w, r) for y, w, r in pairs if readings["sunday"][(y, w)] != readings["monday"][(y, w)])
    sunday, monday = readings["sunday"][(year, week)], readings["monday"][(year, week)]
    raise RefusedFile(
        file_name,
        f"week {week} of {year} is the week of {sunday} when Explore's weeks start on Sunday (English, US) "
        f"but the week of {monday} when they start on Monday (English, UK, German), and the file does not say "
        "which. Say which: on the Upload page under 'How the file was read', or on the command line with "
        "--week-numbering sunday or --week-numbering monday (or export a date attribute instead of Week of year)",
        row=row,
        column=column,
        expected="weeks that read only one way",
    )


# --- Week labels written as ranges ---------------------------------------------------------

# "Nov 2, 2026 - Nov 8, 2026", "2 Nov – 8 Nov 2026" (the year once), "02/11/2026 - 08/11/2026": a hyphen
# between spaces, or an en or em dash, splits a range (never the hyphens inside 2026-11-02).
RANGE_SEPARATOR = re.compile(r"\s+[-–—]\s+|\s*[–—]\s*|\s+to\s+", re.IGNORECASE)
# Dots are read as spaces first: 'Nov. 2', and '02.11.2026' (always day first, as elsewhere) as '02 11 2026'.
NAMED_DAY_FORMATS = ("%b %d, %Y", "%b %d %Y", "%B %d, %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%d %m %Y")
NAMED_DAY_WITHOUT_YEAR = ("%b %d", "%B %d", "%d %b", "%d %B")


@dataclass(frozen=True)
class WeekRanges:
    starts: dict[str, dt.date]  # each range's text -> its first day, the week it is filed under
    day_first: bool | None  # how its slash dates read (None: it has none)
    how: str  # the week-labels note
    date_order: str | None  # the date-order note, when the ranges settled it


def range_ends(text: str) -> tuple[str, str] | None:
    parts = RANGE_SEPARATOR.split(text.strip())
    return (parts[0].strip(), parts[1].strip()) if len(parts) == 2 and all(parts) else None


def parse_range_day(text: str, day_first: bool, year: int | None = None) -> dt.date | None:
    """One end of a range; the start may leave out the year, which it then shares with the end."""
    cleaned = re.sub(r"\s+", " ", text.replace(".", " ").strip()) if not SLASH_DATE.match(text) else text.strip()
    if found := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", cleaned):
        first, second, in_year = (int(g) for g in found.groups())
        day, month = (first, second) if day_first else (second, first)
        try:
            return dt.date(in_year, month, day)
        except ValueError:
            return None
    for pattern in NAMED_DAY_FORMATS:
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(cleaned, pattern).date()
    if year is not None:
        for pattern in NAMED_DAY_WITHOUT_YEAR:
            with contextlib.suppress(ValueError):
                return dt.datetime.strptime(f"{cleaned} {year}", f"{pattern} %Y").date()
    return None


def read_range(text: str, day_first: bool) -> tuple[dt.date, dt.date] | None:
    ends = range_ends(text)
    if ends is None:
        return None
    end = parse_range_day(ends[1], day_first)
    if end is None:
        return None
    start = parse_range_day(ends[0], day_first, end.year)
    if start is not None and start > end and not re.search(r"\d{4}", ends[0]):
        start = start.replace(year=start.year - 1)  # "28 Dec – 3 Jan 2027": the start is in the year before
    return None if start is None else (start, end)


def decide_week_ranges(
    texts: list[tuple[str, int]], options: ReadOptions, week_start_index: int, file_name: str, column: str
) -> WeekRanges | None:
    """Week labels written as ranges, each read as its first day; None when the labels are not ranges.

    A range says both ends, so it settles what a single label cannot: its start is the week, and
    with slash dates, the date order under which every range is seven days. A range that is not
    seven days, or does not start on the week start the data uses, is refused saying so.
    """
    labelled = [(text, row) for text, row in texts if re.search(r"\d", text)]
    ranged = [(text, row) for text, row in labelled if range_ends(text)]
    if not ranged:
        return None
    single = next(((text, row) for text, row in labelled if not range_ends(text)), None)
    if single:
        raise RefusedFile(
            file_name,
            f"the week labels mix ranges ('{ranged[0][0]}') and single days ('{single[0]}')",
            row=single[1],
            column=column,
            expected="one kind of week label in a file",
        )
    slashed = any(SLASH_DATE.search(text) for text, _ in ranged)
    orders = [True, False] if slashed and options.dates == "auto" else [options.dates == "dmy"]
    readings = {order: {text: read_range(text, order) for text, _ in ranged} for order in orders}
    readable = [order for order in orders if all(readings[order].values())]
    weekly_orders = [o for o in readable if all((e - s).days == 6 for s, e in readings[o].values())]
    date_order = None
    if len(weekly_orders) == 1 and len(orders) == 2:
        day_first = weekly_orders[0]
        label = "day first (DD/MM/YYYY)" if day_first else "month first (MM/DD/YYYY)"
        date_order = f"{label}: read that way every week range is seven days"
    elif len(weekly_orders) == 2:
        starts = [(range_ends(text)[0], row) for text, row in ranged]
        day_first, date_order = decide_date_order(starts, options, file_name, column)
    elif readable:
        day_first = readable[0]
    else:
        text, row = next((t, r) for t, r in ranged if not readings[orders[0]][t])
        raise RefusedFile(
            file_name,
            f"'{text}' is not a range of two dates",
            row=row,
            column=column,
            expected="a week range such as 'Nov 2, 2026 - Nov 8, 2026' or '02/11/2026 - 08/11/2026'",
        )
    if slashed and options.dates != "auto":
        date_order = ("day first (DD/MM/YYYY)" if day_first else "month first (MM/DD/YYYY)") + ", as you chose"
    starts = {}
    for text, row in ranged:
        start, end = readings[day_first][text]
        if (end - start).days != 6:
            raise RefusedFile(
                file_name,
                f"the week '{text}' runs {(end - start).days + 1} days ({start} to {end}), not one week of seven",
                row=row,
                column=column,
                expected="one week a row: a range from its first day to its seventh",
            )
        if start.weekday() != week_start_index:
            raise RefusedFile(
                file_name,
                f"the week '{text}' runs {WEEKDAY_NAMES[start.weekday()]} to {WEEKDAY_NAMES[end.weekday()]}, but "
                f"the weeks here start on {WEEKDAY_NAMES[week_start_index]} (setting week_start), so it is not "
                "one of them",
                row=row,
                column=column,
                expected=f"week ranges from {WEEKDAY_NAMES[week_start_index]} to "
                f"{WEEKDAY_NAMES[(week_start_index + 6) % 7]}",
            )
        starts[text] = start
    example = ranged[0][0]
    how = f"ranges, start taken: '{example}' is the week of {starts[example]}"
    return WeekRanges(starts, day_first if slashed else None, how, date_order)
