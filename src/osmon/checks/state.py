"""The four Nagios states, with their plugin exit codes (Monitoring Plugins guidelines).

Stdlib only: the Nagios plugins import it on every run.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

__all__ = ["State", "worst"]


class State(IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


def worst(states: Iterable[State]) -> State:
    """The most severe state by exit code, as nagiosplugin ranks them (UNKNOWN above CRITICAL);
    OK for none."""
    return max(states, default=State.OK)
