"""Which transitions went to which channel: one row per transition and channel, so none is sent twice.

A channel is named as in ``[notify]`` (``slack``, ``teams``, ``email``): its URL, which holds the secret,
is never stored. A failed delivery is kept too, with the error, so editors see it and the next upload
tries that channel again; a delivered one is never sent again.
"""

from __future__ import annotations

from lib.store import database as store


def delivered_channels(con, event_key: str) -> set[str]:
    rows = con.execute(
        "SELECT channel FROM notification_deliveries WHERE event_key = ? AND delivered", [event_key]
    ).fetchall()
    return {channel for (channel,) in rows}


def record_delivery(
    con, actor: str, event_key: str, channel: str, subject: str, delivered: bool, error: str | None
) -> None:
    """The attempt, and its Change history row (what was sent, to which channel; never the URL)."""
    with store.transaction(con):
        con.execute(
            """INSERT OR REPLACE INTO notification_deliveries VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)""",
            [event_key, channel, subject, delivered, error],
        )
        action = "notification sent" if delivered else "notification failed"
        detail = {"channel": channel, "message": subject} | ({"error": error} if error else {})
        store.record_change(con, actor, action, channel, detail)


def failed_deliveries(con, limit: int = 20) -> list[dict]:
    """The newest deliveries that failed and have not gone through since, for editors to see."""
    rows = con.execute(
        """SELECT channel, subject, error, attempted_at FROM notification_deliveries
           WHERE NOT delivered ORDER BY attempted_at DESC LIMIT ?""",
        [limit],
    ).fetchall()
    return [dict(zip(("channel", "subject", "error", "attempted_at"), row, strict=True)) for row in rows]
