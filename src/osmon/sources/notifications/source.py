"""The ``notifications`` source: oslo.messaging batches → records → router → ack.

Each priority group of a batch is converted, submitted to the router on the daemon's event
loop, and handed back to oslo as HANDLED (ack) only once the router settled it with ack,
REQUEUE otherwise. Poison messages go to a dead-letter file at once and are acked with the batch.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osmon.batch import Batch
from osmon.notifications.convert import ConversionError, Converter
from osmon.notifications.exchanges import exchanges_from_inventory
from osmon.notifications.metrics import NotificationMetrics
from osmon.notifications.poison import PoisonFile, UndecodableHandler
from osmon.records import Record
from osmon.redact import redact_url
from osmon.sources.base import Submit
from osmon.sources.notifications.config import NotificationOptions
from osmon.sources.notifications.listener import Listeners, in_daemon_thread

if TYPE_CHECKING:
    from osmon.components import Context

LOG = logging.getLogger(__name__)

HANDLED = "handled"
REQUEUE = "requeue"


class _Recent:
    """Bounded insertion-ordered set/counter keyed by message id."""

    def __init__(self, size: int = 100_000) -> None:
        self._items: OrderedDict[str, int] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def incr(self, key: str) -> int:
        with self._lock:
            n = self._items.pop(key, 0) + 1
            self._items[key] = n
            if len(self._items) > self._size:
                self._items.popitem(last=False)
            return n

    def add(self, key: str) -> None:
        with self._lock:
            self._items[key] = 1
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def pop(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._items


class NotificationSource:
    def __init__(
        self,
        name: str,
        opts: NotificationOptions,
        *,
        exchanges: Sequence[str],
        dead_letter: Path,
        converter: Converter,
        metrics: NotificationMetrics,
    ) -> None:
        self.name = name
        self.opts = opts
        self.exchanges = list(exchanges)
        self.converter = converter
        self.metrics = metrics
        self.poison = PoisonFile(dead_letter)
        self._attempts = _Recent()
        self._settled = _Recent()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._submit: Submit | None = None
        self._stop = asyncio.Event()
        self._done = asyncio.Event()
        self._reload = asyncio.Event()
        prefetch = (
            opts.prefetch if opts.prefetch is not None else opts.executor_threads * opts.batch_size
        )
        self._listeners = Listeners(
            self.handle,
            pool=opts.pool,
            batch_size=opts.batch_size,
            batch_timeout=opts.batch_timeout,
            prefetch=prefetch,
            executor_threads=opts.executor_threads,
            on_change=lambda delta: metrics.listeners.inc(delta),
        )
        self._hook = UndecodableHandler(self._undecodable)
        self.received = 0
        self.accepted = 0
        self.requeued_batches = 0
        self.rebinds = 0
        self.last_batch_at: float | None = None

    # ---- Source protocol -------------------------------------------------------------------
    async def run(self, submit: Submit) -> None:
        self._loop = asyncio.get_running_loop()
        self._submit = submit
        self._hook.install()
        try:
            await self._start()
            while not self._stop.is_set():
                await self._wait_for_stop_or_reload()
                if self._reload.is_set() and not self._stop.is_set():
                    self._reload.clear()
                    await in_daemon_thread(self._listeners.stop, f"osmon-{self.name}-rebind")
                    await self._start()
                    self.rebinds += 1
        finally:
            await in_daemon_thread(self._listeners.stop, f"osmon-{self.name}-stop")
            self._hook.uninstall()
            self._done.set()

    async def _start(self) -> None:
        exchanges = list(self.exchanges)
        urls, topics = self.opts.urls(), self.opts.topics

        def start() -> None:
            self._listeners.start(urls, topics, exchanges)

        await in_daemon_thread(start, f"osmon-{self.name}-start")

    async def _wait_for_stop_or_reload(self) -> None:
        waits = [asyncio.ensure_future(e.wait()) for e in (self._stop, self._reload)]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def stop(self) -> None:
        self._stop.set()
        if self._loop is not None:
            await self._done.wait()

    def reload(self, ctx: Context) -> None:
        """SIGHUP: follow the inventory's exchanges (unless ``exchanges`` is configured).

        The listeners are rebound when the set changed: in-flight batches settle first, and
        unacked messages stay on the pool's queue for the new listeners. Bindings of exchanges
        no longer listed stay on the queue until it is deleted (RabbitMQ keeps them).
        """
        if self.opts.exchanges is not None:
            return
        exchanges = exchanges_from_inventory(ctx.inventory)
        if sorted(exchanges) != sorted(self.exchanges):
            LOG.info("%s: exchanges now %s (were %s)", self.name, exchanges, self.exchanges)
            self.exchanges = list(exchanges)
            self._reload.set()

    def status(self) -> dict[str, Any]:
        return {
            "transport_urls": [redact_url(u) for u in self.opts.urls()],
            "topics": list(self.opts.topics),
            "exchanges": list(self.exchanges),
            "pool": self.opts.pool,
            "listeners": len(self._listeners.running),
            "rebinds": self.rebinds,
            "received": self.received,
            "accepted": self.accepted,
            "requeued_batches": self.requeued_batches,
            "dead_letters": dict(self.poison.counts),
            "dead_letter_file": str(self.poison.path),
            "last_batch_at": self.last_batch_at,
        }

    def handle(self, priority: str, messages: list[dict[str, Any]]) -> str:
        """Convert, submit, wait for the router; the oslo result for this priority group."""
        records: list[Record] = []
        accepted: list[tuple[str | None, Any]] = []
        retry = False
        self.received += len(messages)
        for message in messages:
            mid = _message_id(message)
            if mid is not None and mid in self._settled:
                self.metrics.duplicates.inc()
                continue
            try:
                conv = self.converter.convert(message, priority)
            except ConversionError as exc:
                self._dead_letter(message, priority, exc.reason, exc.detail, 1, mid)
                continue
            except Exception as exc:
                attempts = self._attempts.incr(mid) if mid is not None else self.opts.max_attempts
                detail = f"{type(exc).__name__}: {exc}"
                if attempts >= self.opts.max_attempts:
                    self._dead_letter(message, priority, "conversion_failed", detail, attempts, mid)
                else:
                    LOG.warning("conversion attempt %d failed: %s", attempts, detail)
                    retry = True
                continue
            records.extend(conv.samples)
            if conv.event is not None:
                records.append(conv.event)
            accepted.append((mid, conv))
        if records and not self._deliver(records):
            return self._requeue()
        now = time.time()
        for mid, conv in accepted:
            event_type = self.metrics.bounded_event_type(conv.event_type)
            self.metrics.notifications.labels(conv.exchange, event_type, priority).inc()
            self.metrics.last_received.labels(conv.exchange).set(now)
            if conv.error:
                self.metrics.errors.labels(conv.service, event_type).inc()
            if retry and mid is not None:
                self._settled.add(mid)
        self.accepted += len(accepted)
        self.last_batch_at = now
        if retry:
            return self._requeue()
        self.metrics.batches.labels("handled").inc()
        return HANDLED

    def _requeue(self) -> str:
        self.requeued_batches += 1
        self.metrics.batches.labels("requeued").inc()
        if self.opts.requeue_delay:
            time.sleep(self.opts.requeue_delay)
        return REQUEUE

    def _deliver(self, records: list[Record]) -> bool:
        loop, submit = self._loop, self._submit
        if loop is None or submit is None or loop.is_closed():
            return False
        outcome: list[bool] = []
        batch = Batch(
            source=self.name,
            records=records,
            on_ack=lambda: outcome.append(True),
            on_nack=lambda: outcome.append(False),
        )

        async def settle() -> None:
            await submit(batch)

        try:
            future = asyncio.run_coroutine_threadsafe(settle(), loop)
        except RuntimeError:
            return False
        while True:
            try:
                future.result(timeout=5.0)
                break
            except concurrent.futures.TimeoutError:
                if loop.is_closed():
                    return False
            except Exception as exc:
                LOG.warning("submit failed: %s: %s", type(exc).__name__, exc)
                return False
        return bool(outcome) and outcome[0]

    def _dead_letter(
        self,
        message: Any,
        priority: str,
        reason: str,
        detail: str,
        attempts: int,
        mid: str | None,
    ) -> None:
        self.poison.write(
            message, priority=priority, reason=reason, detail=detail, attempts=attempts
        )
        self.metrics.dead_letters.labels(reason).inc()
        if mid is not None:
            self._settled.add(mid)
            self._attempts.pop(mid)
        LOG.warning("dead-lettered notification (%s): %s", reason, detail[:200])

    def _undecodable(self, body: str | None, detail: str) -> None:
        self.poison.write(body, priority="", reason="undecodable", detail=detail)
        self.metrics.dead_letters.labels("undecodable").inc()


def _message_id(message: Any) -> str | None:
    if not isinstance(message, Mapping):
        return None
    metadata = message.get("metadata")
    mid = metadata.get("message_id") if isinstance(metadata, Mapping) else None
    return mid if isinstance(mid, str) and mid else None
