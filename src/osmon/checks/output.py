"""The plugin's output: one status line, then long output, as the Monitoring Plugins guidelines
say (``SERVICE STATE - text | perfdata``).

Invariant: the first line is always one line with exactly one ``|`` (or none without perfdata):
newlines and ``|`` in the text are replaced, so Nagios never cuts the summary or reads text as
performance data. Stdlib only.
"""

from __future__ import annotations

from osmon.checks.state import State

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Result", "clean", "render"]


class Result:
    """What a check found: the state, a one-line summary, perfdata items, long output lines.

    A slotted class, not a dataclass: ``dataclasses`` would double a plugin's start-up."""

    __slots__ = ("long", "perfdata", "state", "summary")

    def __init__(
        self,
        state: State,
        summary: str,
        perfdata: tuple[str, ...] = (),
        long: tuple[str, ...] = (),
    ) -> None:
        self.state = state
        self.summary = summary
        self.perfdata = perfdata
        self.long = long


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
