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


class DatabaseLocked(Exception):
    """Another process holds the database file, so this one cannot open it: says which and what to do."""

    def __init__(self, path: str, program: str | None, pid: int | None):
        self.path, self.program, self.pid = path, program, pid
        holder = f"{program} (process {pid})" if program and pid else "another program"
        super().__init__(
            f"The database file {path} is in use by {holder}, so Floorline cannot open it right now. "
            "Only one program at a time can use it: usually a second Floorline server, or a “python -m lib” "
            "command that is still running. Stop that program (or wait for the command to finish), then try again."
        )
