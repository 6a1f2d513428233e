"""Demo OKRs: a director, eight managers and two quarters of objectives, key results and check-ins.

Built to show every check the OKR page makes: a new (exempt) manager, an objective aligned with
nothing, a stale key result and KPI-linked key results scored from the demo year's uploads.
"""

from __future__ import annotations

import datetime as dt

from lib.metrics import fiscal
from lib.metrics.fiscal import FiscalQuarter
from lib.okrs.model import DEPARTMENT, MANAGER, Batch
from lib.okrs.repository import write_batch
from lib.store import okrs as okrs_store

DEMO_DIRECTOR = "Morgan Hayes"
# name, region, segment, manager since (None: a new manager, NEW_MANAGER_DAYS before the demo's today)
DEMO_MANAGERS = (
    ("Alex Rivera", "AMER", "GitLab SM", dt.date(2021, 6, 14)),
    ("Jordan Lee", "AMER", None, dt.date(2022, 3, 1)),
    ("Sam Carter", "AMER", None, None),
    ("Priya Nair", "APAC", None, dt.date(2020, 9, 1)),
    ("Kenji Watanabe", "APAC", None, dt.date(2023, 1, 9)),
    ("Chioma Okafor", "EMEA", "L&R", dt.date(2022, 5, 2)),
    ("Lukas Becker", "EMEA", None, dt.date(2022, 10, 3)),
    ("Sofia Rossi", "EMEA", None, dt.date(2024, 2, 1)),
)
NEW_MANAGER_DAYS = 45  # Sam Carter became a manager this many days before the demo's today

DEPARTMENT_OKRS = (
    (
        "D1",
        "Meet every support KPI every week",
        [
            ("KR1", "Combined FRT at or above 95 % each week", "Combined FRT >= 95", None),
            ("KR2", "Combined SSAT at or above 95 % each week", "Combined SSAT >= 95", None),
        ],
    ),
    ("D2", "Grow and develop the team", [("KR1", "Six support engineers hired and onboarded", None, 80)]),
    ("D3", "Help customers help themselves", [("KR1", "Twenty troubleshooting pages published", None, 65)]),
)
# manager, parent department objective (None: not aligned), objective, [(title, KPI link, final score)]
MANAGER_OKRS_NOW = (
    (
        "Alex Rivera",
        "D1",
        "Get GitLab SM first replies back on target",
        [
            ("GitLab SM FRT at or above 95 % each week", "GitLab SM FRT >= 95", None),
            ("SM routing review done (epic &2)", None, 72),
        ],
    ),
    (
        "Jordan Lee",
        "D2",
        "Two AMER hires onboarded",
        [("Two offers accepted", None, 90), ("Onboarding buddies", None, 60)],
    ),
    ("Priya Nair", "D3", "APAC docs from real tickets", [("Eight pages from APAC tickets", None, 88)]),
    ("Chioma Okafor", "D1", "Faster L&R first replies in EMEA", [("L&R triage rota in EMEA", None, 76)]),
    ("Lukas Becker", None, "Fair on-call rotation in EMEA", [("Rota published for the quarter", None, 92)]),
    ("Sofia Rossi", "D2", "EMEA engineers' growth plans", [("Growth plan for every engineer", None, 50)]),
)
MANAGER_OKRS_BEFORE = (
    ("Alex Rivera", "D1", "Hold GitLab SM FRT through the summer", [("GitLab SM FRT", "GitLab SM FRT >= 95", None)]),
    ("Jordan Lee", "D2", "AMER hiring plan", [("Hiring plan agreed", None, 95)]),
    ("Priya Nair", "D3", "APAC knowledge base sweep", [("Forty pages reviewed", None, 86)]),
    ("Kenji Watanabe", "D2", "APAC mentoring circle", [("Monthly mentoring sessions", None, 78)]),
    ("Chioma Okafor", "D1", "L&R backlog below 50 tickets", [("Backlog under 50 by quarter end", None, 91)]),
    ("Lukas Becker", "D1", "EMEA weekend coverage", [("Weekend rota covers every weekend", None, 85)]),
    ("Sofia Rossi", "D2", "Training for new EMEA hires", [("Every new hire through training", None, 88)]),
)
DEMO_STALE_OWNER = "Sofia Rossi"


