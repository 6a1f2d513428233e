"""Each page's time in a real browser against a bare three-chart page. Prints figures; asserts nothing.

    python benchmarks/browser_benchmark.py [--rounds 5] [--db FILE] [--pages "KPI trends" "Data trust"]

Serves the app on a demo database (built in a temporary folder unless ``--db`` is given) and
``benchmarks/bare_page.py`` (three metrics, three plotly charts) side by side, loopback only,
in the same run. Chromium (the browser tests' own: ``FLOORLINE_CHROMIUM``, or found on PATH) at
1400x900 keeps one profile, so the browser's cache is warm. Every load is a new Streamlit session, measured two ways:

- *same tab*: one tab loads page after page, as opening a link from the meeting chat or a bookmark
  does (a click on the sidebar's links switches page without a reload and pays no health check);
- *new tab*: each load opens a new tab, which adds Chromium's tab start-up (about the same
  for every page) and so narrows every ratio.

A page counts as drawn when its script has finished and every plotly chart on it has drawn its
SVG. Each page is loaded once unmeasured first (browser and server caches warm), then
``--rounds`` times in turn with the others; each median is printed with its ratio to the bare
page's median and its difference from it in seconds, with the machine's load average.

Goal (issue 26): every page within 1.3x the bare page, same tab. The bare page is measured a
second time at a page's address (``benchmarks/pages/bare_subpage.py``): Streamlit's front end,
loading any page but the root, first asks the page's own address for the server's health, gets a
404 and tries the root about 0.1 s later. The app is served as the README serves it (``serve.py``,
which writes the server's root into each page, so its pages do not wait); the bare page is served plainly,
so its line at a page's address shows the wait ``serve.py`` removes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from chromium_location import find_chromium  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from streamlit_process import running_streamlit  # noqa: E402

from lib.demo.load import load_demo  # noqa: E402
from lib.store import database as store  # noqa: E402
from lib.ui.navigation import PAGES  # noqa: E402

VIEWPORT = {"width": 1400, "height": 900}
GOAL = 1.3

# True once the script has run to the end, no element still waits for its code (a skeleton stands in
# for a lazily loaded element such as a chart or a metric), and every plotly chart has drawn its SVG.
DRAWN = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  const main = document.querySelector("[data-testid='stMainBlockContainer']");
  if (!main || !main.querySelector("[data-testid='stElementContainer']")) return false;
  if (main.querySelector("[data-testid='stSkeleton']")) return false;
  return [...main.querySelectorAll("[data-testid='stPlotlyChart']")].every(c => c.querySelector(".main-svg"));
}"""

# What the browser had to draw: a rough size of the page.
COUNTS = """() => ({
  elements: document.querySelectorAll("[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']").length,
  charts: document.querySelectorAll("[data-testid='stPlotlyChart']").length,
  tables: document.querySelectorAll("[data-testid='stDataFrame'], [data-testid='stDataEditor']").length,
  nodes: document.getElementsByTagName("*").length,
})"""


def demo_database(folder: Path) -> Path:
    path = folder / "floorline.duckdb"
    con = store.connect(path)
    load_demo(con, end=dt.date.today())
    con.close()
    return path


def drawn_seconds(page, url: str) -> float:
    """Seconds from navigation to drawn in ``page``; a navigation is a new Streamlit session."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN, polling=20, timeout=120_000)
    seconds = time.perf_counter() - start
    if page.locator("[data-testid='stException']").count():
        raise SystemExit(f"{url} raised an exception")
    return seconds


def in_new_tab(context, url: str) -> float:
    page = context.new_page()
    try:
        return drawn_seconds(page, url)
    finally:
        page.close()


def print_table(title: str, times: dict[str, list[float]], counts: dict[str, dict]) -> None:
    bare = statistics.median(next(iter(times.values())))
    print(title)
    print(
        f"{'page':<34}{'median':>9}{'ratio':>8}{'+s':>8}{'slowest':>9}"
        f"{'elements':>10}{'charts':>8}{'tables':>8}{'nodes':>8}"
    )
    for name, samples in times.items():
        median = statistics.median(samples)
        ratio = median / bare
        mark = "" if ratio <= GOAL else "  over goal"
        c = counts[name]
        print(
            f"{name:<34}{median:>7.2f} s{ratio:>7.2f}x{median - bare:>+7.2f}s{max(samples):>7.2f} s"
            f"{c['elements']:>10}{c['charts']:>8}{c['tables']:>8}{c['nodes']:>8}{mark}"
        )


def load_average() -> str:
    """The machine's 1-minute load average: on a shared machine every figure here moves with it."""
    return Path("/proc/loadavg").read_text().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="measured loads of each page, each way")
    parser.add_argument("--db", type=Path, help="an existing Floorline database (default: a demo year ending today)")
    parser.add_argument(
        "--pages",
        nargs="+",
        choices=[entry.label for entry in PAGES],
        metavar="PAGE",
        help="measure only these pages against the bare page (default: every page)",
    )
    args = parser.parse_args()
    measured = [entry for entry in PAGES if not args.pages or entry.label in args.pages]
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="floorline-browser-bench-")))
        db = args.db or demo_database(folder)
        app_url = stack.enter_context(running_streamlit(db, folder / "app.log"))
        bare_url = stack.enter_context(running_streamlit(db, folder / "bare.log", script="benchmarks/bare_page.py"))
        targets = {
            "bare page (3 metrics, 3 charts)": bare_url + "/",
            "bare page at a page's address": bare_url + "/bare_subpage",
        }
        targets |= {entry.label: app_url + entry.url_path for entry in measured}
        playwright = stack.enter_context(sync_playwright())
        context = playwright.chromium.launch_persistent_context(
            str(folder / "profile"),
            executable_path=find_chromium(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            viewport=VIEWPORT,
        )
        stack.callback(context.close)
        tab = context.new_page()
        counts = {}
        for name, url in targets.items():  # warm-up, not measured
            drawn_seconds(tab, url)
            counts[name] = tab.evaluate(COUNTS)
        same_tab: dict[str, list[float]] = {name: [] for name in targets}
        new_tab: dict[str, list[float]] = {name: [] for name in targets}
        loads = [load_average()]
        for _ in range(args.rounds):
            for name, url in targets.items():
                same_tab[name].append(drawn_seconds(tab, url))
                new_tab[name].append(in_new_tab(context, url))
            loads.append(load_average())
    size = f"{VIEWPORT['width']}x{VIEWPORT['height']}"
    print(f"Chromium {size}, warm cache, new session per load; median of {args.rounds}; goal {GOAL}x same tab")
    print(f"load average (1 min) at the start and after each round: {' '.join(loads)}")
    print_table("same tab (one tab navigates from page to page)", same_tab, counts)
    print()
    print_table("new tab (each load opens a tab)", new_tab, counts)


if __name__ == "__main__":
    main()
