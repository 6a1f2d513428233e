"""The quarter's view grows in step with the number of objectives, never with its square.

Counted, not timed: the Python lines ``quarter_view`` runs for a workbook of n objectives and of
4n. Linear work runs about 4 times the lines; comparing every objective with every other ran about
16 times (the page never came back for 50,000 objectives). Speed itself is measured in
``benchmarks/size_limits_benchmark.py``.
"""

from __future__ import annotations

import sys

from export_builders import DEMO_END
from okr_builders import MANAGERS, OBJECTIVES, Q4, write_workbook

from lib.okrs import quarters, repository
from lib.store import database as store


def workbook_of(path, objectives: int):
    """A quarter with one department objective per 10 manager objectives, spread over 20 managers."""
    managers = [(f"Manager {m}", "EMEA", "", "2020-01-06") for m in range(20)]
    departments = objectives // 11
    rows = [(f"D{d}", Q4.label, "department", f"Goal {d}", "Director", "") for d in range(departments)]
    rows += [
        (f"M{n}", Q4.label, "manager", f"Goal {n}", f"Manager {n % 20}", f"D{n % departments}")
        for n in range(objectives - departments)
    ]
    return write_workbook(path, {"Managers": [*MANAGERS, *managers], "Objectives": [*OBJECTIVES, *rows]})


def lines_run(con) -> int:
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        view = quarters.quarter_view(con, store.load_settings(con), Q4, DEMO_END, breaches={})
    finally:
        sys.settrace(None)
    assert len(view.unaligned) == 0 and sum(len(d.aligned) for d in view.departments) > 0
    return count


def test_the_quarter_view_is_linear_in_the_number_of_objectives(tmp_path):
    counted = {}
    for objectives in (440, 1760):
        con = store.connect(tmp_path / f"okrs-{objectives}.duckdb")
        repository.import_okr_file(con, workbook_of(tmp_path / f"okrs-{objectives}.xlsx", objectives), "a@example.com")
        counted[objectives] = lines_run(con)
        con.close()

    assert counted[1760] < 5 * counted[440], counted  # 3.8 now; 8.5 when every pair was compared
