"""What the OKR page shows for one quarter: every check done, and the tables built from it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lib.core.settings import Settings
from lib.metrics import fiscal
from lib.metrics.fiscal import FiscalQuarter
from lib.metrics.kpis import fetch_cells
from lib.okrs.model import AT_RISK, BAND_SYMBOLS, DEPARTMENT, MANAGER, NO_SCORE, parse_kpi_link
from lib.okrs.repository import quarters_with_okrs
from lib.okrs.scoring import (
    Breach,
    Exemption,
    band_of,
    days_without_check_in,
    exemption,
    is_stale,
    judged_on,
    kpi_link_progress,
    sustained_breaches,
)
from lib.store import okrs as stored

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class KeyResultView:
    id: str
    objective_id: str
    title: str
    owner: str
    manager: str  # the objective's owner: whom a finding concerns
    score: float | None
    score_source: str  # check-in, starting score, KPI data, none
    band: str
    last_check_in: dt.date | None
    days_without_check_in: int | None
    stale: bool
    kpi_link: str | None
    kpi_note: str


def mean_score(key_results: list[KeyResultView]) -> tuple[float | None, int, int]:
    """(the mean of the scored key results, how many are scored, how many are not)."""
    scored = [kr.score for kr in key_results if kr.score is not None]
    return (sum(scored) / len(scored) if scored else None), len(scored), len(key_results) - len(scored)


@dataclass
class ObjectiveView:
    id: str
    level: str
    title: str
    owner: str
    parent_id: str | None
    alignment_problem: str | None  # None when aligned (or a department objective)
    key_results: list[KeyResultView]
    progress: float | None = None
    band: str = NO_SCORE


@dataclass
class ManagerView:
    name: str
    region: str
    segment: str | None
    manager_since: dt.date
    exemption: Exemption
    objectives: list[ObjectiveView]
    kpi_breaches: list[Breach]

    @property
    def aligned(self) -> bool:
        return any(o.alignment_problem is None for o in self.objectives)


@dataclass
class DepartmentView:
    objective: ObjectiveView
    aligned: list[ObjectiveView]
    progress: float | None
    band: str
    scored: int
    unscored: int


@dataclass
class Gap:
    manager: str
    check: str
    item: str
    detail: str


@dataclass
class QuarterView:
    quarter: FiscalQuarter
    as_of: dt.date
    bands: dict[str, float]
    managers: list[ManagerView]
    not_yet_managers: list[str]
    departments: list[DepartmentView]
    unaligned: list[ObjectiveView]  # manager objectives that align with no department objective of the quarter
    key_results: list[KeyResultView]
    gaps: list[Gap]


def quarter_view(
    con,
    settings: Settings,
    quarter: FiscalQuarter,
    today: dt.date,
    breaches: dict[str, list[Breach]] | None = None,
) -> QuarterView:
    """Everything the OKR page shows for one quarter, with every check done."""
    as_of = judged_on(quarter, today)
    bands = settings.okr_bands
    breaches = sustained_breaches(con, settings) if breaches is None else breaches
    roster = stored.manager_rows(con)
    objective_rows = stored.objective_rows(con, quarter.label)
    levels = stored.objective_levels(con)
    quarters = stored.objective_quarters(con)
    kr_rows = stored.key_result_rows(con, quarter.label, as_of)
    owners = {row[0]: row[3] for row in objective_rows}
    cells_by_region: dict[str | None, list[tuple]] = {}
    key_results_by_objective: dict[str, list[KeyResultView]] = defaultdict(list)
    all_key_results = []
    for kr_id, objective_id, title, owner, typed, link_text, last, checked in kr_rows:
        if link_text:
            link = parse_kpi_link(link_text)
            if link.region not in cells_by_region:
                cells_by_region[link.region] = fetch_cells(con, region=link.region)
            progress = kpi_link_progress(cells_by_region[link.region], link, quarter, settings)
            score, source, note = progress.score, "KPI data", progress.note
            stale, days = False, None
        else:
            score, source = (checked, "check-in") if checked is not None else (typed, "starting score")
            if score is None:
                source = "none"
            note = ""
            started = as_of >= quarter.start
            days = days_without_check_in(last, quarter, as_of) if started else None
            stale = started and is_stale(last, quarter, as_of)
        view = KeyResultView(
            kr_id,
            objective_id,
            title,
            owner,
            owners[objective_id],
            score,
            source,
            band_of(score, bands),
            last,
            days,
            stale,
            link_text,
            note,
        )
        key_results_by_objective[objective_id].append(view)
        all_key_results.append(view)

    objectives = []
    for objective_id, level, title, owner, parent in objective_rows:
        problem = None
        if level == MANAGER:
            if not parent:
                problem = "aligned with nothing"
            elif levels.get(parent) != DEPARTMENT:
                problem = f"aligned with '{parent}', which is not a department objective"
            elif quarters.get(parent) != quarter.label:
                problem = f"aligned with '{parent}', a department objective of {quarters[parent]}"
        krs = key_results_by_objective[objective_id]
        progress, _, _ = mean_score(krs)
        objectives.append(
            ObjectiveView(objective_id, level, title, owner, parent, problem, krs, progress, band_of(progress, bands))
        )

    # Grouped once, so each objective is looked at a fixed number of times however many there are
    # (comparing every objective with every other took 50,000 objectives past any patience).
    aligned_to: dict[str, list[ObjectiveView]] = defaultdict(list)
    owned_by: dict[str, list[ObjectiveView]] = defaultdict(list)
    for objective in objectives:
        if objective.level == MANAGER:
            aligned_to[objective.parent_id].append(objective)
            owned_by[objective.owner].append(objective)
    departments = []
    for objective in (o for o in objectives if o.level == DEPARTMENT):
        aligned = aligned_to.get(objective.id, [])
        beneath = objective.key_results + [kr for o in aligned for kr in o.key_results]
        progress, scored, unscored = mean_score(beneath)
        departments.append(DepartmentView(objective, aligned, progress, band_of(progress, bands), scored, unscored))
    unaligned = [o for o in objectives if o.level == MANAGER and o.alignment_problem]

    managers, not_yet = [], []
    for name, region, segment, since in roster:
        if since > quarter.end:
            not_yet.append(name)
            continue
        found = list(breaches.get(region, []))
        if segment:
            found += breaches.get(segment, [])
        managers.append(
            ManagerView(
                name,
                region,
                segment,
                since,
                exemption(since, quarter),
                owned_by.get(name, []),
                found,
            )
        )
    # KPIs come first: managers with a sustained breach lead the list.
    managers.sort(key=lambda m: (not m.kpi_breaches, m.region, m.name))
    gaps = find_gaps(quarter, managers, objectives, departments, all_key_results)
    return QuarterView(quarter, as_of, bands, managers, not_yet, departments, unaligned, all_key_results, gaps)


def find_gaps(quarter, managers, objectives, departments, key_results) -> list[Gap]:
    gaps = []
    for manager in managers:
        if not manager.objectives and not manager.exemption.exempt:
            gaps.append(Gap(manager.name, "No OKR", "—", f"no manager objective in {quarter.label}"))
    for objective in objectives:
        if objective.alignment_problem:
            gaps.append(Gap(objective.owner, "Not aligned", objective_label(objective), objective.alignment_problem))
        if not objective.key_results:
            gaps.append(Gap(objective.owner, "No key results", objective_label(objective), "add at least one"))
    for department in departments:
        if not department.aligned:
            gaps.append(
                Gap(
                    department.objective.owner,
                    "No manager OKR aligned",
                    objective_label(department.objective),
                    "no manager objective aligns with this department objective",
                )
            )
    for kr in key_results:
        if kr.stale:
            since = f"since {fiscal.date_with_label(kr.last_check_in)}" if kr.last_check_in else "this quarter"
            gaps.append(
                Gap(
                    kr.manager,
                    "No check-in for 3 weeks",
                    f"{kr.id}: {kr.title}",
                    f"none {since} ({kr.days_without_check_in} days)",
                )
            )
        if kr.band in (AT_RISK, NO_SCORE):
            score = "no score yet" if kr.score is None else f"score {kr.score:.0f} %"
            gaps.append(
                Gap(kr.manager, kr.band, f"{kr.id}: {kr.title}", score + (f" — {kr.kpi_note}" if kr.kpi_note else ""))
            )
    return gaps


# Past this many objectives in a quarter the alignment chart is left out: plotly took 2.5 s to build one of
# 5,000, and nobody reads a chart of thousands of boxes; the departments table lists them all.
CHART_OBJECTIVES = 1_000


def objective_count(view: QuarterView) -> int:
    """Objectives the alignment chart would draw: the quarter's department objectives, those aligned, the rest."""
    return len(view.departments) + sum(len(d.aligned) for d in view.departments) + len(view.unaligned)


