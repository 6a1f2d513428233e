"""Telling the team: each transition once, to every channel, across re-uploads, rollbacks and restores.

Channels are real local servers: a webhook that keeps the JSON apprise posts (tests/notify_servers.py)
and an SMTP server (aiosmtpd). Nothing leaves loopback.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest
from export_builders import sla_rows, span_rows, weeks_from, write_sla
from notify_servers import WebhookHandler, running_smtp, running_webhook

from lib import notify
from lib.core.text import format_percent
from lib.notify import transitions
from lib.store import database as store
from lib.store import notifications
from lib.ui.navigation import PAGES
from lib.uploads import ingest
from lib.uploads import status as upload_status
from lib.workgroups import repository

WEEKS = weeks_from(dt.date(2026, 9, 7), 8)
APP = "https://floorline.example.com"
SECRET_PATH = "T0001/B0002/hook-secret-9f8e7d"


def export(path, weeks_and_counts: dict, last_day: dt.date | None = None, extra: int = 0):
    """FRT events in the SaaS form, AMER region: (achieved, breached) per week; the export spans whole
    weeks unless ``last_day`` ends it earlier (a partial week). ``extra`` out-of-scope rows change the file
    and not its figures (a re-upload)."""
    weeks = sorted(weeks_and_counts)
    rows = span_rows(weeks[0], last_day or weeks[-1] + dt.timedelta(days=6))
    rows += span_rows(weeks[0], weeks[0])[:1] * extra
    for week, (achieved, breached) in weeks_and_counts.items():
        rows += sla_rows(week, "SaaS", "First reply time", achieved, breached)
    return write_sla(path, rows)


BREACH = {**{week: (98, 2) for week in WEEKS[:4]}, WEEKS[4]: (90, 10), WEEKS[5]: (89, 11)}
RECOVERY = {WEEKS[6]: (97, 3), WEEKS[7]: (98, 2)}


@pytest.fixture
def webhook():
    with running_webhook() as address:
        yield address


def secrets_for(webhook: str, **more: str) -> dict:
    return {"notify": {"app_url": APP, "webhook": f"json://{webhook}/{SECRET_PATH}", **more}}


def titles() -> list[str]:
    return [body["title"] for _, body in WebhookHandler.posted]


def test_a_sustained_breach_is_sent_once_across_a_reupload_a_rollback_and_a_restore(con, tmp_path, webhook):
    secrets = secrets_for(webhook)
    first = ingest.ingest_file(con, export(tmp_path / "a.csv", BREACH), uploaded_by="ana")
    report = notify.after_change(con, "ana", secrets)

    assert sorted(titles()) == [
        "FRT (AMER): sustained breach, 2 weeks at or below the floor",
        "FRT (Combined): sustained breach, 2 weeks at or below the floor",
        "FRT (GitLab SaaS): sustained breach, 2 weeks at or below the floor",
    ]
    assert report.sent and not report.failed
    path, combined = next(posted for posted in WebhookHandler.posted if "Combined" in posted[1]["title"])
    assert path == f"/{SECRET_PATH}"
    assert combined["type"] == "info"
    message = combined["message"]
    assert "at or below its 93 % floor for 2 consecutive weeks, the weeks of 05 Oct 2026 to 12 Oct 2026" in message
    assert f"the lowest was {format_percent(89.0, 93)} in the week of 12 Oct 2026" in message
    assert message.endswith(f"Open it in Floorline: {APP}/Workgroups?kpi=FRT&start=2026-10-05&end=2026-10-12")

    again = ingest.ingest_file(con, export(tmp_path / "again.csv", BREACH, extra=1), uploaded_by="ana")
    assert again.status == "accepted"
    notify.after_change(con, "ana", secrets)
    upload_status.rollback(con, again.upload_id, actor="ana")
    notify.after_change(con, "ana", secrets)
    upload_status.rollback(con, first.upload_id, actor="ana")  # no breach at all now
    notify.after_change(con, "ana", secrets)
    upload_status.restore(con, first.upload_id, actor="ana")
    upload_status.restore(con, again.upload_id, actor="ana")
    notify.after_change(con, "ana", secrets)

    assert len(WebhookHandler.posted) == 3  # each breach once
    sent = con.execute(
        "SELECT actor, subject, detail FROM change_log WHERE action = 'notification sent' ORDER BY id"
    ).fetchall()
    assert [(actor, channel) for actor, channel, _ in sent] == [("ana", "webhook")] * 3
    assert all(SECRET_PATH not in detail and webhook not in detail for _, _, detail in sent)
    assert {json.loads(detail)["message"] for _, _, detail in sent} == set(titles())


def test_a_workgroups_recovery_is_sent_once_across_a_rollback_and_a_restore(con, tmp_path, webhook):
    secrets = secrets_for(webhook)
    ingest.ingest_file(con, export(tmp_path / "a.csv", BREACH), uploaded_by="ana")
    formed = repository.form_workgroup(con, "ana", store.load_settings(con), "FRT", opened_on=WEEKS[6])
    notify.after_change(con, "ana", secrets)
    WebhookHandler.posted.clear()

    recovered = ingest.ingest_file(con, export(tmp_path / "b.csv", RECOVERY), uploaded_by="ana")
    notify.after_change(con, "ana", secrets)
    upload_status.rollback(con, recovered.upload_id, actor="ana")
    notify.after_change(con, "ana", secrets)
    upload_status.restore(con, recovered.upload_id, actor="ana")
    notify.after_change(con, "ana", secrets)

    wg = formed.workgroup_id
    assert titles() == [f"FRT (Combined) recovered: workgroup #{wg} can close"]
    message = WebhookHandler.posted[0][1]["message"]
    recovery = "Recovered: 2 weeks above the floor by the week of 26 Oct 2026"
    assert f"Workgroup #{wg} on FRT (Combined): {recovery}" in message
    assert message.endswith(f"Open it in Floorline: {APP}/Workgroups?wg={wg}")


def test_this_week_so_far_at_risk_is_sent_once_by_email_with_subject_and_body(con, tmp_path):
    with running_smtp() as (smtp, sink):
        secrets = {
            "notify": {"app_url": APP, "email": f"mailto://{smtp}?from=floorline@example.com&to=team@example.com"}
        }
        partial = {**BREACH, WEEKS[6]: (40, 10)}  # Monday to Wednesday so far: 80 %
        ingest.ingest_file(con, export(tmp_path / "a.csv", partial, WEEKS[6] + dt.timedelta(days=2)), uploaded_by="ana")
        notify.after_change(con, "ana", secrets)
        notify.after_change(con, "ana", secrets)

    at_risk = [mail for mail in sink.mails if "this week so far" in mail["Subject"]]
    assert len(at_risk) == 1 and len(sink.mails) == 4  # three breaches and the week at risk, once each
    [mail] = at_risk
    # A mail header folds the figure's no-break space into a plain one; it reads the same.
    assert mail["Subject"] == "FRT this week so far: 80.0 %, at or below the 93 % floor"
    assert mail["To"] == "team@example.com" and mail["From"] == "floorline@example.com"
    body = mail.get_content()
    assert body.startswith(f"FRT {format_percent(80.0, 93)} so far (Mon–Wed, 50 targets;")
    assert "a third breach week" in body
    assert body.rstrip().endswith(f"Open it in Floorline: {APP}/KPI_trends?kpi=FRT")


def test_a_failing_channel_does_not_stop_the_others_and_is_tried_again_later(con, tmp_path, webhook):
    broken = f"json://{webhook}/fail/{SECRET_PATH}"
    with running_smtp() as (smtp, sink):
        secrets = secrets_for(webhook, broken=broken, email=f"mailto://{smtp}?from=f@example.com&to=t@example.com")
        ingest.ingest_file(con, export(tmp_path / "a.csv", BREACH), uploaded_by="ana")
        report = notify.after_change(con, "ana", secrets)
        assert len(WebhookHandler.posted) == 3 and len(sink.mails) == 3
        assert [channel for channel, _, _ in report.failed] == ["broken"] * 3
        lines = report.failure_lines()
        assert lines[0].startswith("broken: “FRT (")
        assert "error=500" in lines[0]
        assert all(SECRET_PATH not in line and webhook not in line for line in lines)
        failed = notifications.failed_deliveries(con)
        assert len(failed) == 3 and all(SECRET_PATH not in (row["error"] or "") for row in failed)

        retried = notify.after_change(con, "ana", secrets)

    assert len(WebhookHandler.posted) == 3 and len(sink.mails) == 3  # the channels that worked are not sent again
    assert [channel for channel, _, _ in retried.failed] == ["broken"] * 3
    history = con.execute("SELECT subject, detail FROM change_log WHERE action = 'notification failed'").fetchall()
    assert {subject for subject, _ in history} == {"broken"}
    assert all(SECRET_PATH not in detail for _, detail in history)


def test_demo_figures_are_never_sent(demo_con, webhook):
    assert notify.after_change(demo_con, "ana", secrets_for(webhook)).sent == []
    assert WebhookHandler.posted == []


def test_the_links_in_messages_lead_to_pages_the_app_has():
    paths = {page.url_path for page in PAGES}
    assert {transitions.WORKGROUPS_PATH, transitions.TRENDS_PATH} <= paths


def run_cli(db_path, secrets_file, *args):
    command = [sys.executable, "-m", "lib", "--db", str(db_path), "--secrets", str(secrets_file), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_command_line_dry_run_prints_and_an_upload_sends_despite_a_failing_channel(db_path, tmp_path, webhook):
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        f'[notify]\napp_url = "{APP}"\nwebhook = "json://{webhook}/{SECRET_PATH}"\n'
        f'broken = "json://{webhook}/fail/{SECRET_PATH}"\n',
        encoding="utf-8",
    )
    store.connect(db_path).close()
    upload = export(tmp_path / "a.csv", BREACH)

    ingested = run_cli(db_path, secrets_file, "ingest", str(upload), "--by", "ana")

    assert ingested.returncode == 0, ingested.stderr
    assert "notified  webhook: FRT (Combined): sustained breach, 2 weeks at or below the floor" in ingested.stdout
    assert "warning   broken: “FRT (" in ingested.stderr
    assert SECRET_PATH not in ingested.stdout + ingested.stderr
    with store.connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM uploads WHERE status = 'active'").fetchone()[0] == 1

    dry = run_cli(db_path, secrets_file, "notify", "--dry-run")

    assert dry.returncode == 0, dry.stderr
    assert "would send to broken:" in dry.stdout and "webhook" not in dry.stdout.split("\n")[0]
    assert f"{APP}/Workgroups?kpi=FRT&start=2026-10-05&end=2026-10-12" in dry.stdout
    assert len(WebhookHandler.posted) == 3  # the dry run sent nothing


@pytest.fixture
def replica_store(postgres_server, tmp_path, monkeypatch) -> None:
    """A store on PostgreSQL, as replicas share one, holding a sustained FRT breach nobody has been told of."""
    monkeypatch.setenv("FLOORLINE_DATABASE_URL", postgres_server.new_database())
    monkeypatch.setenv("FLOORLINE_DB", str(tmp_path / "shared" / "floorline.duckdb"))
    with store.connect() as con:
        ingest.ingest_file(con, export(tmp_path / "a.csv", BREACH), uploaded_by="ana")


def notify_command(tmp_path, webhook: str) -> list[str]:
    """``python -m lib notify`` with a secrets file naming the local webhook."""
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(f'[notify]\napp_url = "{APP}"\nwebhook = "json://{webhook}/{SECRET_PATH}"\n')
    return [sys.executable, "-m", "lib", "--secrets", str(secrets_file), "notify"]


def test_two_notify_runs_at_once_on_one_postgresql_send_each_transition_once(replica_store, tmp_path):
    # Two replicas' scheduled `notify` (or two uploads finishing together): two processes, one store. The
    # webhook answers slowly, so the first run's delivery is still open while the second decides.
    with running_webhook() as webhook:
        WebhookHandler.answer_after_seconds = 2.0
        command = notify_command(tmp_path, webhook)
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in "ab"]
        outputs = [run.communicate(timeout=180) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted(titles()) == [
        "FRT (AMER): sustained breach, 2 weeks at or below the floor",
        "FRT (Combined): sustained breach, 2 weeks at or below the floor",
        "FRT (GitLab SaaS): sustained breach, 2 weeks at or below the floor",
    ]
    printed = [line for out, _ in outputs for line in out.splitlines() if line.startswith("notified  webhook: ")]
    assert len(printed) == 3, outputs  # each run says what it sent; together, each transition once
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM notification_deliveries WHERE delivered").fetchone()[0] == 3


def test_an_upload_is_not_held_back_while_a_slow_channel_is_being_told(replica_store, tmp_path):
    # Senders take turns under a lock of their own: another replica's upload commits while a message is still
    # on the network, rather than waiting for every channel to answer.
    with running_webhook() as webhook:
        WebhookHandler.answer_after_seconds = 6.0  # each message is on the network for 6 s
        command = notify_command(tmp_path, webhook)
        sender = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not WebhookHandler.posted:  # the first message has reached the channel, which has not answered
            assert sender.poll() is None, sender.communicate()
            time.sleep(0.05)
        with store.connect() as con:
            ingest.ingest_file(con, export(tmp_path / "b.csv", BREACH, extra=1), uploaded_by="ben")
            recorded_meanwhile = con.execute("SELECT count(*) FROM notification_deliveries").fetchone()[0]
        output = sender.communicate(timeout=180)

    assert recorded_meanwhile == 0, output  # the upload committed while the first message was still out
    assert sender.returncode == 0, output
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 2
