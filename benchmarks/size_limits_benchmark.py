"""Epics and OKR files at and past their size limits: time and peak memory. Prints figures; asserts nothing.

    python benchmarks/size_limits_benchmark.py [--objectives 50000] [--epics 10000]

Each measure runs in a child process of its own, so its peak memory (VmHWM) is its own:

- an epics file of 1,000,000 tiny items (27 MB), refused before it is parsed;
- an epics file of ``--epics`` full REST epics (the limit), imported, then the Team epics listing built;
- an OKR workbook of ``--objectives`` objectives (one department objective per 10 manager objectives),
  checked and imported, then the quarter's view built, then the OKRs page rendered (AppTest).

Goals (issue 23): the million-item file refused in well under a second; the 50,000-objective workbook's
page back in seconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD_PREAMBLE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from lib.core import auth
from lib.store import database as store
auth.set_principal(auth.OPEN_PRINCIPAL)  # an editor, as on the command line
def peak_mb():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]) / 1024
"""

REFUSE_MILLION = """
from lib.core.errors import RefusedFile
from lib.epics.repository import import_epics_file
con = store.connect(sys.argv[2])
started = time.perf_counter()
try:
    import_epics_file(con, sys.argv[3])
    outcome = "stored"
except RefusedFile as error:
    outcome = error.message
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_mb(), "outcome": outcome}))
"""

EPICS_AT_LIMIT = """
import datetime as dt
from lib.epics.repository import import_epics_file
from lib.epics.overview import epics_view
con = store.connect(sys.argv[2])
started = time.perf_counter()
result = import_epics_file(con, sys.argv[3])
imported = time.perf_counter() - started
started = time.perf_counter()
view = epics_view(con, store.load_settings(con), dt.date(2026, 11, 26))
listed = time.perf_counter() - started
print(json.dumps({"import_seconds": imported, "listing_seconds": listed, "epics": result.epic_count,
                  "masters": len(view.masters), "peak_mb": peak_mb()}))
"""

OKRS_AT_SIZE = """
import datetime as dt, os
from lib.metrics.fiscal import FiscalQuarter
from lib.okrs.repository import import_okr_file
from lib.okrs.quarters import quarter_view
con = store.connect(sys.argv[2])
started = time.perf_counter()
result = import_okr_file(con, sys.argv[3])
imported = time.perf_counter() - started
started = time.perf_counter()
view = quarter_view(con, store.load_settings(con), FiscalQuarter(2027, 4), dt.date(2026, 11, 26), breaches={})
viewed = time.perf_counter() - started
con.close()
os.environ["FLOORLINE_DB"] = sys.argv[2]
from streamlit.testing.v1 import AppTest
app = AppTest.from_file(sys.argv[1] + "/pages/3_OKRs.py", default_timeout=600)
app.query_params["quarter"] = "FY27-Q4"
started = time.perf_counter()
app.run()
page = time.perf_counter() - started
print(json.dumps({"import_seconds": imported, "view_seconds": viewed, "page_seconds": page,
                  "page_errors": [e.message[:200] for e in app.exception], "stored": result.counts,
                  "peak_mb": peak_mb()}))
"""


def run_child(script: str, *args: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", CHILD_PREAMBLE + script, str(ROOT), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode:
        raise SystemExit(completed.stderr[-3000:])
    return json.loads(completed.stdout.strip().splitlines()[-1])


def million_tiny_items(path: Path) -> None:
    path.write_text("[" + ",".join(f'{{"iid":{n},"title":"x"}}' for n in range(1, 1_000_001)) + "]")


def rest_epics(path: Path, count: int) -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    from epic_builders import rest_epic

    items = [
        rest_epic(1 + n, f"area: Area {n} (Manager {n % 40})" if n % 20 == 0 else f"Epic {n}") for n in range(count)
    ]
    for n, item in enumerate(items):
        if n % 20:
            item.update(parent_id=5001 + n - n % 20, parent_iid=1 + n - n % 20)
    path.write_text(json.dumps(items))


def okr_workbook(path: Path, objectives: int) -> None:
    import openpyxl

    managers = 200
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Managers")
    sheet.append(["name", "region", "segment", "manager_since"])
    for m in range(managers):
        sheet.append([f"Manager {m}", ("AMER", "EMEA", "APAC")[m % 3], "", "2020-01-06"])
    sheet = workbook.create_sheet("Objectives")
    sheet.append(["objective_id", "quarter", "level", "objective", "owner", "aligned_to"])
    departments = max(1, objectives // 11)
    for d in range(departments):
        sheet.append([f"D{d}", "FY27-Q4", "department", f"Department goal {d}", "Director", ""])
    for n in range(objectives - departments):
        sheet.append(
            [f"M{n}", "FY27-Q4", "manager", f"Manager goal {n}", f"Manager {n % managers}", f"D{n % departments}"]
        )
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objectives", type=int, default=50_000)
    parser.add_argument("--epics", type=int, default=25_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="floorline-size-bench-"))

    million = folder / "million.json"
    million_tiny_items(million)
    outcome = run_child(REFUSE_MILLION, str(folder / "a.duckdb"), str(million))
    print(
        f"epics, 1,000,000 tiny items ({million.stat().st_size / 1e6:.0f} MB): refused in {outcome['seconds']:.2f} s, "
        f"peak {outcome['peak_mb']:.0f} MB — {outcome['outcome'][:100]}"
    )

    at_limit = folder / "epics.json"
    rest_epics(at_limit, args.epics)
    outcome = run_child(EPICS_AT_LIMIT, str(folder / "b.duckdb"), str(at_limit))
    print(
        f"epics, {outcome['epics']:,} REST epics ({at_limit.stat().st_size / 1e6:.0f} MB): imported in "
        f"{outcome['import_seconds']:.2f} s, listing ({outcome['masters']} master epics) in "
        f"{outcome['listing_seconds']:.2f} s, peak {outcome['peak_mb']:.0f} MB"
    )

    workbook = folder / "okrs.xlsx"
    started = time.perf_counter()
    okr_workbook(workbook, args.objectives)
    print(f"(workbook of {args.objectives:,} objectives written in {time.perf_counter() - started:.1f} s)")
    outcome = run_child(OKRS_AT_SIZE, str(folder / "c.duckdb"), str(workbook))
    print(
        f"OKRs, {args.objectives:,} objectives: checked and imported in {outcome['import_seconds']:.2f} s, "
        f"quarter view in {outcome['view_seconds']:.2f} s, OKRs page in {outcome['page_seconds']:.2f} s, "
        f"peak {outcome['peak_mb']:.0f} MB, page errors {outcome['page_errors']}"
    )
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
