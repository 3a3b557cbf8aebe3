"""Running a plugin as the Monitoring Plugins guidelines want: arguments, timeout, exit code.

Invariant: whatever happens, the plugin prints one status line (plus long output) on stdout
and exits 0-3; never a traceback. Bad arguments → UNKNOWN with the usage line; ``-h/--help``
and ``-V/--version`` print and exit 3, as the Monitoring Plugins' C plugins do; ``-t/--timeout``
arms SIGALRM, whose handler prints the ``--timeout-state`` (UNKNOWN by default) line and leaves
at once with ``os._exit`` (a thread stuck in a blocking call must not hold the exit back);
an exception is UNKNOWN with its one-line message. Stdlib only (nagiosplugin's runtime.py).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from osmon.checks.output import Result, render
from osmon.checks.state import State

TYPE_CHECKING = False  # typing itself is not imported at run time: start-up cost
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import FrameType
    from typing import NoReturn

    Check = Callable[[argparse.Namespace], Result]

__all__ = ["VERSION", "CheckError", "PluginParser", "run"]

VERSION = "osmon-plugins 1.0"
"""What ``-V`` prints after the plugin's name."""

DEFAULT_TIMEOUT = 10


class CheckError(Exception):
    """A failure the plugin knows how to name: its state and one-line message."""

    def __init__(self, state: State, message: str) -> None:
        super().__init__(message)
        self.state = state
        self.message = message


class _UsageError(Exception):
    pass


class _Done(Exception):
    """Help or version was printed."""


class _Formatter(argparse.HelpFormatter):
    """A fixed width: argparse would import ``shutil`` (and zlib, bz2, lzma) on every run just
    to ask the terminal's, and a plugin's output goes to Nagios, not a terminal."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=100)


class PluginParser(argparse.ArgumentParser):
    """argparse with the guidelines' standard options (``-t``, ``--timeout-state``, ``-v``,
    ``-V``, ``-h``) and their exits: errors raise instead of exiting 2."""

    def __init__(self, service: str, prog: str, description: str) -> None:
        super().__init__(
            prog=prog, description=description, exit_on_error=False, formatter_class=_Formatter
        )
        self.service = service
        self.add_argument("-V", "--version", action="version", version=f"{prog} {VERSION}")
        self.add_argument(
            "-t",
            "--timeout",
            type=_timeout,
            default=(float(DEFAULT_TIMEOUT), None),
            metavar="SECONDS[:STATE]",
            help=f"seconds before the plugin gives up (default {DEFAULT_TIMEOUT}); "
            "with :STATE, the state it then ends in, as the C plugins' -t",
        )
        self.add_argument(
            "--timeout-state",
            type=_state,
            default=State.UNKNOWN,
            metavar="STATE",
            help="state after a timeout: OK, WARNING, CRITICAL or UNKNOWN (default)",
        )
        self.add_argument(
            "-v", "--verbose", action="count", default=0, help="more detail (repeatable)"
        )

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, rest = super().parse_known_args(args, namespace)
        seconds, state = parsed.timeout
        parsed.timeout = seconds
        if state is not None:  # -t N:STATE wins over --timeout-state
            parsed.timeout_state = state
        return parsed, rest

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stdout.write(message)
        raise _Done()

    def _print_message(self, message: str, file: object = None) -> None:
        if message:
            sys.stdout.write(message)  # help and version go to stdout, as the C plugins do


def _timeout(text: str) -> tuple[float, State | None]:
    seconds, _, state = text.partition(":")
    try:
        value = float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {seconds!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0: {seconds!r}")
    return value, _state(state) if state else None


def _state(text: str) -> State:
    try:
        return State[text.upper()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"not a state: {text!r}") from None


def run(parser: PluginParser, check: Check, argv: list[str] | None = None) -> NoReturn:
    """Parse, arm the timeout, run ``check``, print its result and exit with its code."""
    service = parser.service
    try:
        args = parser.parse_args(argv)
    except _Done:
        sys.stdout.flush()
        sys.exit(State.UNKNOWN)
    except (_UsageError, argparse.ArgumentError) as exc:
        usage = parser.format_usage().strip()
        _finish(service, Result(State.UNKNOWN, f"invalid arguments: {exc}", long=(usage,)))
    _arm(service, args.timeout, args.timeout_state)
    try:
        result = check(args)
    except CheckError as exc:
        result = Result(exc.state, exc.message)
    except Exception as exc:
        result = Result(State.UNKNOWN, f"{type(exc).__name__}: {exc}")
    signal.setitimer(signal.ITIMER_REAL, 0)
    _finish(service, result)


def _finish(service: str, result: Result) -> NoReturn:
    sys.stdout.write(render(service, result) + "\n")
    sys.stdout.flush()
    sys.exit(int(result.state))


def _arm(service: str, seconds: float, state: State) -> None:
    line = render(service, Result(state, f"plugin timed out after {seconds:g}s")) + "\n"

    def expired(signum: int, frame: FrameType | None) -> None:
        sys.stdout.flush()
        os.write(1, line.encode())
        os._exit(int(state))

    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
