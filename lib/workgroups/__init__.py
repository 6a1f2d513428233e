"""Metrics workgroups: formed on a sustained breach, they test hypotheses and ship actions until recovery.

The handbook asks managers to form a small workgroup when a combined KPI is at or below its
floor for two sustained weeks. A workgroup keeps the breach that triggered it (captured when
it is formed, so later uploads cannot rewrite why it exists), its people, its testable
hypotheses with the evidence that could falsify them, and the actions it shipped. It has
recovered once ``settings.recovery_weeks`` consecutive complete weeks after the trigger are
above the floor.

Every row is soft-deleted (``deleted_at``) so a delete can be undone; every write holds
``store.WRITE_LOCK``, runs in one transaction, leaves an audit row and bumps the data version.
Only an editor may write (``auth.require_editor``, checked here and not only by the page); a
write without a named actor records the signed-in address.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass

from lib.core import auth
from lib.core.settings import COMBINED_SEGMENTS, KPI_NAMES, KPIS, REGIONS, SEGMENTS, Settings
from lib.metrics.kpis import WeekValue, build_series, fetch_cells, summarise
from lib.store import database as store

COMBINED = "combined"
# A workgroup looks at the combined KPI, one segment, or one region's combined figure.
SCOPES = (COMBINED, *SEGMENTS, *REGIONS)
STATUSES = ("open", "closed")
VERDICTS = ("open", "supported", "falsified", "inconclusive")
ACTION_KINDS = ("temporary", "permanent")
ACTION_STATUSES = ("planned", "in progress", "shipped", "dropped")
# The handbook: "Identify 2-3 Managers/ICs who will take part in the workgroup".
MEMBERS_EXPECTED = (2, 3)
# Weeks of context shown before the trigger on a workgroup's chart and in its issue body.
WEEKS_BEFORE_TRIGGER = 4


WORKGROUP_FIELDS = (
    "title",
    "issue_url",
    "facilitator",
    "executive_stakeholder",
    "exit_criteria",
    "summary",
    "opened_on",
    "closed_on",
)
HYPOTHESIS_FIELDS = ("title", "statement", "falsified_if", "approach", "verdict", "verdict_on", "notes")
MEMBER_COLUMNS = ("id", "name", "role")
EVIDENCE_COLUMNS = ("id", "link", "note")
ACTION_COLUMNS = ("id", "change", "kind", "owner", "due_on", "status", "shipped_on", "hypothesis_id")


class WorkgroupError(ValueError):
    """A request the rules refuse; ``message`` says why in words a manager can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@contextmanager
