"""Saved column mappings: the headers of an export Floorline could not recognise, and which field each
column is, so the same export reads without asking again.

Persistence only: what a mapping must name and who may save one is ``lib.uploads.flow``.
"""

from __future__ import annotations

import json

from lib.store import database


def profile_row(con, key: str) -> tuple | None:
    """(header key, name, shape, source, column map as JSON, created at) of the mapping for these headers."""
    return con.execute(
        "SELECT header_key, name, shape, source, column_map, created_at FROM column_profiles WHERE header_key = ?",
        [key],
    ).fetchone()


def profile_rows(con) -> list[tuple]:
    """Every saved mapping, as ``profile_row`` returns one, by name."""
    return con.execute(
        "SELECT header_key, name, shape, source, column_map, created_at FROM column_profiles ORDER BY name"
    ).fetchall()


def save_profile(con, key: str, name: str, shape: str | None, source: str, column_map: dict, actor: str) -> None:
    """Save (or replace) the mapping for the headers ``key``, in the change history."""
    cursor = con.cursor()
    try:
        with database.transaction(cursor):
            cursor.execute(
                "INSERT OR REPLACE INTO column_profiles VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)",
                [key, name, shape, source, json.dumps(column_map)],
            )
            database.record_change(cursor, actor, "column mapping saved", name, {"shape": shape, "columns": column_map})
            # No figure changes, but the change history does: every recorded change moves the version.
            database.bump_data_version(cursor)
    finally:
        cursor.close()


def delete_profile(con, key: str, actor: str) -> None:
    """Forget the mapping for the headers ``key``, in the change history when there was one."""
    cursor = con.cursor()
    try:
        with database.transaction(cursor):
            found = cursor.execute("SELECT name FROM column_profiles WHERE header_key = ?", [key]).fetchone()
            cursor.execute("DELETE FROM column_profiles WHERE header_key = ?", [key])
            if found:
                database.record_change(cursor, actor, "column mapping deleted", found[0])
                database.bump_data_version(cursor)
    finally:
        cursor.close()
