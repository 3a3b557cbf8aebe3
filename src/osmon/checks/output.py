"""The plugin's output: one status line, then long output, as the Monitoring Plugins guidelines
say (``SERVICE STATE - text | perfdata``).

Invariant: the first line is always one line with exactly one ``|`` (or none without perfdata):
newlines and ``|`` in the text are replaced, so Nagios never cuts the summary or reads text as
performance data. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from osmon.checks.state import State

__all__ = ["Result", "clean", "render"]


@dataclass(frozen=True, slots=True)
class Result:
    """What a check found: the state, a one-line summary, perfdata items, long output lines."""

    state: State
    summary: str
    perfdata: tuple[str, ...] = ()
    long: tuple[str, ...] = field(default=())


def clean(text: str) -> str:
    """One line without ``|`` (a pipe would start the perfdata)."""
    return " ".join(text.replace("|", "/").split())


def render(service: str, result: Result) -> str:
    """The whole output: status line, then the long output lines (each cleaned of ``|``)."""
    line = f"{service} {result.state.name} - {clean(result.summary) or result.state.name}"
    perf = " ".join(p for p in result.perfdata if p)
    if perf:
        line += f" | {perf}"
    rest: Sequence[str] = [clean(x) for x in result.long if x.strip()]
    return "\n".join([line, *rest])