def write(con, actor: str | None, action: str, subject: str, detail: dict | None = None):
    """One audited transaction; the caller's statements run inside it."""
    with store.WRITE_LOCK:
        con.execute("BEGIN")
        try:
            yield
            store.record_change(con, actor, action, subject, detail)
            store.bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def rows_of(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def parse_date(value) -> dt.date | None:
    """A date from what widgets, editors and query strings hand over (date, timestamp, ISO text, blank)."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp; NaT compares unequal to itself
        return None if value != value else value.to_pydatetime().date()
    return dt.date.fromisoformat(str(value)[:10])


def clean_text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


# --- the numbers behind a workgroup -------------------------------------------------------------


def scope_label(scope: str) -> str:
    if scope == COMBINED:
        return "combined (" + ", ".join(COMBINED_SEGMENTS) + ")"
    if scope in REGIONS:
        return f"{scope} region (combined)"
    return f"{scope} segment"


def scope_series(con, settings: Settings, kpi: str, scope: str = COMBINED) -> list[WeekValue]:
    """Weekly values of one KPI for a workgroup's scope, as lib.metrics.kpis computes them."""
    if kpi not in KPIS:
        raise WorkgroupError(f"unknown KPI {kpi!r}; expected one of {', '.join(KPIS)}")
    if scope not in SCOPES:
        raise WorkgroupError(f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")
    floor = settings.floors[kpi]
    if scope in REGIONS:
        return build_series(fetch_cells(con, region=scope), kpi, floor)
    segments = COMBINED_SEGMENTS if scope == COMBINED else (scope,)
    return build_series(fetch_cells(con), kpi, floor, segments=segments)


def current_breach(series: list[WeekValue], kpi: str, settings: Settings):
    """The sustained breach going on now (an Episode), or None."""
    summary = summarise(series, kpi, settings)
    return summary.episodes[-1] if summary.sustained_breach and summary.episodes else None


def latest_sustained_episode(series: list[WeekValue], kpi: str, settings: Settings):
    """The newest sustained episode, ongoing or not (what a late workgroup is formed about)."""
    episodes = summarise(series, kpi, settings).episodes
    return episodes[-1] if episodes else None


def capture_trigger(series: list[WeekValue], start: dt.date, end: dt.date) -> list[dict]:
    """The breach weeks as they stand now, with segment counts, kept with the workgroup."""
    captured = []
    for week_value in series:
        if start <= week_value.week <= end:
            captured.append(
                {
                    "week": week_value.week.isoformat(),
                    "value": week_value.value,
                    "good": week_value.good,
                    "total": week_value.total,
                    "status": week_value.status,
                    "segments": {
                        name: [cell.good, cell.total]
                        for name, cell in sorted(week_value.segments.items())
                        if cell.pct_only is None
                    },
                }
            )
    return captured


@dataclass(frozen=True)
class Recovery:
    recovered: bool
    recovered_on: dt.date | None  # the week that completed the run above the floor
    weeks_above: int  # the current (or completing) run of complete weeks above the floor
    weeks_needed: int
    weeks_observed: int  # complete weeks after the trigger

    def describe(self) -> str:
        if self.recovered:
            return f"Recovered: {self.weeks_needed} weeks above the floor by the week of {self.recovered_on:%d %b %Y}"
        if self.weeks_observed == 0:
            return "No complete week after the trigger yet"
        return f"Not recovered: {self.weeks_above} of {self.weeks_needed} weeks above the floor so far"


def recovery_of(series: list[WeekValue], trigger_end: dt.date | None, weeks_needed: int) -> Recovery:
    """Recovered once ``weeks_needed`` consecutive complete weeks after the trigger are above the floor.

    Gaps, partial weeks and weeks that cannot be pooled restart the run, as they break a breach
    streak: a week nobody can vouch for never counts as a pass. A partial week restarts it once a
    complete week follows; the newest week, still partial because its export ends before the
    week does, neither counts nor restarts (the run stands as of the latest complete week).
    """
    run = 0
    observed = 0
    after_partial = False
    for week_value in series:
        if trigger_end is not None and week_value.week <= trigger_end:
            continue
        if week_value.status == "partial":
            after_partial = True
            continue
        if after_partial:
            run, after_partial = 0, False
        observed += 1
        run = run + 1 if week_value.status == "ok" else 0
        if run >= weeks_needed:
            return Recovery(True, week_value.week, run, weeks_needed, observed)
    return Recovery(False, None, run, weeks_needed, observed)


def chart_window(series: list[WeekValue], trigger_start: dt.date | None) -> list[WeekValue]:
    """The weeks a workgroup's chart shows: a few before the trigger, then everything since."""
    if trigger_start is None:
        return series[-12:]
    first = trigger_start - dt.timedelta(weeks=WEEKS_BEFORE_TRIGGER)
    return [w for w in series if w.week >= first]


def workgroup_figure(
    series: list[WeekValue], workgroup: dict, floor: float, recovery: Recovery, *, height=220, presentation=False
):
    """A small chart of a workgroup's KPI since its trigger: values, the floor, the breach shaded.

    Drawn in the trend charts' style (lib.ui.figures): the floor a solid vermillion line, weeks at or
    below it downward triangles, partial weeks open markers; type larger in presentation mode.
    """
    import plotly.graph_objects as go

    from lib.ui.figures import BREACH_COLOUR, COMBINED_COLOUR, OKABE_ITO, TARGET_COLOUR

    font_size = 16 if presentation else 12
    window = chart_window(series, workgroup.get("trigger_start"))
    complete = [w for w in window if w.status in ("ok", "breach") and w.value is not None]
    partial = [w for w in window if w.status == "partial" and w.value is not None]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[w.week for w in complete],
            y=[w.value for w in complete],
            mode="lines+markers",
            name=workgroup["kpi"],
            line={"color": COMBINED_COLOUR, "width": 3 if presentation else 2},
            marker={
                "color": [BREACH_COLOUR if w.status == "breach" else COMBINED_COLOUR for w in complete],
                "symbol": ["triangle-down" if w.status == "breach" else "circle" for w in complete],
                "size": 9,
            },
            hovertemplate="Week of %{x|%d %b %Y}: %{y:.1f} %<extra></extra>",
        )
    )
    if partial:
        figure.add_trace(
            go.Scatter(
                x=[w.week for w in partial],
                y=[w.value for w in partial],
                mode="markers",
                name="partial week",
                marker={"color": TARGET_COLOUR, "size": 9, "symbol": "circle-open"},
                hovertemplate="Week of %{x|%d %b %Y} (partial): %{y:.1f} %<extra></extra>",
            )
        )
    figure.add_hline(
        y=floor,
        line={"color": BREACH_COLOUR, "width": 2.5},
        annotation_text=f"floor {floor:g} %",
        annotation_position="bottom left",
        annotation_font={"size": font_size - 1, "color": BREACH_COLOUR},
    )
    if workgroup.get("trigger_start") and workgroup.get("trigger_end"):
        figure.add_vrect(
            x0=workgroup["trigger_start"] - dt.timedelta(days=3),
            x1=workgroup["trigger_end"] + dt.timedelta(days=3),
            fillcolor=BREACH_COLOUR,
            opacity=0.13,
            line_width=0,
        )
    if recovery.recovered_on:
        recovered = {"color": OKABE_ITO["bluish_green"], "dash": "dot", "width": 1.5}
        figure.add_vline(x=recovery.recovered_on, line=recovered)
    values = [w.value for w in complete + partial] + [floor]
    figure.update_layout(
        height=height + 40 if presentation else height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        yaxis={"title": None, "ticksuffix": " %", "range": [min(values) - 1.5, max(values) + 1.5]},
        xaxis={"title": None, "tickformat": "%d %b"},
        font={"size": font_size},
    )
    return figure


# --- reading ------------------------------------------------------------------------------------

WORKGROUP_SELECT = "SELECT * FROM workgroups"


def decode_workgroup(row: dict) -> dict:
    row["trigger_weeks"] = json.loads(row["trigger_weeks"] or "[]")
    return row


def list_workgroups(con, *, deleted: bool = False) -> list[dict]:
    """Workgroups, open first, newest first within each status (or the deleted ones)."""
    condition = "deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL"
    order = "deleted_at DESC" if deleted else "status = 'open' DESC, opened_on DESC, id DESC"
    found = rows_of(con.execute(f"{WORKGROUP_SELECT} WHERE {condition} ORDER BY {order}"))
    workgroups = [decode_workgroup(row) for row in found]
    counts = {
        (workgroup_id, verdict): count
        for workgroup_id, verdict, count in con.execute(
            "SELECT workgroup_id, verdict, count(*) FROM workgroup_hypotheses WHERE deleted_at IS NULL GROUP BY ALL"
        ).fetchall()
    }
    members = dict(
        con.execute(
            "SELECT workgroup_id, count(*) FROM workgroup_members WHERE deleted_at IS NULL GROUP BY ALL"
        ).fetchall()
    )
    for workgroup in workgroups:
        workgroup["hypotheses_by_verdict"] = {v: counts.get((workgroup["id"], v), 0) for v in VERDICTS}
        workgroup["member_count"] = members.get(workgroup["id"], 0)
    return workgroups


