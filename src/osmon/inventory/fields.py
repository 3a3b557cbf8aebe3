"""Value types the inventory's models share: names, metric names, durations, time zones.

Kept apart from ``model`` so the alarm model (``inventory/alarm.py``) uses the same checks
without importing the whole schema.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

__all__ = ["MetricName", "Name", "Seconds", "TimeZone"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid name (letters, digits, '.', '_', '-'; at most 63 characters)"
        )
    return value


def _metric(value: str) -> str:
    if not _METRIC.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)")
    return value


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'UTC')") from None
    return value


def _duration(value: object) -> object:
    """Seconds as a number, or text with a unit: ``500ms``, ``30s``, ``5m``, ``1h``, ``1d``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration (e.g. 30, '30s', '5m', '1h')")
    if isinstance(value, str):
        match = _DURATION.fullmatch(value.strip())
        if not match:
            raise ValueError(f"{value!r} is not a duration (e.g. 30, '30s', '5m', '1h')")
        return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return value


Name = Annotated[str, AfterValidator(_name)]
MetricName = Annotated[str, AfterValidator(_metric)]
Seconds = Annotated[float, BeforeValidator(_duration), Field(gt=0, allow_inf_nan=False)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
