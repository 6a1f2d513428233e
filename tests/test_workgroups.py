"""Metrics workgroups: the rules a manager relies on, on real DuckDB files.

Recovery, one open workgroup per breach, the member-count warning, both Markdown exports,
soft delete with undo, the audit trail and the trends annotations.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import inspect
import shutil

import pytest
from export_builders import sla_rows, span_rows, weeks_from, write_sla

from lib import workgroups as wg
from lib.core import auth
from lib.core.errors import PermissionDenied
from lib.metrics.kpis import WeekValue
from lib.store import database as store

DEMO_END = dt.date(2026, 11, 26)
FRT_BREACH = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
OPENED = dt.date(2026, 11, 20)


@pytest.fixture
def demo(demo_template, tmp_path, monkeypatch):
    path = tmp_path / "floorline.duckdb"
    shutil.copyfile(demo_template, path)
    monkeypatch.setenv("FLOORLINE_DB", str(path))
    connection = store.connect(path)
    yield connection
    connection.close()


@pytest.fixture
def settings(demo):
    return store.load_settings(demo)


def audit_actions(con) -> list[str]:
    return [row[2] for row in store.change_history(con) if row[1] == "ana"]


# --- recovery -------------------------------------------------------------------------------------------


def week(day: str, status: str, value: float | None = 95.0) -> WeekValue:
    return WeekValue(dt.date.fromisoformat(day), value, None, None, status)


def test_recovery_needs_consecutive_complete_weeks_above_the_floor_after_the_trigger():
    series = [
        week("2026-01-05", "breach", 90),
        week("2026-01-12", "breach", 90),  # trigger ends here
        week("2026-01-19", "ok"),
        week("2026-01-26", "breach", 91),  # the run starts again
        week("2026-02-02", "ok"),
        week("2026-02-09", "gap", None),  # a week nobody can vouch for breaks the run
        week("2026-02-16", "ok"),
        week("2026-02-23", "ok"),
    ]
    recovery = wg.recovery_of(series, dt.date(2026, 1, 12), 2)
    assert recovery.recovered
    assert recovery.recovered_on == dt.date(2026, 2, 23)
    assert "23 Feb 2026" in recovery.describe()

    not_yet = wg.recovery_of(series[:6], dt.date(2026, 1, 12), 2)
    assert not not_yet.recovered and not_yet.weeks_above == 0
    assert wg.recovery_of(series, dt.date(2026, 1, 12), 3).recovered is False


def test_a_partial_newest_week_neither_counts_nor_restarts_the_run():
    """Partial week at the end of the recovery run: the export simply ends before the week does."""
    series = [week("2026-01-05", "breach", 90), week("2026-01-12", "ok"), week("2026-01-19", "partial", 97)]
    recovery = wg.recovery_of(series, dt.date(2026, 1, 5), 2)
    assert not recovery.recovered
    assert recovery.weeks_above == 1
    assert recovery.describe() == "Not recovered: 1 of 2 weeks above the floor so far"
    # Once that week is complete and above the floor, the run of two is there.
    completed = [*series[:2], week("2026-01-19", "ok", 97)]
    assert wg.recovery_of(completed, dt.date(2026, 1, 5), 2).recovered_on == dt.date(2026, 1, 19)


def test_a_partial_week_right_after_the_trigger_restarts_the_count():
    """Partial week at the start of the recovery run."""
    series = [
        week("2026-01-05", "breach", 90),
        week("2026-01-12", "partial", 97),
        week("2026-01-19", "ok"),
        week("2026-01-26", "ok"),
    ]
    recovery = wg.recovery_of(series, dt.date(2026, 1, 5), 2)
    assert recovery.recovered and recovery.recovered_on == dt.date(2026, 1, 26)
    assert recovery.weeks_observed == 2


def test_a_partial_week_in_the_middle_of_the_run_restarts_the_count_and_recovery_still_comes():
    """DECISIONS §11: 94.0, (partial), 95.1, 93.4, 96.0 after the trigger recovers at 93.4."""
    series = [
        week("2026-01-05", "breach", 92.1),
        week("2026-01-12", "breach", 91.5),
        week("2026-01-19", "breach", 92.6),  # trigger ends here
        week("2026-01-26", "ok", 94.0),
        week("2026-02-02", "partial", 97.0),  # restarts the count
        week("2026-02-09", "ok", 95.1),
        week("2026-02-16", "ok", 93.4),
        week("2026-02-23", "ok", 96.0),
    ]
    assert wg.recovery_of(series[:6], dt.date(2026, 1, 19), 2).describe() == (
        "Not recovered: 1 of 2 weeks above the floor so far"
    )
    recovery = wg.recovery_of(series, dt.date(2026, 1, 19), 2)
    assert recovery.recovered and recovery.recovered_on == dt.date(2026, 2, 16)
    assert recovery.weeks_observed == 3  # the partial week is not a complete week


def test_the_issue_sequence_of_uploads_recovers_at_93_4(con, tmp_path):
    """SaaS FRT 92.1, 91.5, 92.6 (trigger), 94.0; an export from Thursday to Sunday of the next week
    (partial, then complete at 95.1); then 93.4 and 96.0: recovered in the week of 93.4."""
    weeks = weeks_from(dt.date(2026, 6, 1), 8)
    frt = "First reply time"

    def sunday(week_start):
        return week_start + dt.timedelta(days=6)

    first = span_rows(weeks[0], sunday(weeks[3]))
    for week_start, achieved in zip(weeks[:4], (921, 915, 926, 940), strict=True):
        first += sla_rows(week_start, "SaaS", frt, achieved, 1000 - achieved)
    store.ingest_file(con, write_sla(tmp_path / "june.csv", first), uploaded_by="ana")
    thursday = weeks[4] + dt.timedelta(days=3)
    second = span_rows(thursday, sunday(weeks[5]))
    second += sla_rows(weeks[4], "SaaS", frt, 97, 3, day=4) + sla_rows(weeks[5], "SaaS", frt, 951, 49)
    store.ingest_file(con, write_sla(tmp_path / "thursday-to-sunday.csv", second), uploaded_by="ana")
    third = span_rows(weeks[6], sunday(weeks[7]))
    third += sla_rows(weeks[6], "SaaS", frt, 934, 66) + sla_rows(weeks[7], "SaaS", frt, 960, 40)
    store.ingest_file(con, write_sla(tmp_path / "july.csv", third), uploaded_by="ana")

    settings = store.load_settings(con)
    series = wg.scope_series(con, settings, "FRT")
    assert [w.status for w in series] == ["breach"] * 3 + ["ok", "partial", "ok", "ok", "ok"]
    formed = wg.form_workgroup(con, "ana", settings, "FRT", opened_on=weeks[3])
    workgroup = wg.get_workgroup(con, formed.workgroup_id)
    assert workgroup["trigger_end"] == weeks[2]
    recovery = wg.recovery_of(series, workgroup["trigger_end"], settings.recovery_weeks)
    assert recovery.recovered and recovery.recovered_on == weeks[6]
    assert recovery.describe() == "Recovered: 2 weeks above the floor by the week of 13 Jul 2026"


def test_recovery_from_uploaded_weeks_uses_the_recovery_setting(con, tmp_path):
    first = dt.date(2026, 1, 5)
    weeks = weeks_from(first, 7)
    # ok, breach, breach (the trigger), ok, breach, ok, ok: recovered in the seventh week
    breached = [3, 10, 10, 4, 9, 4, 4]
    rows = span_rows(first, weeks[-1] + dt.timedelta(days=6))
    for week_start, bad in zip(weeks, breached, strict=True):
        rows += sla_rows(week_start, "SaaS", "First reply time", 100 - bad, bad)
    store.ingest_file(con, write_sla(tmp_path / "explore.csv", rows), uploaded_by="ana")
    settings = store.load_settings(con)
    formed = wg.form_workgroup(con, "ana", settings, "FRT", opened_on=weeks[3])
    workgroup = wg.get_workgroup(con, formed.workgroup_id)
    assert [w["week"] for w in workgroup["trigger_weeks"]] == [str(weeks[1]), str(weeks[2])]
    assert workgroup["trigger_weeks"][0]["value"] == pytest.approx(90.0)

    series = wg.scope_series(con, settings, "FRT")
    recovery = wg.recovery_of(series, workgroup["trigger_end"], settings.recovery_weeks)
    assert recovery.recovered and recovery.recovered_on == weeks[6]

    store.save_setting(con, "recovery_weeks", 3, actor="ana")
    stricter = store.load_settings(con)
    assert not wg.recovery_of(series, workgroup["trigger_end"], stricter.recovery_weeks).recovered


# --- forming: one open workgroup per breach ---------------------------------------------------------------


def test_forming_captures_the_demo_breach_and_a_second_form_returns_the_open_one(demo, settings):
    formed = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED, members=["Ana", "Bo"])
    assert formed.created
    workgroup = wg.get_workgroup(demo, formed.workgroup_id)
    assert workgroup["status"] == "open"
    assert (workgroup["trigger_start"], workgroup["trigger_end"]) == (FRT_BREACH[0], FRT_BREACH[-1])
    assert [w["week"] for w in workgroup["trigger_weeks"]] == [str(d) for d in FRT_BREACH]
    assert all(w["value"] < 93 and w["status"] == "breach" for w in workgroup["trigger_weeks"])
    assert workgroup["created_at"] and workgroup["updated_at"]
    assert [m["name"] for m in workgroup["members"]] == ["Ana", "Bo"]

    again = wg.form_workgroup(
        demo, "bo", settings, "FRT", start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 16), title="A second try"
    )
    assert again == wg.Formed(formed.workgroup_id, False)
    assert len(wg.list_workgroups(demo)) == 1

    summary = wg.open_workgroup_for(demo, "FRT")
    assert summary["id"] == formed.workgroup_id
    assert summary["opened_on"] == OPENED
    assert summary["breach_weeks"] == FRT_BREACH
    assert (summary["facilitator"], summary["issue_url"], summary["hypotheses"]) == ("", "", [])
    hypothesis = wg.add_hypothesis(demo, "ana", formed.workgroup_id, "FRT fell because many people took time off")
    assert wg.open_workgroup_for(demo, "FRT")["hypotheses"] == [
        ("FRT fell because many people took time off", "Open (no verdict yet)")
    ]
    assert hypothesis
    assert wg.open_workgroup_for(demo, "NRT") is None


def test_a_closed_workgroup_lets_a_new_one_form_and_cannot_reopen_beside_it(demo, settings):
    first = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    segment = wg.form_workgroup(demo, "ana", settings, "FRT", scope="L&R", opened_on=OPENED)
    assert segment.created, "a segment's breach is a different workgroup from the combined one"
    wg.close_workgroup(demo, "ana", first, dt.date(2026, 11, 25), summary="Staffing moved back.")
    second = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=dt.date(2026, 11, 26))
    assert second.created and second.workgroup_id != first
    with pytest.raises(wg.WorkgroupError, match="already open"):
        wg.reopen_workgroup(demo, "ana", first)
    listed = wg.list_workgroups(demo)
    assert [w["status"] for w in listed] == ["open", "open", "closed"], "open workgroups come first"


def test_forming_needs_a_breach_and_sensible_dates(demo, settings):
    with pytest.raises(wg.WorkgroupError, match="no sustained breach"):
        wg.form_workgroup(demo, "ana", settings, "SSAT")
    with pytest.raises(wg.WorkgroupError, match="after it ends"):
        wg.form_workgroup(demo, "ana", settings, "SSAT", start=dt.date(2026, 11, 16), end=dt.date(2026, 11, 2))
    formed = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED)
    with pytest.raises(wg.WorkgroupError, match="before it opened"):
        wg.close_workgroup(demo, "ana", formed.workgroup_id, dt.date(2026, 11, 1))


def test_a_late_workgroup_forms_on_the_latest_sustained_breach(demo, settings):
    """NRT's one-week dip is no sustained breach, but the breach weeks can be given by hand."""
    nrt = wg.scope_series(demo, settings, "NRT")
    dip = next(w.week for w in nrt if w.status == "breach")
    formed = wg.form_workgroup(demo, "ana", settings, "NRT", start=dip, end=dip, opened_on=OPENED)
    workgroup = wg.get_workgroup(demo, formed.workgroup_id)
    assert [w["week"] for w in workgroup["trigger_weeks"]] == [str(dip)]
    recovery = wg.recovery_of(nrt, workgroup["trigger_end"], settings.recovery_weeks)
    assert recovery.recovered and recovery.recovered_on == dip + dt.timedelta(weeks=2)