def get_workgroup(con, workgroup_id: int, *, include_deleted: bool = False) -> dict | None:
    """One workgroup with its members, hypotheses (each with evidence) and actions."""
    condition = "" if include_deleted else " AND deleted_at IS NULL"
    found = rows_of(con.execute(f"{WORKGROUP_SELECT} WHERE id = ?{condition}", [workgroup_id]))
    if not found:
        return None
    workgroup = decode_workgroup(found[0])
    workgroup["members"] = rows_of(
        con.execute(
            "SELECT id, name, role FROM workgroup_members WHERE workgroup_id = ? AND deleted_at IS NULL ORDER BY id",
            [workgroup_id],
        )
    )
    hypotheses = rows_of(
        con.execute(
            """SELECT h.*, l.title AS library_title FROM workgroup_hypotheses h
               LEFT JOIN hypothesis_library l ON l.id = h.library_id
               WHERE h.workgroup_id = ? AND h.deleted_at IS NULL ORDER BY h.id""",
            [workgroup_id],
        )
    )
    evidence = rows_of(
        con.execute(
            """SELECT e.id, e.hypothesis_id, e.link, e.note FROM hypothesis_evidence e
               JOIN workgroup_hypotheses h ON h.id = e.hypothesis_id
               WHERE h.workgroup_id = ? AND e.deleted_at IS NULL ORDER BY e.id""",
            [workgroup_id],
        )
    )
    for hypothesis in hypotheses:
        hypothesis["evidence"] = [
            {k: e[k] for k in EVIDENCE_COLUMNS} for e in evidence if e["hypothesis_id"] == hypothesis["id"]
        ]
    workgroup["hypotheses"] = hypotheses
    workgroup["actions"] = rows_of(
        con.execute(
            f"""SELECT {", ".join(ACTION_COLUMNS)} FROM workgroup_actions
                WHERE workgroup_id = ? AND deleted_at IS NULL ORDER BY id""",
            [workgroup_id],
        )
    )
    return workgroup


def find_open(con, kpi: str, scope: str = COMBINED) -> dict | None:
    found = rows_of(
        con.execute(
            f"""{WORKGROUP_SELECT} WHERE kpi = ? AND scope = ? AND status = 'open' AND deleted_at IS NULL
                ORDER BY opened_on DESC, id DESC LIMIT 1""",
            [kpi, scope],
        )
    )
    return decode_workgroup(found[0]) if found else None


def open_workgroup_for(con, kpi: str) -> dict | None:
    """The open workgroup on a KPI (the combined one first), for the weekly review and the trends page."""
    found = rows_of(
        con.execute(
            f"""{WORKGROUP_SELECT} WHERE kpi = ? AND status = 'open' AND deleted_at IS NULL
                ORDER BY scope = 'combined' DESC, opened_on DESC, id DESC LIMIT 1""",
            [kpi],
        )
    )
    if not found:
        return None
    workgroup = decode_workgroup(found[0])
    hypotheses = rows_of(
        con.execute(
            """SELECT h.title, h.statement, h.verdict, h.verdict_on, l.title AS library_title
               FROM workgroup_hypotheses h LEFT JOIN hypothesis_library l ON l.id = h.library_id
               WHERE h.workgroup_id = ? AND h.deleted_at IS NULL ORDER BY h.id""",
            [workgroup["id"]],
        )
    )
    return {
        "id": workgroup["id"],
        "title": workgroup["title"],
        "opened_on": workgroup["opened_on"],
        "scope": workgroup["scope"],
        "breach_weeks": [dt.date.fromisoformat(w["week"]) for w in workgroup["trigger_weeks"]],
        "facilitator": one_line(workgroup.get("facilitator")),
        "issue_url": one_line(workgroup.get("issue_url")),
        # (hypothesis, verdict) as the handbook export words them
        "hypotheses": [(hypothesis_heading(h), verdict_text(h)) for h in hypotheses],
    }


def trend_annotations(con, kpi: str) -> list[dict]:
    """Dated marks for the KPI trends chart: workgroups formed and closed, actions shipped.

    Labels are built from numbers and fixed words only, never from text a user typed, so a
    chart can show them without escaping.
    """
    marks = []
    for workgroup_id, scope, opened_on, closed_on in con.execute(
        """SELECT id, scope, opened_on, closed_on FROM workgroups
           WHERE kpi = ? AND deleted_at IS NULL ORDER BY opened_on, id""",
        [kpi],
    ).fetchall():
        where = "" if scope == COMBINED else f" ({scope})"
        marks.append({"date": opened_on, "label": f"Workgroup #{workgroup_id}{where} formed", "kind": "formed"})
        if closed_on:
            marks.append({"date": closed_on, "label": f"Workgroup #{workgroup_id}{where} closed", "kind": "closed"})
    for workgroup_id, kind, shipped_on in con.execute(
        """SELECT a.workgroup_id, a.kind, a.shipped_on FROM workgroup_actions a
           JOIN workgroups w ON w.id = a.workgroup_id
           WHERE w.kpi = ? AND w.deleted_at IS NULL AND a.deleted_at IS NULL
             AND a.status = 'shipped' AND a.shipped_on IS NOT NULL
           ORDER BY a.shipped_on, a.id""",
        [kpi],
    ).fetchall():
        what = f"{kind} action" if kind in ACTION_KINDS else "action"
        marks.append(
            {"date": shipped_on, "label": f"Workgroup #{workgroup_id}: {what} shipped", "kind": "action shipped"}
        )
    return sorted(marks, key=lambda mark: mark["date"])


