"""A pull from the command line while the app holds the database goes through the app's process, its one
writer: real processes, a real local Zendesk, the real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from zendesk_server import EMAIL, REGION_FIELD_ID, TOKEN

from lib.store import database as store
from lib.store import upload_records as records
from lib.store.history import change_log
from lib.zendesk import handoff
from lib.zendesk.settings import ZendeskSettings

ROOT = Path(__file__).resolve().parents[2]
# The app's part, as lib.ui.page.shared_connection plays it: open the database (holding it, as DuckDB
# does for its one writing process) and serve the pulls handed over; "serve" 0 holds it and serves none.
HOLDER = """
import sys, time
from lib.store import database as store
from lib.zendesk import handoff
from lib.zendesk.settings import ZendeskSettings
con = store.connect(sys.argv[1])
if sys.argv[2] == "serve":
    handoff.serve(con, poll_seconds=0.2)
print("holding", flush=True)
time.sleep(600)
"""


def environment(fake) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ZENDESK_BASE_URL": fake.base_url,
        "ZENDESK_EMAIL": EMAIL,
        "ZENDESK_API_TOKEN": TOKEN,
        "ZENDESK_REGION_FIELD_ID": str(REGION_FIELD_ID),
    }


def holding(db_path: Path, fake, mode: str) -> subprocess.Popen:
    app = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path), mode],
        cwd=db_path.parent,
        env=environment(fake),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert app.stdout.readline().strip() == "holding"
    return app


def stop(app: subprocess.Popen) -> None:
    app.terminate()
    app.wait(timeout=30)
    app.stdout.close()


def test_two_pulls_requested_while_the_app_holds_the_database_land_exactly_once(zendesk, db_path):
    app = holding(db_path, zendesk, "serve")
    try:
        command = [sys.executable, "-m", "lib", "--db", str(db_path), "zendesk", "pull", "--since", "2026-11-02"]
        # Cron and an impatient manager at the same minute.
        pulls = [
            subprocess.Popen(
                [*command, "--json", "--by", f"cron-{n}"],
                cwd=db_path.parent,
                env=environment(zendesk),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in (1, 2)
        ]
        outputs = [pull.communicate(timeout=240) for pull in pulls]
        assert [pull.returncode for pull in pulls] == [0, 0], outputs
        answers = [json.loads(out) for out, _ in outputs]
        assert sorted(answer["status"] for answer in answers) == ["stored", "unchanged"]
        assert TOKEN not in str(outputs)
        # Without --json, the summary, as cron would log it.
        again = subprocess.run(
            [*command, "--by", "cron-3"], cwd=db_path.parent, env=environment(zendesk), capture_output=True, text=True
        )
        assert again.returncode == 0 and "nothing stored" in again.stdout
        assert "handing the pull to it" in again.stderr
    finally:
        stop(app)
    with store.connect(db_path) as con:
        [upload] = records.list_uploads(con)
        pulls_logged = [row for row in change_log(con) if row[2] == "zendesk pull"]
    assert upload["source"] == "zendesk" and len(pulls_logged) == 1
    assert upload["uploaded_by"] in {"cron-1", "cron-2"}  # who asked, not the app
    assert list(handoff.requests_folder(db_path).iterdir()) == []  # every request taken and answered


def test_a_pull_no_process_takes_is_withdrawn_and_stores_nothing(zendesk, db_path):
    app = holding(db_path, zendesk, "hold only")  # an app of an older version: it serves no requests
    try:
        answer = handoff.request_pull(db_path, since=None, pulled_by="cron", pickup_seconds=1)
    finally:
        stop(app)
    assert answer["status"] == "failed" and "did not take the pull" in answer["message"]
    assert list(handoff.requests_folder(db_path).iterdir()) == []  # withdrawn: it can never run later
    with store.connect(db_path) as con:
        assert records.list_uploads(con) == [] and zendesk.requests == []


def test_a_request_the_app_cannot_read_is_answered_and_the_next_one_still_runs(zendesk, con, db_path):
    folder = handoff.requests_folder(db_path)
    folder.mkdir()
    (folder / "0-garbage.request").write_text("[1, 2")
    (folder / "1-list.request").write_text("[1, 2]")
    handoff.write_atomically(folder / "2-pull.request", {"since": "2026-11-02", "pulled_by": "cron"})
    settings = ZendeskSettings(
        subdomain="floorline",
        email=EMAIL,
        api_token=TOKEN,
        region_field_id=REGION_FIELD_ID,
        base_url_override=zendesk.base_url,
    )
    assert handoff.take_requests(con, folder, lambda: settings) == 3
    answers = {path.stem: json.loads(path.read_text()) for path in folder.glob("*.result")}
    assert answers["0-garbage"]["status"] == answers["1-list"]["status"] == "failed"
    assert answers["2-pull"]["status"] == "stored" and len(records.list_uploads(con)) == 1
