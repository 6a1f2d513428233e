"""Markdown, HTML, link, autolink and ``javascript:`` payloads in every field a file, a URL or a user can set.

``fill(con, folder)`` stores them through the library, as an editor would through the pages: an Explore export
whose forms, regions, groups and priorities are payloads (and its file name, and who uploaded it); an OKR
workbook for the current quarter whose managers, objectives, key results, owners and check-in notes are; an
epics JSON whose titles, areas, DRIs and links (a host that is not GitLab's, one dressed up as GitLab's) are —
``javascript:`` and ``data:`` links the epics import itself refuses; a workgroup whose title, people,
hypothesis, evidence note and actions are. Used by the AppTest walk of every page and by its Chromium twin.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from export_builders import SLA_HEADER, csv_text, weeks_from
from okr_builders import CHECK_INS, KEY_RESULTS, MANAGERS, OBJECTIVES, write_workbook

from lib.epics import repository as epic_repository
from lib.metrics import fiscal
from lib.okrs import repository as okr_repository
from lib.store import database as store
from lib.uploads import ingest
from lib.workgroups import contents, repository

OUTSIDE = "http://127.0.0.1:9"  # nothing listens there: a fetch from it is a tracking pixel in the real world
IMAGE = f"![x]({OUTSIDE}/x.png)"
LINK = f"[click me]({OUTSIDE}/phish)"
COLOUR = ":red[ALERT] **loud**"
HTML = f'<img src={OUTSIDE}/h.png><b>html</b><a href="{OUTSIDE}/a">a</a>'  # plotly links a quoted href only
AUTOLINK = f"see {OUTSIDE}/auto"
WWW = "www.evil.example/w"
EMAIL = "boss@evil.example"
JAVASCRIPT = "[js](javascript:alert(1))"
# Short enough to stay on one line of a chart label (plotly links an <a> with a quoted href).
CHART_HTML = '<a href="//127.0.0.1:9/c">c</a>'
PAYLOADS = [IMAGE, LINK, COLOUR, HTML, AUTOLINK, WWW, EMAIL, JAVASCRIPT]
HEADER = [*SLA_HEADER, "Ticket group", "Ticket priority"]
FIRST_WEEK = dt.date(2026, 10, 5)
HOSTILE_NAME = ":red[ALERT] [file](x.csv).csv"
# Epic links a link column must not open: hosts that are not the GitLab one, however they dress up. (Another
# scheme never gets this far: the epics import refuses a ``javascript:`` or ``data:`` web_url.)
HOSTILE_EPIC_LINKS = [f"{OUTSIDE}/epic", "https://gitlab.com.evil.example/epic", "http://gitlab.com@evil.example/epic"]


def hostile_export(path: Path) -> Path:
    rows, ticket = [], 5000
    last = FIRST_WEEK + dt.timedelta(weeks=6, days=-1)
    for week in weeks_from(FIRST_WEEK, 6):
        for index, payload in enumerate(PAYLOADS):
            for day, outcome in ((0, "Achieved"), (6, "Achieved"), (2, "Breached")):
                date = (week + dt.timedelta(days=day)).isoformat()
                for form, metric in (("SaaS", "First reply time"), (payload, "Next reply time")):
                    rows.append(
                        [ticket, form, metric, "Completed", outcome, date, payload, payload, PAYLOADS[index - 1]]
                    )
                    ticket += 1
    rows.append([ticket, "SaaS", "Requester wait time", "Completed", "Achieved", last.isoformat(), "", "", ""])
    path.write_text(csv_text(HEADER, rows), encoding="utf-8")
    return path


def hostile_okrs(path: Path, today: dt.date) -> Path:
    quarter = fiscal.quarter_of(today).label
    managers, objectives, key_results, check_ins = [*MANAGERS], [*OBJECTIVES], [*KEY_RESULTS], [*CHECK_INS]
    objectives.append(("D1", quarter, "department", f"Department {HTML}", LINK, ""))
    objectives.append(("D2", quarter, "department", CHART_HTML, LINK, ""))
    for index, payload in enumerate(PAYLOADS):
        name = f"{payload} {index}"
        managers.append((name, "AMER", "", "2020-01-06"))
        objectives.append((f"M{index}", quarter, "manager", f"Objective {payload}", name, "D1"))
        key_results.append((f"M{index}-KR1", f"M{index}", f"Key result {payload}", EMAIL, 40, ""))
        check_ins.append((f"M{index}-KR1", (today - dt.timedelta(days=2)).isoformat(), 50, f"note {payload}"))
    objectives.append(("U1", quarter, "manager", f"Unaligned {IMAGE}", f"{PAYLOADS[0]} 0", ""))
    sheets = {"Managers": managers, "Objectives": objectives, "Key results": key_results, "Check-ins": check_ins}
    return write_workbook(path, sheets)


def hostile_epics(path: Path) -> Path:
    epics = []
    for index, payload in enumerate(PAYLOADS):
        iid = index + 1
        epics.append(
            {
                "id": 5000 + iid,
                "iid": iid,
                "group_id": 42,
                "title": f"area: {payload} ({payload} {index})",
                "state": "opened",
                "web_url": HOSTILE_EPIC_LINKS[index % len(HOSTILE_EPIC_LINKS)],
                "references": {"short": f"&{iid}", "full": f"gitlab-com/support&{iid}"},
                "labels": ["Support Team"],
                "parent_id": None,
                "parent_iid": None,
                "author": {"name": payload, "username": "x"},
                "start_date": "2026-09-01",
                "due_date": "2026-12-31",
                "created_at": "2026-09-01T10:00:00.000Z",
                "updated_at": "2026-11-20T10:00:00.000Z",
                "closed_at": None,
            }
        )
    path.write_text(json.dumps(epics), encoding="utf-8")
    return path


def hostile_workgroup(con) -> int:
    settings = store.load_settings(con)
    formed = repository.form_workgroup(
        con, LINK, settings, "FRT", title=f"Workgroup {HTML}", facilitator=IMAGE, members=[LINK, AUTOLINK, EMAIL]
    )
    hypothesis = contents.add_hypothesis(con, LINK, formed.workgroup_id, f"Because {IMAGE} {WWW}")
    contents.save_evidence(con, LINK, hypothesis, [{"link": "https://example.com/pto", "note": HTML}])
    contents.save_actions(con, LINK, formed.workgroup_id, [{"change": JAVASCRIPT, "owner": EMAIL, "status": "planned"}])
    return formed.workgroup_id


def fill(con, folder: Path, today: dt.date) -> int:
    """Every kind of stored text a payload; returns the hostile workgroup's id."""
    exports = folder / "exports"
    exports.mkdir(exist_ok=True)
    ingest.ingest_file(con, hostile_export(exports / HOSTILE_NAME), uploaded_by=LINK)
    okr_repository.import_okr_file(con, hostile_okrs(folder / "okrs.xlsx", today), LINK)
    epic_repository.import_epics_file(con, hostile_epics(folder / "epics.json"), LINK)
    return hostile_workgroup(con)
