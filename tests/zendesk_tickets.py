"""One set of hand-built tickets, told twice: as Zendesk's API would serve them (metric events and tickets),
and as the Explore SLA and satisfaction exports of the same tickets. Each ticket covers one rule of
DECISIONS.md §32; the comment above it says which, and what Explore says for it."""

from __future__ import annotations

import itertools

from export_builders import SATISFACTION_HEADER, SLA_HEADER, csv_text
from zendesk_server import REGION_FIELD_ID, FakeZendesk, ticket

SAAS, SELF_MANAGED = 101, 102
EMEA_GROUP, AMER_GROUP = 201, 202
FORMS = {SAAS: "SaaS", SELF_MANAGED: "Self-managed", 103: "License and renewals"}
GROUPS = {EMEA_GROUP: "Support EMEA", AMER_GROUP: "Support AMER", 203: "Billing"}
REGIONS = {"americas__usa": "Americas, USA", "emea": "EMEA"}

_ids = itertools.count(5_000_001)


def event(ticket_id: int, kind: str, time: str, *, instance: int = 1, metric="reply_time", deleted=None) -> dict:
    body = {
        "id": next(_ids),
        "ticket_id": ticket_id,
        "metric": metric,
        "instance_id": instance,
        "type": kind,
        "time": time,
    }
    if kind == "apply_sla":
        body["sla"] = {"target": 480, "business_hours": False, "policy": {"id": 1, "title": "Standard"}}
    if kind == "breach":
        body["deleted"] = bool(deleted)
    return body


EVENTS = [
    # 1 Fulfilled before its breach time: the breach Zendesk had scheduled is marked deleted. Achieved, 2 Nov.
    event(1, "activate", "2026-11-02T08:00:00Z"),
    event(1, "apply_sla", "2026-11-02T08:00:00Z"),
    event(1, "fulfill", "2026-11-02T10:00:00Z"),
    event(1, "breach", "2026-11-02T16:00:00Z", deleted=True),
    # 2 The breach came first, the reply later: Breached, dated the reply (4 Nov).
    event(2, "activate", "2026-11-03T09:00:00Z"),
    event(2, "apply_sla", "2026-11-03T09:00:00Z"),
    event(2, "breach", "2026-11-03T17:00:00Z"),
    event(2, "fulfill", "2026-11-04T08:00:00Z"),
    # 3 Still running, not yet due: Active, no status; never counted.
    event(3, "activate", "2026-11-05T09:00:00Z"),
    event(3, "apply_sla", "2026-11-05T09:00:00Z"),
    # 4 Still running and already breached: Active / Breached; never counted.
    event(4, "activate", "2026-11-05T10:00:00Z"),
    event(4, "apply_sla", "2026-11-05T10:00:00Z"),
    event(4, "breach", "2026-11-05T18:00:00Z"),
    # 5 Policy changed mid-way: the first policy's breach is deleted, the second's target met. Achieved, 10 Nov.
    event(5, "activate", "2026-11-09T09:00:00Z"),
    event(5, "apply_sla", "2026-11-09T09:00:00Z"),
    event(5, "apply_sla", "2026-11-09T12:00:00Z"),
    event(5, "breach", "2026-11-09T17:00:00Z", deleted=True),
    event(5, "fulfill", "2026-11-10T08:00:00Z"),
    event(5, "breach", "2026-11-10T12:00:00Z", deleted=True),
    # 6 Reopened: first reply Achieved (9 Nov), the reply after the reopen (instance 2) is a Next reply
    # time target, breached before it was answered: Breached, 12 Nov.
    event(6, "activate", "2026-11-09T11:00:00Z"),
    event(6, "apply_sla", "2026-11-09T11:00:00Z"),
    event(6, "fulfill", "2026-11-09T12:00:00Z"),
    event(6, "activate", "2026-11-11T09:00:00Z", instance=2),
    event(6, "apply_sla", "2026-11-11T09:00:00Z", instance=2),
    event(6, "breach", "2026-11-11T17:00:00Z", instance=2),
    event(6, "fulfill", "2026-11-12T09:00:00Z", instance=2),
    # 7 Two next replies (instances 2 and 3), both in time: two Achieved NRT targets, 16 and 17 Nov.
    event(7, "apply_sla", "2026-11-16T08:00:00Z", instance=2),
    event(7, "fulfill", "2026-11-16T09:00:00Z", instance=2),
    event(7, "apply_sla", "2026-11-17T08:00:00Z", instance=3),
    event(7, "fulfill", "2026-11-17T09:00:00Z", instance=3),
    # 8 A reply with no SLA policy (no apply_sla) is no SLA target; other metrics are not FRT or NRT.
    event(8, "activate", "2026-11-17T10:00:00Z"),
    event(8, "fulfill", "2026-11-17T11:00:00Z"),
    event(8, "apply_sla", "2026-11-17T10:00:00Z", metric="requester_wait_time"),
    event(8, "breach", "2026-11-18T10:00:00Z", metric="requester_wait_time"),
    # 9 Paused before its reply: Paused; never counted.
    event(9, "activate", "2026-11-18T09:00:00Z"),
    event(9, "apply_sla", "2026-11-18T09:00:00Z"),
    event(9, "pause", "2026-11-18T10:00:00Z"),
    # 10 Replied in the very second of the breach: the breach counts (at or before the reply). Breached, 19 Nov.
    event(10, "apply_sla", "2026-11-19T09:00:00Z"),
    event(10, "breach", "2026-11-19T17:00:00Z"),
    event(10, "fulfill", "2026-11-19T17:00:00Z"),
    # 11 Late on Sunday (UTC): Achieved in the week of 16 Nov, not the next one.
    event(11, "apply_sla", "2026-11-22T20:00:00Z"),
    event(11, "fulfill", "2026-11-22T23:30:00Z"),
    event(11, "breach", "2026-11-23T04:00:00Z", deleted=True),
    # 12 A self-managed first reply in time: Achieved, 20 Nov.
    event(12, "apply_sla", "2026-11-20T09:00:00Z"),
    event(12, "fulfill", "2026-11-20T10:00:00Z"),
]