# --- members ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "warned"), [(0, "nobody yet"), (1, "has 1 member."), (2, None), (3, None), (4, "has 4 members.")]
)
def test_member_count_warning_outside_two_or_three(count, warned):
    warning = wg.member_count_warning(count)
    if warned is None:
        assert warning is None
    else:
        assert "expects 2 or 3" in warning and warned in warning


def test_members_are_saved_as_a_table_and_a_removal_can_be_undone(demo, settings):
    workgroup_id = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED, members=["Ana"]).workgroup_id
    members = wg.get_workgroup(demo, workgroup_id)["members"]
    rows = [{**members[0], "role": "EMEA manager"}, {"id": None, "name": "Bo", "role": ""}, {"name": "", "role": ""}]
    assert wg.save_members(demo, "ana", workgroup_id, rows) == {"added": 1, "changed": 1, "removed": []}
    saved = wg.get_workgroup(demo, workgroup_id)["members"]
    assert [(m["name"], m["role"]) for m in saved] == [("Ana", "EMEA manager"), ("Bo", "")]
    assert wg.member_count_warning(len(saved)) is None

    result = wg.save_members(demo, "ana", workgroup_id, [saved[1]])
    assert result["removed"] == [saved[0]["id"]]
    assert [m["name"] for m in wg.get_workgroup(demo, workgroup_id)["members"]] == ["Bo"]
    wg.restore_rows(demo, "ana", "workgroup_members", result["removed"])
    assert [m["name"] for m in wg.get_workgroup(demo, workgroup_id)["members"]] == ["Ana", "Bo"]
    with pytest.raises(wg.WorkgroupError, match="needs a name"):
        wg.save_members(demo, "ana", workgroup_id, [{"id": None, "name": "", "role": "IC"}])


