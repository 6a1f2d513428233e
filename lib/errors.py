"""The one exception a refused file raises, worded for the manager who uploaded it."""

from __future__ import annotations


class RefusedFile(Exception):
    """A file the app will not store: says which file, and where possible which row and column."""

    def __init__(
        self,
        file_name: str,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
    ):
        self.file_name = file_name
        self.reason = reason
        self.row = row
        self.column = column
        self.expected = expected
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = f"{self.file_name}: "
        if where:
            text += ", ".join(where) + ": "
        text += self.reason
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class PermissionDenied(Exception):
    """The signed-in person's role does not allow this change."""


class NothingToChange(Exception):
    """A change asked for is already the case (restoring an active upload): nothing was written."""
