"""Field types of the inventory schema: names, addresses, URLs, durations, Nagios ranges.

Each is an ``Annotated`` type whose validator raises ``ValueError`` with a message an operator can
act on; the loader puts it at the offending line.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

from osmon.checks import range as nagios_range

__all__ = [
    "AbsolutePath",
    "Address",
    "Email",
    "EnvVar",
    "MetricName",
    "NagiosRangeText",
    "Name",
    "Port",
    "Regex",
    "Seconds",
    "Status",
    "TimeZone",
    "Url",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HOSTNAME = re.compile(
    r"(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
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


def _env_var(value: str) -> str:
    if not _ENV_VAR.fullmatch(value):
        raise ValueError(f"{value!r} is not an environment variable name")
    return value


def _address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOSTNAME.fullmatch(value):
            raise ValueError(f"{value!r} is neither an IP address nor a host name") from None
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http:// or https:// URL with a host")
    try:
        _ = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r}: {exc}") from None
    return value


def _absolute(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{value!r} must be an absolute path (start with '/')")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
    return value


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'UTC')") from None
    return value


def _range(value: object) -> object:
    """Ranges may be written as bare numbers (``warning: 5``); validate them as text."""
    if isinstance(value, bool):
        return value
    text = str(value) if isinstance(value, int | float) else value
    if isinstance(text, str):
        nagios_range.parse(text)
    return text


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
NagiosRangeText = Annotated[str, BeforeValidator(_range)]
Seconds = Annotated[float, BeforeValidator(_duration), Field(gt=0, allow_inf_nan=False)]
Port = Annotated[int, Field(ge=1, le=65535)]
Status = Annotated[int, Field(ge=100, le=599)]
Url = Annotated[str, AfterValidator(_url)]
AbsolutePath = Annotated[str, AfterValidator(_absolute)]
Address = Annotated[str, AfterValidator(_address)]
Email = Annotated[str, AfterValidator(_email)]
EnvVar = Annotated[str, AfterValidator(_env_var)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Regex = Annotated[str, AfterValidator(_regex)]
