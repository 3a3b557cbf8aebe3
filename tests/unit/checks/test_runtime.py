"""The runtime in-process: exits, output, exceptions (timeouts are tested as subprocesses)."""

from __future__ import annotations

import argparse

import pytest

from osmon.checks.output import Result
from osmon.checks.runtime import CheckError, PluginParser, run
from osmon.checks.state import State


def _run(check: object, *argv: str) -> tuple[int, str]:
    parser = PluginParser("DEMO", "check_demo", "a demo")
    parser.add_argument("-H", "--hostname", required=True)
    with pytest.raises(SystemExit) as exit_info:
        run(parser, check, list(argv))  # type: ignore[arg-type]
    return int(exit_info.value.code or 0), ""


def test_the_check_result_is_printed_and_is_the_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def check(args: argparse.Namespace) -> Result:
        return Result(State.WARNING, f"host {args.hostname}", ("x=1",))

    assert _run(check, "-H", "a")[0] == 1
    assert capsys.readouterr().out == "DEMO WARNING - host a | x=1\n"


def test_exceptions_are_unknown_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def check(args: argparse.Namespace) -> Result:
        raise RuntimeError("boom\nsecond line")

    assert _run(check, "-H", "a")[0] == 3
    assert capsys.readouterr().out == "DEMO UNKNOWN - RuntimeError: boom second line\n"


def test_check_error_keeps_its_state(capsys: pytest.CaptureFixture[str]) -> None:
    def check(args: argparse.Namespace) -> Result:
        raise CheckError(State.CRITICAL, "down")

    assert _run(check, "-H", "a")[0] == 2
    assert capsys.readouterr().out == "DEMO CRITICAL - down\n"


def test_a_missing_required_option_is_unknown_with_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(lambda a: Result(State.OK, ""))[0] == 3
    first, usage = capsys.readouterr().out.splitlines()
    assert first.startswith("DEMO UNKNOWN - invalid arguments: ")
    assert "-H/--hostname" in first and usage.startswith("usage: check_demo")