# --- hypotheses, evidence, actions ------------------------------------------------------------------------------


def test_a_verdict_is_dated_and_reopening_clears_the_date(demo, settings):
    workgroup_id = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    hypothesis_id = wg.add_hypothesis(demo, "ana", workgroup_id, "FRT fell because many people took time off")
    wg.update_hypothesis(demo, "ana", hypothesis_id, verdict="falsified", today=dt.date(2026, 11, 24))
    hypothesis = wg.get_workgroup(demo, workgroup_id)["hypotheses"][0]
    assert (hypothesis["verdict"], hypothesis["verdict_on"]) == ("falsified", dt.date(2026, 11, 24))

    wg.update_hypothesis(demo, "ana", hypothesis_id, verdict="falsified", notes="PTO steady at 90 %")
    assert wg.get_workgroup(demo, workgroup_id)["hypotheses"][0]["verdict_on"] == dt.date(2026, 11, 24)
    wg.update_hypothesis(demo, "ana", hypothesis_id, verdict="open")
    assert wg.get_workgroup(demo, workgroup_id)["hypotheses"][0]["verdict_on"] is None
    with pytest.raises(wg.WorkgroupError, match="verdict is one of"):
        wg.update_hypothesis(demo, "ana", hypothesis_id, verdict="proven")
    with pytest.raises(wg.WorkgroupError, match="testable statement"):
        wg.add_hypothesis(demo, "ana", workgroup_id, "   ")


