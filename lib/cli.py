"""Command line: ingest exports, print the status, list and roll back uploads, build the demo."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import importlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lib.core.errors import DatabaseLocked, NothingToChange, RefusedFile
from lib.core.kpis import as_written, kpi_keys
from lib.core.secrets import DEFAULT_SECRETS_PATH, read_secrets_file
from lib.core.text import format_percent, terminal_text
from lib.metrics import explain
from lib.metrics.kpis import kpi_summaries, status_report
from lib.reading.decisions import DATE_ORDERS, DECIMALS, THOUSANDS, WEEK_LABELS, WEEK_NUMBERING, ReadOptions
from lib.reading.shapes import SOURCES
from lib.store import database as store
from lib.store import upload_records as records

EXIT_REFUSED = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib", description="Floorline: support KPIs against their floors.")
    parser.add_argument("--db", help="database file (default: $FLOORLINE_DB or data/floorline.duckdb)")
    parser.add_argument(
        "--secrets",
        type=Path,
        default=DEFAULT_SECRETS_PATH,
        help="the secrets file with [notify] channels and [gitlab] (default: .streamlit/secrets.toml)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="store one or more exports")
    ingest.add_argument("files", nargs="+", type=Path)
    ingest.add_argument("--source", choices=SOURCES, help="where the export came from (default: from its shape)")
    ingest.add_argument("--by", default=None, help="who is uploading (default: this machine's user)")
    reading_flags = ingest.add_argument_group(
        "how to read the files (default: decided from each file, which says how; a file that could be read "
        "two ways is refused, naming the flag that settles it)"
    )
    reading_flags.add_argument(
        "--dates", choices=DATE_ORDERS[1:], help="slash dates are day/month/year or month/day/year"
    )
    reading_flags.add_argument(
        "--week-labels", choices=WEEK_LABELS[1:], help="a week label is the week's first day (start) or last (end)"
    )
    reading_flags.add_argument(
        "--week-numbering",
        choices=WEEK_NUMBERING[1:],
        help="Explore's 'Week of year' counts weeks from Sunday (English, US) or Monday (English, UK; German)",
    )
    reading_flags.add_argument("--decimal", choices=DECIMALS[1:], help="the export's decimal separator")
    reading_flags.add_argument("--thousands", choices=THOUSANDS[1:], help="the export's thousands separator")
    status = commands.add_parser("status", help="latest complete week, each KPI against its floor")
    status.add_argument("--json", action="store_true")
    why = commands.add_parser("explain", help="where a KPI's change from an earlier week comes from")
    why.add_argument("kpi", type=as_written, choices=kpi_keys())
    why.add_argument("--week", type=dt.date.fromisoformat, required=True, help="the week (any date in it)")
    why.add_argument("--against", choices=tuple(explain.AGAINST), default="previous")
    why.add_argument("--by", choices=explain.DIMENSION_CHOICES, default="segment")
    why.add_argument("--min-events", type=int, help="slices with fewer events in both periods are grouped as too small")
    why.add_argument("--json", action="store_true")
    uploads = commands.add_parser("uploads", help="every upload, newest first")
    uploads.add_argument("--json", action="store_true")
    rollback = commands.add_parser("rollback", help="take an upload's figures out (undo with restore)")
    rollback.add_argument("upload_id", type=int)
    rollback.add_argument("--by", default=None, help="who is rolling back (default: this machine's user)")
    restore = commands.add_parser("restore", help="bring a rolled-back upload back")
    restore.add_argument("upload_id", type=int)
    restore.add_argument("--by", default=None, help="who is restoring (default: this machine's user)")
    add_zendesk_parser(commands)
    demo = commands.add_parser("demo", help="build the demo database (a year of generated exports)")
    demo.add_argument("--end", type=dt.date.fromisoformat, default=None, help="last day of demo data (default today)")
    add_epics_parser(commands)
    notify = commands.add_parser("notify", help="send the transitions not yet sent to the [notify] channels")
    notify.add_argument("--dry-run", action="store_true", help="print what would be sent; send and store nothing")
    notify.add_argument("--by", default=None, help="who is sending (default: this machine's user)")
    return parser


class TerminalStream:
    """Standard output or error with every control character written visibly (``lib.core.text.terminal_text``):
    titles, names and file names from files and GitLab never reach the terminal as escapes (OSC 8 links,
    clear screen, bell). JSON stays JSON: ``\\u009b`` is the same string as the raw character."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(terminal_text(text))

    def __getattr__(self, name):
        return getattr(self.stream, name)


