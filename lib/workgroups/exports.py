"""A workgroup as Markdown: its entry for the handbook's "Hypothesis and Actions" page and its issue body.

Typed text is kept on one line inside headings and list items (``model.one_line``), so it cannot start
a block of its own; percentages are written by ``lib.core.text.format_percent``.
"""

from __future__ import annotations

import datetime as dt

from lib.core.kpis import get_kpi
from lib.core.settings import COMBINED_SEGMENTS, SEGMENTS
from lib.core.text import format_percent
from lib.metrics.kpis import WeekValue
from lib.workgroups.breaches import chart_window
from lib.workgroups.model import (
    COMBINED_SCOPE,
    block,
    clean_text,
    hypothesis_heading,
    one_line,
    scope_label,
    stored_week,
    verdict_text,
)


def action_line(action: dict) -> str:
    parts = [action.get("kind") or "temporary", action.get("status") or "planned"]
    if action.get("owner"):
        parts.append(f"owner {one_line(action['owner'])}")
    if action.get("due_on"):
        parts.append(f"due {action['due_on']:%d %b %Y}")
    if action.get("shipped_on"):
        parts.append(f"shipped {action['shipped_on']:%d %b %Y}")
    return f"- {one_line(action['change'])} ({', '.join(parts)})"


def issue_reference(workgroup: dict) -> str:
    title = one_line(workgroup["title"])
    url = one_line(workgroup.get("issue_url"))
    return f"[{title}]({url})" if url else f"{title} (workgroup #{workgroup['id']})"


def handbook_entry(workgroup: dict, today: dt.date | None = None) -> str:
    """The workgroup's entry for the handbook's "Hypothesis and Actions" page.

    Metric heading, then one heading per hypothesis with a dated "Past analysis" entry
    (evidence gathered, approach, notes) and the "Shaping actions" that answer it.
    """
    kpi = workgroup["kpi"]
    where = "" if workgroup["scope"] == COMBINED_SCOPE else f" ({workgroup['scope']})"
    lines = [f"## {kpi}{where} is at or below its floor", ""]
    if not workgroup["hypotheses"]:
        lines += ["_No hypotheses recorded yet._", ""]
    unlinked_actions = [a for a in workgroup["actions"] if a.get("hypothesis_id") is None]
    for hypothesis in workgroup["hypotheses"]:
        dated = hypothesis.get("verdict_on") or today or dt.date.today()
        lines += [f"### {hypothesis_heading(hypothesis)}", "", "#### Past analysis", ""]
        lines += [f"##### {dated:%d %b %Y}: {issue_reference(workgroup)}", ""]
        lines += [f"- **Statement:** {one_line(hypothesis['statement'])}"]
        if hypothesis.get("falsified_if"):
            lines += [f"- **Would be falsified by:** {one_line(hypothesis['falsified_if'])}"]
        lines += [f"- **Verdict:** {verdict_text(hypothesis)}", ""]
        lines += ["**Evidence gathered**", ""]
        if hypothesis["evidence"]:
            for evidence in hypothesis["evidence"]:
                link, note = one_line(evidence.get("link")), one_line(evidence.get("note"))
                lines += [f"- {link}" + (f": {note}" if link and note else note)]
        else:
            lines += ["- None recorded yet"]
        lines += ["", "**Approach**", "", block(hypothesis.get("approach")) or "Not recorded yet.", ""]
        if clean_text(hypothesis.get("notes")):
            lines += ["**Notes**", "", block(hypothesis["notes"]), ""]
        answering = [a for a in workgroup["actions"] if a.get("hypothesis_id") == hypothesis["id"]]
        lines += ["#### Shaping actions", ""]
        lines += [action_line(a) for a in answering] or ["- None yet"]
        lines += [""]
    if unlinked_actions:
        lines += ["### Other actions of this workgroup", ""] + [action_line(a) for a in unlinked_actions] + [""]
    return "\n".join(lines).rstrip() + "\n"


