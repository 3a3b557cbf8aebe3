"""The Monitoring Plugins guidelines' output rules, as regular expressions and one runner."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass

from osmon.checks.plugins import PLUGINS

__all__ = ["PLUGINS", "Run", "assert_guideline_output", "run_plugin"]

# 'label'=value[UOM];[warn];[crit];[min];[max] (labels quoted when they hold spaces)
_LABEL = r"(?:'[^'=]+'|[^'=\s]+)"
_NUMBER = r"-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?"
_RANGE = rf"@?(?:~|{_NUMBER})?:?(?:{_NUMBER})?"
PERF_ITEM = re.compile(
    rf"{_LABEL}=(?:{_NUMBER}|U)(?:s|ms|us|%|B|KB|MB|TB|c)?"
    rf"(?:;(?:{_RANGE})?(?:;(?:{_RANGE})?(?:;(?:{_NUMBER})?(?:;(?:{_NUMBER})?)?)?)?)?"
)
STATUS_LINE = re.compile(r"^([A-Z_]+) (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+?)(?: \| (.+))?$")
CODES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}


@dataclass(frozen=True, slots=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def first(self) -> str:
        return self.stdout.splitlines()[0] if self.stdout else ""


def run_plugin(
    name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> Run:
    """The plugin as Nagios runs it: its console script, a fresh process."""
    exe = os.path.join(os.path.dirname(sys.executable), name)
    proc = subprocess.run(
        [exe, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_guideline_output(run: Run, service: str | None = None) -> str:
    """One status line in the guidelines' format, its state = the exit code, perfdata well
    formed, no traceback anywhere; the state's name is returned."""
    assert "Traceback" not in run.stdout + run.stderr, run
    assert run.stderr == "", run  # the guidelines: everything on stdout
    assert 0 <= run.code <= 3, run
    found = STATUS_LINE.match(run.first)
    assert found, f"not a status line: {run.first!r}"
    if service is not None:
        assert found[1] == service, run.first
    assert CODES[found[2]] == run.code, run
    if found[4]:
        for item in found[4].split(" "):
            assert PERF_ITEM.fullmatch(item), f"bad perfdata item {item!r} in {run.first!r}"
    for line in run.stdout.splitlines()[1:]:
        assert "|" not in line or line.startswith("usage"), line
    return found[2]
