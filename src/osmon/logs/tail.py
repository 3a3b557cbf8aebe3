"""Follows log files by polling: discovery by glob, rotation, truncation and line framing.

Polling (``os.pread`` on a kept file descriptor, ``glob`` on every scan) rather than inotify:
it behaves the same on local disks, NFS and overlay filesystems, a rotated-away file keeps
being read through its descriptor, and it needs no extra dependency. The caller runs the
blocking calls in a worker thread.

Files are keyed by (device, inode), so one file matched by two globs is read once and a file
renamed by rotation keeps its state. The bytes just read from the start of a file (its head)
identify its content: a file whose head changed, or that shrank below the read position, was
truncated or replaced (copytruncate, inode reuse) and is read again from offset 0.
"""

from __future__ import annotations

import glob
import itertools
import logging
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, NamedTuple

from osmon.logs.checkpoint import CheckpointRegistry, FileCheckpoint
from osmon.logs.fingerprint import FINGERPRINT_BYTES, fingerprint

log = logging.getLogger(__name__)

MAX_LINE_BYTES: Final = 1 << 20
READ_CHUNK: Final = 1 << 20

FileKey = tuple[int, int]


class ReadFrom(StrEnum):
    """Where a file without a checkpoint starts when it is found by the *first* scan.

    Files that appear later always start at 0: they are new, and starting at their end would
    lose what was written before the next scan (a rename+create rotation, for instance).
    """

    BEGINNING = "beginning"
    END = "end"


@dataclass(frozen=True, slots=True)
class WatchSpec:
    pattern: str
    format: str
    service: str = ""


class Line(NamedTuple):
    """One line without its newline; ``end`` is the offset just after the newline.

    A named tuple rather than a dataclass: one is made per line read, and a tuple is the
    cheapest immutable record to make and to keep.
    """

    text: str
    start: int
    end: int
    truncated: bool = False


_make_line = tuple.__new__


def decode(raw: bytes) -> str:
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", "replace")


class TailedFile:
    """An open log file and the framing state of the bytes read from it."""

    __slots__ = (
        "_buf",
        "_buf_start",
        "_max_line",
        "_overflow",
        "committed",
        "fd",
        "generation",
        "head",
        "key",
        "last_growth",
        "matched",
        "path",
        "pos",
        "size",
        "spec",
    )

    def __init__(
        self,
        key: FileKey,
        path: str,
        spec: WatchSpec,
        fd: int,
        offset: int,
        head: bytes,
        generation: int,
        now: float,
        max_line: int = MAX_LINE_BYTES,
    ) -> None:
        self.key = key
        self.path = path
        self.spec = spec
        self.fd = fd
        self.generation = generation
        self.pos = offset
        self.committed = offset
        self.head = head
        self.size = offset
        self.matched = True
        self.last_growth = now
        self._max_line = max_line
        self._buf = bytearray()
        self._buf_start = offset
        self._overflow = False

    @property
    def partial(self) -> bool:
        """True while bytes of a line without its newline are buffered."""
        return bool(self._buf) or self._overflow

    @property
    def at_eof(self) -> bool:
        return self.pos >= self.size

    def read(self, max_bytes: int, now: float) -> list[Line]:
        """Complete lines from the current position, reading at most about ``max_bytes``."""
        lines: list[Line] = []
        got = 0
        while got < max_bytes:
            data = os.pread(self.fd, READ_CHUNK, self.pos)
            if not data:
                break
            got += len(data)
            self._absorb(data, lines)
            self.last_growth = now
        self.size = max(self.size, self.pos)
        return lines

    def _absorb(self, data: bytes, lines: list[Line]) -> None:
        base = self.pos
        if base < FINGERPRINT_BYTES:
            self.head += data[: FINGERPRINT_BYTES - base]
        self.pos += len(data)
        i = 0
        if self._buf or self._overflow:
            j = data.find(b"\n")
            if j < 0:
                self._keep(data)
                return
            self._frame(data[:j], base + j + 1, lines)
            i = j + 1
        i = self._absorb_ascii(data, i, base, lines)
        while True:
            j = data.find(b"\n", i)
            if j < 0:
                self._keep(data[i:])
                return
            self._frame(data[i:j], base + j + 1, lines)
            i = j + 1

    def _frame(self, piece: bytes, end: int, lines: list[Line]) -> None:
        """The line ending at ``end`` (its newline excluded), after what ``_buf`` holds."""
        if self._overflow:
            raw, truncated = bytes(self._buf), True
        else:
            raw = bytes(self._buf) + piece if self._buf else piece
            truncated = len(raw) > self._max_line
            if truncated:
                raw = raw[: self._max_line]
        lines.append(Line(decode(raw), self._buf_start, end, truncated))
        self._buf.clear()
        self._overflow = False
        self._buf_start = end

    def _absorb_ascii(self, data: bytes, i: int, base: int, lines: list[Line]) -> int:
        """Frame the complete lines of ``data[i:]`` with one decode and split when they are
        plain ASCII (no ``\\r``, none over the length limit): byte offsets are then character
        offsets. Returns where the general framing continues (``i`` when it must do it all)."""
        last = data.rfind(b"\n")
        if last < i:
            return i
        block = data[i:last]
        if not block.isascii() or b"\r" in block:
            return i
        texts = block.decode("ascii").split("\n")
        if last - i > self._max_line and max(map(len, texts)) > self._max_line:
            return i
        append = lines.append
        start = base + i
        for text in texts:
            end = start + len(text) + 1
            append(_make_line(Line, (text, start, end, False)))
            start = end
        self._buf_start = start
        return last + 1

    def _keep(self, rest: bytes) -> None:
        if self._overflow or not rest:
            return
        self._buf += rest
        if len(self._buf) > self._max_line:
            del self._buf[self._max_line :]
            self._overflow = True

    def take_partial(self) -> Line | None:
        """The buffered line without its newline, for a file that stopped growing."""
        if not self.partial:
            return None
        line = Line(decode(bytes(self._buf)), self._buf_start, self.pos, self._overflow)
        self._buf.clear()
        self._overflow = False
        self._buf_start = self.pos
        return line

    def rewind(self, offset: int) -> None:
        self.pos = offset
        self._buf.clear()
        self._overflow = False
        self._buf_start = offset
        self.head = self.head[: min(FINGERPRINT_BYTES, offset)]

    def checkpoint(self, offset: int) -> FileCheckpoint:
        head = self.head[: min(FINGERPRINT_BYTES, offset)]
        return FileCheckpoint(
            self.key[0], self.key[1], fingerprint(head), len(head), self.path, offset
        )

    def changed(self) -> str | None:
        """Why the content under the read position is no longer what was read, if it is not."""
        st = os.fstat(self.fd)
        if st.st_size < self.pos:
            self.size = st.st_size
            return f"truncated to {st.st_size} bytes below offset {self.pos}"
        if st.st_size != self.size and self.head:
            current = os.pread(self.fd, len(self.head), 0)
            if current != self.head:
                self.size = st.st_size
                return "content replaced (fingerprint changed)"
        self.size = st.st_size
        return None

    def deleted(self) -> bool:
        try:
            return os.fstat(self.fd).st_nlink == 0
        except OSError:
            return True