def member_count_warning(count: int) -> str | None:
    low, high = MEMBERS_EXPECTED
    if low <= count <= high:
        return None
    people = "nobody yet" if count == 0 else f"{count} member" + ("" if count == 1 else "s")
    return f"The handbook expects {low} or {high} members (managers or ICs who volunteer); this workgroup has {people}."


# --- writing ------------------------------------------------------------------------------------


def default_title(kpi: str, scope: str, start: dt.date | None, end: dt.date | None) -> str:
    where = "" if scope == COMBINED else f" ({scope})"
    if start and end and start == end:
        return f"{kpi}{where} at or below the floor, week of {start:%d %b %Y}"
    if start and end:
        return f"{kpi}{where} at or below the floor, weeks of {start:%d %b} to {end:%d %b %Y}"
    return f"{kpi}{where} at or below the floor"


def default_exit_criteria(kpi: str, scope: str, settings: Settings) -> str:
    what = "Combined " + kpi if scope == COMBINED else f"{kpi} for {scope}"
    return (
        f"{what} above its {settings.floors[kpi]:g} % floor for {settings.recovery_weeks} consecutive complete weeks."
    )


@dataclass(frozen=True)
class Formed:
    workgroup_id: int
    created: bool  # False: an open workgroup already covered this KPI and scope, and is returned instead


def form_workgroup(
    con,
    actor: str | None,
    settings: Settings,
    kpi: str,
    *,
    scope: str = COMBINED,
    start: dt.date | None = None,
    end: dt.date | None = None,
    opened_on: dt.date | None = None,
    title: str = "",
    facilitator: str = "",
    executive_stakeholder: str = "",
    members: list[str] | tuple[str, ...] = (),
    issue_url: str = "",
    exit_criteria: str = "",
) -> Formed:
    """Form a workgroup on a breach; without start/end, on the current (else latest) sustained breach.

    One open workgroup per KPI and scope: when one is open it is returned (created=False)
    and nothing is written, so forming twice from the weekly review cannot split the work.
    """
    auth.require_editor("form workgroups")
    actor = actor or auth.actor()
    series = scope_series(con, settings, kpi, scope)
    start, end = parse_date(start), parse_date(end)
    if start is None or end is None:
        episode = current_breach(series, kpi, settings) or latest_sustained_episode(series, kpi, settings)
        if episode is None:
            raise WorkgroupError(f"{kpi} ({scope}) has had no sustained breach: give the breach weeks to form one")
        start, end = start or episode.start, end or episode.end
    if start > end:
        raise WorkgroupError(f"the breach cannot start ({start}) after it ends ({end})")
    trigger = capture_trigger(series, start, end)
    opened_on = opened_on or dt.date.today()
    names = [clean_text(name) for name in members if clean_text(name)]
    with store.WRITE_LOCK:
        existing = find_open(con, kpi, scope)
        if existing:
            return Formed(existing["id"], False)
        workgroup_id = con.execute("SELECT nextval('workgroup_ids')").fetchone()[0]
        with write(con, actor, "workgroup formed", f"workgroup {workgroup_id}", {"kpi": kpi, "scope": scope}):
            con.execute(
                """INSERT INTO workgroups VALUES (?, ?, ?, ?, 'open', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, '',
                   now()::TIMESTAMP, ?, now()::TIMESTAMP, ?, NULL, NULL)""",
                [
                    workgroup_id,
                    kpi,
                    scope,
                    clean_text(title) or default_title(kpi, scope, start, end),
                    opened_on,
                    start,
                    end,
                    json.dumps(trigger),
                    settings.floors[kpi],
                    clean_text(issue_url),
                    clean_text(facilitator),
                    clean_text(executive_stakeholder),
                    clean_text(exit_criteria) or default_exit_criteria(kpi, scope, settings),
                    actor or "unknown",
                    actor or "unknown",
                ],
            )
            for name in names:
                con.execute(
                    """INSERT INTO workgroup_members VALUES (nextval('workgroup_member_ids'), ?, ?, '',
                       now()::TIMESTAMP, now()::TIMESTAMP, NULL)""",
                    [workgroup_id, name],
                )
    return Formed(workgroup_id, True)


def require_workgroup(con, workgroup_id: int, *, deleted: bool = False) -> dict:
    condition = "deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL"
    found = rows_of(con.execute(f"{WORKGROUP_SELECT} WHERE id = ? AND {condition}", [workgroup_id]))
    if not found:
        raise WorkgroupError(f"there is no {'deleted ' if deleted else ''}workgroup #{workgroup_id}")
    return decode_workgroup(found[0])


