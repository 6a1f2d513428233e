"""What the workgroup tests share: the demo year's FRT breach and the day a test workgroup is opened."""

from __future__ import annotations

import datetime as dt

from lib.store.history import change_log

FRT_BREACH = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
OPENED = dt.date(2026, 11, 20)


def audit_actions(con) -> list[str]:
    return [row[2] for row in change_log(con) if row[1] == "ana"]
