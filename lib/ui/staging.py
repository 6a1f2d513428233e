"""An uploaded file staged on disk for the readers in ``lib``, which read files by path, and their refusal."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import streamlit as st

from lib.core.errors import RefusedFile
from lib.core.text import escape_markdown


@contextlib.contextmanager
def staged_upload(label: str, *, types: list[str], key: str, max_mb: int, help: str | None = None) -> Iterator:
    """A file uploader; yields (path, file name) of the upload staged in a private folder, or None before one.

    The staged copy is named ``upload`` whatever the upload is called: readers tell a file by its content
    (an upload's name need not end in .xlsx), and the folder is removed when the block ends.
    """
    uploaded = st.file_uploader(label, type=types, key=key, max_upload_size=max_mb, help=help)
    if uploaded is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="floorline-upload-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(uploaded.getvalue())
        yield path, uploaded.name


def show_refusal(error: RefusedFile | Exception) -> None:
    """A refused file (or a failed fetch): nothing was stored, and the reason, as plain text."""
    message = error.message if isinstance(error, RefusedFile) else str(error)
    st.error(f"Nothing was stored. {escape_markdown(message)}", icon=":material/block:")
