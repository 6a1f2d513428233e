"""Every write goes through ``store.transaction``: a write that fails half-way leaves every stored figure as it was."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from export_builders import sla_rows, write_sla

from lib.metrics.kpis import status_report
from lib.store import database as store
from lib.store import upload_records as records
from lib.uploads import changes, ingest
from lib.uploads import flow as uploads
from lib.uploads import status as upload_status

NOV_09 = dt.date(2026, 11, 9)
MAPPED_HEADER = ["Case", "Queue", "Clock", "Clock state", "Outcome", "When"]
MAPPED_FIELDS = ["ticket_id", "form", "metric", "metric_status", "target_status", "date"]


class HalfWay(Exception):
    """Raised by a test in the middle of a write."""


def everything_stored(con) -> tuple:
    """What a reader could see: the figures, the uploads with their status, the change log, the version."""
    return (
        status_report(con, store.load_settings(con)),
        con.execute("SELECT id, status, precedence FROM uploads ORDER BY id").fetchall(),
        con.execute("SELECT count(*) FROM weekly_counts").fetchone()[0],
        con.execute("SELECT count(*) FROM change_log").fetchone()[0],
        store.data_version(con),
    )


@pytest.fixture
def demo_con(demo_db):
    connection = store.connect(demo_db)
    yield connection
    connection.close()


def save_mapping(con) -> uploads.ColumnProfile:
    """A column mapping for a made-up header, as the Upload page saves one."""
    column_map = dict(zip(MAPPED_FIELDS, MAPPED_HEADER, strict=True))
    return uploads.save_profile(
        con, MAPPED_HEADER, name="mine", shape="explore_sla", source="explore", column_map=column_map
    )


def fail_at(monkeypatch, module, name: str) -> None:
    """``module.name`` raises when called: the writes before it in the same change have already run."""

    def fails(*args, **kwargs):
        raise HalfWay(name)

    monkeypatch.setattr(module, name, fails)


def test_an_upload_failing_half_way_leaves_every_stored_figure_as_it_was(demo_con, tmp_path, monkeypatch):
    export = write_sla(tmp_path / "frt.csv", sla_rows(NOV_09, "SaaS", "First reply time", 99, 1))
    before = everything_stored(demo_con)
    # The upload, its weekly counts and the demo's retirement are written; recording the change fails.
    fail_at(monkeypatch, store, "record_change")

    with pytest.raises(HalfWay):
        ingest.ingest_file(demo_con, export, uploaded_by="ann")

    assert everything_stored(demo_con) == before
    monkeypatch.undo()
    # Nothing half-stored in the way.
    assert ingest.ingest_file(demo_con, export, uploaded_by="ann").status == "accepted"


def test_a_rollback_failing_half_way_leaves_every_stored_figure_as_it_was(demo_con, monkeypatch):
    upload_id = records.list_uploads(demo_con)[0]["id"]
    before = everything_stored(demo_con)
    fail_at(monkeypatch, store, "bump_data_version")  # after the status and the change log are written

    with pytest.raises(HalfWay):
        upload_status.rollback(demo_con, upload_id, actor="ann")

    assert everything_stored(demo_con) == before


def test_a_column_mapping_failing_half_way_is_not_saved(demo_con, monkeypatch):
    fail_at(monkeypatch, store, "record_change")  # after the mapping row is written

    with pytest.raises(HalfWay):
        save_mapping(demo_con)

    assert uploads.list_profiles(demo_con) == []


def test_a_preview_is_rehearsed_and_never_kept(demo_con, tmp_path):
    export = write_sla(tmp_path / "frt.csv", sla_rows(NOV_09, "SaaS", "First reply time", 99, 1))
    before = everything_stored(demo_con)

    preview = changes.preview_ingest(demo_con, export)

    assert preview.status == "preview" and preview.changes  # it measured the figures it would move
    assert everything_stored(demo_con) == before


def test_the_store_does_not_import_the_metrics_it_stores():
    """The store sits below metrics: a preview's comparison is passed in (``ingest.Comparison``)."""
    for module in Path(store.__file__).parent.glob("*.py"):
        source = module.read_text()
        assert "from lib.metrics" not in source and "from lib.ui" not in source, module.name


def test_every_recorded_change_moves_the_data_version_even_one_that_changes_no_figure(demo_con):
    """The change history is cached on the data version: a saved or deleted column mapping must move it too."""
    version = store.data_version(demo_con)
    profile = save_mapping(demo_con)
    assert store.data_version(demo_con) == version + 1
    uploads.delete_profile(demo_con, profile.header_key)
    assert store.data_version(demo_con) == version + 2
