from __future__ import annotations

from osmon.checks.output import Result, render
from osmon.checks.state import State


def test_status_line_with_perfdata_and_long_output() -> None:
    out = render("API", Result(State.WARNING, "slow", ("time=1.5s;1;5", "size=10B"), ("a", "b")))
    assert out == "API WARNING - slow | time=1.5s;1;5 size=10B\na\nb"


def test_pipes_and_newlines_never_break_the_status_line() -> None:
    out = render("X", Result(State.CRITICAL, "a | b\nc", (), ("x|y", "  ")))
    assert out == "X CRITICAL - a / b c\nx/y"


def test_an_empty_summary_says_the_state() -> None:
    assert render("X", Result(State.OK, "")) == "X OK - OK"