def test_the_library_is_seeded_searchable_copyable_and_shows_past_conclusions(demo, settings):
    titles = [entry["title"] for entry in wg.library(demo)]
    assert len(titles) == 8
    for expected in ("Ticket volume", "time-consuming workflow", "subset of tickets", "harder", "Time off"):
        assert any(expected.lower() in title.lower() for title in titles), expected
    assert any("single portion" in t for t in titles) and any("Staffing" in t for t in titles)
    assert "A single bad day" in titles  # checked against the data (lib.workgroups.checks)
    assert any("AMER, APAC and EMEA" in entry["statement"] for entry in wg.library(demo))

    [time_off] = wg.library(demo, "time OFF")
    assert wg.library(demo, "no such words anywhere") == []
    workgroup_id = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    hypothesis_id = wg.copy_from_library(demo, "ana", workgroup_id, time_off["id"])
    copied = wg.get_workgroup(demo, workgroup_id)["hypotheses"][0]
    assert copied["statement"] == "FRT fell because many people took time off."
    assert copied["title"] == "Time off" and copied["falsified_if"]
    assert wg.library(demo, "time off")[0]["past"] == [], "an open hypothesis is no conclusion yet"

    wg.update_hypothesis(demo, "ana", hypothesis_id, verdict="falsified", notes="PTO was steady")
    [entry] = wg.library(demo, "time off")
    assert entry["tally"]["falsified"] == 1
    assert entry["past"][0]["workgroup_id"] == workgroup_id and entry["past"][0]["notes"] == "PTO was steady"

    custom = wg.add_to_library(demo, "ana", "A new tool slowed replies", statement="{kpi} fell after the switch.")
    assert custom > 7 and wg.library(demo, "new tool")[0]["id"] == custom


