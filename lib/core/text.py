"""Text shown to people: file and user text made safe inside Markdown, and how figures are written.

No Streamlit here: notes, downloads and the command line use it too.
"""

from __future__ import annotations

import re
import unicodedata

# Invisible, and not a word character: GitHub-flavoured Markdown's autolinks (``http://``, ``www.``, an
# e-mail address) are found in the text after backslash escapes are undone, so only a character that
# is really there breaks them. A word joiner keeps the text on one line and looks the same.
WORD_JOINER = "\u2060"
AUTOLINK_STARTS = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)")


def escape_markdown(text: object) -> str:
    """User text shown inside Markdown (bodies, captions, alerts, toasts, ``st.table`` cells): every character
    Markdown or HTML would act on is escaped, and a word joiner goes where an autolink would start (between
    ``http:`` and ``//``, before the dot of ``www.``, after an ``@``): a URL reads the same, links nowhere."""
    unlinked = AUTOLINK_STARTS.sub(WORD_JOINER, str(text))
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])", r"\\\1", unlinked)


def escape_table_cells(frame):
    """A pandas frame for ``st.table``, which renders every cell as Markdown: each text cell escaped."""
    return frame.map(lambda cell: escape_markdown(cell) if isinstance(cell, str) else cell)


# Bidirectional overrides and isolates reorder what a terminal shows ("Trojan Source"): escaped like controls.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def terminal_text(text: object, keep: str = "\n") -> str:
    """Text for a terminal: every control character (C0, DEL, C1: ESC, bell, OSC 8 hyperlinks, clear
    screen) and bidi control written as a visible ``\\uXXXX``, so a title can neither move the cursor,
    ring, link nor hide text. ``keep``: the controls the caller writes itself (the line ends of ``print``)."""
    return "".join(
        f"\\u{ord(char):04x}"
        if char not in keep and (unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS)
        else char
        for char in str(text)
    )


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
