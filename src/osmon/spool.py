"""Durable local queue (SQLite in WAL mode) that holds batches a sink could not take yet.

One row is one chunk of records for one sink, so a replay preserves order per sink and a commit
covers thousands of records. Records are stored in their ``to_wire`` tuple form, msgpack-encoded,
so the file does not depend on Python class layout.

The spool is bounded in bytes. What happens when it is full is an explicit policy:
``drop_oldest`` (default; the freshest data matters most to an operator), ``drop_newest`` or
``block`` (refuse, so the caller nacks the source and the broker or file keeps the data).
Every dropped record is counted.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import msgpack

from osmon.records import Kind, Record, record_from_wire


class DropPolicy(StrEnum):
    DROP_OLDEST = "drop_oldest"
    DROP_NEWEST = "drop_newest"
    BLOCK = "block"


class SpoolFull(Exception):
    """The spool refused a chunk: ``reason`` is ``blocked`` (bound hit) or ``disk_full``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Chunk:
    id: int
    sink: str
    records: list[Record]


@dataclass(slots=True)
class PutOutcome:
    stored: int = 0
    dropped: int = 0
    reason: str = ""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunk (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    sink    TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    n       INTEGER NOT NULL,
    size    INTEGER NOT NULL,
    created REAL    NOT NULL,
    payload BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_sink ON chunk (sink, id);
"""


def _encode(records: Sequence[Record]) -> tuple[str, bytes]:
    kind = records[0].kind
    return kind.value, msgpack.packb([r.to_wire() for r in records], use_bin_type=True)


def _decode(kind: str, payload: bytes) -> list[Record]:
    k = Kind(kind)
    return [record_from_wire(k, t) for t in msgpack.unpackb(payload, raw=False)]


class Spool:
    """Thread-safe; every method is blocking, callers on the event loop use a thread."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 1 << 30,
        policy: DropPolicy = DropPolicy.DROP_OLDEST,
        synchronous: str = "FULL",
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.policy = policy
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._synchronous = synchronous
        self._db.executescript(_SCHEMA)
        self._bytes, self._records = self._totals()
        self.dropped: dict[str, int] = {}

    def _totals(self) -> tuple[int, int]:
        row = self._db.execute(
            "SELECT COALESCE(SUM(size),0), COALESCE(SUM(n),0) FROM chunk"
        ).fetchone()
        return int(row[0]), int(row[1])

    def _count_drop(self, reason: str, n: int) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n

    def put(self, sink: str, records: Sequence[Record]) -> PutOutcome:
        """Store ``records`` for ``sink`` durably (committed before returning).

        Raises SpoolFull when nothing could be stored and the caller must keep the data upstream.
        """
        if not records:
            return PutOutcome()
        kind, payload = _encode(records)
        size = len(payload)
        out = PutOutcome()
        with self._lock:
            if self._bytes + size > self.max_bytes:
                if self.policy is DropPolicy.BLOCK or size > self.max_bytes:
                    raise SpoolFull(
                        f"spool full ({self._bytes} of {self.max_bytes} bytes)", "blocked"
                    )
                if self.policy is DropPolicy.DROP_NEWEST:
                    self._count_drop("full_newest", len(records))
                    return PutOutcome(dropped=len(records), reason="full_newest")
            try:
                self._db.execute("BEGIN IMMEDIATE")
                if self._bytes + size > self.max_bytes:
                    out.dropped = self._evict_oldest(self._bytes + size - self.max_bytes)
                    out.reason = "full_oldest"
                self._db.execute(
                    "INSERT INTO chunk (sink, kind, n, size, created, payload)"
                    " VALUES (?,?,?,?,?,?)",
                    (sink, kind, len(records), size, time.time(), payload),
                )
                self._db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._rollback()
                self._bytes, self._records = self._totals()
                raise SpoolFull(f"cannot write spool {self.path}: {exc}", "disk_full") from exc
            self._bytes += size
            self._records += len(records)
            if out.dropped:
                self._count_drop(out.reason, out.dropped)
            out.stored = len(records)
            return out

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.OperationalError):
            self._db.execute("ROLLBACK")

    def _evict_oldest(self, need: int) -> int:
        freed = dropped = 0
        rows = self._db.execute("SELECT id, n, size FROM chunk ORDER BY id").fetchall()
        for cid, n, size in rows:
            if freed >= need:
                break
            self._db.execute("DELETE FROM chunk WHERE id = ?", (cid,))
            freed += size
            dropped += n
            self._bytes -= size
            self._records -= n
        return dropped

    def peek(self, sink: str, limit: int = 1) -> list[Chunk]:
        """The oldest chunks for ``sink``, left in place until ``delete``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, payload FROM chunk WHERE sink = ? ORDER BY id LIMIT ?",
                (sink, limit),
            ).fetchall()
        return [Chunk(cid, sink, _decode(kind, payload)) for cid, kind, payload in rows]

    def delete(self, chunk_id: int) -> None:
        """Forget a delivered chunk without waiting for an fsync: a delete lost in a crash only
        re-sends the chunk (at least once), and the next durable commit syncs it anyway."""
        with self._lock:
            row = self._db.execute("SELECT n, size FROM chunk WHERE id = ?", (chunk_id,)).fetchone()
            if row is None:
                return
            self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                self._db.execute("DELETE FROM chunk WHERE id = ?", (chunk_id,))
            finally:
                self._db.execute(f"PRAGMA synchronous={self._synchronous}")
            self._records -= int(row[0])
            self._bytes -= int(row[1])

    def replace(self, chunk_id: int, records: Sequence[Record]) -> None:
        """Keep only ``records`` (non-empty) of a chunk: the part a sink did not take."""
        kind, payload = _encode(records)
        with self._lock:
            row = self._db.execute("SELECT n, size FROM chunk WHERE id = ?", (chunk_id,)).fetchone()
            if row is None:
                return
            self._db.execute(
                "UPDATE chunk SET kind = ?, n = ?, size = ?, payload = ? WHERE id = ?",
                (kind, len(records), len(payload), payload, chunk_id),
            )
            self._records += len(records) - int(row[0])
            self._bytes += len(payload) - int(row[1])

    def depth(self, sink: str | None = None) -> int:
        """Records waiting (for one sink, or in all)."""
        if sink is None:
            return self._records
        with self._lock:
            row = self._db.execute("SELECT COALESCE(SUM(n),0) FROM chunk WHERE sink = ?", (sink,))
            return int(row.fetchone()[0])

    def chunks(self, sink: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM chunk WHERE sink = ?", (sink,))
            return int(row.fetchone()[0])

    @property
    def bytes(self) -> int:
        return self._bytes

    def close(self) -> None:
        with self._lock:
            self._db.close()