class Tailer:
    """The set of files matched by ``specs``; the caller drives it with scan/read/release."""

    def __init__(
        self,
        specs: Sequence[WatchSpec],
        registry: CheckpointRegistry | None,
        source: str,
        *,
        read_from: ReadFrom = ReadFrom.BEGINNING,
        ignore_checkpoints: bool = False,
        max_line_bytes: int = MAX_LINE_BYTES,
        rotate_wait: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.specs = list(specs)
        self.registry = registry
        self.source = source
        self.read_from = read_from
        self.ignore_checkpoints = ignore_checkpoints
        self.max_line_bytes = max_line_bytes
        self.rotate_wait = rotate_wait
        self.clock = clock
        self.files: dict[FileKey, TailedFile] = {}
        self.problems: dict[str, str] = {}
        self._scans = 0
        self._generations = itertools.count(1)

    def scan(self) -> list[TailedFile]:
        """Glob every pattern; open new files, note which open files are no longer matched."""
        matched: dict[FileKey, tuple[str, WatchSpec]] = {}
        for spec in self.specs:
            for path in sorted(glob.glob(os.path.expanduser(spec.pattern), recursive=True)):
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    matched.setdefault((st.st_dev, st.st_ino), (path, spec))
        first = self._scans == 0
        self._scans += 1
        opened: list[TailedFile] = []
        for key, (path, spec) in matched.items():
            f = self.files.get(key)
            if f is not None:
                f.path, f.matched = path, True
                continue
            f = self._open(key, path, spec, first)
            if f is not None:
                self.files[key] = f
                opened.append(f)
        for key, f in self.files.items():
            if key not in matched:
                f.matched = False
        return opened

    def _open(self, key: FileKey, path: str, spec: WatchSpec, first: bool) -> TailedFile | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            if self.problems.get(path) != exc.strerror:
                log.warning("cannot open %s: %s", path, exc.strerror)
            self.problems[path] = exc.strerror or str(exc)
            return None
        self.problems.pop(path, None)
        st = os.fstat(fd)
        real_key = (st.st_dev, st.st_ino)
        if real_key != key and real_key in self.files:
            os.close(fd)
            return None
        offset = self._start_offset(fd, real_key, path, st.st_size, first)
        head = os.pread(fd, min(FINGERPRINT_BYTES, offset), 0) if offset else b""
        f = TailedFile(
            real_key,
            path,
            spec,
            fd,
            offset,
            head,
            next(self._generations),
            self.clock(),
            self.max_line_bytes,
        )
        f.size = st.st_size
        return f

    def _start_offset(self, fd: int, key: FileKey, path: str, size: int, first: bool) -> int:
        cp = None
        if self.registry is not None and not self.ignore_checkpoints:
            cp = self.registry.get(self.source, *key)
        if cp is None:
            return size if first and self.read_from is ReadFrom.END else 0
        if size < cp.offset:
            log.info(
                "%s: shorter than its checkpoint (%d < %d): reading from 0", path, size, cp.offset
            )
            return 0
        if fingerprint(os.pread(fd, cp.head_len, 0)) != cp.fingerprint:
            log.info("%s: content differs from its checkpoint (inode reused): reading from 0", path)
            return 0
        return cp.offset

    def reset(self, f: TailedFile) -> None:
        """Start a truncated or replaced file again from offset 0, as a new generation."""
        f.rewind(0)
        f.head = b""
        f.committed = 0
        f.generation = next(self._generations)

    def drained(self, f: TailedFile) -> bool:
        """Rotated away or deleted, read to its end, and idle for ``rotate_wait``."""
        if f.matched or not f.at_eof:
            return False
        try:
            f.size = os.fstat(f.fd).st_size
        except OSError:
            return True
        return f.at_eof and self.clock() - f.last_growth >= self.rotate_wait

    def release(self, f: TailedFile) -> None:
        """Close a drained file; a deleted one's checkpoint is forgotten, a renamed one's kept."""
        gone = f.deleted()
        self.files.pop(f.key, None)
        os.close(f.fd)
        if gone and self.registry is not None:
            self.registry.forget(self.source, *f.key)

    def close(self) -> None:
        for f in self.files.values():
            os.close(f.fd)
        self.files.clear()
