"""Small helpers every store repository module shares."""

from __future__ import annotations

import re

SEQUENCE_NAME = re.compile(r"[a-z_]+_ids")


def dict_rows(cursor) -> list[dict]:
    """A cursor's rows as dictionaries keyed by column name."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def next_id(con, sequence: str) -> int:
    """The next value of one of the schema's id sequences (a name of ours, such as ``workgroup_ids``)."""
    if not SEQUENCE_NAME.fullmatch(sequence):
        raise ValueError(f"{sequence!r} is not an id sequence")
    return con.execute(f"SELECT nextval('{sequence}')").fetchone()[0]