def objective_label(objective: ObjectiveView) -> str:
    return f"{objective.id}: {objective.title}"


@dataclass(frozen=True)
class MissingOkr:
    manager: str
    reason: str  # "no OKR" or "not aligned"


@dataclass(frozen=True)
class QuarterAnswers:
    """The OKR page's first screen: who has no aligned OKR, who is exempt, which key results are at risk."""

    expected: int  # managers expected to hold an aligned OKR (everyone not exempt)
    missing: list[MissingOkr]
    exempt: list[tuple[str, dt.date]]  # (manager, exempt until)
    at_risk: list[KeyResultView]


def quarter_answers(view: QuarterView, managers: list[ManagerView] | None = None) -> QuarterAnswers:
    """Answers for ``managers`` (everyone by default, department key results included), in roster order.

    Exempt managers are expected to hold no OKR yet, so they are listed as exempt, never as missing.
    """
    everyone = managers is None
    managers = view.managers if everyone else managers
    names = {m.name for m in managers}
    expected = [m for m in managers if not m.exemption.exempt]
    return QuarterAnswers(
        expected=len(expected),
        missing=[MissingOkr(m.name, "not aligned" if m.objectives else "no OKR") for m in expected if not m.aligned],
        exempt=[(m.name, m.exemption.until) for m in managers if m.exemption.exempt],
        at_risk=[kr for kr in view.key_results if kr.band == AT_RISK and (everyone or kr.manager in names)],
    )