def check_in_days(quarter: FiscalQuarter, as_of: dt.date, *, stale: bool) -> list[dt.date]:
    """Weekly check-ins on Fridays; a stale key result has one only, on the quarter's first day."""
    if stale:
        return [quarter.start] if quarter.start <= as_of else []
    first = quarter.start + dt.timedelta(days=(4 - quarter.start.weekday()) % 7)
    last = min(as_of, quarter.end)
    days = []
    day = first
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=7)
    return days


def demo_batch(today: dt.date) -> Batch:
    batch = Batch()
    for name, region, segment, since in DEMO_MANAGERS:
        since = since or today - dt.timedelta(days=NEW_MANAGER_DAYS)
        batch.managers[name] = {"name": name, "region": region, "segment": segment, "manager_since": since}
    now_quarter = fiscal.quarter_of(today)
    for quarter, manager_okrs in ((now_quarter.previous(), MANAGER_OKRS_BEFORE), (now_quarter, MANAGER_OKRS_NOW)):
        prefix = quarter.label
        for code, title, key_results in DEPARTMENT_OKRS:
            objective_id = f"{prefix}-{code}"
            add_demo_objective(batch, quarter, objective_id, DEPARTMENT, title, DEMO_DIRECTOR, None)
            for kr_code, kr_title, link, final in key_results:
                add_demo_key_result(batch, quarter, today, objective_id, kr_code, kr_title, DEMO_DIRECTOR, link, final)
        for number, (owner, parent, title, key_results) in enumerate(manager_okrs, start=1):
            objective_id = f"{prefix}-M{number}"
            parent_id = f"{prefix}-{parent}" if parent else None
            add_demo_objective(batch, quarter, objective_id, MANAGER, title, owner, parent_id)
            for kr_number, (kr_title, link, final) in enumerate(key_results, start=1):
                stale = quarter == now_quarter and owner == DEMO_STALE_OWNER
                add_demo_key_result(
                    batch, quarter, today, objective_id, f"KR{kr_number}", kr_title, owner, link, final, stale=stale
                )
    return batch


def add_demo_objective(batch, quarter, objective_id, level, title, owner, parent_id) -> None:
    batch.objectives[objective_id] = {
        "id": objective_id,
        "quarter": quarter.label,
        "level": level,
        "title": title,
        "owner": owner,
        "parent_id": parent_id,
    }


def add_demo_key_result(batch, quarter, today, objective_id, code, title, owner, link, final, *, stale=False) -> None:
    key_result_id = f"{objective_id}-{code}"
    batch.key_results[key_result_id] = {
        "id": key_result_id,
        "objective_id": objective_id,
        "title": title,
        "owner": owner,
        "score": None if link else 0.0,
        "kpi_link": link,
    }
    if link:
        return
    days = check_in_days(quarter, today, stale=stale)
    for index, day in enumerate(days, start=1):
        # Scores climb toward the final one; the last check-in carries it.
        score = round(final * index / len(days)) if not stale else final
        batch.check_ins[(key_result_id, day)] = {
            "key_result_id": key_result_id,
            "check_in_date": day,
            "score": float(score),
            "note": f"week {index} update",
        }


def load_demo_okrs(con, today: dt.date, actor: str = "demo generator") -> bool:
    """Seed demo OKRs for the quarter of ``today`` and the one before; nothing if any OKR data exists."""
    if okrs_store.has_okrs(con):
        return False
    write_batch(con, demo_batch(today), actor, action="demo", subject="demo OKRs", is_demo=True)
    return True
