"""Nagios ranges as the Monitoring Plugins guidelines define them."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osmon.checks import range as nagios_range
from osmon.checks.range import NagiosRangeError, parse


@pytest.mark.parametrize(
    ("text", "alerts", "quiet"),
    [
        ("10", [-1, 10.5, 11], [0, 5, 10]),
        ("10:", [-1, 9.99], [10, 11, 1e9]),
        ("~:10", [10.01, 11], [-1e9, 0, 10]),
        ("10:20", [9, 21], [10, 15, 20]),
        ("@10:20", [10, 15, 20], [9, 21]),
        ("-5:5", [-6, 6], [-5, 0, 5]),
        (":5", [-1, 6], [0, 5]),
        ("~:", [], [-1e9, 0, 1e9]),
        ("@~:", [-1e9, 0, 1e9], []),
        ("1e1:2.5e1", [9, 26], [10, 25]),
    ],
)
def test_semantics(text: str, alerts: list[float], quiet: list[float]) -> None:
    rng = parse(text)
    assert [v for v in alerts if not rng.alert(v)] == []
    assert [v for v in quiet if rng.alert(v)] == []
    assert str(rng) == text


def test_parsed_bounds() -> None:
    rng = parse("@~:7")
    assert (rng.start, rng.end, rng.inside) == (-math.inf, 7.0, True)
    assert parse("3:").end == math.inf


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("@", "empty"),
        ("10:5", "start 10 > end 5"),
        ("abc", "'abc' is not a number"),
        ("1:2:3", "'2:3' is not a number"),
        ("inf", "'inf' is not a number"),
        ("nan:", "'nan' is not a number"),
        ("~10", "'~10' is not a number"),
    ],
)
def test_invalid(text: str, reason: str) -> None:
    with pytest.raises(NagiosRangeError) as info:
        parse(text)
    assert str(info.value) == f"invalid Nagios range {text!r}: {reason}"


@given(st.text(max_size=20))
def test_any_text_parses_or_raises_range_error(text: str) -> None:
    try:
        rng = parse(text)
    except NagiosRangeError:
        return
    assert rng.start <= rng.end


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(-2e6, 2e6), st.booleans())
def test_alert_is_outside_or_inside(a: float, b: float, value: float, inside: bool) -> None:
    lo, hi = sorted((a, b))
    rng = parse(f"{'@' if inside else ''}{lo!r}:{hi!r}")
    assert rng.alert(value) == ((lo <= value <= hi) if inside else not (lo <= value <= hi))


def test_imports_only_the_standard_library() -> None:
    """The Nagios plugins import this module on every run; it must stay dependency-free."""
    tree = ast.parse(Path(nagios_range.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_importing_it_does_not_load_the_inventory_stack() -> None:
    code = (
        "import sys, osmon.checks.range; "
        "heavy = ('pydantic', 'yaml', 'osmon.inventory.model'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
