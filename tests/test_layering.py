"""Only the UI layer imports Streamlit: the rest of lib/ (and the command line) runs without it."""

from __future__ import annotations

import subprocess
import sys

from lib.core.settings import PROJECT_ROOT

# Every module outside lib/ui/: the Streamlit side of lib/ is that one sub-package.
CORE_MODULES = sorted(
    ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in (PROJECT_ROOT / "lib").rglob("*.py")
    if "ui" not in path.relative_to(PROJECT_ROOT / "lib").parts and path.stem != "__main__"
)

# Importing a module named None in sys.modules raises ImportError, as if Streamlit were not installed.
WITHOUT_STREAMLIT = (
    "import importlib, sys; sys.modules['streamlit'] = None; [importlib.import_module(m) for m in sys.argv[1:]]"
)


def run_without_streamlit(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def test_every_core_module_imports_without_streamlit():
    assert len(CORE_MODULES) > 20
    result = run_without_streamlit(WITHOUT_STREAMLIT, *CORE_MODULES)
    assert result.returncode == 0, result.stderr


def test_the_check_fails_on_a_ui_module():
    # The same check, on a module that does import Streamlit: it must fail, or it proves nothing.
    result = run_without_streamlit(WITHOUT_STREAMLIT, "lib.ui.page")
    assert result.returncode != 0 and "streamlit" in result.stderr


def test_the_command_line_runs_without_streamlit():
    code = (
        "import sys, runpy; sys.modules['streamlit'] = None; sys.argv = ['lib', '--help']; "
        "runpy.run_module('lib', run_name='__main__')"
    )
    result = run_without_streamlit(code)
    assert "ingest" in result.stdout, result.stderr
