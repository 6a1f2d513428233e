"""Command line: ingest exports, print the status, list and roll back uploads, build the demo."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from pathlib import Path

import duckdb

from lib import store
from lib.errors import RefusedFile
from lib.kpis import status_report
from lib.reading import DATE_ORDERS, DECIMALS, THOUSANDS, WEEK_LABELS, WEEK_NUMBERING, ReadOptions
from lib.shapes import SOURCES

EXIT_REFUSED = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib", description="Floorline: support KPIs against their floors.")
    parser.add_argument("--db", help="database file (default: $FLOORLINE_DB or data/floorline.duckdb)")
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
    uploads = commands.add_parser("uploads", help="every upload, newest first")
    uploads.add_argument("--json", action="store_true")
    rollback = commands.add_parser("rollback", help="take an upload's figures out (undo with restore)")
    rollback.add_argument("upload_id", type=int)
    rollback.add_argument("--by", default=None, help="who is rolling back (default: this machine's user)")
    restore = commands.add_parser("restore", help="bring a rolled-back upload back")
    restore.add_argument("upload_id", type=int)
    restore.add_argument("--by", default=None, help="who is restoring (default: this machine's user)")
    demo = commands.add_parser("demo", help="build the demo database (a year of generated exports)")
    demo.add_argument("--end", type=dt.date.fromisoformat, default=None, help="last day of demo data (default today)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        con = store.connect(args.db)
    except duckdb.IOException as error:
        print(f"cannot open the database: {str(error).splitlines()[0]}", file=sys.stderr)
        print("(is the app running with it open? upload through the app, or stop it first)", file=sys.stderr)
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


def run_ingest(con, args) -> int:
    refused = 0
    options = read_options(args)
    for path in args.files:
        if not path.is_file():
            print(f"refused   {path}: no such file")
            refused += 1
            continue
        try:
            result = store.ingest_file(
                con, path, source=args.source, uploaded_by=args.by or getpass.getuser(), options=options
            )
        except RefusedFile as error:
            print(f"refused   {error.message}")
            refused += 1
            continue
        print(f"{result.status:<10}{path.name}: {result.summary()}")
        print(f"          file: {result.encoding}")  # for a workbook, the sheet that was read
        for what, how in result.reading.items():
            print(f"          {what}: {how}")
        for warning in result.warnings:
            print(f"          warning: {warning}")
        if result.replaced_demo:
            print("          the demo data was removed: the figures are now your uploads only")
    return EXIT_REFUSED if refused else 0


def run_status(con, args) -> int:
    report = status_report(con, store.load_settings(con))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if report["latest_week"] is None:
        print("no data yet: python -m lib ingest FILE, or python -m lib demo")
        return 0
    print(f"latest complete week: {report['latest_week']}")
    for kpi, figures in report["kpis"].items():
        value = figures["latest_value"]
        shown = "no data" if value is None else f"{value:.1f} %"
        flag = (
            "SUSTAINED BREACH"
            if figures["sustained_breach"]
            else ("at or below floor" if figures["weeks_at_or_below"] else "ok")
        )
        print(
            f"  {kpi:<5} {shown:>9}  floor {figures['floor']:g}  {flag}  "
            f"({figures['weeks_at_or_below']} weeks at or below)"
        )
    return 0


def run_uploads(con, args) -> int:
    uploads = store.list_uploads(con)
    if args.json:
        print(json.dumps(uploads, indent=2, default=str))
        return 0
    for upload in uploads:
        print(
            f"{upload['id']:>5}  {upload['status']:<12} {upload['uploaded_at']:%Y-%m-%d %H:%M}  "
            f"{upload['source']:<8} {upload['rows_used']:>9,} rows  {upload['file']}"
        )
    return 0


def run_rollback(con, args) -> int:
    try:
        store.rollback(con, args.upload_id, actor=args.by or getpass.getuser())
    except LookupError as error:
        print(error, file=sys.stderr)
        return EXIT_REFUSED
    print(f"upload {args.upload_id} rolled back (undo: python -m lib restore {args.upload_id})")
    return 0


def run_restore(con, args) -> int:
    try:
        store.restore(con, args.upload_id, actor=args.by or getpass.getuser())
    except LookupError as error:
        print(error, file=sys.stderr)
        return EXIT_REFUSED
    print(f"upload {args.upload_id} restored")
    return 0


def run_demo(con, args) -> int:
    from lib.demo_loader import load_demo

    loaded = load_demo(con, end=args.end or dt.date.today())
    if not loaded:
        print("the database already holds real uploads; the demo was not loaded")
        return 0
    for result in loaded:
        print(f"demo      {result.file_name}: {result.summary()}")
    return 0


COMMANDS = {
    "ingest": run_ingest,
    "status": run_status,
    "uploads": run_uploads,
    "rollback": run_rollback,
    "restore": run_restore,
    "demo": run_demo,
}
