"""Both Markdown exports: the handbook's Hypothesis and Actions entry, and the Metrics Workgroup issue body."""

from __future__ import annotations

import datetime as dt

from workgroup_builders import FRT_BREACH, OPENED

from lib.core.text import format_percent
from lib.workgroups import breaches, contents, exports, repository

# --- exports -----------------------------------------------------------------------------------------------------


def test_handbook_entry_follows_the_hypothesis_and_actions_page(analysed):
    entry = exports.handbook_entry(analysed)
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
    series = breaches.scope_series(demo, settings, "FRT")
    body = exports.issue_body(analysed, series)
    weekly = {w.week: w for w in series}
    first, last, before = weekly[FRT_BREACH[0]], weekly[FRT_BREACH[-1]], weekly[FRT_BREACH[0] - dt.timedelta(weeks=1)]
    last_lr = last.segments["L&R"]
    order = [
        "## Metrics Workgroup: FRT at or below the floor",
        "### Trigger",
        f"| 02 Nov 2026 | {format_percent(first.value, 93.0)} | {first.good} | {first.total} |",
        f"| 16 Nov 2026 | {format_percent(last.value, 93.0)} |",
        "### Data",
        "| Week of | L&R | GitLab SM | GitLab SaaS | Other (outside combined) |",
        f"| 16 Nov 2026 | {format_percent(100 * last_lr.good / last_lr.total, 93.0)} "
        f"({last_lr.good}/{last_lr.total}) |",
        f"| 26 Oct 2026 | {format_percent(before.value, 93.0)} | ok |",
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
    assert exports.export_file_name(analysed, "issue") == f"workgroup-{analysed['id']}-frt-issue.md"


def test_typed_text_cannot_break_the_export_structure(demo, settings):
    workgroup_id = repository.form_workgroup(
        demo, "ana", settings, "FRT", opened_on=OPENED, title="Slow\n## Injected heading", members=["Ana\n# x"]
    ).workgroup_id
    contents.add_hypothesis(demo, "ana", workgroup_id, "Volume\n### fake", title="Volume\n## fake")
    workgroup = repository.get_workgroup(demo, workgroup_id)
    for markdown in (exports.handbook_entry(workgroup), exports.issue_body(workgroup)):
        headings = [line for line in markdown.splitlines() if line.startswith("#")]
        assert not any("fake" in line.split(" ", 1)[0] or line.startswith(("## Injected", "# x")) for line in headings)
        assert "### Volume ## fake" in markdown or "**Volume ## fake**" in markdown


def test_a_trigger_week_just_under_the_floor_is_never_written_as_the_floor():
    workgroup = {
        "id": 7,
        "kpi": "FRT",
        "scope": "combined",
        "title": "FRT at or below the floor",
        "status": "open",
        "opened_on": dt.date(2026, 11, 20),
        "floor_at_trigger": 93.0,
        "trigger_weeks": [
            {"week": "2026-11-02", "value": 92.96, "good": 2324, "total": 2500, "status": "breach", "segments": {}},
            {"week": "2026-11-09", "value": 91.6, "good": 916, "total": 1000, "status": "breach", "segments": {}},
        ],
        "members": [],
        "hypotheses": [],
        "actions": [],
    }
    body = exports.issue_body(workgroup)
    assert "| 02 Nov 2026 | 92.96\u00a0% | 2324 | 2500 |" in body
    assert "| 09 Nov 2026 | 91.6\u00a0% | 916 | 1000 |" in body
