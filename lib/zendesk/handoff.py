"""A pull asked for while the app holds the database: handed to the app's process, the one writer.

DuckDB lets one process open the file for writing; while the app runs, that process is the app, so
``python -m lib zendesk pull`` (cron, a timer) cannot open it. The command then leaves a request in
the data folder (``<database>.zendesk-requests/<id>.request``) and waits. The app's process watches
that folder on a background thread (``serve``, started with the app's connection), takes each
request by renaming it (so it runs once, even if the command withdraws it at the same moment), runs
the pull on its own connection, under the same write lock as the Upload page's button, and leaves the
result beside it (``<id>.result``) for the command to print. A request holds the pull's options and
who asked, never a token: the pull runs with the app's own ``[zendesk]`` configuration.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from lib.core import auth
from lib.core.errors import RefusedFile
from lib.store import database as store
from lib.zendesk import pull as zendesk_pull
from lib.zendesk import settings as zendesk_settings
from lib.zendesk.client import PullFailed

# The app looks for requests this often; a command waits this long for it to take one (else withdraws
# it, nothing stored), then this long for the pull's result.
POLL_SECONDS = 2.0
PICKUP_SECONDS = 60.0
RESULT_SECONDS = 1800.0
SERVING: dict[Path, threading.Thread] = {}
SERVING_LOCK = threading.Lock()


def requests_folder(db_path: Path) -> Path:
    return db_path.with_name(f"{db_path.name}.zendesk-requests")


def write_atomically(path: Path, data: dict) -> None:
    """Whole or not at all: the reader never sees half a file."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data))
    os.replace(temporary, path)


def request_pull(
    db_path: Path,
    *,
    since: dt.date | None,
    pulled_by: str,
    pickup_seconds: float = PICKUP_SECONDS,
    result_seconds: float = RESULT_SECONDS,
) -> dict:
    """Hand a pull to the process holding the database and wait for its result: a PullResult's JSON, or
    {"status": "failed" or "refused", "message": ...} when it stored nothing."""
    folder = requests_folder(Path(db_path))
    folder.mkdir(exist_ok=True)
    request_id = uuid.uuid4().hex
    request, result = folder / f"{request_id}.request", folder / f"{request_id}.result"
    write_atomically(request, {"since": since.isoformat() if since else None, "pulled_by": pulled_by})
    started = time.monotonic()
    while not result.exists():
        waited = time.monotonic() - started
        if request.exists() and waited > pickup_seconds:
            try:
                request.unlink()  # not taken yet: withdrawn, so it can never run after this says so
            except FileNotFoundError:
                continue  # taken at this very moment: it runs, wait for it
            return {
                "status": "failed",
                "message": f"the process holding the database did not take the pull within {pickup_seconds:.0f} s "
                "(is it a Floorline app, started after this version was installed?); stop it, or press "
                "Pull from Zendesk now on the Upload page",
            }
        if waited > pickup_seconds + result_seconds:
            return {
                "status": "failed",
                "message": f"the app took the pull but gave no result within {result_seconds:.0f} s; "
                "Change history on the Upload page shows whether it stored anything",
            }
        time.sleep(0.2)
    answer = json.loads(result.read_text())
    result.unlink()
    return answer


def serve(con, settings_source: Callable | None = None, *, poll_seconds: float = POLL_SECONDS) -> None:
    """Start, once per database in this process, the thread that runs pulls handed over by the command."""
    db_path = store.database_file(con).resolve()
    with SERVING_LOCK:
        if db_path in SERVING and SERVING[db_path].is_alive():
            return
        thread = threading.Thread(
            target=serve_forever,
            args=(con, db_path, settings_source or zendesk_settings.from_secrets_file, poll_seconds),
            name="floorline-zendesk-requests",
            daemon=True,
        )
        SERVING[db_path] = thread
        thread.start()


def serve_forever(con, db_path: Path, settings_source: Callable, poll_seconds: float) -> None:
    folder = requests_folder(db_path)
    while True:
        take_requests(con, folder, settings_source)
        time.sleep(poll_seconds)


def take_requests(con, folder: Path, settings_source: Callable) -> int:
    """Every waiting request run once, oldest first; how many ran."""
    if not folder.is_dir():
        return 0
    ran = 0
    for request in sorted(folder.glob("*.request"), key=lambda path: path.stat().st_mtime_ns):
        taken = request.with_suffix(".taken")
        try:
            request.rename(taken)  # atomic: of this thread and the withdrawing command, one wins
        except FileNotFoundError:
            continue
        try:
            asked = json.loads(taken.read_text())
            if not isinstance(asked, dict):
                raise ValueError("not an object")
        except ValueError:  # not written by the command: answered, never run, and the thread keeps serving
            answer = {"status": "failed", "message": "the request was not a pull request the app could read"}
        else:
            answer = run_request(con, asked, settings_source)
        write_atomically(request.with_suffix(".result"), answer)
        taken.unlink()
        ran += 1
    return ran


def run_request(con, request: dict, settings_source: Callable) -> dict:
    """The pull, as the command would have run it: as an editor (whoever can run the command can write the
    database file), named in the history as who asked."""
    pulled_by = str(request.get("pulled_by") or "unknown")
    auth.set_principal(auth.Principal(pulled_by, auth.EDITOR, signed_in=False))
    settings = None
    cursor = con.cursor()
    try:
        settings = settings_source()
        since = dt.date.fromisoformat(request["since"]) if request.get("since") else None
        return zendesk_pull.pull(cursor, settings, since=since, pulled_by=pulled_by).to_json()
    except zendesk_pull.NothingToPull as error:
        return {"status": "refused", "message": str(error)}
    except (PullFailed, RefusedFile) as error:
        message = str(error)
        return {"status": "failed", "message": zendesk_settings.scrub(message, settings) if settings else message}
    except Exception as error:  # noqa: BLE001 - the thread keeps serving; the command says what went wrong
        return {"status": "failed", "message": f"the app could not run the pull ({type(error).__name__})"}
    finally:
        cursor.close()
