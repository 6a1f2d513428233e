"""Tell the team: after every upload, rollback, restore (and pull), the transitions not yet sent go to
each configured channel, and the workgroups' GitLab issues are read back.

One call from the few places that change figures: ``notify.after_change(con, actor, secrets)``. It never
raises for a channel or GitLab: a failing channel does not stop the others nor the upload, and what failed
comes back in the report for the page to show editors (and stays in the Change history).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lib.notify.channels import NotifyConfig, deliver
from lib.notify.transitions import Transition, current_transitions
from lib.store import database as store
from lib.store import notifications
from lib.store import upload_records as records
from lib.workgroups import gitlab_issue

FOLLOW_BACK_TIMEOUT_SECONDS = 10


@dataclass
class NotifyReport:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (channel, subject)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (channel, subject, why)
    problems: list[str] = field(default_factory=list)  # what could not be read back from GitLab

    def failure_lines(self) -> list[str]:
        return [f"{channel}: “{subject}” was not sent: {why}" for channel, subject, why in self.failed] + self.problems


def pending(con, config: NotifyConfig, transitions: list[Transition]) -> list[tuple[Transition, list[str]]]:
    """Each transition with the channels it has not yet reached."""
    waiting = []
    for transition in transitions:
        done = notifications.delivered_channels(con, transition.key)
        left = [channel.name for channel in config.channels if channel.name not in done]
        if left:
            waiting.append((transition, left))
    return waiting


def figures_to_tell(con) -> bool:
    """Demo figures are nobody's news: their breaches would also use up the keys of the real ones."""
    return not records.has_demo_data(con)


def what_would_be_sent(con, secrets: Mapping) -> list[tuple[Transition, list[str]]]:
    """The dry run: each transition not yet sent, with the channels it would go to. Nothing is sent or stored."""
    config = NotifyConfig.from_secrets(secrets)
    if not config.channels or not figures_to_tell(con):
        return []
    return pending(con, config, current_transitions(con, store.load_settings(con), config.app_url))


def send_pending(con, actor: str, secrets: Mapping) -> NotifyReport:
    report = NotifyReport()
    config = NotifyConfig.from_secrets(secrets)
    by_name = {channel.name: channel for channel in config.channels}
    for transition, channel_names in what_would_be_sent(con, secrets):
        for name in channel_names:
            # Two uploads finishing together (in one replica or two) or two `notify` runs would both find
            # this delivery pending: each delivery holds the sending lock (threads, processes and replicas
            # alike) and looks again inside it, so the second finds it recorded and sends nothing. Writers
            # never take that lock: a slow channel holds back the other senders, never an upload.
            with store.sending_lock(con):
                if name in notifications.delivered_channels(con, transition.key):
                    continue
                why = deliver(by_name[name], transition.subject, transition.body)
                delivered = why is None
                notifications.record_delivery(con, actor, transition.key, name, transition.subject, delivered, why)
            if delivered:
                report.sent.append((name, transition.subject))
            else:
                report.failed.append((name, transition.subject, why))
    return report


def after_change(con, actor: str, secrets: Mapping) -> NotifyReport:
    """After figures changed: read the workgroups' issues back from GitLab, then send what is new."""
    target = gitlab_issue.IssueTarget.from_secrets(secrets)
    problems = gitlab_issue.follow_every_issue(con, target, timeout=FOLLOW_BACK_TIMEOUT_SECONDS) if target else []
    report = send_pending(con, actor, secrets)
    report.problems += problems
    return report
