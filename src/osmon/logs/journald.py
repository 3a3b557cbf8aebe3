"""journald entries (``journalctl -o json``) as ECS documents.

journalctl's JSON is not uniform: a field that is not valid UTF-8 (or holds control characters)
comes as an array of byte values, a field set more than once as an array of values, and a field
larger than its limit as ``null``; all of them are handled without raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from typing import Any, Final

from osmon.records import LogRecord

#: syslog severities, the order of journald's PRIORITY field (RFC 5424).
SEVERITIES: Final = (
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "info",
    "debug",
)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def field_text(value: Any) -> str | None:
    """A journald field as text: string, byte array, or the first of repeated values."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if value and all(isinstance(b, int) and 0 <= b < 256 for b in value):
            return bytes(value).decode("utf-8", "replace")
        return field_text(value[0]) if value else None
    return str(value)


def _int(value: Any) -> int | None:
    text = field_text(value)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _timestamp(obj: Mapping[str, Any]) -> str:
    micros = _int(obj.get("__REALTIME_TIMESTAMP"))
    if micros is None:
        micros = _int(obj.get("_SOURCE_REALTIME_TIMESTAMP"))
    when = datetime.now(UTC) if micros is None else _EPOCH + timedelta(microseconds=micros)
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _prune(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            v = _prune(v)
        if v is not None and v != {}:
            out[k] = v
    return out


def service_of(obj: Mapping[str, Any], units: Mapping[str, str]) -> str:
    unit = field_text(obj.get("_SYSTEMD_UNIT")) or ""
    mapped = units.get(unit)
    if mapped:
        return mapped
    if unit:
        return unit.removesuffix(".service")
    return field_text(obj.get("SYSLOG_IDENTIFIER")) or field_text(obj.get("_COMM")) or ""


def journal_doc(obj: Mapping[str, Any], host: str, service: str) -> dict[str, Any]:
    """The ECS document of one entry of ``journalctl -o json``."""
    message = field_text(obj.get("MESSAGE")) or ""
    priority = _int(obj.get("PRIORITY"))
    level = SEVERITIES[priority] if priority is not None and 0 <= priority < 8 else None
    doc: dict[str, Any] = {
        "@timestamp": _timestamp(obj),
        "message": message,
        "log": {
            "level": level,
            "logger": field_text(obj.get("SYSLOG_IDENTIFIER")),
            "syslog": {
                "severity": {"code": priority, "name": level},
                "facility": {"code": _int(obj.get("SYSLOG_FACILITY"))},
                "appname": field_text(obj.get("SYSLOG_IDENTIFIER")),
            },
        },
        "process": {
            "pid": _int(obj.get("_PID")),
            "name": field_text(obj.get("_COMM")),
            "executable": field_text(obj.get("_EXE")),
        },
        "host": {"name": host, "hostname": field_text(obj.get("_HOSTNAME"))},
        "service": {"name": service},
        "systemd": {"unit": field_text(obj.get("_SYSTEMD_UNIT"))},
        "journald": {
            "cursor": field_text(obj.get("__CURSOR")),
            "boot_id": field_text(obj.get("_BOOT_ID")),
            "transport": field_text(obj.get("_TRANSPORT")),
        },
        "input": {"type": "journald"},
    }
    return _prune(doc)


def journal_record(
    obj: Mapping[str, Any], host: str, units: Mapping[str, str]
) -> tuple[LogRecord, str]:
    """The record of one entry and its cursor (the id is derived from host and cursor)."""
    cursor = field_text(obj.get("__CURSOR")) or ""
    service = service_of(obj, units)
    digest = blake2b(f"{host}\0{cursor}".encode(), digest_size=16).hexdigest()
    return LogRecord(journal_doc(obj, host, service), f"journald-{digest}", service), cursor