def test_shipping_an_action_dates_it_and_marks_the_trends_chart(demo, settings):
    workgroup_id = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    hypothesis_id = wg.add_hypothesis(demo, "ana", workgroup_id, "FRT fell because SaaS volume grew")
    rows = [
        {"change": "Borrow two AMER engineers for SaaS", "kind": "temporary", "owner": "Bo", "status": "shipped",
         "due_on": "2026-11-30", "hypothesis_id": hypothesis_id},
        {"change": "<b>Hire</b> for SaaS", "kind": "permanent", "status": "planned"},
    ]  # fmt: skip
    wg.save_actions(demo, "ana", workgroup_id, rows, today=dt.date(2026, 11, 23))
    actions = wg.get_workgroup(demo, workgroup_id)["actions"]
    assert actions[0]["shipped_on"] == dt.date(2026, 11, 23) and actions[0]["due_on"] == dt.date(2026, 11, 30)
    assert actions[1]["shipped_on"] is None
    wg.close_workgroup(demo, "ana", workgroup_id, dt.date(2026, 11, 26))

    marks = wg.trend_annotations(demo, "FRT")
    assert [(m["date"], m["kind"]) for m in marks] == [
        (OPENED, "formed"),
        (dt.date(2026, 11, 23), "action shipped"),
        (dt.date(2026, 11, 26), "closed"),
    ]
    assert all(f"#{workgroup_id}" in m["label"] and "<" not in m["label"] for m in marks)
    assert wg.trend_annotations(demo, "NRT") == []

    other = wg.form_workgroup(demo, "ana", settings, "FRT", scope="L&R", opened_on=OPENED).workgroup_id
    with pytest.raises(wg.WorkgroupError, match="its own workgroup"):
        wg.save_actions(demo, "ana", other, [{"change": "x", "hypothesis_id": hypothesis_id}])


# --- exports -----------------------------------------------------------------------------------------------------