UPDATED = "2026-11-23T06:00:00Z"
TICKETS = {
    1: ticket(1, UPDATED, form=SAAS, group=EMEA_GROUP, region="emea", score="good"),
    2: ticket(2, UPDATED, form=SAAS, group=AMER_GROUP, priority="high", region="americas__usa", score="bad"),
    3: ticket(3, UPDATED, form=SAAS, group=AMER_GROUP, region="americas__usa", score="unoffered"),
    4: ticket(4, UPDATED, form=SELF_MANAGED, group=EMEA_GROUP, region="emea"),
    5: ticket(5, UPDATED, form=SAAS, group=EMEA_GROUP, region="emea", score="offered"),
    6: ticket(6, UPDATED, form=SELF_MANAGED, group=AMER_GROUP, priority="urgent", region="americas__usa", score="good"),
    7: ticket(7, UPDATED, form=SAAS, group=AMER_GROUP, region="americas__usa", score="good"),
    8: ticket(8, UPDATED, form=SAAS, group=EMEA_GROUP, region="emea", score="bad"),
    9: ticket(9, UPDATED, form=SELF_MANAGED, group=EMEA_GROUP, priority="low", region="emea"),
    10: ticket(10, UPDATED, form=SAAS, group=AMER_GROUP, region="americas__usa", score="good"),
    11: ticket(11, UPDATED, form=SAAS, group=EMEA_GROUP, region="emea", score="bad"),
    12: ticket(12, UPDATED, form=SELF_MANAGED, group=AMER_GROUP, region="americas__usa", score="good"),
}
SOLVED = {
    1: "2026-11-02T11:00:00Z",
    2: "2026-11-04T09:00:00Z",
    5: "2026-11-10T09:00:00Z",
    6: "2026-11-12T10:00:00Z",
    7: "2026-11-17T10:00:00Z",
    8: "2026-11-18T11:00:00Z",
    10: "2026-11-19T18:00:00Z",
    11: "2026-11-22T23:45:00Z",
    12: "2026-11-20T11:00:00Z",
}


def fake_zendesk(per_page: int = 4) -> FakeZendesk:
    """The tickets as the API serves them, a few to a page so every endpoint pages."""
    return FakeZendesk(
        events=[dict(e) for e in EVENTS],
        tickets={k: dict(v) for k, v in TICKETS.items()},
        solved=dict(SOLVED),
        forms=dict(FORMS),
        groups=dict(GROUPS),
        region_options=dict(REGIONS),
        per_page=per_page,
    )


