"""What the log parser returns: an ECS document and the bytes of the file it came from.

Plain ``__slots__`` classes, not frozen dataclasses: one is built per log entry, and a frozen
dataclass's ``__init__`` (or its descriptors) costs about twice as much. Treat them as
immutable all the same.
"""

from __future__ import annotations

from typing import Any


class Entry:
    __slots__ = ("doc", "end", "offset")

    def __init__(self, doc: dict[str, Any], offset: int, end: int) -> None:
        self.doc = doc
        """Nested ECS document."""
        self.offset = offset
        """Byte offset of the entry's first line."""
        self.end = end
        """Byte offset just after the entry's last line (newline included)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(offset={self.offset}, end={self.end}, doc={self.doc!r})"


class SplitEntry(Entry):
    """An entry completed while several writers had entries open: its lines may not be
    contiguous, and it was held back until no open entry began before its last line."""

    __slots__ = ("cut", "head_end", "starts")

    def __init__(
        self,
        doc: dict[str, Any],
        offset: int,
        end: int,
        head_end: int,
        starts: tuple[int, ...],
        cut: int,
    ) -> None:
        self.doc = doc
        self.offset = offset
        self.end = end
        self.head_end = head_end
        """The entry covers the lines starting in ``[offset, head_end)`` ..."""
        self.starts = starts
        """... and those starting at these offsets."""
        self.cut = cut
        """Where the checkpoint may go once this entry is acked: -1 past every line fed, else
        a line's start (0: nowhere new, an earlier entry of the release has lines further on)."""


__all__ = ["Entry", "SplitEntry"]
