"""Nagios external commands for passive results, as single lines that fit one atomic pipe write.

A line is ``[ts] PROCESS_SERVICE_CHECK_RESULT;host;service;code;output`` (or
``PROCESS_HOST_CHECK_RESULT;host;code;output``) and is never longer than ``PIPE_BUF`` (4096
bytes), so a write of it to the command FIFO is atomic: Nagios never reads half of it mixed with
another writer's line. What does not fit is cut, never split over two lines: the first output
line first, then whole perfdata values, then the long output.

Output follows what Nagios 4 parses (``base/commands.c``): host and service are ``;``-separated,
so they may not contain ``;`` or a line break (such a result is refused, not renamed); the output
runs to the end of the line and is unescaped by Nagios, so a backslash is sent as ``\\\\`` and a
line break as ``\\n``; the first ``|`` of a line starts perfdata, so ``|`` is removed from the text
(as nagiosplugin does). Multi-line output is sent as ``first|perfdata\\nlong output``.
"""

from __future__ import annotations

import re
import time

__all__ = ["PIPE_BUF", "InvalidResult", "host_check_result", "service_check_result"]

PIPE_BUF = 4096
"""Largest write POSIX guarantees atomic on a pipe (Linux's value); a line is never longer."""

_BAD_NAME = re.compile(r"[;\r\n\x00]")
_PERF_ITEM = re.compile(r"'(?:[^']|'')*'=\S*|\S+")


class InvalidResult(ValueError):
    """A result Nagios could not take: a bad name, state code or a line too long for its names."""


def service_check_result(
    host: str,
    service: str,
    state: int,
    output: str,
    perfdata: str = "",
    timestamp: float | None = None,
) -> bytes:
    """One ``PROCESS_SERVICE_CHECK_RESULT`` line (state 0..3), newline included."""
    _check_name("host", host)
    _check_name("service", service)
    _check_state(state, 3)
    head = f"[{_ts(timestamp)}] PROCESS_SERVICE_CHECK_RESULT;{host};{service};{state};"
    return _line(head, output, perfdata)


def host_check_result(
    host: str,
    state: int,
    output: str,
    perfdata: str = "",
    timestamp: float | None = None,
) -> bytes:
    """One ``PROCESS_HOST_CHECK_RESULT`` line (0 UP, 1 DOWN, 2 UNREACHABLE), newline included."""
    _check_name("host", host)
    _check_state(state, 2)
    head = f"[{_ts(timestamp)}] PROCESS_HOST_CHECK_RESULT;{host};{state};"
    return _line(head, output, perfdata)


def _ts(timestamp: float | None) -> int:
    return int(time.time() if timestamp is None else timestamp)


def _check_name(what: str, name: str) -> None:
    if not name or name != name.strip() or _BAD_NAME.search(name):
        raise InvalidResult(f"{what} name {name!r} cannot be sent to Nagios")


def _check_state(state: int, highest: int) -> None:
    if isinstance(state, bool) or not isinstance(state, int) or not 0 <= state <= highest:
        raise InvalidResult(f"state {state!r} is not a Nagios code 0..{highest}")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "").replace("\x00", "")


def _fit(text: str, room: int) -> str:
    """``text`` cut to ``room`` UTF-8 bytes, never inside a character or an escape."""
    raw = text.encode()
    if len(raw) <= room:
        return text
    cut = raw[: max(room, 0)].decode(errors="ignore")
    trailing = len(cut) - len(cut.rstrip("\\"))
    return cut[:-1] if trailing % 2 else cut


def _line(head: str, output: str, perfdata: str) -> bytes:
    head_b = head.encode()
    room = PIPE_BUF - len(head_b) - 1  # the newline
    if room < 1:
        raise InvalidResult(f"host/service names too long for one {PIPE_BUF}-byte command")
    lines = output.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = _fit(_escape(lines[0]), room)
    room -= len(first.encode())
    perf_items = _PERF_ITEM.findall(_escape(perfdata.replace("\n", " ")))
    perf = ""
    for item in perf_items:
        candidate = f"{perf} {item}" if perf else f"|{item}"
        if len(candidate.encode()) > room:
            break
        perf = candidate
    room -= len(perf.encode())
    long_output = "\\n".join(_escape(line) for line in lines[1:])
    rest = _fit("\\n" + long_output, room) if len(lines) > 1 else ""
    if rest in ("\\n", "\\"):
        rest = ""
    return head_b + (first + perf + rest).encode() + b"\n"