@pytest.fixture
def analysed(demo, settings):
    """A workgroup with a falsified hypothesis, its evidence and a shaping action."""
    workgroup_id = wg.form_workgroup(
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
    hypothesis_id = wg.copy_from_library(demo, "ana", workgroup_id, 5)
    wg.update_hypothesis(
        demo,
        "ana",
        hypothesis_id,
        verdict="falsified",
        verdict_on=dt.date(2026, 11, 24),
        approach="Compared PTO per region with last year.",
        notes="Coverage steady at 90 %.\n# not a heading",
    )
    wg.save_evidence(demo, "ana", hypothesis_id, [{"link": "https://example.com/pto", "note": "PTO sheet"}])
    wg.save_actions(
        demo,
        "ana",
        workgroup_id,
        [{"change": "If a region dips, then borrow from the next", "hypothesis_id": hypothesis_id}],
    )
    return wg.get_workgroup(demo, workgroup_id)


def test_handbook_entry_follows_the_hypothesis_and_actions_page(analysed):
    entry = wg.handbook_entry(analysed)
    order = [
        "## FRT is at or below its floor",
        "### Time off",
        "#### Past analysis",
        "##### 24 Nov 2026: [FRT at or below the floor, weeks of 02 Nov to 16 Nov 2026]"
        "(https://gitlab.com/gitlab-com/support/metrics/-/issues/42)",
        "- **Verdict:** Falsified on 24 Nov 2026",
        "**Evidence gathered**",
        "- https://example.com/pto: PTO sheet",
        "**Approach**",
        "Compared PTO per region with last year.",
        "**Notes**",
        "Coverage steady at 90 %.",
        "#### Shaping actions",
        "- If a region dips, then borrow from the next (temporary, planned)",
    ]
    positions = [entry.index(text) for text in order]
    assert positions == sorted(positions)


def test_issue_body_has_trigger_data_members_hypotheses_and_exit_criteria(demo, settings, analysed):
    series = wg.scope_series(demo, settings, "FRT")
    body = wg.issue_body(analysed, series)
    weekly = {w.week: w for w in series}
    first, last, before = weekly[FRT_BREACH[0]], weekly[FRT_BREACH[-1]], weekly[FRT_BREACH[0] - dt.timedelta(weeks=1)]
    last_lr = last.segments["L&R"]
    order = [
        "## Metrics Workgroup: FRT at or below the floor",
        "### Trigger",
        f"| 02 Nov 2026 | {first.value:.1f} % | {first.good} | {first.total} |",
        f"| 16 Nov 2026 | {last.value:.1f} % |",
        "### Data",
        "| Week of | L&R | GitLab SM | GitLab SaaS | Other (outside combined) |",
        f"| 16 Nov 2026 | {100 * last_lr.good / last_lr.total:.1f} % ({last_lr.good}/{last_lr.total}) |",
        f"| 26 Oct 2026 | {before.value:.1f} % | ok |",
        "### Members",
        "- **Facilitator:** Fay",
        "- **Executive stakeholder:** Eve",
        "- **Member:** Ana",
        "- **Member:** Bo",
        "### Hypotheses",
        "1. **Time off**: FRT fell because many people took time off.",
        "   - Verdict: Falsified on 24 Nov 2026",
        "### Exit criteria",
        "Combined FRT above its 93 % floor for 2 consecutive complete weeks.",
    ]
    assert [text for text in order if text not in body] == []
    positions = [body.index(text) for text in order]
    assert positions == sorted(positions)
    assert wg.export_file_name(analysed, "issue") == f"workgroup-{analysed['id']}-frt-issue.md"


def test_typed_text_cannot_break_the_export_structure(demo, settings):
    workgroup_id = wg.form_workgroup(
        demo, "ana", settings, "FRT", opened_on=OPENED, title="Slow\n## Injected heading", members=["Ana\n# x"]
    ).workgroup_id
    wg.add_hypothesis(demo, "ana", workgroup_id, "Volume\n### fake", title="Volume\n## fake")
    workgroup = wg.get_workgroup(demo, workgroup_id)
    for markdown in (wg.handbook_entry(workgroup), wg.issue_body(workgroup)):
        headings = [line for line in markdown.splitlines() if line.startswith("#")]
        assert not any("fake" in line.split(" ", 1)[0] or line.startswith(("## Injected", "# x")) for line in headings)
        assert "### Volume ## fake" in markdown or "**Volume ## fake**" in markdown


# --- soft delete, undo, audit ---------------------------------------------------------------------------------------


def test_deleting_a_workgroup_can_be_undone(demo, settings, analysed):
    workgroup_id = analysed["id"]
    wg.delete_workgroup(demo, "ana", workgroup_id)
    assert wg.list_workgroups(demo) == []
    assert [w["id"] for w in wg.list_workgroups(demo, deleted=True)] == [workgroup_id]
    assert wg.get_workgroup(demo, workgroup_id) is None
    assert wg.open_workgroup_for(demo, "FRT") is None
    assert wg.trend_annotations(demo, "FRT") == []
    assert wg.library(demo, "time off")[0]["past"] == [], "a deleted workgroup's verdicts are not offered"

    wg.restore_workgroup(demo, "ana", workgroup_id)
    restored = wg.get_workgroup(demo, workgroup_id)
    assert restored["hypotheses"][0]["evidence"] == analysed["hypotheses"][0]["evidence"]
    assert restored["actions"] == analysed["actions"]
    assert wg.open_workgroup_for(demo, "FRT")["id"] == workgroup_id

    wg.delete_workgroup(demo, "ana", workgroup_id)
    newer = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    with pytest.raises(wg.WorkgroupError, match=f"#{newer} is open"):
        wg.restore_workgroup(demo, "ana", workgroup_id)


def test_deleting_a_hypothesis_can_be_undone(demo, analysed):
    hypothesis_id = analysed["hypotheses"][0]["id"]
    wg.delete_hypothesis(demo, "ana", hypothesis_id)
    assert wg.get_workgroup(demo, analysed["id"])["hypotheses"] == []
    with pytest.raises(wg.WorkgroupError):
        wg.update_hypothesis(demo, "ana", hypothesis_id, notes="edited after delete")
    wg.restore_hypothesis(demo, "ana", hypothesis_id)
    assert wg.get_workgroup(demo, analysed["id"])["hypotheses"][0]["id"] == hypothesis_id


def test_every_write_is_audited_and_moves_the_data_version(demo, settings):
    before = store.data_version(demo)
    workgroup_id = wg.form_workgroup(demo, "ana", settings, "FRT", opened_on=OPENED).workgroup_id
    wg.update_workgroup(demo, "ana", workgroup_id, facilitator="Fay", summary="Working on it")
    wg.update_workgroup(demo, "ana", workgroup_id, facilitator="Fay")  # no change, no write
    wg.delete_workgroup(demo, "ana", workgroup_id)
    wg.restore_workgroup(demo, "ana", workgroup_id)
    assert audit_actions(demo) == ["workgroup restored", "workgroup deleted", "workgroup edited", "workgroup formed"]
    assert store.data_version(demo) == before + 4
    row = demo.execute("SELECT updated_by, updated_at > created_at FROM workgroups WHERE id = ?", [workgroup_id])
    assert row.fetchone() == ("ana", True)
    with pytest.raises(wg.WorkgroupError, match="cannot change"):
        wg.update_workgroup(demo, "ana", workgroup_id, status="closed")


# --- roles: checked here, not only by the page ------------------------------------------------------------

VIEWER = auth.Principal("viewer@example.com", auth.VIEWER, signed_in=True)
EDITOR = auth.Principal("lead@example.com", auth.EDITOR, signed_in=True)


def run_as(principal, function, *args, **kwargs):
    """Run in a fresh context, as one Streamlit script run would."""

    def body():
        auth.set_principal(principal)
        return function(*args, **kwargs)

    return contextvars.copy_context().run(body)


def test_a_viewer_cannot_change_any_workgroup_and_an_editor_is_recorded_by_address(demo, settings):
    formed = run_as(EDITOR, wg.form_workgroup, demo, None, settings, "FRT", members=["Ana", "Bo"])
    workgroup_id = formed.workgroup_id
    hypothesis_id = run_as(EDITOR, wg.add_hypothesis, demo, None, workgroup_id, "FRT fell because of time off")
    assert [actor for _, actor, *_ in store.change_history(demo)[:2]] == ["lead@example.com", "lead@example.com"]
    assert wg.get_workgroup(demo, workgroup_id)["created_by"] == "lead@example.com"

    before = (store.data_version(demo), store.change_history(demo), wg.get_workgroup(demo, workgroup_id))
    writes = {
        "form_workgroup": lambda: wg.form_workgroup(
            demo, None, settings, "NRT", start=dt.date(2026, 7, 6), end=dt.date(2026, 7, 6)
        ),
        "update_workgroup": lambda: wg.update_workgroup(demo, None, workgroup_id, title="Renamed"),
        "close_workgroup": lambda: wg.close_workgroup(demo, None, workgroup_id),
        "reopen_workgroup": lambda: wg.reopen_workgroup(demo, None, workgroup_id),
        "delete_workgroup": lambda: wg.delete_workgroup(demo, None, workgroup_id),
        "restore_workgroup": lambda: wg.restore_workgroup(demo, None, workgroup_id),
        "add_hypothesis": lambda: wg.add_hypothesis(demo, None, workgroup_id, "Tickets got harder"),
        "update_hypothesis": lambda: wg.update_hypothesis(demo, None, hypothesis_id, verdict="falsified"),
        "delete_hypothesis": lambda: wg.delete_hypothesis(demo, None, hypothesis_id),
        "restore_hypothesis": lambda: wg.restore_hypothesis(demo, None, hypothesis_id),
        "save_members": lambda: wg.save_members(demo, None, workgroup_id, [{"name": "Eve"}]),
        "save_evidence": lambda: wg.save_evidence(demo, None, hypothesis_id, [{"note": "PTO calendar"}]),
        "add_evidence": lambda: wg.add_evidence(demo, None, hypothesis_id, note="Checked against the data"),
        "save_actions": lambda: wg.save_actions(demo, None, workgroup_id, [{"change": "Stagger PTO"}]),
        "restore_rows": lambda: wg.restore_rows(demo, None, "workgroup_members", [1]),
        "copy_from_library": lambda: wg.copy_from_library(demo, None, workgroup_id, 1),
        "add_to_library": lambda: wg.add_to_library(demo, None, "A new common cause"),
    }
    # Every function that records an actor is a write, and every one of them is tried here.
    takes_actor = {
        name
        for name, function in inspect.getmembers(wg, inspect.isfunction)
        if function.__module__ == wg.__name__ and "actor" in inspect.signature(function).parameters
    }
    assert takes_actor - {"write"} == set(writes)
    for write in writes.values():
        with pytest.raises(PermissionDenied, match="viewer@example.com may view Floorline but not"):
            run_as(VIEWER, write)
    assert (store.data_version(demo), store.change_history(demo), wg.get_workgroup(demo, workgroup_id)) == before
    assert wg.list_workgroups(demo, deleted=True) == [] and len(wg.list_workgroups(demo)) == 1


def test_a_failed_write_leaves_nothing_behind(demo, settings):
    before = store.data_version(demo)
    with pytest.raises(wg.WorkgroupError), wg.write(demo, "ana", "half a change", "workgroup"):
        demo.execute("UPDATE hypothesis_library SET title = 'changed' WHERE id = 1")
        raise wg.WorkgroupError("refused halfway")
    assert (
        demo.execute("SELECT title FROM hypothesis_library WHERE id = 1").fetchone()[0] == "Ticket volume is too high"
    )
    assert store.data_version(demo) == before and audit_actions(demo) == []


def test_the_schema_is_created_by_store_connect(con):
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"workgroups", "workgroup_members", "workgroup_hypotheses", "hypothesis_evidence"} <= tables
    assert {"workgroup_actions", "hypothesis_library"} <= tables
    for table in (
        "workgroups",
        "workgroup_members",
        "workgroup_hypotheses",
        "hypothesis_evidence",
        "workgroup_actions",
    ):
        columns = {row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()}
        assert {"created_at", "updated_at", "deleted_at"} <= columns, table
