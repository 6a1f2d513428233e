"""Only the UI layer imports Streamlit: the rest of lib/ (and the command line) runs without it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

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


def lint_imports(project) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_package(tmp_path):
    shutil.copytree(PROJECT_ROOT / "lib", tmp_path / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layering_contracts_hold():
    result = lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "violation", "reported"),
    [
        ("metrics/kpis.py", "import streamlit", "lib.metrics is not allowed to import streamlit"),
        ("store/history.py", "from lib.ui import figures", "lib.store is not allowed to import lib.ui"),
        ("core/text.py", "from lib.metrics import kpis", "lib.core is not allowed to import lib.metrics"),
        ("okrs/model.py", "import duckdb", "lib.okrs is not allowed to import duckdb"),
    ],
)
def test_the_contracts_catch_a_deliberate_violation(tmp_path, module, violation, reported):
    project = copy_of_the_package(tmp_path)
    target = project / "lib" / module
    target.write_text(target.read_text() + f"\n{violation}  # a deliberate violation\n")
    result = lint_imports(project)
    assert result.returncode != 0
    assert reported in result.stdout
