"""A stand-in for osmon.logs.parser with the same interface, for the tailer and source tests.

One entry per line, except that lines starting with a space continue the previous entry (as a
Python traceback does), so multi-line checkpointing can be tested without the grok engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from osmon.logs.tail import WatchSpec
from osmon.records import LogRecord


@dataclass(frozen=True, slots=True)
class Entry:
    doc: dict[str, Any]
    offset: int
    end: int


@dataclass(slots=True)
class FakeParser:
    service: str = ""
    path: str = ""
    lines: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0

    def feed(self, line: str, offset: int) -> list[Entry]:
        out: list[Entry] = []
        if line.startswith(" ") and self.lines:
            self.lines.append(line)
        else:
            out = self.flush()
            self.lines, self.start = [line], offset
        self.end = offset + len(line.encode()) + 1
        return out

    def flush(self) -> list[Entry]:
        if not self.lines:
            return []
        doc: dict[str, Any] = {
            "message": "\n".join(self.lines),
            "service": {"name": self.service},
            "log": {"file": {"path": self.path}},
        }
        if self.lines[0].startswith("BAD"):
            doc["tags"] = ["_grokparsefailure"]
        entry = Entry(doc, self.start, self.end)
        self.lines = []
        return [entry]


class SingleLineParser(FakeParser):
    """Emits every line at once (no lookahead), as a single-line format does."""

    def feed(self, line: str, offset: int) -> list[Entry]:
        self.lines, self.start = [line], offset
        self.end = offset + len(line.encode()) + 1
        return self.flush()


def fake_factory(spec: WatchSpec, path: str) -> FakeParser:
    return FakeParser(spec.service, path)


def single_factory(spec: WatchSpec, path: str) -> FakeParser:
    return SingleLineParser(spec.service, path)


def to_record(entry: Entry, doc_id: str) -> LogRecord:
    return LogRecord(entry.doc, doc_id, entry.doc.get("service", {}).get("name", ""))
