"""The Workgroups page's tables (lib/ui/workgroups_view.py): figures written by the one formatter."""

from __future__ import annotations

from lib.ui.workgroups_view import trigger_frame


def test_a_trigger_week_just_under_the_floor_is_not_rounded_onto_it():
    trigger = [
        {"week": "2026-09-07", "value": 92.96, "good": 2324, "total": 2500, "status": "complete"},
        {"week": "2026-09-14", "value": 91.6, "good": 458, "total": 500, "status": "complete"},
    ]
    frame = trigger_frame(trigger, floor=93.0)
    assert list(frame["Value"]) == ["92.96\u00a0%", "91.6\u00a0%"]