def issue_body(workgroup: dict, series: list[WeekValue] | None = None, floor: float | None = None) -> str:
    """The body of a "Metrics Workgroup" issue: trigger, data, members, hypotheses, exit criteria."""
    kpi = workgroup["kpi"]
    floor = workgroup.get("floor_at_trigger") if floor is None else floor
    trigger = workgroup["trigger_weeks"]
    lines = [f"## Metrics Workgroup: {one_line(workgroup['title'])}", ""]
    lines += [
        f"- **KPI:** {kpi} ({get_kpi(kpi).name}), {scope_label(workgroup['scope'])}",
        f"- **Status:** {workgroup['status']}, opened {workgroup['opened_on']:%d %b %Y}"
        + (f", closed {workgroup['closed_on']:%d %b %Y}" if workgroup.get("closed_on") else ""),
    ]
    if workgroup.get("issue_url"):
        lines += [f"- **Issue:** {one_line(workgroup['issue_url'])}"]
    lines += ["", "### Trigger", ""]
    if trigger:
        lines += [
            f"{kpi} was at or below its {floor:g} % floor for {len(trigger)} consecutive weeks, "
            f"weeks of {stored_week(trigger[0])} to {stored_week(trigger[-1])} (weeks start on Monday).",
            "",
            "| Week of | " + kpi + " | Good | Counted |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {stored_week(w)} | {format_percent(w['value'], floor)} | "
            f"{w['good'] if w['good'] is not None else '—'} | {w['total'] if w['total'] is not None else '—'} |"
            for w in trigger
        ]
    else:
        lines += ["No breach weeks were captured when the workgroup was formed."]
    lines += ["", "### Data", ""]
    present = {name for w in trigger for name in w.get("segments", {})}
    segment_names = [name for name in SEGMENTS if name in present] + sorted(present - set(SEGMENTS))
    if segment_names:
        headers = [f"{name} (outside combined)" if name not in COMBINED_SEGMENTS else name for name in segment_names]
        lines += ["By segment in the breach weeks (good of counted):", ""]
        lines += ["| Week of | " + " | ".join(headers) + " |", "|---|" + "---:|" * len(segment_names)]
        for w in trigger:
            cells = []
            for name in segment_names:
                good, total = w["segments"].get(name, [None, None])
                cells.append(f"{format_percent(100 * good / total, floor)} ({good}/{total})" if total else "—")
            lines += [f"| {stored_week(w)} | " + " | ".join(cells) + " |"]
        lines += [""]
    if series:
        since = [w for w in chart_window(series, workgroup.get("trigger_start")) if w.value is not None]
        lines += ["Weekly values since shortly before the trigger:", ""]
        lines += ["| Week of | " + kpi + " | Status |", "|---|---:|---|"]
        lines += [f"| {w.week:%d %b %Y} | {format_percent(w.value, floor)} | {w.status} |" for w in since]
        lines += [""]
    lines += ["### Members", ""]
    lines += [f"- **Facilitator:** {one_line(workgroup.get('facilitator')) or 'to be named'}"]
    lines += [f"- **Executive stakeholder:** {one_line(workgroup.get('executive_stakeholder')) or 'to be named'}"]
    lines += [
        f"- **Member:** {one_line(m['name'])}" + (f" ({one_line(m['role'])})" if clean_text(m.get("role")) else "")
        for m in workgroup["members"]
    ] or ["- **Members:** to be found (2 or 3)"]
    lines += ["", "### Hypotheses", ""]
    if workgroup["hypotheses"]:
        for number, hypothesis in enumerate(workgroup["hypotheses"], start=1):
            lines += [f"{number}. **{hypothesis_heading(hypothesis)}**: {one_line(hypothesis['statement'])}"]
            if hypothesis.get("falsified_if"):
                lines += [f"   - Falsified if: {one_line(hypothesis['falsified_if'])}"]
            lines += [f"   - Verdict: {verdict_text(hypothesis)}"]
    else:
        lines += ["_To be written: testable statements and the data that could falsify them._"]
    if workgroup["actions"]:
        lines += ["", "### Actions", ""] + [action_line(a) for a in workgroup["actions"]]
    lines += ["", "### Exit criteria", "", block(workgroup.get("exit_criteria")) or "_To be agreed._"]
    if clean_text(workgroup.get("summary")):
        lines += ["", "### Summary", "", block(workgroup["summary"])]
    return "\n".join(lines).rstrip() + "\n"


def export_file_name(workgroup: dict, kind: str) -> str:
    """A download name built from the id and KPI only (never from typed text)."""
    return f"workgroup-{workgroup['id']}-{workgroup['kpi'].lower()}-{kind}.md"
