"""Fan batches out to sinks; settle the source only once every sink has the data or the spool does.

Per sink the router keeps one invariant: while the spool holds anything for a sink, new records
for it go to the spool too, so the sink sees records in arrival order and a failing backend costs
one retry cycle, not one per batch. A replay task per sink drains the spool when the sink answers
again, deleting a chunk only after the sink accepted it (kill -9 mid-replay re-sends, never loses).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from osmon.batch import Batch
from osmon.deadletter import DeadLetters
from osmon.records import Kind, Record
from osmon.retry import RetryPolicy
from osmon.selfmetrics import SelfMetrics
from osmon.sinks.base import PermanentError, Sink, WriteResult
from osmon.spool import Spool, SpoolFull

log = logging.getLogger(__name__)


DEFAULT_RETRY = RetryPolicy()


@dataclass(slots=True)
class SinkState:
    sink: Sink
    started: bool = False
    spooled_chunks: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    last_success: float | None = None
    last_error: str | None = None
    last_error_time: float | None = None
    delivered: int = 0


@dataclass(slots=True)
class _Delivery:
    ok: bool
    error: str = ""


class Router:
    def __init__(
        self,
        routes: Mapping[Kind, Sequence[Sink]],
        spool: Spool,
        deadletters: DeadLetters,
        metrics: SelfMetrics,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.routes = {k: list(v) for k, v in routes.items()}
        self.spool = spool
        self.deadletters = deadletters
        self.metrics = metrics
        self.retry = retry
        self.sinks: dict[str, SinkState] = {}
        for sinks in self.routes.values():
            for s in sinks:
                self.sinks.setdefault(s.name, SinkState(s))
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False
        self.spool_error: str | None = None
        self.inflight = 0
        self.draining = False

    async def start(self) -> None:
        self._running = True
        for name, st in self.sinks.items():
            st.spooled_chunks = await asyncio.to_thread(self.spool.chunks, name)
            await self._try_start(st)
            self._tasks.append(asyncio.create_task(self._replay(st), name=f"replay-{name}"))
        self._refresh_spool_gauges()

    async def _try_start(self, st: SinkState) -> None:
        try:
            await asyncio.wait_for(st.sink.start(), self.retry.timeout)
        except Exception as exc:
            self._note_error(st, f"start failed: {exc}")
            log.warning("sink %s did not start: %s", st.sink.name, exc)
        else:
            st.started = True

    def drain(self) -> None:
        """Shutting down: one quick attempt per sink, then straight to the spool."""
        self.draining = True

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no batch is in flight (all settled); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.inflight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return not self.inflight

    async def stop(self) -> None:
        """Stop replay tasks and close sinks; batches in flight must be settled first."""
        self._running = False
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for st in self.sinks.values():
            try:
                await asyncio.wait_for(st.sink.close(), self.retry.timeout)
            except Exception as exc:
                log.warning("closing sink %s: %s", st.sink.name, exc)

    async def submit(self, batch: Batch) -> None:
        """Deliver a batch and settle it: ack when every sink has it or the spool does."""
        t0 = time.monotonic()
        self.inflight += 1
        try:
            self.metrics.records_in.labels(batch.source).inc(len(batch.records))
            per_kind: dict[Kind, list[Record]] = defaultdict(list)
            for rec in batch.records:
                per_kind[rec.kind].append(rec)
            jobs = [
                self._deliver(self.sinks[s.name], recs)
                for kind, recs in per_kind.items()
                for s in self.routes.get(kind, ())
            ]
            results = await asyncio.gather(*jobs) if jobs else []
            if all(r.ok for r in results):
                batch.ack()
                self.metrics.batches.labels(batch.source, "ack").inc()
            else:
                batch.nack()
                self.metrics.batches.labels(batch.source, "nack").inc()
        except BaseException:
            batch.nack()
            self.metrics.batches.labels(batch.source, "nack").inc()
            raise
        finally:
            self.inflight -= 1
            self.metrics.batch_latency.labels(batch.source).observe(time.monotonic() - t0)

    async def _deliver(self, st: SinkState, records: list[Record]) -> _Delivery:
        if st.spooled_chunks or not st.started:
            return await self._to_spool(st, records)
        pending = records
        for attempt in range(self.retry.attempts):
            if attempt and self.draining:
                break
            if attempt:
                self.metrics.sink_retries.labels(st.sink.name).inc()
                await asyncio.sleep(self.retry.delay(attempt))
                if st.spooled_chunks:
                    break
            pending = await self._write_once(st, pending)
            if not pending:
                return _Delivery(True)
        return await self._to_spool(st, pending)

    async def _write_once(self, st: SinkState, records: list[Record]) -> list[Record]:
        """One write; returns what is worth retrying. Permanent failures are dead-lettered."""
        name = st.sink.name
        try:
            limit = min(self.retry.timeout, 2.0) if self.draining else self.retry.timeout
            res: WriteResult = await asyncio.wait_for(st.sink.write(records), limit)
        except PermanentError as exc:
            self.metrics.sink_errors.labels(name, "permanent").inc()
            self._dead(st, [(r, str(exc)) for r in records])
            return []
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.metrics.sink_errors.labels(name, "transient").inc()
            self._note_error(st, f"{type(exc).__name__}: {exc}")
            return records
        bad = {i for i, _ in res.permanent} | set(res.transient)
        accepted = len(records) - len(bad)
        if accepted:
            st.last_success = time.time()
            st.delivered += accepted
            self.metrics.records_out.labels(name).inc(accepted)
        if res.permanent:
            self.metrics.sink_errors.labels(name, "permanent").inc()
            self._dead(st, [(records[i], reason) for i, reason in res.permanent])
        if res.transient:
            self.metrics.sink_errors.labels(name, "transient").inc()
            self._note_error(st, f"{len(res.transient)} records failed transiently")
        return [records[i] for i in sorted(set(res.transient))]

    def _dead(self, st: SinkState, items: list[tuple[Record, str]]) -> None:
        n = self.deadletters.write(st.sink.name, items)
        self.metrics.deadletters.labels(st.sink.name).inc(n)
        if items:
            self._note_error(st, f"dead-lettered {n}: {items[0][1]}")

    def _note_error(self, st: SinkState, message: str) -> None:
        st.last_error = message
        st.last_error_time = time.time()

    async def _to_spool(self, st: SinkState, records: list[Record]) -> _Delivery:
        name = st.sink.name
        try:
            out = await asyncio.to_thread(self.spool.put, name, records)
        except SpoolFull as exc:
            self.spool_error = str(exc)
            self.metrics.spool_dropped.labels(exc.reason).inc(len(records))
            log.error("spool refused %d records for %s: %s", len(records), name, exc)
            return _Delivery(False, str(exc))
        if out.dropped:
            self.metrics.spool_dropped.labels(out.reason).inc(out.dropped)
        if out.stored:
            self.spool_error = None
            st.spooled_chunks += 1
            self.metrics.spooled.labels(name).inc(out.stored)
            st.wake.set()
        self._refresh_spool_gauges()
        return _Delivery(True)

    def _refresh_spool_gauges(self) -> None:
        self.metrics.spool_depth.set(self.spool.depth())
        self.metrics.spool_bytes.set(self.spool.bytes)

    async def _replay(self, st: SinkState) -> None:
        name = st.sink.name
        failures = 0
        while self._running:
            if not st.spooled_chunks:
                st.wake.clear()
                await st.wake.wait()
                continue
            if not st.started:
                await self._try_start(st)
                if not st.started:
                    failures += 1
                    await asyncio.sleep(self.retry.delay(failures + 1))
                    continue
            chunks = await asyncio.to_thread(self.spool.peek, name, 1)
            if not chunks:
                st.spooled_chunks = 0
                continue
            chunk = chunks[0]
            rest = await self._write_once(st, chunk.records)
            if rest:
                await asyncio.to_thread(self.spool.replace, chunk.id, rest)
                self.metrics.replayed.labels(name).inc(len(chunk.records) - len(rest))
                failures += 1
                await asyncio.sleep(self.retry.delay(failures + 1))
            else:
                await asyncio.to_thread(self.spool.delete, chunk.id)
                self.metrics.replayed.labels(name).inc(len(chunk.records))
                failures = 0
                st.spooled_chunks -= 1
            self._refresh_spool_gauges()

    def status(self) -> dict[str, Any]:
        return {
            "inflight_batches": self.inflight,
            "spool": {
                "path": str(self.spool.path),
                "records": self.spool.depth(),
                "bytes": self.spool.bytes,
                "max_bytes": self.spool.max_bytes,
                "policy": self.spool.policy.value,
                "dropped": dict(self.spool.dropped),
                "error": self.spool_error,
            },
            "sinks": {
                name: {
                    "started": st.started,
                    "backlog": bool(st.spooled_chunks),
                    "spooled_records": self.spool.depth(name),
                    "delivered": st.delivered,
                    "dead_lettered": self.deadletters.counts.get(name, 0),
                    "last_success": st.last_success,
                    "last_error": st.last_error,
                    "last_error_time": st.last_error_time,
                    **st.sink.status(),
                }
                for name, st in self.sinks.items()
            },
        }
