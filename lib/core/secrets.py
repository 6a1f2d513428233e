"""Tables of ``.streamlit/secrets.toml``, read the same way from ``st.secrets`` (pages) and from the file
itself (the command line), which have no Streamlit to ask."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from lib.core.settings import PROJECT_ROOT

DEFAULT_SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"


def secret_table(secrets: Mapping, name: str) -> Mapping:
    """The ``[name]`` table, or an empty one when it or the whole secrets file is missing."""
    try:
        return secrets.get(name) or {}
    except FileNotFoundError:  # st.secrets without any secrets.toml
        return {}


def read_secrets_file(path: Path | None = None) -> dict:
    """The secrets file as the command line reads it; an empty mapping when there is none."""
    path = path or DEFAULT_SECRETS_PATH
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)
