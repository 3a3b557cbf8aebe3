"""Bookkeeping of the ``logs`` source: per-file work, records awaiting their ack, counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from osmon.logs.spans import Span, SpanTracker
from osmon.logs.tail import FileKey, TailedFile
from osmon.records import LogRecord
from osmon.sources.logs.parsers import UNPARSED_TAG, EntryParser


@dataclass(slots=True)
class LogStats:
    """Counts of what sinks accepted; ``lines_read`` also counts lines read again after a nack."""

    files: int = 0
    lines: int = 0
    entries: int = 0
    unparsed: int = 0
    truncated: int = 0
    bytes_acked: int = 0
    nacks: int = 0
    lines_read: int = 0


@dataclass(slots=True)
class Work:
    file: TailedFile
    generation: int
    parser: EntryParser
    spans: SpanTracker = field(default_factory=SpanTracker)
    closing: bool = False
    id_head: bytes | None = None
    """``file.head`` when ``id_prefix`` was computed (bytes are immutable: same object, same
    content), with ``id_len`` the length hashed."""
    id_len: int = -1
    id_prefix: str = ""


class Pending(NamedTuple):
    """A record awaiting its batch's ack (a tuple: one is made per entry)."""

    record: LogRecord
    key: FileKey
    generation: int
    span: Span
    unparsed: bool


make_pending = tuple.__new__


def unparsed(doc: Mapping[str, Any]) -> bool:
    tags = doc.get("tags")
    return isinstance(tags, list) and UNPARSED_TAG in tags


def flag_truncated(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    logpart = dict(out.get("log") or {})
    logpart["flags"] = [*logpart.get("flags", []), "truncated"]
    out["log"] = logpart
    return out
