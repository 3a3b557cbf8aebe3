"""The top-level ``checks/`` executables: one per plugin, each the plugin itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from osmon.checks.plugins import PLUGINS

CHECKS = Path(__file__).resolve().parents[4] / "checks"


def test_one_executable_per_plugin() -> None:
    assert sorted(p.name for p in CHECKS.iterdir()) == sorted(PLUGINS)
    assert all(os.access(CHECKS / name, os.X_OK) for name in PLUGINS)


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_shim_is_the_plugin(plugin: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(CHECKS / plugin), "--version"], capture_output=True, text=True
    )
    assert (proc.returncode, proc.stdout.split(" ")[0], proc.stderr) == (3, plugin, "")


def test_check_osmon_runs_from_a_checkout_on_the_system_python(tmp_path: Path) -> None:
    """Stdlib only: Debian's python3, without osmon installed, runs it from the checkout."""
    proc = subprocess.run(
        ["/usr/bin/python3", "-I", str(CHECKS / "check_osmon"), "-p", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and proc.stdout.startswith("OSMON CRITICAL - "), proc