# What Explore exports for the same tickets, written by hand (Explore's own column names and words).
EXPLORE_SLA_HEADER = [*SLA_HEADER, "Ticket group", "Ticket priority"]
EXPLORE_SLA_ROWS = [
    [1, "SaaS", "First reply time", "Completed", "Achieved", "2026-11-02", "EMEA", "Support EMEA", "Normal"],
    [2, "SaaS", "First reply time", "Completed", "Breached", "2026-11-04", "Americas, USA", "Support AMER", "High"],
    [3, "SaaS", "First reply time", "Active", "", "2026-11-05", "Americas, USA", "Support AMER", "Normal"],
    [4, "Self-managed", "First reply time", "Active", "Breached", "2026-11-05", "EMEA", "Support EMEA", "Normal"],
    [5, "SaaS", "First reply time", "Completed", "Achieved", "2026-11-10", "EMEA", "Support EMEA", "Normal"],
    [
        6,
        "Self-managed",
        "First reply time",
        "Completed",
        "Achieved",
        "2026-11-09",
        "Americas, USA",
        "Support AMER",
        "Urgent",
    ],
    [
        6,
        "Self-managed",
        "Next reply time",
        "Completed",
        "Breached",
        "2026-11-12",
        "Americas, USA",
        "Support AMER",
        "Urgent",
    ],
    [7, "SaaS", "Next reply time", "Completed", "Achieved", "2026-11-16", "Americas, USA", "Support AMER", "Normal"],
    [7, "SaaS", "Next reply time", "Completed", "Achieved", "2026-11-17", "Americas, USA", "Support AMER", "Normal"],
    [8, "SaaS", "Requester wait time", "Completed", "Breached", "2026-11-18", "EMEA", "Support EMEA", "Normal"],
    [9, "Self-managed", "First reply time", "Paused", "", "2026-11-18", "EMEA", "Support EMEA", "Low"],
    [10, "SaaS", "First reply time", "Completed", "Breached", "2026-11-19", "Americas, USA", "Support AMER", "Normal"],
    [11, "SaaS", "First reply time", "Completed", "Achieved", "2026-11-22", "EMEA", "Support EMEA", "Normal"],
    [
        12,
        "Self-managed",
        "First reply time",
        "Completed",
        "Achieved",
        "2026-11-20",
        "Americas, USA",
        "Support AMER",
        "Normal",
    ],
]
EXPLORE_SATISFACTION_HEADER = [
    *SATISFACTION_HEADER,
    "Preferred Region for Support",
    "Ticket group",
    "Ticket priority",
]
EXPLORE_SATISFACTION_ROWS = [
    [1, "SaaS", "Good", "2026-11-02", "EMEA", "Support EMEA", "Normal"],
    [2, "SaaS", "Bad", "2026-11-04", "Americas, USA", "Support AMER", "High"],
    [3, "SaaS", "Unoffered", "", "Americas, USA", "Support AMER", "Normal"],
    [5, "SaaS", "Offered", "2026-11-10", "EMEA", "Support EMEA", "Normal"],
    [6, "Self-managed", "Good", "2026-11-12", "Americas, USA", "Support AMER", "Urgent"],
    [7, "SaaS", "Good", "2026-11-17", "Americas, USA", "Support AMER", "Normal"],
    [8, "SaaS", "Bad", "2026-11-18", "EMEA", "Support EMEA", "Normal"],
    [10, "SaaS", "Good", "2026-11-19", "Americas, USA", "Support AMER", "Normal"],
    [11, "SaaS", "Bad", "2026-11-22", "EMEA", "Support EMEA", "Normal"],
    [12, "Self-managed", "Good", "2026-11-20", "Americas, USA", "Support AMER", "Normal"],
]


def explore_exports(folder) -> tuple:
    sla = folder / "explore_sla.csv"
    sla.write_text(csv_text(EXPLORE_SLA_HEADER, EXPLORE_SLA_ROWS), encoding="utf-8")
    satisfaction = folder / "explore_satisfaction.csv"
    satisfaction.write_text(csv_text(EXPLORE_SATISFACTION_HEADER, EXPLORE_SATISFACTION_ROWS), encoding="utf-8")
    return sla, satisfaction


SETTINGS_TABLE = {"email": "reports@floorline.example", "region_field_id": REGION_FIELD_ID}
