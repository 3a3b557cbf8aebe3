"""Timestamps as OpenStack writes them, turned into seconds since the epoch (UTC).

oslo.messaging stamps ``metadata.timestamp`` as ``2026-11-23 20:09:53.123456`` (naive UTC); payloads
carry ISO 8601 with ``Z`` or an offset, sometimes naive. Naive means UTC everywhere in OpenStack.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


class BadTimestamp(ValueError):
    pass


@lru_cache(maxsize=4096)
def parse_timestamp(text: str) -> float:
    """Epoch seconds of an OpenStack timestamp string; raises BadTimestamp."""
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadTimestamp(f"not a timestamp: {text[:64]!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def to_epoch(value: object) -> float:
    """Accept a timestamp string or a number (already epoch seconds)."""
    if isinstance(value, str):
        return parse_timestamp(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise BadTimestamp(f"not a timestamp: {value!r:.64}")
