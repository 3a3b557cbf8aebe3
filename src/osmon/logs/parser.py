"""The log parser facade: lines in, nested ECS documents out, one entry per record.

One ``LogParser`` per file (it holds the entry being assembled). Lines that no pattern
recognises are never dropped: they become a document with the raw text, tagged
``_grokparsefailure`` (Logstash's tag, so dashboards built for Logstash find them).
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any, Final

from osmon.grok import PatternLibrary, default_library
from osmon.logs.entries import Entry, SplitEntry
from osmon.logs.formats import AutoFormat, LineFormat, Pending, make_format
from osmon.logs.timestamps import Clock, now_iso
from osmon.records import LogRecord

PARSE_FAILURE: Final = "_grokparsefailure"
DATE_FAILURE: Final = "_dateparsefailure"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NOTHING: Final[tuple[()]] = ()
_EVERYTHING: Final = 1 << 62


_new = object.__new__


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


LINGER_LINES: Final = 256
"""Lines an entry left open for its writer waits for a continuation before it is closed."""
MAX_OPEN: Final = 32
"""Entries open at once (one per writer); the oldest is closed beyond that."""


class LogParser:
    """Parses one log stream.

    ``feed`` takes a line without its newline and the byte offset where it starts, and returns
    the entries that line completed: for multi-line formats an entry is complete when the next
    entry starts, so the parser keeps one entry back until then or until ``flush`` (EOF, idle).

    Where several processes write one file (oslo.log workers), an entry whose format names its
    writer and marks it ``linger`` stays open across other writers' entries, so its traceback
    lines join it; it closes at its writer's next entry, after ``LINGER_LINES`` lines without a
    continuation, or at ``flush``. While entries are open that way, completed entries are held
    and returned as ``SplitEntry`` in file order once no open entry begins before their last
    line (a checkpoint after them never cuts an entry in two).

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
        self._others: list[Pending] = []
        """Open entries of other writers than the last line's, oldest first."""
        self._held: list[tuple[Pending | None, Entry]] = []
        self._held_min = _EVERYTHING
        """The lowest offset in ``_held``: most lines release nothing, found without a scan."""
        self._lineno = 0
        self._split = False
        """Entries of other writers are open or held (the slow path of ``feed``)."""
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
                if p.starts is not None:
                    p.starts.append(offset)
                return []
            if self._split:
                return self._feed_split(p, line, raw, offset, end)
            q = self._fmt.begin(line)
            if q is None:
                self._pending = None
                if not raw or raw.isspace():
                    return [self._entry(p)]
                if p.linger and p.fmt.writer(p):
                    self._linger(p, offset)
                    self._hold(None, self._unparsed(line, offset, end))
                    self._split = True
                    return []
                return [self._entry(p), self._unparsed(line, offset, end)]
            q.offset = offset
            q.end = end
            if q.fmt.multiline:
                self._pending = q
                fmt = p.fmt
                if p.linger and (w := fmt.writer(p)) and w != q.fmt.writer(q):
                    self._linger(p, offset)
                    self._split = True
                    return []
                return [self._entry(p)]
            self._pending = None
            return [self._entry(p), self._entry(q)]
        if self._split:
            return self._feed_split(None, line, raw, offset, end)
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
        self._pending = None
        if not self._others and not self._held:
            return [] if p is None else [self._entry(p)]
        if p is not None:
            self._close(p, -1)
        for o in self._others:
            self._close(o, -1)
        self._others = []
        return self._release()

    # -- several writers --------------------------------------------------------------------

    def _linger(self, p: Pending, offset: int) -> None:
        """Keep ``p`` open behind the entry starting at ``offset`` (another writer's)."""
        if p.starts is None:
            p.starts = []
            p.head_end = offset
            p.who = p.fmt.writer(p)
        p.seen = self._lineno
        self._others.append(p)

    def _feed_split(
        self, p: Pending | None, line: str, raw: str, offset: int, end: int
    ) -> list[Entry]:
        """``feed`` while entries of several writers are open or held (``p`` did not take it)."""
        self._lineno += 1
        others = self._others
        for i in range(len(others) - 1, -1, -1):
            o = others[i]
            if o.fmt.absorb(o, line):
                o.end = end
                assert o.starts is not None
                o.starts.append(offset)
                del others[i]
                if p is not None:
                    if p.linger:
                        self._linger(p, offset)
                    else:
                        self._close(p, offset)
                o.seen = self._lineno
                self._pending = o
                return self._release()
        q = self._fmt.begin(line)
        if q is None:
            if p is not None:
                self._pending = None
                if raw and not raw.isspace() and p.linger and p.fmt.writer(p):
                    self._linger(p, offset)
                else:
                    self._close(p, offset)
            if raw and not raw.isspace():
                self._hold(None, self._unparsed(line, offset, end))
            return self._release()
        q.offset = offset
        q.end = end
        writer = q.fmt.writer(q)
        if writer is not None:
            for i, o in enumerate(others):
                if o.who == writer:
                    del others[i]
                    self._close(o, offset)
                    break
        if p is not None:
            fmt = p.fmt
            if p.linger and (w := fmt.writer(p)) and w != writer:
                self._linger(p, offset)
            else:
                self._close(p, offset)
        if q.fmt.multiline:
            self._pending = q
        else:
            self._pending = None
            self._close(q, offset + 1)
        return self._release()

    def _expire(self) -> None:
        others = self._others  # in the order they lingered, so by ``seen``
        oldest = self._lineno - LINGER_LINES
        while others and (len(others) > MAX_OPEN or others[0].seen < oldest):
            self._close(others.pop(0), -1)

    def _close(self, p: Pending, next_offset: int) -> None:
        """Hold ``p`` (complete); ``next_offset``: where its contiguous head ends if it was
        always the latest entry (-1: unknown, the line it was closed by is not its own)."""
        if p.starts is None:
            p.starts = []
            p.head_end = next_offset if next_offset >= 0 else _EVERYTHING
        self._hold(p, self._entry(p))

    def _hold(self, p: Pending | None, e: Entry) -> None:
        self._held.append((p, e))
        if e.offset < self._held_min:
            self._held_min = e.offset

    def _release(self) -> list[Entry]:
        """Close the entries that lingered too long; return the held entries no open entry
        straddles, in file order (see the class)."""
        others = self._others
        if others and (len(others) > MAX_OPEN or others[0].seen < self._lineno - LINGER_LINES):
            self._expire()
        held = self._held
        if not held:
            self._split = bool(self._others)
            return []
        pending = self._pending
        cut = -1 if pending is None else pending.offset
        for o in self._others:
            if cut < 0 or o.offset < cut:
                cut = o.offset
        if cut >= 0:
            if self._held_min >= cut:
                return []  # the usual case while an entry lingers: all held begin after it
            out = [pe for pe in held if pe[1].offset < cut]
            moved = True
            while moved:
                moved = False
                for p, e in out:
                    if e.offset < cut and p is not None and p.starts and p.starts[-1] >= cut:
                        cut = e.offset
                        moved = True
            out = [pe for pe in out if pe[1].offset < cut]
            if not out:
                return []
            self._held = rest = [pe for pe in held if pe[1].offset >= cut]
            self._held_min = min((e.offset for _, e in rest), default=_EVERYTHING)
        else:
            out = held
            self._held = []
            self._held_min = _EVERYTHING
        self._split = bool(self._others or self._held)
        out.sort(key=lambda pe: pe[1].offset)
        last = len(out) - 1
        reach = -1
        result: list[Entry] = []
        starts: tuple[int, ...]
        for i, (p, e) in enumerate(out):
            if p is None:
                head_end, starts = e.offset + 1, ()
            else:
                head_end, starts = p.head_end, tuple(p.starts or ())
            if starts and starts[-1] > reach:
                reach = starts[-1]
            if i == last:
                at = cut
            else:
                # the next entry's start is a clean cut unless an earlier one has lines after it
                nxt = out[i + 1][1].offset
                at = nxt if reach < nxt else 0
            result.append(SplitEntry(e.doc, e.offset, e.end, head_end, starts, at))
        return result

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
        return Entry(doc, p.offset, p.end)

    def _unparsed(self, line: str, offset: int, end: int) -> Entry:
        doc: dict[str, Any] = {
            "@timestamp": self._last_ts or now_iso(),
            "message": line,
            "event": {"original": line},
            "tags": [PARSE_FAILURE],
        }
        self._static(doc)
        self.unparsed += 1
        return Entry(doc, offset, end)

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

    Built without the frozen ``__init__``: one record per entry makes its cost count.
    """
    doc = entry.doc
    service = doc.get("service")
    rec: LogRecord = _new(LogRecord)
    _set_rec_doc(rec, doc)
    _set_rec_id(rec, doc_id)
    _set_rec_service(rec, service["name"] if service else "")
    return rec


__all__ = ["DATE_FAILURE", "PARSE_FAILURE", "Entry", "LogParser", "SplitEntry", "to_record"]
