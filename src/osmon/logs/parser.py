"""The log parser facade: lines in, nested ECS documents out, one entry per record.

One ``LogParser`` per file (it holds the entry being assembled). Lines that no pattern
recognises are never dropped: they become a document with the raw text, tagged
``_grokparsefailure`` (Logstash's tag, so dashboards built for Logstash find them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

from osmon.grok import PatternLibrary, default_library
from osmon.logs.formats import AutoFormat, LineFormat, Pending, make_format
from osmon.logs.timestamps import Clock, now_iso
from osmon.records import LogRecord

PARSE_FAILURE: Final = "_grokparsefailure"
DATE_FAILURE: Final = "_dateparsefailure"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NOTHING: Final[tuple[()]] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    doc: dict[str, Any]
    """Nested ECS document."""
    offset: int
    """Byte offset of the entry's first line."""
    end: int
    """Byte offset just after the entry's last line (newline included)."""


_new = object.__new__
_set_doc = Entry.__dict__["doc"].__set__
_set_offset = Entry.__dict__["offset"].__set__
_set_end = Entry.__dict__["end"].__set__


def _make_entry(doc: dict[str, Any], offset: int, end: int) -> Entry:
    """``Entry(doc, offset, end)`` at half the cost of a frozen dataclass's ``__init__``."""
    e: Entry = _new(Entry)
    _set_doc(e, doc)
    _set_offset(e, offset)
    _set_end(e, end)
    return e


def _byte_len(line: str) -> int:
    if line.isascii():
        return len(line)
    try:
        return len(line.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return len(line.encode("utf-8", "surrogatepass"))


def _service_from_path(path: str) -> str:
    """``/var/log/nova/nova-compute.log`` -> ``nova-compute``."""
    if not path or path == "-":
        return ""
    name = PurePath(path).name
    for suffix in (".gz", ".log", ".txt"):
        name = name.removesuffix(suffix)
    return name


class LogParser:
    """Parses one log stream.

    ``feed`` takes a line without its newline and the byte offset where it starts, and returns
    the entries that line completed: for multi-line formats an entry is complete when the next
    entry starts, so the parser keeps one entry back until then or until ``flush`` (EOF, idle).

    ``parsed`` and ``unparsed`` count entries; ``format_name`` is the format in use (for
    ``auto``, the one detected last).
    """

    def __init__(
        self,
        fmt: str,
        *,
        service: str = "",
        host: str = "",
        timezone: str = "UTC",
        path: str = "",
        library: PatternLibrary | None = None,
    ) -> None:
        self._clock = Clock(timezone)
        self._fmt: LineFormat | AutoFormat = make_format(
            fmt, self._clock, library or default_library()
        )
        self._host = host
        self._service = service
        self._path_service = _service_from_path(path)
        self._path = path
        self._pending: Pending | None = None
        self._last_ts: str | None = None
        self.parsed = 0
        self.unparsed = 0

    @property
    def format_name(self) -> str:
        fmt = self._fmt
        if isinstance(fmt, AutoFormat):
            return fmt.current.name if fmt.current is not None else fmt.name
        return fmt.name

    def feed(self, line: str, offset: int) -> list[Entry]:
        end = offset + (len(line) if line.isascii() else _byte_len(line)) + 1
        raw = line
        if line.endswith("\r"):
            line = line[:-1]
        if "\x1b" in line:
            line = _ANSI.sub("", line)
        p = self._pending
        if p is not None:
            if p.fmt.absorb(p, line):
                p.end = end
                return []
            self._pending = None
            q = self._fmt.begin(line)
            if q is None:
                if not raw or raw.isspace():
                    return [self._entry(p)]
                return [self._entry(p), self._unparsed(line, offset, end)]
            q.offset = offset
            q.end = end
            if q.fmt.multiline:
                self._pending = q
                return [self._entry(p)]
            return [self._entry(p), self._entry(q)]
        q = self._fmt.begin(line)
        if q is None:
            if not raw or raw.isspace():
                return []
            return [self._unparsed(line, offset, end)]
        q.offset = offset
        q.end = end
        if q.fmt.multiline:
            self._pending = q
            return []
        return [self._entry(q)]

    def flush(self) -> list[Entry]:
        p = self._pending
        if p is None:
            return []
        self._pending = None
        return [self._entry(p)]

    def _entry(self, p: Pending) -> Entry:
        doc = p.fmt.complete(p)
        ts = doc["@timestamp"]
        if ts is None:
            doc["@timestamp"] = self._last_ts or now_iso()
            doc["tags"] = [DATE_FAILURE]
        else:
            self._last_ts = ts
        self._static(doc)
        self.parsed += 1
        e: Entry = _new(Entry)
        _set_doc(e, doc)
        _set_offset(e, p.offset)
        _set_end(e, p.end)
        return e

    def _unparsed(self, line: str, offset: int, end: int) -> Entry:
        doc: dict[str, Any] = {
            "@timestamp": self._last_ts or now_iso(),
            "message": line,
            "event": {"original": line},
            "tags": [PARSE_FAILURE],
        }
        self._static(doc)
        self.unparsed += 1
        return _make_entry(doc, offset, end)

    def _static(self, doc: dict[str, Any]) -> None:
        host = self._host
        if host and "host" not in doc:
            doc["host"] = {"name": host}
        service = self._service
        if not service:
            proc = doc.get("process")
            service = (proc.get("name") if proc else None) or self._path_service
        if service:
            doc["service"] = {"name": service}
        path = self._path
        if path:
            log = doc.get("log")
            if log is None:
                doc["log"] = {"file": {"path": path}}
            else:
                log["file"] = {"path": path}


_set_rec_doc = LogRecord.__dict__["doc"].__set__
_set_rec_id = LogRecord.__dict__["doc_id"].__set__
_set_rec_service = LogRecord.__dict__["service"].__set__


def to_record(entry: Entry, doc_id: str) -> LogRecord:
    """The record a source submits; ``doc_id`` should be deterministic (host, file, offset).

    Built like ``_make_entry``: one record per entry makes the frozen ``__init__`` count.
    """
    doc = entry.doc
    service = doc.get("service")
    rec: LogRecord = _new(LogRecord)
    _set_rec_doc(rec, doc)
    _set_rec_id(rec, doc_id)
    _set_rec_service(rec, service["name"] if service else "")
    return rec


__all__ = ["DATE_FAILURE", "PARSE_FAILURE", "Entry", "LogParser", "to_record"]