def update_workgroup(con, actor: str | None, workgroup_id: int, **changes) -> None:
    """Change a workgroup's own fields (title, people, issue link, exit criteria, summary, dates)."""
    auth.require_editor("edit workgroups")
    actor = actor or auth.actor()
    unknown = set(changes) - set(WORKGROUP_FIELDS)
    if unknown:
        raise WorkgroupError(f"cannot change {', '.join(sorted(unknown))} this way")
    values = {key: parse_date(value) if key.endswith("_on") else clean_text(value) for key, value in changes.items()}
    if "title" in values and not values["title"]:
        raise WorkgroupError("a workgroup needs a title")
    if values.get("opened_on") is None and "opened_on" in values:
        raise WorkgroupError("a workgroup needs the date it was opened")
    with store.WRITE_LOCK:
        current = require_workgroup(con, workgroup_id)
        opened = values.get("opened_on", current["opened_on"])
        closed = values.get("closed_on", current["closed_on"])
        if closed and closed < opened:
            raise WorkgroupError(f"a workgroup cannot close ({closed}) before it opened ({opened})")
        if current["status"] == "open" and values.get("closed_on"):
            raise WorkgroupError("close the workgroup to give it a closing date")
        changed = {k: v for k, v in values.items() if v != current[k]}
        if not changed:
            return
        assignments = ", ".join(f"{key} = ?" for key in changed)
        with write(con, actor, "workgroup edited", f"workgroup {workgroup_id}", {"fields": sorted(changed)}):
            con.execute(
                f"UPDATE workgroups SET {assignments}, updated_at = now()::TIMESTAMP, updated_by = ? WHERE id = ?",
                [*changed.values(), actor or "unknown", workgroup_id],
            )


def close_workgroup(con, actor: str | None, workgroup_id: int, closed_on: dt.date | None = None, summary=None) -> None:
    auth.require_editor("close workgroups")
    actor = actor or auth.actor()
    with store.WRITE_LOCK:
        current = require_workgroup(con, workgroup_id)
        closed_on = parse_date(closed_on) or dt.date.today()
        if closed_on < current["opened_on"]:
            raise WorkgroupError(f"a workgroup cannot close ({closed_on}) before it opened ({current['opened_on']})")
        with write(con, actor, "workgroup closed", f"workgroup {workgroup_id}", {"closed_on": closed_on}):
            con.execute(
                """UPDATE workgroups SET status = 'closed', closed_on = ?, summary = coalesce(?, summary),
                   updated_at = now()::TIMESTAMP, updated_by = ? WHERE id = ?""",
                [closed_on, None if summary is None else clean_text(summary), actor or "unknown", workgroup_id],
            )


def reopen_workgroup(con, actor: str | None, workgroup_id: int) -> None:
    auth.require_editor("reopen workgroups")
    actor = actor or auth.actor()
    with store.WRITE_LOCK:
        current = require_workgroup(con, workgroup_id)
        other = find_open(con, current["kpi"], current["scope"])
        if other and other["id"] != workgroup_id:
            raise WorkgroupError(
                f"workgroup #{other['id']} is already open on {current['kpi']} ({current['scope']}): close it first"
            )
        with write(con, actor, "workgroup reopened", f"workgroup {workgroup_id}"):
            con.execute(
                """UPDATE workgroups SET status = 'open', closed_on = NULL, updated_at = now()::TIMESTAMP,
                   updated_by = ? WHERE id = ?""",
                [actor or "unknown", workgroup_id],
            )


def delete_workgroup(con, actor: str | None, workgroup_id: int) -> None:
    """Soft delete: the workgroup and everything in it stay stored, and restore_workgroup brings them back."""
    auth.require_editor("delete workgroups")
    actor = actor or auth.actor()
    with store.WRITE_LOCK:
        require_workgroup(con, workgroup_id)
        with write(con, actor, "workgroup deleted", f"workgroup {workgroup_id}"):
            con.execute(
                "UPDATE workgroups SET deleted_at = now()::TIMESTAMP, deleted_by = ? WHERE id = ?",
                [actor or "unknown", workgroup_id],
            )


def restore_workgroup(con, actor: str | None, workgroup_id: int) -> None:
    auth.require_editor("restore workgroups")
    actor = actor or auth.actor()
    with store.WRITE_LOCK:
        current = require_workgroup(con, workgroup_id, deleted=True)
        if current["status"] == "open":
            other = find_open(con, current["kpi"], current["scope"])
            if other:
                raise WorkgroupError(
                    f"workgroup #{other['id']} is open on {current['kpi']} ({current['scope']}) now: "
                    "close it before bringing this one back"
                )
        with write(con, actor, "workgroup restored", f"workgroup {workgroup_id}"):
            con.execute(
                """UPDATE workgroups SET deleted_at = NULL, deleted_by = NULL, updated_at = now()::TIMESTAMP,
                   updated_by = ? WHERE id = ?""",
                [actor or "unknown", workgroup_id],
            )


def hypothesis_values(changes: dict, today: dt.date) -> dict:
    unknown = set(changes) - set(HYPOTHESIS_FIELDS)
    if unknown:
        raise WorkgroupError(f"cannot change {', '.join(sorted(unknown))} on a hypothesis")
    values = {key: parse_date(v) if key == "verdict_on" else clean_text(v) for key, v in changes.items()}
    if "statement" in values and not values["statement"]:
        raise WorkgroupError("a hypothesis needs a testable statement")
    if "verdict" in values:
        if values["verdict"] not in VERDICTS:
            raise WorkgroupError(f"a verdict is one of {', '.join(VERDICTS)}")
        # A verdict carries the day it was reached; reopening a hypothesis clears that day.
        if values["verdict"] == "open":
            values["verdict_on"] = None
        elif not values.get("verdict_on"):
            values["verdict_on"] = today
    return values


