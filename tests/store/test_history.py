"""The change history in words (lib/store/history.py): no stored action names or JSON on screen."""

from __future__ import annotations

import json

from lib.store import database as store
from lib.store import history


def test_details_read_as_words_not_json():
    okr_import = json.dumps({"stored": {"managers": 8, "key_results": 23}, "removed": {}})
    mapping = json.dumps({"shape": "explore_sla", "columns": {"ticket_id": "Case"}})

    assert history.detail_text(okr_import) == "stored: 8 managers, 23 key results"
    assert history.detail_text(json.dumps({"upload_id": 3})) == "upload id: 3"
    assert history.detail_text(mapping) == "shape: explore_sla · columns: ticket id → Case"
    assert history.detail_text("{}") == ""
    assert history.detail_text("not json") == "not json"
    assert history.readable_detail(history.detail_text(mapping)) == "shape: explore_sla\ncolumns: ticket id → Case"


def test_actions_read_as_words_and_keep_their_area(con):
    store.record_change(con, "ann", "okr demo", "demo OKRs", {"stored": {"managers": 8}})
    store.record_change(con, "ann", "upload", "export.csv", {"upload_id": 1})

    shown = history.changes(con)

    assert shown[["Area", "Action", "Detail"]].values.tolist()[:2] == [
        ["Uploads", "upload", "upload id: 1"],
        ["OKRs", "OKR demo loaded", "stored: 8 managers"],
    ]
    assert not shown["Detail"].str.contains("{", regex=False).any()
