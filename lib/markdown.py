"""Text from files and users, made safe to show inside Markdown (no Streamlit here: notes use it too)."""

from __future__ import annotations

import re


def escape_markdown(text: object) -> str:
    """User text shown inside Markdown: every character that Markdown or HTML would act on is escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])", r"\\\1", str(text))