def add_hypothesis(
    con,
    actor: str | None,
    workgroup_id: int,
    statement: str,
    *,
    title: str = "",
    falsified_if: str = "",
    approach: str = "",
    notes: str = "",
    verdict: str = "open",
    verdict_on: dt.date | None = None,
    library_id: int | None = None,
) -> int:
    auth.require_editor("add hypotheses")
    actor = actor or auth.actor()
    values = hypothesis_values(
        {
            "title": title,
            "statement": statement,
            "falsified_if": falsified_if,
            "approach": approach,
            "notes": notes,
            "verdict": verdict,
            "verdict_on": verdict_on,
        },
        dt.date.today(),
    )
    with store.WRITE_LOCK:
        require_workgroup(con, workgroup_id)
        hypothesis_id = con.execute("SELECT nextval('workgroup_hypothesis_ids')").fetchone()[0]
        with write(con, actor, "hypothesis added", f"workgroup {workgroup_id}", {"hypothesis_id": hypothesis_id}):
            con.execute(
                """INSERT INTO workgroup_hypotheses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                   now()::TIMESTAMP, now()::TIMESTAMP, NULL)""",
                [
                    hypothesis_id,
                    workgroup_id,
                    library_id,
                    values["title"],
                    values["statement"],
                    values["falsified_if"],
                    values["approach"],
                    values["verdict"],
                    values["verdict_on"],
                    values["notes"],
                ],
            )
    return hypothesis_id


def hypothesis_row(con, hypothesis_id: int, *, deleted: bool = False) -> dict:
    condition = "deleted_at IS NOT NULL" if deleted else "deleted_at IS NULL"
    found = rows_of(con.execute(f"SELECT * FROM workgroup_hypotheses WHERE id = ? AND {condition}", [hypothesis_id]))
    if not found:
        raise WorkgroupError(f"there is no {'deleted ' if deleted else ''}hypothesis #{hypothesis_id}")
    return found[0]


def update_hypothesis(con, actor: str | None, hypothesis_id: int, *, today: dt.date | None = None, **changes) -> None:
    """Edit a hypothesis; setting a verdict dates it (today unless verdict_on is given)."""
    auth.require_editor("edit hypotheses")
    actor = actor or auth.actor()
    values = hypothesis_values(changes, today or dt.date.today())
    with store.WRITE_LOCK:
        current = hypothesis_row(con, hypothesis_id)
        if values.get("verdict") == current["verdict"] and "verdict_on" not in changes:
            values.pop("verdict_on", None)  # re-saving the same verdict keeps the day it was reached
        changed = {k: v for k, v in values.items() if v != current[k]}
        if not changed:
            return
        assignments = ", ".join(f"{key} = ?" for key in changed)
        detail = {"hypothesis_id": hypothesis_id, "fields": sorted(changed)}
        if "verdict" in changed:
            detail["verdict"] = changed["verdict"]
        with write(con, actor, "hypothesis edited", f"workgroup {current['workgroup_id']}", detail):
            con.execute(
                f"UPDATE workgroup_hypotheses SET {assignments}, updated_at = now()::TIMESTAMP WHERE id = ?",
                [*changed.values(), hypothesis_id],
            )


def delete_hypothesis(con, actor: str | None, hypothesis_id: int) -> None:
    auth.require_editor("delete hypotheses")
    actor = actor or auth.actor()
    with store.WRITE_LOCK:
        current = hypothesis_row(con, hypothesis_id)
        with write(con, actor, "hypothesis deleted", f"workgroup {current['workgroup_id']}", {"id": hypothesis_id}):
            con.execute("UPDATE workgroup_hypotheses SET deleted_at = now()::TIMESTAMP WHERE id = ?", [hypothesis_id])


def restore_hypothesis(con, actor: str | None, hypothesis_id: int) -> None:
    auth.require_editor("restore hypotheses")
    actor = actor or auth.actor()
    with store.WRITE_LOCK:
        current = hypothesis_row(con, hypothesis_id, deleted=True)
        with write(con, actor, "hypothesis restored", f"workgroup {current['workgroup_id']}", {"id": hypothesis_id}):
            con.execute(
                "UPDATE workgroup_hypotheses SET deleted_at = NULL, updated_at = now()::TIMESTAMP WHERE id = ?",
                [hypothesis_id],
            )


# --- tables edited as a whole (members, evidence, actions) --------------------------------------


def clean_member(row: dict) -> dict:
    return {"name": clean_text(row.get("name")), "role": clean_text(row.get("role"))}


def clean_evidence(row: dict) -> dict:
    return {"link": clean_text(row.get("link")), "note": clean_text(row.get("note"))}


def clean_action(row: dict, today: dt.date) -> dict:
    kind = clean_text(row.get("kind")) or "temporary"
    status = clean_text(row.get("status")) or "planned"
    if kind not in ACTION_KINDS:
        raise WorkgroupError(f"an action is {' or '.join(ACTION_KINDS)}")
    if status not in ACTION_STATUSES:
        raise WorkgroupError(f"an action's status is one of {', '.join(ACTION_STATUSES)}")
    shipped_on = parse_date(row.get("shipped_on"))
    if status == "shipped" and shipped_on is None:
        shipped_on = today  # shipping is dated, so the trends chart can mark it
    hypothesis_id = row.get("hypothesis_id")
    hypothesis_id = None if hypothesis_id in (None, "") or hypothesis_id != hypothesis_id else int(hypothesis_id)
    return {
        "change": clean_text(row.get("change")),
        "kind": kind,
        "owner": clean_text(row.get("owner")),
        "due_on": parse_date(row.get("due_on")),
        "status": status,
        "shipped_on": shipped_on,
        "hypothesis_id": hypothesis_id,
    }


# table -> (parent column, the column a row cannot be without, sequence)
EDITED_TABLES = {
    "workgroup_members": ("workgroup_id", "name", "workgroup_member_ids"),
    "hypothesis_evidence": ("hypothesis_id", None, "hypothesis_evidence_ids"),
    "workgroup_actions": ("workgroup_id", "change", "workgroup_action_ids"),
}