def main(argv: list[str] | None = None) -> int:
    with contextlib.redirect_stdout(TerminalStream(sys.stdout)), contextlib.redirect_stderr(TerminalStream(sys.stderr)):
        return run(argv)


# The modules a command that changes figures runs on, beyond the parser's: loaded on a thread while the database
# opens, as DuckDB lets go of the GIL while it opens the file and checks the schema (the command imports them
# again where it runs, which then costs nothing; an import that failed there fails again, in the open).
LOADED_WHILE_OPENING = {
    "ingest": ("lib.uploads.ingest", "lib.notify"),
    "rollback": ("lib.uploads.status", "lib.notify"),
    "restore": ("lib.uploads.status", "lib.notify"),
}


def load_modules(names: tuple[str, ...]) -> None:
    for name in names:
        importlib.import_module(name)


def run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    with ThreadPoolExecutor(max_workers=1) as beside:
        beside.submit(load_modules, LOADED_WHILE_OPENING.get(args.command, ()))
        try:
            con = store.connect(args.db)
        except DatabaseLocked as error:
            if args.command == "zendesk":
                # The app holds the file: it is the one writer, so the pull goes to it (README, "Every hour").
                return hand_zendesk_pull_over(Path(error.path), args)
            print(error, file=sys.stderr)
            print("(is the app running with it open? upload through the app, or stop it first)", file=sys.stderr)
            return 1
        except store.CannotOpen as error:
            print(f"cannot open the database: {str(error).splitlines()[0]}", file=sys.stderr)
            return 1
    with con:
        return COMMANDS[args.command](con, args)


def read_options(args) -> ReadOptions:
    return ReadOptions(
        dates=args.dates or "auto",
        week_labels=args.week_labels or "auto",
        week_numbering=args.week_numbering or "auto",
        decimal=args.decimal or "auto",
        thousands=args.thousands or "auto",
    )


def tell_the_team(con, args) -> None:
    """After figures changed: the one notify call (lib.notify.after_change), and what it could not do."""
    from lib import notify

    report = notify.after_change(con, args.by or getpass.getuser(), read_secrets_file(args.secrets))
    for channel, subject in report.sent:
        print(f"notified  {channel}: {subject}")
    for line in report.failure_lines():
        print(f"warning   {line}", file=sys.stderr)


def run_notify(con, args) -> int:
    from lib import notify

    if not args.dry_run:
        tell_the_team(con, args)
        return 0
    waiting = notify.what_would_be_sent(con, read_secrets_file(args.secrets))
    if not waiting:
        print("nothing to send (no [notify] channels, demo figures, or every transition already sent)")
    for transition, channels in waiting:
        print(f"would send to {', '.join(channels)}:")
        print("  " + transition.message().replace("\n", "\n  "))
    return 0


def run_ingest(con, args) -> int:
    from lib.uploads.ingest import ingest_file

    refused = 0
    stored = 0
    options = read_options(args)
    for path in args.files:
        if not path.is_file():
            print(f"refused   {path}: no such file")
            refused += 1
            continue
        try:
            result = ingest_file(
                con, path, source=args.source, uploaded_by=args.by or getpass.getuser(), options=options
            )
        except RefusedFile as error:
            print(f"refused   {error.message}")
            refused += 1
            continue
        stored += 1
        print(f"{result.status:<10}{path.name}: {result.summary()}")
        print(f"          file: {result.encoding}")  # for a workbook, the sheet that was read
        for what, how in result.reading.items():
            print(f"          {what}: {how}")
        for warning in result.warnings:
            print(f"          warning: {warning}")
        if result.replaced_demo:
            print("          the demo data was removed: the figures are now your uploads only")
    if stored:
        tell_the_team(con, args)
    return EXIT_REFUSED if refused else 0


