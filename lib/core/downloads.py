"""Everything the app lets people download goes through here, so no cell can run as a formula.

A spreadsheet treats a cell that starts with = + - @ (or a tab or carriage return, which
some programs strip before looking) as a formula. A leading apostrophe makes it text, and
spreadsheets hide the apostrophe. Numbers are left as numbers: -3.5 in a numeric column
is a value, not a formula, and stays sortable.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The value itself, unless it is text a spreadsheet would run as a formula: then it gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a BOM, so Excel reads accents right) with every text cell and header neutralised."""
    safe = frame.copy()
    safe.columns = [neutralise(str(column)) for column in safe.columns]
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    return safe.to_csv(index=False).encode("utf-8-sig")