def row_id(row: dict) -> int | None:
    value = row.get("id")
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def sync_rows(con, table: str, parent_id: int, rows: list[dict]) -> dict:
    """Make a parent's rows match an edited table: insert new rows, update changed ones, soft-delete the rest.

    Returns {"added": n, "changed": n, "removed": [ids]} (the removed ids are what an undo restores).
    """
    parent_column, required, sequence = EDITED_TABLES[table]
    existing = {
        row["id"]: row
        for row in rows_of(
            con.execute(f"SELECT * FROM {table} WHERE {parent_column} = ? AND deleted_at IS NULL", [parent_id])
        )
    }
    kept: set[int] = set()
    added = changed = 0
    for row in rows:
        identifier = row_id(row)
        values = {k: v for k, v in row.items() if k != "id"}
        if not any(v not in (None, "") for k, v in values.items() if k not in ("kind", "status")):
            continue  # a row left empty in the editor is not a row
        if required and not values[required]:
            raise WorkgroupError(f"every row needs a {required.replace('_', ' ')}")
        if identifier in existing:
            kept.add(identifier)
            current = existing[identifier]
            if any(current[k] != v for k, v in values.items()):
                assignments = ", ".join(f"{k} = ?" for k in values)
                con.execute(
                    f"UPDATE {table} SET {assignments}, updated_at = now()::TIMESTAMP WHERE id = ?",
                    [*values.values(), identifier],
                )
                changed += 1
        else:
            columns = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            con.execute(
                f"""INSERT INTO {table} (id, {parent_column}, {columns}, created_at, updated_at)
                    VALUES (nextval('{sequence}'), ?, {marks}, now()::TIMESTAMP, now()::TIMESTAMP)""",
                [parent_id, *values.values()],
            )
            added += 1
    removed = sorted(set(existing) - kept)
    for identifier in removed:
        con.execute(f"UPDATE {table} SET deleted_at = now()::TIMESTAMP WHERE id = ?", [identifier])
    return {"added": added, "changed": changed, "removed": removed}


def save_members(con, actor: str | None, workgroup_id: int, rows: list[dict]) -> dict:
    auth.require_editor("edit workgroup members")
    actor = actor or auth.actor()
    cleaned = [{"id": row_id(row), **clean_member(row)} for row in rows]
    with store.WRITE_LOCK:
        require_workgroup(con, workgroup_id)
        with write(con, actor, "members saved", f"workgroup {workgroup_id}"):
            return sync_rows(con, "workgroup_members", workgroup_id, cleaned)


def save_evidence(con, actor: str | None, hypothesis_id: int, rows: list[dict]) -> dict:
    auth.require_editor("edit evidence")
    actor = actor or auth.actor()
    cleaned = [{"id": row_id(row), **clean_evidence(row)} for row in rows]
    with store.WRITE_LOCK:
        current = hypothesis_row(con, hypothesis_id)
        detail = {"hypothesis_id": hypothesis_id}
        with write(con, actor, "evidence saved", f"workgroup {current['workgroup_id']}", detail):
            return sync_rows(con, "hypothesis_evidence", hypothesis_id, cleaned)


def add_evidence(con, actor: str | None, hypothesis_id: int, *, link: str = "", note: str = "") -> int:
    """One more piece of evidence (a check's result, say), leaving the others as they are."""
    auth.require_editor("edit evidence")
    actor = actor or auth.actor()
    with store.WRITE_LOCK:
        current = hypothesis_row(con, hypothesis_id)
        evidence_id = con.execute("SELECT nextval('hypothesis_evidence_ids')").fetchone()[0]
        detail = {"hypothesis_id": hypothesis_id, "evidence_id": evidence_id}
        with write(con, actor, "evidence added", f"workgroup {current['workgroup_id']}", detail):
            con.execute(
                """INSERT INTO hypothesis_evidence (id, hypothesis_id, link, note, created_at, updated_at)
                   VALUES (?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP)""",
                [evidence_id, hypothesis_id, clean_text(link), clean_text(note)],
            )
    return evidence_id


def save_actions(con, actor: str | None, workgroup_id: int, rows: list[dict], *, today: dt.date | None = None) -> dict:
    auth.require_editor("edit workgroup actions")
    actor = actor or auth.actor()
    cleaned = [{"id": row_id(row), **clean_action(row, today or dt.date.today())} for row in rows]
    with store.WRITE_LOCK:
        require_workgroup(con, workgroup_id)
        own_sql = "SELECT id FROM workgroup_hypotheses WHERE workgroup_id = ?"
        own = {row[0] for row in con.execute(own_sql, [workgroup_id]).fetchall()}
        if any(row["hypothesis_id"] is not None and row["hypothesis_id"] not in own for row in cleaned):
            raise WorkgroupError("an action can only answer a hypothesis of its own workgroup")
        with write(con, actor, "actions saved", f"workgroup {workgroup_id}"):
            return sync_rows(con, "workgroup_actions", workgroup_id, cleaned)


def restore_rows(con, actor: str | None, table: str, ids: list[int]) -> None:
    """Undo the removals of one save (the ids sync_rows reported)."""
    auth.require_editor("restore workgroup rows")
    actor = actor or auth.actor()
    if table not in EDITED_TABLES:
        raise WorkgroupError(f"cannot restore rows of {table}")
    if not ids:
        return
    with write(con, actor, "rows restored", table, {"ids": list(ids)}):
        con.execute(
            f"UPDATE {table} SET deleted_at = NULL, updated_at = now()::TIMESTAMP WHERE list_contains(?, id)",
            [list(ids)],
        )


# --- the hypothesis library -----------------------------------------------------------------------


