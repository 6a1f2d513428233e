"""Which Chromium the browser tests (and benchmarks) drive.

``FLOORLINE_CHROMIUM`` names the executable when it lives somewhere unusual (a snap, a Playwright
download, Chrome on macOS). Without it the usual places are tried. Only a developer's machine may
skip the browser tests for want of a browser, and only when the variable is unset: under CI (``CI``
set) a missing browser is a failure, because a test CI skips is a test that is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ENVIRONMENT_VARIABLE = "FLOORLINE_CHROMIUM"
_COMMAND_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_MAC_APPLICATIONS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)


class ChromiumNotFound(Exception):
    """No browser to drive; the message says how to name one."""


def find_chromium() -> str:
    """The Chromium executable to launch, or ChromiumNotFound saying how to name one."""
    named = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if named:
        path = Path(named).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise ChromiumNotFound(f"{ENVIRONMENT_VARIABLE}={named} is not an executable file")
    for name in _COMMAND_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for application in _MAC_APPLICATIONS:
        if Path(application).is_file():
            return application
    raise ChromiumNotFound(
        f"no Chromium found (tried {', '.join(_COMMAND_NAMES)}): install Debian's chromium "
        f"(apt-get install chromium) or set {ENVIRONMENT_VARIABLE}=/path/to/chromium"
    )


def may_skip_browser_tests() -> bool:
    """Skipping is for a developer's machine with no browser and no variable set; a browser named
    but missing is a mistake to report, and CI runs every browser test."""
    return not os.environ.get("CI") and not os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
