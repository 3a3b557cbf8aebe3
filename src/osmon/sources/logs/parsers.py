"""What the ``logs`` source needs of a parser, and the built-in grok parser behind it.

The source depends on these protocols only, so its tests can feed it a fake parser and the grok
engine is imported when a source is built, not when the module is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from osmon.logs.tail import WatchSpec
from osmon.records import LogRecord

UNPARSED_TAG = "_grokparsefailure"  # osmon.logs.parser.PARSE_FAILURE, without importing grok


class ParsedEntry(Protocol):
    @property
    def doc(self) -> Mapping[str, Any]: ...

    @property
    def offset(self) -> int: ...

    @property
    def end(self) -> int: ...


class EntryParser(Protocol):
    def feed(self, line: str, offset: int) -> Sequence[Any]: ...

    def flush(self) -> Sequence[Any]: ...


ParserFactory = Callable[[WatchSpec, str], EntryParser]
RecordMaker = Callable[[Any, str], LogRecord]


def default_parsers(host: str, timezone: str) -> tuple[ParserFactory, RecordMaker]:
    """The built-in grok parser (imported here so the source can be tested without it)."""
    from osmon.logs.parser import LogParser, to_record

    def make(spec: WatchSpec, path: str) -> EntryParser:
        return LogParser(spec.format, service=spec.service, host=host, timezone=timezone, path=path)

    return make, to_record
