"""The ``logs`` source: tailed files → parser → LogRecord batches, checkpointed on ack.

At-least-once: a file's checkpoint moves only when the router acked a batch, and only to the end
of the last entry of that file in the batch, so a multi-line entry still being assembled keeps
the checkpoint before its first line. A nack rewinds every file to its checkpoint and reads
again; document ids (host + content fingerprint + offset) make the repeat a no-op at the backend.

Files found by the first scan without a checkpoint start at their beginning by default, as
Filebeat and Vector do (``read_from: end`` starts them at their end); files that appear later
always start at their beginning.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osmon.batch import Batch
from osmon.logs.checkpoint import CheckpointRegistry, FileCheckpoint
from osmon.logs.fingerprint import FINGERPRINT_BYTES, doc_id_prefix
from osmon.logs.metrics import LogMetrics
from osmon.logs.spans import Span
from osmon.logs.tail import FileKey, Line, Tailer, WatchSpec
from osmon.sources.base import Submit
from osmon.sources.logs.config import LogsOptions
from osmon.sources.logs.parsers import (
    ParsedEntry,
    ParserFactory,
    RecordMaker,
)
from osmon.sources.logs.specs import inventory_specs
from osmon.sources.logs.work import (
    LogStats,
    Pending,
    Work,
    flag_truncated,
    make_pending,
    unparsed,
)

if TYPE_CHECKING:
    from osmon.components import Context

log = logging.getLogger(__name__)

READ_BUDGET = 1 << 20


class LogsSource:
    """Tails files until stopped (``follow``), or until every file is read to its end."""

    def __init__(
        self,
        name: str,
        specs: Sequence[WatchSpec],
        registry_path: Path,
        *,
        host: str,
        parser_factory: ParserFactory,
        record_maker: RecordMaker,
        follow: bool = True,
        ignore_checkpoints: bool = False,
        options: LogsOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        metrics: LogMetrics | None = None,
    ) -> None:
        self.name = name
        self.opts = options or LogsOptions()
        self.specs = list(specs)
        self.registry_path = registry_path
        self.host = host
        self.parser_factory = parser_factory
        self.record_maker = record_maker
        self.follow = follow
        self.ignore_checkpoints = ignore_checkpoints
        self.clock = clock
        self.metrics = metrics
        self.stats = LogStats()
        self.last_error: str | None = None
        self._registry: CheckpointRegistry | None = None
        self._tailer: Tailer | None = None
        self._work: dict[FileKey, Work] = {}
        self._pending: list[Pending] = []
        self._oldest: float | None = None
        self._next_scan = 0.0
        self._stopping = False
        self._wake = asyncio.Event()
        self._failures = 0

    # -- lifecycle -----------------------------------------------------------------------------

    async def run(self, submit: Submit) -> None:
        self._stopping = False
        await self.open()
        try:
            while not self._stopping:
                progressed = await self.poll_once(submit)
                if self._failures:
                    await self._sleep(min(30.0, self.opts.poll_interval * 2**self._failures))
                elif not progressed:
                    if not self.follow and self.finished:
                        return
                    await self._sleep(self.opts.poll_interval)
        finally:
            await self.close()

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    async def poll_once(self, submit: Submit) -> bool:
        """One round: scan if due, read, submit a batch if one is due, release drained files.

        Returns True when there may be more to do at once (lines were read or a batch acked).
        """
        read_any = await asyncio.to_thread(self._step, self.clock())
        acked = False
        if self._batch_due(read_any):
            acked = await self._submit(submit)
            self._failures = 0 if acked else self._failures + 1
        await asyncio.to_thread(self._release_drained)
        return read_any or acked

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def reload(self, ctx: Context) -> None:
        """SIGHUP: follow the inventory's log files again (only when ``files`` is not set)."""
        if self.opts.files is None:
            self.specs = inventory_specs(ctx.inventory, self.host, self.name)
            if self._tailer is not None:
                self._tailer.specs = list(self.specs)
            self._next_scan = 0.0

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _open(self) -> None:
        self._work.clear()
        self._registry = CheckpointRegistry(self.registry_path)
        self._tailer = Tailer(
            self.specs,
            self._registry,
            self.name,
            read_from=self.opts.read_from,
            ignore_checkpoints=self.ignore_checkpoints,
            max_line_bytes=self.opts.max_line_bytes,
            rotate_wait=self.opts.rotate_wait,
            clock=self.clock,
        )
        self._scan(self.clock())
        self._registry.prune(
            self.name, time.time() - self.opts.forget_after, self._tailer.files.keys()
        )

    def _close(self) -> None:
        if self._tailer is not None:
            self._tailer.close()
        if self._registry is not None:
            self._registry.close()
        self._pending.clear()

    # -- reading (worker thread) ---------------------------------------------------------------

    def _scan(self, now: float) -> None:
        assert self._tailer is not None
        for f in self._tailer.scan():
            self._work[f.key] = Work(f, f.generation, self.parser_factory(f.spec, f.path))
            self.stats.files += 1
            log.info("%s: following %s from offset %d", self.name, f.path, f.pos)
        self._next_scan = now + self.opts.scan_interval

    def _step(self, now: float) -> bool:
        """Scan if due, read what is new, emit idle entries; True if any line was read."""
        assert self._tailer is not None
        if now >= self._next_scan:
            self._scan(now)
        read_any = False
        for w in list(self._work.values()):
            f = w.file
            try:
                self._check(w)
                if len(self._pending) < self.opts.batch_max_records:
                    lines = f.read(READ_BUDGET, now)
                    if lines:
                        read_any = True
                        self._feed_lines(w, lines)
                self._idle(w, now)
            except OSError as exc:
                self.last_error = f"{f.path}: {exc.strerror or exc}"
                log.warning("%s: %s", self.name, self.last_error)
        return read_any

    def _check(self, w: Work) -> None:
        assert self._tailer is not None
        reason = w.file.changed()
        if reason is None:
            return
        log.warning("%s: %s %s; reading it again from offset 0", self.name, w.file.path, reason)
        self._flush(w)
        self._tailer.reset(w.file)
        w.generation = w.file.generation
        w.parser = self.parser_factory(w.file.spec, w.file.path)
        w.closing = False

    def _idle(self, w: Work, now: float) -> None:
        assert self._tailer is not None
        f = w.file
        quiet = now - f.last_growth
        finite_end = not self.follow and f.at_eof
        drained = self._tailer.drained(f)
        if f.partial and (finite_end or drained or quiet >= self.opts.partial_line_after):
            line = f.take_partial()
            if line is not None:
                self._feed(w, line)
        if w.spans.pending and (finite_end or drained or quiet >= self.opts.flush_after):
            self._flush(w)
        if drained:
            w.closing = True

    def _feed(self, w: Work, line: Line) -> None:
        self.stats.lines_read += 1
        entries = w.parser.feed(line.text, line.start)
        self._emit(w, entries, w.spans.fed(line, entries))

    def _feed_lines(self, w: Work, lines: list[Line]) -> None:
        """``_feed`` for each line, with the per-line lookups done once."""
        self.stats.lines_read += len(lines)
        feed = w.parser.feed
        fed = w.spans.fed
        emit = self._emit
        for line in lines:
            entries = feed(line.text, line.start)
            spans = fed(line, entries)
            if entries:
                emit(w, entries, spans)

    def _flush(self, w: Work) -> None:
        entries = w.parser.flush()
        self._emit(w, entries, w.spans.flushed(entries))

    def _emit(self, w: Work, entries: Sequence[ParsedEntry], spans: Sequence[Span]) -> None:
        f = w.file
        make = self.record_maker
        append = self._pending.append
        key = f.key
        generation = w.generation
        for entry, span in zip(entries, spans, strict=True):
            end = span.end
            n = end if end < FINGERPRINT_BYTES else FINGERPRINT_BYTES
            head = f.head
            if w.id_head is not head or w.id_len != n:
                w.id_prefix = doc_id_prefix(self.host, head[:n])
                w.id_head, w.id_len = head, n
            rec = make(entry, f"{w.id_prefix}-{span.start}")
            if span.truncated:
                rec = dataclasses.replace(rec, doc=flag_truncated(rec.doc))
            if not rec.service and f.spec.service:
                rec = dataclasses.replace(rec, service=f.spec.service)
            tags = rec.doc.get("tags")
            bad = tags is not None and unparsed(rec.doc)
            append(make_pending(Pending, (rec, key, generation, span, bad)))
        if entries and self._oldest is None:
            self._oldest = self.clock()

    # -- batching and acknowledgement ----------------------------------------------------------

    def _batch_due(self, read_any: bool) -> bool:
        if not self._pending:
            return False
        if len(self._pending) >= self.opts.batch_max_records or not read_any:
            return True
        return self._oldest is not None and self.clock() - self._oldest >= self.opts.batch_max_wait

    async def _submit(self, submit: Submit) -> bool:
        n = self.opts.batch_max_records
        items, self._pending = self._pending[:n], self._pending[n:]
        self._oldest = self.clock() if self._pending else None
        outcome: list[bool] = []
        batch = Batch(
            self.name,
            [p.record for p in items],
            on_ack=lambda: outcome.append(True),
            on_nack=lambda: outcome.append(False),
        )
        try:
            await submit(batch)
        except BaseException:
            batch.nack()
            await asyncio.to_thread(self._rewind)
            raise
        if outcome and outcome[0]:
            await asyncio.to_thread(self._commit, items)
            return True
        self.stats.nacks += 1
        self.last_error = "batch not accepted; re-reading from the checkpoints"
        await asyncio.to_thread(self._rewind)
        return False

    def _commit(self, items: Iterable[Pending]) -> None:
        ends: dict[FileKey, int] = {}
        st = self.stats
        metrics = self.metrics
        work = self._work
        entries = lines = unparsed = truncated = 0
        for record, key, generation, span, bad in items:
            entries += 1
            lines += span.lines
            unparsed += bad
            truncated += span.truncated
            if metrics is not None:
                metrics.observe(record.service, record.doc)
            w = work.get(key)
            if w is not None and w.generation == generation:
                end = span.end
                if end > ends.get(key, 0):
                    ends[key] = end
        st.entries += entries
        st.lines += lines
        st.unparsed += unparsed
        st.truncated += truncated
        checkpoints: list[FileCheckpoint] = []
        for key, end in ends.items():
            f = self._work[key].file
            if end > f.committed:
                self.stats.bytes_acked += end - f.committed
                f.committed = end
                checkpoints.append(f.checkpoint(end))
        if self._registry is not None:
            self._registry.commit(self.name, checkpoints)

    def _rewind(self) -> None:
        self._pending.clear()
        self._oldest = None
        for w in self._work.values():
            w.file.rewind(w.file.committed)
            w.parser = self.parser_factory(w.file.spec, w.file.path)
            w.spans.clear()
            w.closing = False

    def _release_drained(self) -> None:
        assert self._tailer is not None
        if not any(w.closing for w in self._work.values()):
            return
        busy = {p.key for p in self._pending}
        for key, w in list(self._work.items()):
            if w.closing and key not in busy and not w.spans.pending:
                log.info("%s: done with %s at offset %d", self.name, w.file.path, w.file.pos)
                self._tailer.release(w.file)
                del self._work[key]

    @property
    def finished(self) -> bool:
        """Every file read to its end and every entry acked (the end of a ``follow=False`` run)."""
        return not self._pending and all(
            w.file.at_eof and not w.file.partial and not w.spans.pending
            for w in self._work.values()
        )

    # -- status --------------------------------------------------------------------------------

    def progress(self) -> tuple[int, int]:
        """(bytes up to the checkpoints, bytes in the files) over the files open now."""
        files = [w.file for w in list(self._work.values())]
        return sum(f.committed for f in files), sum(max(f.size, f.committed) for f in files)

    def status(self) -> dict[str, Any]:
        tailer = self._tailer
        return {
            "type": "logs",
            "host": self.host,
            "patterns": [s.pattern for s in self.specs],
            "files": [
                {
                    "path": w.file.path,
                    "service": w.file.spec.service,
                    "format": w.file.spec.format,
                    "offset": w.file.pos,
                    "committed": w.file.committed,
                    "size": w.file.size,
                    "rotated": not w.file.matched,
                }
                for w in list(self._work.values())
            ],
            "problems": dict(tailer.problems) if tailer else {},
            "pending": len(self._pending),
            "stats": dataclasses.asdict(self.stats),
            "last_error": self.last_error,
        }


# -- inventory adapter and factory ---------------------------------------------------------
