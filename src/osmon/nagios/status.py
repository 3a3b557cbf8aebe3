"""Nagios 4's ``status.dat`` as host and service states, read with pynag.

pynag 1.1.2 (its last release, 2019) works on Python 3.11: its ``StatusDat`` parser reads Nagios
4.4's file as is. Its errors are turned into one ``FILE:LINE: message`` (or ``FILE: message``)
line; a file that parses but has neither ``info`` nor ``programstatus`` is not a status file.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["ObjectStatus", "StatusFileError", "read_status"]

SERVICE_STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
HOST_STATES = ("UP", "DOWN", "UNREACHABLE")
_PARSE_ERROR = re.compile(r"Error on (?P<file>.*):(?P<line>\d+): (?P<message>.*)", re.S)


class StatusFileError(Exception):
    """``status.dat`` missing, unreadable or not in Nagios's format; the message is one line."""


@dataclass(frozen=True, slots=True)
class ObjectStatus:
    """The current state of one host (``service`` is ``None``) or service."""

    host: str
    service: str | None
    state: str  # OK/WARNING/CRITICAL/UNKNOWN, UP/DOWN/UNREACHABLE, or PENDING (never checked)
    code: int
    state_type: str  # HARD or SOFT
    output: str
    perfdata: str
    last_check: float | None
    passive: bool  # active checks disabled: results come from outside (osmon's feed)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read_status(path: Path, hosts: tuple[str, ...] = ()) -> list[ObjectStatus]:
    """Hosts and their services, sorted, optionally only those of ``hosts``."""
    data = _parse(path)
    if "info" not in data and "programstatus" not in data:
        raise StatusFileError(f"{path}: not a Nagios status file (no info/programstatus block)")
    wanted = set(hosts)
    rows = [_row(item, None) for item in data.get("hoststatus", [])]
    services = data.get("servicestatus", [])
    rows += [_row(item, item.get("service_description", "")) for item in services]
    rows = [r for r in rows if not wanted or r.host in wanted]
    return sorted(rows, key=lambda r: (r.host, r.service is not None, r.service or ""))


def _parse(path: Path) -> dict[str, list[dict[str, str]]]:
    from pynag.Parsers import ParserError, StatusDat

    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise StatusFileError(f"{path}: {what}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)  # pynag leaves its file to the GC
            reader = StatusDat(filename=str(path))
            reader.parse()
    except OSError as exc:
        raise StatusFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ParserError as exc:
        found = _PARSE_ERROR.match(str(exc.message))
        if found:
            message = found["message"].replace("\n", " ")[:200]
            raise StatusFileError(f"{path}:{found['line']}: {message.lower()}") from None
        raise StatusFileError(f"{path}: {exc.message}") from None
    except (KeyError, ValueError, UnicodeError) as exc:
        raise StatusFileError(f"{path}: not a Nagios status file ({exc})") from None
    result: dict[str, list[dict[str, str]]] = reader.data
    return result


def _row(item: dict[str, str], service: str | None) -> ObjectStatus:
    names = SERVICE_STATES if service is not None else HOST_STATES
    code = _int(item.get("current_state"))
    checked = item.get("has_been_checked") == "1"
    state = names[code] if checked and 0 <= code < len(names) else "PENDING"
    if checked and not 0 <= code < len(names):
        state = "UNKNOWN"
    last = _int(item.get("last_check"))
    return ObjectStatus(
        host=item.get("host_name", ""),
        service=service,
        state=state,
        code=code,
        state_type="HARD" if item.get("state_type") == "1" else "SOFT",
        output=item.get("plugin_output", ""),
        perfdata=item.get("performance_data", ""),
        last_check=float(last) if last > 0 else None,
        passive=item.get("active_checks_enabled") == "0",
    )


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return -1