def run_status(con, args) -> int:
    settings = store.load_settings(con)
    report = status_report(con, settings)
    for kpi, extra in explain.status_additions(con, kpi_summaries(con, settings), settings).items():
        report["kpis"][kpi].update(extra)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if report["latest_week"] is None:
        print("no data yet: python -m lib ingest FILE, or python -m lib demo")
        return 0
    # People read this output: dates as every page writes them (``--json`` keeps ISO for programs).
    print(f"latest complete week: {dt.date.fromisoformat(report['latest_week']):%d %b %Y}")
    for kpi, figures in report["kpis"].items():
        value = figures["latest_value"]
        shown = "no data" if value is None else format_percent(value, figures["floor"])
        flag = (
            "SUSTAINED BREACH"
            if figures["sustained_breach"]
            else ("at or below floor" if figures["weeks_at_or_below"] else "ok")
        )
        weeks = figures["weeks_at_or_below"]
        print(
            f"  {kpi:<5} {shown:>9}  floor {figures['floor']:g}\u00a0%  {flag}  "
            f"({weeks} {'week' if weeks == 1 else 'weeks'} at or below)"
        )
    partial = [figures["week_so_far"]["statement"] for figures in report["kpis"].values() if figures["week_so_far"]]
    if partial:
        print("this week so far (not part of any streak):")
        for statement in partial:
            print(f"  {statement}")
    return 0


def run_explain(con, args) -> int:
    settings = store.load_settings(con)
    week = week_of(args.week, settings.week_start_index)
    try:
        result = explain.explain(
            con, settings, args.kpi, week, against=args.against, by=args.by, min_events=args.min_events
        )
    except explain.CannotExplain as error:
        print(f"cannot explain: {error.message}", file=sys.stderr)
        return EXIT_REFUSED
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    print(explain.describe(result, settings.floors[args.kpi]))
    for entry in result.to_json()["slices"]:
        small = "  (too small to judge)" if entry["too_small"] else ""
        value = format_percent(entry["value"])
        print(
            f"  {entry['slice']:<24} {value:>8} of {entry['total']:>7,}  rate {entry['rate_part']:+.2f}"
            f"  mix {entry['mix_part']:+.2f}  = {entry['contribution']:+.2f}{small}"
        )
    return 0


def week_of(day: dt.date, week_start_index: int) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - week_start_index) % 7)


def run_uploads(con, args) -> int:
    uploads = records.list_uploads(con)
    if args.json:
        print(json.dumps(uploads, indent=2, default=str))
        return 0
    for upload in uploads:
        print(
            f"{upload['id']:>5}  {upload['status']:<12} {upload['uploaded_at']:%d %b %Y %H:%M}  "
            f"{upload['source']:<8} {upload['rows_used']:>9,} rows  {upload['file']}"
        )
    return 0


def change_status(change, con, args, done: str) -> int:
    """Roll back or restore; an unknown upload, or one already so, is refused (exit 2) and nothing is written."""
    try:
        change(con, args.upload_id, actor=args.by or getpass.getuser())
    except (LookupError, NothingToChange) as error:
        print(error, file=sys.stderr)
        return EXIT_REFUSED
    print(f"upload {args.upload_id} {done}")
    tell_the_team(con, args)
    return 0


def run_rollback(con, args) -> int:
    from lib.uploads.status import rollback

    return change_status(rollback, con, args, f"rolled back (undo: python -m lib restore {args.upload_id})")


def run_restore(con, args) -> int:
    from lib.uploads.status import restore

    return change_status(restore, con, args, "restored")


def run_demo(con, args) -> int:
    from lib.demo.load import load_demo

    loaded = load_demo(con, end=args.end or dt.date.today())
    if not loaded:
        print("the database already holds real uploads; the demo was not loaded")
        return 0
    for result in loaded:
        print(f"demo      {result.file_name}: {result.summary()}")
    return 0


def add_epics_parser(commands) -> None:
    epics = commands.add_parser("epics", help="the team's master epics with their DRIs and flags")
    epics.add_argument("--json", action="store_true")
    actions = epics.add_subparsers(dest="epics_action")
    epics_import = actions.add_parser("import", help="store a GitLab epics JSON file as the newest snapshot")
    epics_import.add_argument("file", type=Path)
    epics_import.add_argument("--by", default=None, help="who is importing (default: this machine's user)")
    epics_restore = actions.add_parser("restore", help="show an earlier snapshot again")
    epics_restore.add_argument("snapshot_id", type=int)
    epics_restore.add_argument("--by", default=None, help="who is restoring (default: this machine's user)")


