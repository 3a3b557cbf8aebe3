"""Thresholds for one value: the warning and critical ranges a plugin's ``-w``/``-c`` give.

nagiosplugin's ScalarContext: a value is CRITICAL when it breaches the critical range, else
WARNING when it breaches the warning range, else OK; the ranges also go into the perfdata.
Stdlib only.
"""

from __future__ import annotations

import argparse

from osmon.checks.perfdata import PerfValue
from osmon.checks.range import NagiosRange, NagiosRangeError, parse
from osmon.checks.state import State

__all__ = ["Thresholds", "range_argument"]


def range_argument(text: str) -> NagiosRange:
    """argparse ``type=`` for a ``[@]start:end`` option: a bad range is a usage error."""
    try:
        return parse(text)
    except NagiosRangeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Thresholds:
    """A warning and a critical range, either of them optional."""

    __slots__ = ("critical", "warning")

    def __init__(
        self, warning: NagiosRange | None = None, critical: NagiosRange | None = None
    ) -> None:
        self.warning = warning
        self.critical = critical

    def evaluate(self, value: float) -> State:
        if self.critical is not None and self.critical.alert(value):
            return State.CRITICAL
        if self.warning is not None and self.warning.alert(value):
            return State.WARNING
        return State.OK

    def perf(
        self,
        label: str,
        value: float,
        unit: str = "",
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> str:
        return str(
            PerfValue(
                label,
                value,
                unit,
                self.warning.text if self.warning else "",
                self.critical.text if self.critical else "",
                minimum,
                maximum,
            )
        )