def library(con, query: str = "") -> list[dict]:
    """Library entries matching every word of ``query``, each with what past workgroups concluded."""
    entries = rows_of(
        con.execute(
            """SELECT id, title, statement, falsified_if, approach, shaping_actions FROM hypothesis_library
               WHERE deleted_at IS NULL ORDER BY id"""
        )
    )
    words = [word.casefold() for word in re.findall(r"\w+", query or "")]
    if words:
        searched = ("title", "statement", "falsified_if", "approach", "shaping_actions")
        entries = [
            entry
            for entry in entries
            if all(word in " ".join(clean_text(entry[k]) for k in searched).casefold() for word in words)
        ]
    conclusions = rows_of(
        con.execute(
            """SELECT h.library_id, h.id AS hypothesis_id, h.verdict, h.verdict_on, h.notes,
                      w.id AS workgroup_id, w.title AS workgroup_title, w.kpi, w.scope, w.opened_on
               FROM workgroup_hypotheses h JOIN workgroups w ON w.id = h.workgroup_id
               WHERE h.library_id IS NOT NULL AND h.deleted_at IS NULL AND w.deleted_at IS NULL
                 AND h.verdict <> 'open'
               ORDER BY h.verdict_on DESC NULLS LAST, h.id DESC"""
        )
    )
    for entry in entries:
        entry["past"] = [c for c in conclusions if c["library_id"] == entry["id"]]
        entry["tally"] = {v: sum(1 for c in entry["past"] if c["verdict"] == v) for v in VERDICTS if v != "open"}
    return entries


def copy_from_library(con, actor: str | None, workgroup_id: int, library_id: int) -> int:
    """Add a library hypothesis to a workgroup, worded for its KPI; the copy is the workgroup's to edit."""
    auth.require_editor("add hypotheses")
    actor = actor or auth.actor()
    found = rows_of(con.execute("SELECT * FROM hypothesis_library WHERE id = ? AND deleted_at IS NULL", [library_id]))
    if not found:
        raise WorkgroupError(f"there is no library hypothesis #{library_id}")
    entry = found[0]
    kpi = require_workgroup(con, workgroup_id)["kpi"]
    return add_hypothesis(
        con,
        actor,
        workgroup_id,
        clean_text(entry["statement"]).replace("{kpi}", kpi) or entry["title"],
        title=entry["title"],
        falsified_if=clean_text(entry["falsified_if"]),
        approach=clean_text(entry["approach"]),
        library_id=library_id,
    )


def add_to_library(
    con, actor: str | None, title: str, *, statement="", falsified_if="", approach="", shaping_actions=""
) -> int:
    """A new common hypothesis (write ``{kpi}`` where the KPI's name belongs)."""
    auth.require_editor("add to the hypothesis library")
    actor = actor or auth.actor()
    if not clean_text(title):
        raise WorkgroupError("a library hypothesis needs a title")
    with store.WRITE_LOCK:
        library_id = con.execute("SELECT nextval('hypothesis_library_ids')").fetchone()[0]
        with write(con, actor, "library hypothesis added", f"library {library_id}"):
            con.execute(
                "INSERT INTO hypothesis_library VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP, NULL)",
                [
                    library_id,
                    clean_text(title),
                    clean_text(statement),
                    clean_text(falsified_if),
                    clean_text(approach),
                    clean_text(shaping_actions),
                ],
            )
    return library_id


# --- Markdown exports -----------------------------------------------------------------------------


def one_line(text) -> str:
    """User text inside a heading or list item: one line, so it cannot start a new block."""
    return " ".join(clean_text(text).split())


def block(text) -> str:
    """User text as a paragraph: kept as typed (it may hold links), blank lines kept, trailing space trimmed."""
    return "\n".join(line.rstrip() for line in clean_text(text).splitlines())


def pct(value) -> str:
    return "—" if value is None else f"{value:.1f} %"


def hypothesis_heading(hypothesis: dict) -> str:
    return one_line(hypothesis.get("title") or hypothesis.get("library_title") or hypothesis["statement"])


def verdict_text(hypothesis: dict) -> str:
    if hypothesis["verdict"] == "open":
        return "Open (no verdict yet)"
    when = f" on {hypothesis['verdict_on']:%d %b %Y}" if hypothesis.get("verdict_on") else ""
    return f"{hypothesis['verdict'].capitalize()}{when}"


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


def stored_week(captured: dict) -> str:
    """A captured trigger week (stored ISO) as every page and export writes a date: '02 Nov 2026'."""
    return f"{dt.date.fromisoformat(captured['week']):%d %b %Y}"


def handbook_entry(workgroup: dict, today: dt.date | None = None) -> str:
    """The workgroup's entry for the handbook's "Hypothesis and Actions" page.

    Metric heading, then one heading per hypothesis with a dated "Past analysis" entry
    (evidence gathered, approach, notes) and the "Shaping actions" that answer it.
    """
    kpi = workgroup["kpi"]
    where = "" if workgroup["scope"] == COMBINED else f" ({workgroup['scope']})"
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
        f"- **KPI:** {kpi} ({KPI_NAMES.get(kpi, kpi)}), {scope_label(workgroup['scope'])}",
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
            f"| {stored_week(w)} | {pct(w['value'])} | {w['good'] if w['good'] is not None else '—'} | "
            f"{w['total'] if w['total'] is not None else '—'} |"
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
                cells.append(f"{pct(100 * good / total)} ({good}/{total})" if total else "—")
            lines += [f"| {stored_week(w)} | " + " | ".join(cells) + " |"]
        lines += [""]
    if series:
        since = [w for w in chart_window(series, workgroup.get("trigger_start")) if w.value is not None]
        lines += ["Weekly values since shortly before the trigger:", ""]
        lines += ["| Week of | " + kpi + " | Status |", "|---|---:|---|"]
        lines += [f"| {w.week:%d %b %Y} | {pct(w.value)} | {w.status} |" for w in since]
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
