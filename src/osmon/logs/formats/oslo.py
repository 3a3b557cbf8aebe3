"""oslo.log files: every context-bracket era, tracebacks kept whole, WSGI access messages."""

from __future__ import annotations

import re
from typing import Any

from osmon.grok import PatternLibrary
from osmon.logs.formats.base import (
    LineFormat,
    Pending,
    join_message,
    set_duration,
    set_stack,
)
from osmon.logs.timestamps import Clock

_SUMMARY_LEVELS = frozenset({"WARNING", "WARN", "ERROR", "CRITICAL", "FATAL"})
_ACCESS_START = frozenset("0123456789abcdefABCDEF:")
LINGERING = frozenset({"ERROR", "CRITICAL", "FATAL", "TRACE"})
"""Levels whose records stay open across other workers' lines before any traceback line came
(``LOG.exception`` logs at ERROR, Juno's traceback lines at TRACE); a record at another level
stays open once its traceback began. Keeping every record open would hold back each worker's
lines until that worker logs again."""


class OsloMessage:
    """What oslo.log's formatter appends to messages, and the access lines some services log.

    Shared by the plain and the syslog-prefixed oslo formats. Each sub-pattern runs only when
    a substring test says it can match (they are the per-entry cost after the line regex).
    """

    def __init__(self, lib: PatternLibrary) -> None:
        self.debug = lib.compile(r"%{OSLO_DEBUG_SUFFIX}\z")
        self.summary = lib.compile("%{OSLO_ERROR_SUMMARY}")
        self.access = lib.compile("%{OSLO_WSGI_ACCESS}")
        self.exception = lib.compile("%{PYTHON_EXCEPTION_LINE}")
        self._debug_match = self.debug.regex.match
        self._debug_fill = self.debug.filler
        self._access_match = self.access.regex.match
        self._access_fill = self.access.filler

    def _strip_debug_suffix(self, doc: dict[str, Any], msg: str) -> str:
        """OSLO_DEBUG_SUFFIX on the last two (devstack: three) words of the message.

        Equivalent to OSLO_DEBUG_MESSAGE (what Logstash runs) without the backtracking of a
        greedy ``.*`` over the whole message.
        """
        cut = msg.rfind(" ")
        if cut < 0:
            return msg
        cut = msg.rfind(" ", 0, cut)
        if cut < 0:
            return msg
        if msg.endswith("}}"):
            cut = msg.rfind(" ", 0, cut)
            if cut < 0:
                return msg
        m = self._debug_match(msg, cut + 1)
        if m is None:
            return msg
        self._debug_fill(m.groups(), doc)
        msg = doc["message"] = msg[:cut]
        return msg

    def complete(self, p: Pending) -> dict[str, Any]:
        doc = p.doc
        msg: str = doc.get("message", "")
        if p.more:
            msg = doc["message"] = join_message(msg, p.more)
        level = doc["log"]["level"]
        if level == "DEBUG":
            if msg[-1:].isdigit() or msg.endswith("}}"):
                msg = self._strip_debug_suffix(doc, msg)
        elif level in _SUMMARY_LEVELS and ": " in msg:
            m = self.summary.regex.match(msg.partition("\n")[0])
            if m is not None:
                self.summary.fill(m, doc)
        if (
            msg[:1] in _ACCESS_START
            and (msg[:1].isdigit() or ":" in msg[:5])
            and '"' in msg
            and (m := self._access_match(msg)) is not None
        ):
            set_duration(doc, self._access_fill(m.groups(), doc))
        if p.stack:
            set_stack(doc, p.stack)
            error = doc.get("error")
            if error is not None and "type" not in error and p.stack:
                m = self.exception.regex.match(p.stack[-1].strip())
                if m is not None:
                    self.exception.fill(m, doc)
        lines = p.lines
        event = doc.get("event")
        if event is None:
            doc["event"] = {"original": p.line if lines is None else "\n".join(lines)}
        else:
            event["original"] = p.line if lines is None else "\n".join(lines)
        return doc


class OsloFormat(LineFormat):
    """``<date> <time>.<ms> <pid> <LEVEL> <logger> [<context>] <message>`` (oslo.log files).

    A traceback is logged as further lines with the header's exact ``<time>.<ms> <pid>``
    prefix, its logger and no context bracket; those lines become ``error.stack_trace``, also
    when other workers' lines come between them (the parser keeps one open entry per pid).
    Lines that do not start with a date continue the most recent entry (multi-line messages
    are not prefixed).
    """

    name = "oslo"
    pattern = "%{OSLO_LINE}"
    upper_level = False

    def __init__(self, clock: Clock, lib: PatternLibrary) -> None:
        super().__init__(clock, lib)
        g = self.grok
        self._pid = g.groups_for("[process][pid]")[0]
        self._ctx = g.groups_for("[@metadata][context]")[0]
        self._logger = g.groups_for("[log][logger]")[0]
        self._msg = g.groups_for("message")[0]
        self._fill = g.filler_new
        self._seconds = clock.seconds
        self._naive19 = clock.naive19
        self._message = OsloMessage(lib)
        self.complete = self._message.complete  # type: ignore[method-assign]

    def begin(self, line: str) -> Pending | None:
        m = self._match(line)
        if m is None:
            return None
        doc: dict[str, Any] = {"@timestamp": None}
        raw = self._fill(m.groups(), doc)["timestamp"]
        base = self._seconds.get(raw[:19])
        if base is not None and raw[19:20] == ".":
            doc["@timestamp"] = f"{base[0]}{raw[19:]}{base[1]}"
        else:
            doc["@timestamp"] = self._naive19(raw)
        n = m.end(self._pid) + 1
        p = Pending(self, doc, line, line[:n])
        # the first letter spares the level lookup on ~97% of lines (no other level begins so)
        if line[n] in "ECFT" and doc["log"]["level"] in LINGERING:
            p.linger = True
        return p

    def key(self, line: str, m: re.Match[str]) -> str:
        return line[: m.end(self._pid) + 1]

    def absorb(self, p: Pending, line: str) -> bool:
        if line.startswith(p.key):
            m = self._match(line)
            if (
                m is None
                or m.group(self._ctx) is not None
                or m.group(self._logger) != p.doc["log"]["logger"]
            ):
                return False
            p.add_stack(line, m.group(self._msg))
            p.linger = True
            return True
        if line[4:5] == "-" and line[7:8] == "-" and line[:4].isdigit():
            return False
        p.add_more(line, line)
        return True

    def writer(self, p: Pending) -> str | None:
        key = p.key
        return key[key.rfind(" ", 0, -1) + 1 :]

    def complete(self, p: Pending) -> dict[str, Any]:
        return self._message.complete(p)