def add_zendesk_parser(commands) -> None:
    zendesk = commands.add_parser("zendesk", help="pull SLA targets and satisfaction straight from Zendesk's API")
    actions = zendesk.add_subparsers(dest="zendesk_command", required=True)
    pull = actions.add_parser("pull", help="store what changed since the last pull (configured in [zendesk])")
    pull.add_argument("--since", type=dt.date.fromisoformat, help="read from this day (YYYY-MM-DD) instead")
    pull.add_argument("--by", help="who the change history names (default: your login name)")
    pull.add_argument("--json", action="store_true")


def hand_zendesk_pull_over(db_path: Path, args) -> int:
    from lib.zendesk import handoff as zendesk_handoff

    if not args.json:
        print("the app holds the database: handing the pull to it", file=sys.stderr)
    answer = zendesk_handoff.request_pull(db_path, since=args.since, pulled_by=args.by or getpass.getuser())
    if args.json:
        print(json.dumps(answer, indent=2))
    elif answer["status"] in ("failed", "refused"):
        print(f"nothing stored: {answer['message']}", file=sys.stderr)
    else:
        print(answer["summary"])
    return {"failed": 1, "refused": EXIT_REFUSED}.get(answer["status"], 0)


def run_zendesk(con, args) -> int:
    # The pull's modules (httpx, pyarrow) load here, not for every command: ``ingest`` starts without them.
    from lib.zendesk import pull as zendesk_pull
    from lib.zendesk import settings as zendesk_settings
    from lib.zendesk.client import PullFailed

    settings = zendesk_settings.from_secrets_file()
    try:
        result = zendesk_pull.pull(con, settings, since=args.since, pulled_by=args.by or getpass.getuser())
    except (PullFailed, zendesk_pull.NothingToPull, RefusedFile) as error:
        message = zendesk_settings.scrub(str(error), settings) if settings else str(error)
        if args.json:
            print(json.dumps({"status": "failed", "message": message}, indent=2))
        else:
            print(f"nothing stored: {message}", file=sys.stderr)
        return EXIT_REFUSED if isinstance(error, zendesk_pull.NothingToPull) else 1
    print(json.dumps(result.to_json(), indent=2) if args.json else result.summary)
    return 0


def run_epics(con, args) -> int:
    from lib.epics import overview as epic_overview
    from lib.epics import repository as epic_repository
    from lib.metrics import fiscal

    if args.epics_action == "import":
        if not args.file.is_file():
            print(f"refused   {args.file}: no such file")
            return EXIT_REFUSED
        try:
            result = epic_repository.import_epics_file(con, args.file, args.by or getpass.getuser())
        except RefusedFile as error:
            print(f"refused   {error.message}")
            return EXIT_REFUSED
        print(f"imported  {args.file.name}: {result.summary()}")
        for warning in result.warnings:
            print(f"          warning: {warning}")
        return 0
    if args.epics_action == "restore":
        try:
            epic_repository.restore_snapshot(con, args.snapshot_id, args.by or getpass.getuser())
        except LookupError as error:
            print(error, file=sys.stderr)
            return EXIT_REFUSED
        print(f"epics snapshot {args.snapshot_id} restored")
        return 0
    try:
        view = epic_overview.epics_view(con, store.load_settings(con), fiscal.today())
    except ValueError as error:  # a bad epic_master_pattern setting
        print(error, file=sys.stderr)
        return EXIT_REFUSED
    report = epic_overview.report(view)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    if report["snapshot"] is None:
        print("no epics yet: python -m lib epics import FILE")
        return 0
    snapshot = report["snapshot"]
    print(f"epics snapshot {snapshot['id']} from {snapshot['source']} ({snapshot['imported_at']} UTC)")
    for master in report["master_epics"]:
        dri = master["dri"] or "no DRI"
        flags = ", ".join(master["flags"]) or "ok"
        print(f"  {master['reference']:<26} {master['state']:<7} {dri:<20} {master['area']}  [{flags}]")
    return 0


COMMANDS = {
    "ingest": run_ingest,
    "status": run_status,
    "explain": run_explain,
    "uploads": run_uploads,
    "rollback": run_rollback,
    "restore": run_restore,
    "demo": run_demo,
    "epics": run_epics,
    "notify": run_notify,
    "zendesk": run_zendesk,
}
