from __future__ import annotations

import argparse

import pytest

from osmon.checks.context import Thresholds, range_argument
from osmon.checks.range import parse
from osmon.checks.state import State


@pytest.mark.parametrize(
    ("value", "state"),
    [
        (5, State.OK),
        (10, State.OK),
        (11, State.WARNING),
        (21, State.CRITICAL),
        (-1, State.CRITICAL),
    ],
)
def test_critical_before_warning(value: float, state: State) -> None:
    assert Thresholds(parse("10"), parse("20")).evaluate(value) == state


def test_perfdata_carries_the_ranges_and_bounds() -> None:
    t = Thresholds(parse("~:10"), parse("@20:30"))
    assert t.perf("load", 1.5, minimum=0) == "load=1.5;~:10;@20:30;0"
    assert Thresholds().perf("up", 3) == "up=3"
    assert Thresholds().perf("free space", 3, "%", maximum=100) == "'free space'=3%;;;;100"


def test_a_bad_range_is_an_argument_error() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="start 5 > end 1"):
        range_argument("5:1")
