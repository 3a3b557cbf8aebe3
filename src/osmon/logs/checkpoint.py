"""Durable read positions of the log sources (SQLite in WAL mode).

One row per (source, device, inode) holds the offset just after the last entry a sink accepted
and the fingerprint of the file's first bytes up to that offset, which tells a reused inode or a
truncated-and-rewritten file from the file the offset belongs to. journald sources keep their
cursor in a second table. Rows are written only after an ack, so a crash re-reads, never skips.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_checkpoint (
    source      TEXT    NOT NULL,
    dev         INTEGER NOT NULL,
    inode       INTEGER NOT NULL,
    fingerprint TEXT    NOT NULL,
    head_len    INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    offset      INTEGER NOT NULL,
    updated     REAL    NOT NULL,
    PRIMARY KEY (source, dev, inode)
);
CREATE TABLE IF NOT EXISTS journal_cursor (
    source  TEXT PRIMARY KEY,
    cursor  TEXT NOT NULL,
    updated REAL NOT NULL
);
"""

_BUSY_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class FileCheckpoint:
    dev: int
    inode: int
    fingerprint: str
    head_len: int
    path: str
    offset: int
    updated: float = 0.0


class CheckpointRegistry:
    """Thread-safe: the log source calls it from worker threads (``asyncio.to_thread``)."""

    def __init__(self, path: Path, *, synchronous: str = "NORMAL") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT, check_same_thread=False, isolation_level=None
        )
        self._wal()
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(_SCHEMA)

    def _wal(self) -> None:
        """Switch to WAL; SQLite answers "locked" at once, without waiting for the busy
        timeout, while another connection is creating the same new file, so retry."""
        deadline = time.monotonic() + _BUSY_TIMEOUT
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def get(self, source: str, dev: int, inode: int) -> FileCheckpoint | None:
        with self._lock:
            row = self._db.execute(
                "SELECT dev, inode, fingerprint, head_len, path, offset, updated"
                " FROM file_checkpoint WHERE source=? AND dev=? AND inode=?",
                (source, dev, inode),
            ).fetchone()
        return FileCheckpoint(*row) if row else None

    def files(self, source: str) -> list[FileCheckpoint]:
        with self._lock:
            rows = self._db.execute(
                "SELECT dev, inode, fingerprint, head_len, path, offset, updated"
                " FROM file_checkpoint WHERE source=? ORDER BY path",
                (source,),
            ).fetchall()
        return [FileCheckpoint(*r) for r in rows]

    def commit(self, source: str, checkpoints: Iterable[FileCheckpoint]) -> None:
        """Store several positions in one transaction (one fsync per acked batch at most)."""
        now = time.time()
        rows = [
            (source, c.dev, c.inode, c.fingerprint, c.head_len, c.path, c.offset, now)
            for c in checkpoints
        ]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO file_checkpoint"
                    " (source, dev, inode, fingerprint, head_len, path, offset, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (source, dev, inode) DO UPDATE SET"
                    " fingerprint=excluded.fingerprint, head_len=excluded.head_len,"
                    " path=excluded.path, offset=excluded.offset, updated=excluded.updated",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def forget(self, source: str, dev: int, inode: int) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM file_checkpoint WHERE source=? AND dev=? AND inode=?",
                (source, dev, inode),
            )

    def prune(self, source: str, older_than: float, keep: Iterable[tuple[int, int]]) -> int:
        """Drop rows not written since ``older_than`` (epoch seconds), except ``keep`` keys."""
        kept = set(keep)
        stale = [
            c for c in self.files(source) if c.updated < older_than and (c.dev, c.inode) not in kept
        ]
        for c in stale:
            self.forget(source, c.dev, c.inode)
        return len(stale)

    def cursor(self, source: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT cursor FROM journal_cursor WHERE source=?", (source,)
            ).fetchone()
        return str(row[0]) if row else None

    def set_cursor(self, source: str, cursor: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO journal_cursor (source, cursor, updated) VALUES (?, ?, ?)"
                " ON CONFLICT (source) DO UPDATE SET cursor=excluded.cursor,"
                " updated=excluded.updated",
                (source, cursor, time.time()),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
