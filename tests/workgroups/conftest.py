"""Workgroup fixtures: a copy of the demo year per test, its settings, and an analysed workgroup."""

from __future__ import annotations

import datetime as dt

import pytest
from workgroup_builders import OPENED

from lib.store import database as store
from lib.workgroups import contents, library, repository


@pytest.fixture
def demo(demo_db):
    connection = store.connect(demo_db)
    yield connection
    connection.close()


@pytest.fixture
def settings(demo):
    return store.load_settings(demo)


@pytest.fixture
def analysed(demo, settings):
    """A workgroup with a falsified hypothesis, its evidence and a shaping action."""
    workgroup_id = repository.form_workgroup(
        demo,
        "ana",
        settings,
        "FRT",
        opened_on=OPENED,
        facilitator="Fay",
        executive_stakeholder="Eve",
        members=["Ana", "Bo"],
        issue_url="https://gitlab.com/gitlab-com/support/metrics/-/issues/42",
    ).workgroup_id
    hypothesis_id = library.copy_from_library(demo, "ana", workgroup_id, 5)
    contents.update_hypothesis(
        demo,
        "ana",
        hypothesis_id,
        verdict="falsified",
        verdict_on=dt.date(2026, 11, 24),
        approach="Compared PTO per region with last year.",
        notes="Coverage steady at 90 %.\n# not a heading",
    )
    contents.save_evidence(demo, "ana", hypothesis_id, [{"link": "https://example.com/pto", "note": "PTO sheet"}])
    contents.save_actions(
        demo,
        "ana",
        workgroup_id,
        [{"change": "If a region dips, then borrow from the next", "hypothesis_id": hypothesis_id}],
    )
    return repository.get_workgroup(demo, workgroup_id)


@pytest.fixture(scope="session", params=["duckdb", "postgresql"])
def backend(request) -> str:
    """Workgroups behave the same on both backends: the DuckDB file and a real PostgreSQL server."""
    return request.param
