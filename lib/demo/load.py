"""Load the generated demo exports through the ordinary ingest path, marked as demo data."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from lib.demo.epics import load_demo_epics
from lib.demo.generate import generate_demo_exports
from lib.demo.okrs import load_demo_okrs
from lib.store import figures
from lib.uploads import ingest


def load_demo(con, end: dt.date, seed: int = 7) -> list[ingest.IngestResult]:
    """Ingest a year of demo exports ending on ``end``, demo OKRs and demo epics; nothing when real uploads exist."""
    if figures.has_real_active_uploads(con):
        return []
    with tempfile.TemporaryDirectory(prefix="floorline-demo-") as folder:
        paths = generate_demo_exports(Path(folder), end=end, seed=seed)
        results = [ingest.ingest_file(con, path, uploaded_by="demo generator", is_demo=True) for path in paths]
    load_demo_okrs(con, today=end)
    load_demo_epics(con, today=end)
    return results
