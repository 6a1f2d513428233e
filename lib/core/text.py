"""Text shown to people: file and user text made safe inside Markdown, and how figures are written.

No Streamlit here: notes, downloads and the command line use it too.
"""

from __future__ import annotations

import re


def escape_markdown(text: object) -> str:
    """User text shown inside Markdown: every character that Markdown or HTML would act on is escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])", r"\\\1", str(text))


def format_percent(value: float | None, floor: float | None = None) -> str:
    """One decimal, more where one decimal would make a value look like it sits on the floor."""
    if value is None:
        return "—"
    decimals = 1
    if floor is not None and value != floor:
        while decimals < 4 and round(value, decimals) == round(floor, decimals):
            decimals += 1
    return f"{value:.{decimals}f}\u00a0%"  # a no-break space: "91.1 %" never wraps in a narrow column


def format_points(change: float | None, decimals: int = 1) -> str:
    """Signed points; a change too small for ``decimals`` gets up to three, so none reads "+0.0" or "-0.0"."""
    if change is None:
        return "—"
    if change == 0:
        return f"{0:.{decimals}f} pts"
    while decimals < 3 and round(abs(change), decimals) == 0:
        decimals += 1
    return f"{change:+.{decimals}f} pts"
