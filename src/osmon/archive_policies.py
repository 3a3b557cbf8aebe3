"""The Gnocchi archive policies osmon creates: one definition for the sink and the inventory.

The Gnocchi sink ensures these policies exist; the inventory checks an Aodh alarm's granularity
and aggregation method against them, because Aodh accepts an alarm on a granularity no policy
keeps and then stays in ``insufficient data`` forever. Imports nothing from osmon, so both the
inventory and the sink stand above it.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = [
    "ARCHIVE_POLICIES",
    "DEFAULT_ARCHIVE_POLICY",
    "DEFAULT_COUNTER_ARCHIVE_POLICY",
    "aggregation_methods",
    "granularities",
]

DEFAULT_ARCHIVE_POLICY: Final = "osmon"
DEFAULT_COUNTER_ARCHIVE_POLICY: Final = "osmon-rate"

ARCHIVE_POLICIES: Final[list[dict[str, Any]]] = [
    {
        "name": DEFAULT_ARCHIVE_POLICY,
        "back_window": 0,
        "aggregation_methods": ["mean", "min", "max", "last"],
        "definition": [
            {"granularity": "1m", "timespan": "1d"},
            {"granularity": "5m", "timespan": "30d"},
            {"granularity": "1h", "timespan": "365d"},
        ],
    },
    {
        # Cumulative counters (cpu time, bytes sent) are only useful as a rate.
        "name": DEFAULT_COUNTER_ARCHIVE_POLICY,
        "back_window": 0,
        "aggregation_methods": ["mean", "last", "rate:mean"],
        "definition": [
            {"granularity": "1m", "timespan": "1d"},
            {"granularity": "5m", "timespan": "30d"},
            {"granularity": "1h", "timespan": "365d"},
        ],
    },
]

_SPAN = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _seconds(value: str | float) -> float:
    if isinstance(value, int | float):
        return float(value)
    match = _SPAN.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"archive policy granularity {value!r} is not a duration")
    return float(match.group(1)) * _UNIT[match.group(2)]


def granularities() -> dict[float, tuple[str, ...]]:
    """Granularity in seconds → the policies that keep it."""
    out: dict[float, list[str]] = {}
    for policy in ARCHIVE_POLICIES:
        for point in policy["definition"]:
            out.setdefault(_seconds(point["granularity"]), []).append(policy["name"])
    return {g: tuple(names) for g, names in sorted(out.items())}


def aggregation_methods() -> dict[str, tuple[str, ...]]:
    """Aggregation method → the policies that keep it."""
    out: dict[str, list[str]] = {}
    for policy in ARCHIVE_POLICIES:
        for method in policy["aggregation_methods"]:
            out.setdefault(method, []).append(policy["name"])
    return {m: tuple(names) for m, names in out.items()}
