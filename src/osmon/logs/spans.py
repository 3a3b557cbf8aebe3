"""Exact byte spans of parser entries, recovered from the lines the tailer fed.

The parser only sees decoded text, whose UTF-8 length differs from the bytes on disk for a
replaced invalid byte, a stripped ``\\r`` or a cut over-long line; its ``Entry.end`` is then a
guess. Checkpoints must sit exactly on an entry boundary, so the boundaries are taken from the
fed lines instead: an entry covers the lines from its first offset up to the next entry's. Where
the parser's answer is ambiguous (did the entry returned on line *k* include line *k*?) the
shorter span is chosen: a checkpoint too early re-reads a line, one too late would lose it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from osmon.logs.tail import Line


class EntryLike(Protocol):
    @property
    def offset(self) -> int: ...

    @property
    def end(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    truncated: bool
    lines: int


def _ends(line: Line) -> set[int]:
    n = len(line.text.encode("utf-8"))
    return {line.end, line.start + n + 1, line.start + n}


class SpanTracker:
    """Lines fed to one parser that no returned entry has covered yet."""

    def __init__(self) -> None:
        self._lines: deque[Line] = deque()

    @property
    def pending(self) -> bool:
        return bool(self._lines)

    def clear(self) -> None:
        self._lines.clear()

    def fed(self, line: Line, entries: Sequence[EntryLike]) -> list[Span]:
        """Spans of ``entries``, the parser's answer to ``line``."""
        prev = self._lines[-1] if self._lines else None
        self._lines.append(line)
        spans: list[Span] = []
        for i, e in enumerate(entries):
            if i + 1 < len(entries):
                spans.append(self._take(e, entries[i + 1].offset))
            elif e.offset >= line.start or self._includes(e, line, prev):
                spans.append(self._take(e, None))
            else:
                spans.append(self._take(e, line.start))
        return spans

    def flushed(self, entries: Sequence[EntryLike]) -> list[Span]:
        """Spans of what ``flush`` returned: the last one takes every remaining line."""
        spans = [
            self._take(e, entries[i + 1].offset if i + 1 < len(entries) else None)
            for i, e in enumerate(entries)
        ]
        self._lines.clear()
        return spans

    @staticmethod
    def _includes(e: EntryLike, line: Line, prev: Line | None) -> bool:
        return e.end in _ends(line) and (prev is None or e.end not in _ends(prev))

    def _take(self, e: EntryLike, before: int | None) -> Span:
        end = e.offset
        truncated = False
        n = 0
        while self._lines and (before is None or self._lines[0].start < before):
            ln = self._lines.popleft()
            end = ln.end
            truncated = truncated or ln.truncated
            n += 1
        return Span(e.offset, max(end, e.offset), truncated, n)
