"""What every log format provides to the parser, and the entry under assembly.

A format recognises the first line of an entry (``begin``), decides whether a following line
continues it (``absorb``: traceback lines, indented dumps, report bodies) and turns the
assembled lines into the ECS document (``complete``). Single-line formats say so with
``multiline = False`` and their entries are returned without waiting for the next line.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from osmon.grok import CompiledGrok, PatternLibrary
from osmon.logs.timestamps import Clock

_DATE_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]|[0-9]{6} ", re.ASCII)


def starts_with_date(line: str) -> bool:
    """``YYYY-MM-DD`` or ``YYMMDD`` first: the line opens a new entry in date-led formats."""
    return line[:1].isdigit() and _DATE_START.match(line) is not None


class Pending:
    """An entry whose last line may still be ahead."""

    __slots__ = (
        "doc",
        "end",
        "fmt",
        "head_end",
        "key",
        "line",
        "lines",
        "linger",
        "more",
        "offset",
        "seen",
        "stack",
        "starts",
        "who",
    )

    def __init__(self, fmt: LineFormat, doc: dict[str, Any], line: str, key: str = "") -> None:
        self.fmt = fmt
        self.doc = doc
        self.line = line
        self.key = key
        self.offset = 0
        self.end = 0
        self.lines: list[str] | None = None
        self.more: list[str] | None = None
        self.stack: list[str] | None = None
        self.linger = False
        """Stays open across other writers' entries (set by formats whose ``writer`` is not
        None: its continuation lines may still come)."""
        self.starts: list[int] | None = None
        """Set once another writer's line came between two of this entry's lines: the entry
        covers ``[offset, head_end)`` and the lines starting at ``starts``; ``seen``, the
        parser's line count when a line last joined, and ``who``, its writer, are set with it."""
        self.head_end: int
        self.seen: int
        self.who: str | None

    def add_line(self, line: str) -> None:
        if self.lines is None:
            self.lines = [self.line]
        self.lines.append(line)

    def add_more(self, line: str, text: str) -> None:
        """A continuation of the message (or of the stack trace once one has started)."""
        self.add_line(line)
        if self.stack is not None:
            self.stack.append(text)
        elif self.more is None:
            self.more = [text]
        else:
            self.more.append(text)

    def add_stack(self, line: str, text: str) -> None:
        self.add_line(line)
        if self.stack is None:
            self.stack = [text]
        else:
            self.stack.append(text)

    @property
    def original(self) -> str:
        return self.line if self.lines is None else "\n".join(self.lines)


class LineFormat:
    """Base of the formats: generic continuation is 'a line that does not start an entry'."""

    name: ClassVar[str] = ""
    multiline: ClassVar[bool] = True
    pattern: ClassVar[str] = ""
    """The grok pattern of an entry's first line (a name from the shipped patterns)."""
    upper_level: ClassVar[bool] = True
    auto: ClassVar[bool] = True
    """Tried by ``auto`` detection (formats that accept any line are not)."""

    def __init__(self, clock: Clock, lib: PatternLibrary) -> None:
        self.clock = clock
        self.lib = lib
        self.grok: CompiledGrok = lib.compile(self.pattern)
        self._match = self.grok.regex.match

    def begin(self, line: str) -> Pending | None:
        m = self._match(line)
        if m is None:
            return None
        doc: dict[str, Any] = {"@timestamp": None}
        meta = self.grok.fill_new(m, doc)
        doc["@timestamp"] = self.timestamp(meta)
        self.annotate(doc, meta)
        return Pending(self, doc, line, self.key(line, m))

    def timestamp(self, meta: dict[str, Any]) -> str | None:
        """``@timestamp`` from the ``[@metadata][timestamp]`` capture (``None``: no date)."""
        raw = meta.get("timestamp")
        return None if raw is None else self.clock.parse(raw)

    def key(self, line: str, m: re.Match[str]) -> str:
        """What a continuation line must start with; empty when no prefix is shared."""
        return ""

    def annotate(self, doc: dict[str, Any], meta: dict[str, Any]) -> None:
        """Turn ``@metadata`` captures into fields (durations, hosts ...)."""
        set_duration(doc, meta)

    def writer(self, p: Pending) -> str | None:
        """Who wrote ``p`` when several processes write the file (oslo: the pid), else None."""
        return None

    def absorb(self, p: Pending, line: str) -> bool:
        if not line or line[0].isspace() or not self._match(line):
            p.add_more(line, line)
            return True
        return False

    def complete(self, p: Pending) -> dict[str, Any]:
        doc = p.doc
        if p.more:
            doc["message"] = join_message(doc.get("message", ""), p.more)
        if p.stack:
            set_stack(doc, p.stack)
        if self.upper_level:
            log = doc.get("log")
            if log is not None and "level" in log:
                log["level"] = log["level"].upper()
        set_original(doc, p.original)
        return doc


def join_message(first: str, more: list[str]) -> str:
    return "\n".join((first, *more)).strip("\n")


def set_original(doc: dict[str, Any], original: str) -> None:
    event = doc.get("event")
    if event is None:
        doc["event"] = {"original": original}
    else:
        event["original"] = original


def set_stack(doc: dict[str, Any], stack: list[str]) -> None:
    while stack and not stack[-1].strip():
        stack.pop()
    if not stack:
        return
    error = doc.get("error")
    if error is None:
        doc["error"] = error = {}
    error["stack_trace"] = "\n".join(stack)


_NS = {"duration_s": 1_000_000_000, "duration_ms": 1_000_000, "duration_us": 1_000}


def set_duration(doc: dict[str, Any], meta: dict[str, Any]) -> None:
    """``event.duration`` in nanoseconds from whichever unit the line used."""
    for key, factor in _NS.items():
        raw = meta.get(key)
        if raw is not None:
            try:
                ns = round(float(raw) * factor)
            except (ValueError, OverflowError):
                return
            event = doc.get("event")
            if event is None:
                doc["event"] = {"duration": ns}
            else:
                event["duration"] = ns
            return
