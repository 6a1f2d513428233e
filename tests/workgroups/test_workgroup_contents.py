"""What a workgroup holds: members edited as a table, dated verdicts, shipped actions on the trends chart."""

from __future__ import annotations

import datetime as dt

import pytest
from workgroup_builders import OPENED

from lib.workgroups import annotations, contents, model, repository


def test_members_are_saved_as_a_table_and_a_removal_can_be_undone(demo, settings):
    workgroup_id = repository.form_workgroup(
        demo, "ana", settings, "FRT", opened_on=OPENED, members=["Ana"]
    ).workgroup_id
    members = repository.get_workgroup(demo, workgroup_id)["members"]
    rows = [{**members[0], "role": "EMEA manager"}, {"id": None, "name": "Bo", "role": ""}, {"name": "", "role": ""}]
    assert contents.save_members(demo, "ana", workgroup_id, rows) == {"added": 1, "changed": 1, "removed": []}
    saved = repository.get_workgroup(demo, workgroup_id)["members"]
    assert [(m["name"], m["role"]) for m in saved] == [("Ana", "EMEA manager"), ("Bo", "")]
    assert model.member_count_warning(len(saved)) is None

    result = contents.save_members(demo, "ana", workgroup_id, [saved[1]])
    assert result["removed"] == [saved[0]["id"]]
    assert [m["name"] for m in repository.get_workgroup(demo, workgroup_id)["members"]] == ["Bo"]
    contents.restore_rows(demo, "ana", "workgroup_members", result["removed"])
    assert [m["name"] for m in repository.get_workgroup(demo, workgroup_id)["members"]] == ["Ana", "Bo"]
    with pytest.raises(model.WorkgroupError, match="needs a name"):
        contents.save_members(demo, "ana", workgroup_id, [{"id": None, "name": "", "role": "IC"}])


# --- hypotheses, evidence, actions ------------------------------------------------------------------------------


def test_a_verdict_is_dated_and_reopening_clears_the_date(demo, settings):
    workgroup_id = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    hypothesis_id = contents.add_hypothesis(demo, "ana", workgroup_id, "FRT fell because many people took time off")
    contents.update_hypothesis(demo, "ana", hypothesis_id, verdict="falsified", today=dt.date(2026, 11, 24))
    hypothesis = repository.get_workgroup(demo, workgroup_id)["hypotheses"][0]
    assert (hypothesis["verdict"], hypothesis["verdict_on"]) == ("falsified", dt.date(2026, 11, 24))

    contents.update_hypothesis(demo, "ana", hypothesis_id, verdict="falsified", notes="PTO steady at 90 %")
    assert repository.get_workgroup(demo, workgroup_id)["hypotheses"][0]["verdict_on"] == dt.date(2026, 11, 24)
    contents.update_hypothesis(demo, "ana", hypothesis_id, verdict="open")
    assert repository.get_workgroup(demo, workgroup_id)["hypotheses"][0]["verdict_on"] is None
    with pytest.raises(model.WorkgroupError, match="verdict is one of"):
        contents.update_hypothesis(demo, "ana", hypothesis_id, verdict="proven")
    with pytest.raises(model.WorkgroupError, match="testable statement"):
        contents.add_hypothesis(demo, "ana", workgroup_id, "   ")


def test_saving_every_field_as_stored_keeps_the_verdict_and_its_day(demo, settings):
    """The page saves all fields at once: an unchanged verdict and day are not a new verdict."""
    workgroup_id = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    hypothesis_id = contents.add_hypothesis(demo, "ana", workgroup_id, "FRT fell because many people took time off")
    demo.execute("UPDATE workgroup_hypotheses SET verdict = 'supported' WHERE id = ?", [hypothesis_id])  # no day
    stored = repository.get_workgroup(demo, workgroup_id)["hypotheses"][0]
    fields = {field: stored[field] for field in model.HYPOTHESIS_FIELDS}
    contents.update_hypothesis(demo, "ana", hypothesis_id, **fields, today=dt.date(2026, 11, 24))
    assert repository.get_workgroup(demo, workgroup_id)["hypotheses"][0]["verdict_on"] is None

    contents.update_hypothesis(demo, "ana", hypothesis_id, **{**fields, "verdict_on": dt.date(2026, 11, 23)})
    assert repository.get_workgroup(demo, workgroup_id)["hypotheses"][0]["verdict_on"] == dt.date(2026, 11, 23)


def test_shipping_an_action_dates_it_and_marks_the_trends_chart(demo, settings):
    workgroup_id = repository.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    hypothesis_id = contents.add_hypothesis(demo, "ana", workgroup_id, "FRT fell because SaaS volume grew")
    rows = [
        {"change": "Borrow two AMER engineers for SaaS", "kind": "temporary", "owner": "Bo", "status": "shipped",
         "due_on": "2026-11-30", "hypothesis_id": hypothesis_id},
        {"change": "<b>Hire</b> for SaaS", "kind": "permanent", "status": "planned"},
    ]  # fmt: skip
    contents.save_actions(demo, "ana", workgroup_id, rows, today=dt.date(2026, 11, 23))
    actions = repository.get_workgroup(demo, workgroup_id)["actions"]
    assert actions[0]["shipped_on"] == dt.date(2026, 11, 23) and actions[0]["due_on"] == dt.date(2026, 11, 30)
    assert actions[1]["shipped_on"] is None
    repository.close_workgroup(demo, "ana", workgroup_id, dt.date(2026, 11, 26))

    marks = annotations.trend_annotations(demo, "FRT")
    assert [(m["date"], m["kind"]) for m in marks] == [
        (OPENED, "formed"),
        (dt.date(2026, 11, 23), "action shipped"),
        (dt.date(2026, 11, 26), "closed"),
    ]
    assert all(f"#{workgroup_id}" in m["label"] and "<" not in m["label"] for m in marks)
    assert annotations.trend_annotations(demo, "NRT") == []

    other = repository.form_workgroup(demo, "ana", settings, "FRT", scope="L&R", opened_on=OPENED).workgroup_id
    with pytest.raises(model.WorkgroupError, match="its own workgroup"):
        contents.save_actions(demo, "ana", other, [{"change": "x", "hypothesis_id": hypothesis_id}])