def quarter_options(con, today: dt.date) -> list[str]:
    """Quarters to choose from, newest first: every quarter with OKRs, and the ones before, at and after today's."""
    current = fiscal.current_quarter(today)
    quarters = set(quarters_with_okrs(con)) | {current.previous(), current, current.next()}
    return [quarter.label for quarter in sorted(quarters, reverse=True)]


def managers_by_breach(managers: list[ManagerView]) -> dict[str, list[str]]:
    """Each sustained breach (described) and the managers whose region or segment it is in."""
    found: dict[str, list[str]] = {}
    for manager in managers:
        for breach in manager.kpi_breaches:
            found.setdefault(breach.describe(), []).append(manager.name)
    return found


def gaps_frame(view: QuarterView) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [(g.manager, g.check, g.item, g.detail) for g in view.gaps], columns=["Manager", "Check", "Item", "Detail"]
    )


def managers_frame(view: QuarterView) -> pd.DataFrame:
    """One row per manager in priority order: KPIs, then team growth, then OKRs."""
    import pandas as pd

    rows = []
    for m in view.managers:
        if m.objectives:
            aligned = sum(o.alignment_problem is None for o in m.objectives)
            okr = f"{len(m.objectives)} objective(s), {aligned} aligned"
        elif m.exemption.exempt:
            okr = (
                f"Exempt until {fiscal.date_with_label(m.exemption.until)} (new manager); "
                f"OKR expected from {m.exemption.expected_from.label}"
            )
        else:
            okr = "No OKR"
        rows.append(
            {
                "Manager": m.name,
                "Region": m.region,
                "Segment": m.segment or "",
                "Manager since": fiscal.date_with_label(m.manager_since),
                "1. KPIs now": "; ".join(b.short for b in m.kpi_breaches) or "No sustained breach",
                "2. Team growth": "Hiring, development",
                "3. OKRs": okr,
            }
        )
    return pd.DataFrame(rows)


def key_results_frame(view: QuarterView) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {
            "Manager": kr.manager,
            "Key result": f"{kr.id}: {kr.title}",
            "Owner (DRI)": kr.owner,
            "Score %": None if kr.score is None else round(kr.score, 1),
            "Band": f"{BAND_SYMBOLS[kr.band]} {kr.band}",
            "Score from": f"KPI data: {kr.kpi_note}" if kr.kpi_link else kr.score_source,
            "Last check-in": fiscal.date_with_label(kr.last_check_in) if kr.last_check_in else "",
            "Stale": f"yes, {kr.days_without_check_in} days" if kr.stale else "",
        }
        for kr in view.key_results
    ]
    return pd.DataFrame(rows)


def departments_frame(view: QuarterView) -> pd.DataFrame:
    import pandas as pd

    rows = [
        {
            "Department objective": objective_label(d.objective),
            "Owner (DRI)": d.objective.owner,
            "Progress %": None if d.progress is None else round(d.progress, 1),
            "Band": f"{BAND_SYMBOLS[d.band]} {d.band}",
            "Key results counted": d.scored,
            "Without a score": d.unscored,
            "Aligned manager objectives": ", ".join(f"{o.id} ({o.owner})" for o in d.aligned) or "none",
        }
        for d in view.departments
    ]
    return pd.DataFrame(rows)
