"""Exact byte spans of parser entries, recovered from the lines the tailer fed.

The parser only sees decoded text, whose UTF-8 length differs from the bytes on disk for a
replaced invalid byte, a stripped ``\\r`` or a cut over-long line; its ``Entry.end`` is then a
guess. Checkpoints must sit exactly on an entry boundary, so the boundaries are taken from the
fed lines instead: an entry covers the lines from its first offset up to the next entry's. Where
the parser's answer is ambiguous (did the entry returned on line *k* include line *k*?) the
shorter span is chosen: a checkpoint too early re-reads a line, one too late would lose it.

Entries of interleaved writers (``SplitEntry``) name their lines and the checkpoint they allow
(``cut``, a line start): a span's ``end`` is then that checkpoint, not the entry's last byte.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from osmon.logs.entries import SplitEntry
from osmon.logs.tail import Line


class EntryLike(Protocol):
    @property
    def offset(self) -> int: ...

    @property
    def end(self) -> int: ...


class Span(NamedTuple):
    start: int
    end: int
    truncated: bool
    lines: int


_make_span = tuple.__new__


def _ends(line: Line) -> set[int]:
    n = len(line.text.encode("utf-8"))
    return {line.end, line.start + n + 1, line.start + n}


class SpanTracker:
    """Lines fed to one parser that no returned entry has covered yet."""

    __slots__ = ("_lines",)

    def __init__(self) -> None:
        self._lines: deque[Line] = deque()

    @property
    def pending(self) -> bool:
        return bool(self._lines)

    def clear(self) -> None:
        self._lines.clear()

    def fed(self, line: Line, entries: Sequence[EntryLike]) -> list[Span]:
        """Spans of ``entries``, the parser's answer to ``line``."""
        lines = self._lines
        if not entries:
            lines.append(line)
            return []
        if type(entries[0]) is SplitEntry:
            lines.append(line)
            return self._split(entries)
        if len(entries) == 1 and lines:
            e = entries[0]
            start = line.start
            end = e.end
            if e.offset < start and (end < start or (end == start and line.text)):
                return [self._take_all(e, line)]
        prev = lines[-1] if lines else None
        lines.append(line)
        last = len(entries) - 1
        spans: list[Span] = []
        for i, e in enumerate(entries):
            if i < last:
                spans.append(self._take(e, entries[i + 1].offset))
            elif e.offset >= line.start or self._includes(e, line, prev):
                spans.append(self._take(e, None))
            else:
                spans.append(self._take(e, line.start))
        return spans

    def flushed(self, entries: Sequence[EntryLike]) -> list[Span]:
        """Spans of what ``flush`` returned: the last one takes every remaining line."""
        if entries and type(entries[0]) is SplitEntry:
            return self._split(entries)
        spans = [
            self._take(e, entries[i + 1].offset if i + 1 < len(entries) else None)
            for i, e in enumerate(entries)
        ]
        self._lines.clear()
        return spans

    def _split(self, entries: Sequence[EntryLike]) -> list[Span]:
        """Spans of entries released together after interleaving: each counts its own lines
        (one pass over the held lines); the checkpoint moves to each one's cut."""
        lines = self._lines
        if not lines:
            return [_make_span(Span, (e.offset, e.offset, False, 0)) for e in entries]
        split = [e for e in entries if isinstance(e, SplitEntry)]
        assert len(split) == len(entries), "the parser releases split entries only together"
        offsets = [e.offset for e in split]
        owner = {s: i for i, e in enumerate(split) for s in e.starts}
        counts = [0] * len(split)
        truncated = [False] * len(split)
        for ln in lines:
            s = ln.start
            i = owner.get(s)
            if i is None:
                i = bisect_right(offsets, s) - 1
                if i < 0 or s >= split[i].head_end:
                    continue
            counts[i] += 1
            if ln.truncated:
                truncated[i] = True
        before = lines[0].start
        last_end = lines[-1].end
        spans: list[Span] = []
        for i, e in enumerate(split):
            end = e.cut if e.cut >= 0 else last_end
            spans.append(
                _make_span(
                    Span, (e.offset, end if end > before else before, truncated[i], counts[i])
                )
            )
        cut = split[-1].cut
        if cut < 0:
            lines.clear()
        else:
            while lines and lines[0].start < cut:
                lines.popleft()
        return spans

    @staticmethod
    def _includes(e: EntryLike, line: Line, prev: Line | None) -> bool:
        end = e.end
        if end < line.start or (end == line.start and line.text):
            return False
        return end in _ends(line) and (prev is None or end not in _ends(prev))

    def _take_all(self, e: EntryLike, line: Line) -> Span:
        """``_take(e, line.start)`` when every held line precedes ``line`` (the usual case:
        the entry ended on the line before), then hold ``line``."""
        lines = self._lines
        last = lines[-1]
        n = len(lines)
        truncated = last.truncated if n == 1 else any(ln.truncated for ln in lines)
        lines.clear()
        lines.append(line)
        start = e.offset
        end = last.end
        return _make_span(Span, (start, end if end > start else start, truncated, n))

    def _take(self, e: EntryLike, before: int | None) -> Span:
        start = end = e.offset
        truncated = False
        n = 0
        lines = self._lines
        popleft = lines.popleft
        if before is None:
            n = len(lines)
            for ln in lines:
                truncated = truncated or ln.truncated
            if n:
                end = lines[-1].end
            lines.clear()
        else:
            while lines and lines[0].start < before:
                ln = popleft()
                end = ln.end
                truncated = truncated or ln.truncated
                n += 1
        return _make_span(Span, (start, end if end > start else start, truncated, n))
