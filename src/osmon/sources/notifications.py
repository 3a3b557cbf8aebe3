"""OpenStack notifications from RabbitMQ through an oslo.messaging batch listener.

One listener per transport URL, bound to ``topic.priority`` on every configured exchange, all
feeding the queue named after the pool (``osmon``), so a Ceilometer beside osmon keeps its own
copy and several osmon daemons compete on the same queue. oslo runs the endpoint on its own
threads; each priority group of a batch is converted, submitted to the router on the daemon's
event loop, and handed back to oslo as HANDLED (ack) only once the router settled it with ack,
REQUEUE otherwise. Poison messages go to a dead-letter file at once and are acked with the batch.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from osmon.batch import Batch
from osmon.components import Context
from osmon.notifications.convert import ConversionError, Converter
from osmon.notifications.exchanges import exchanges_from_inventory
from osmon.notifications.meters import MeterSet, load_definitions
from osmon.notifications.metrics import NotificationMetrics, metrics_for
from osmon.notifications.oslo import oslo_messaging
from osmon.notifications.poison import PoisonFile, UndecodableHandler
from osmon.records import Record
from osmon.sources.base import Submit

LOG = logging.getLogger(__name__)

PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")
HANDLED = "handled"
REQUEUE = "requeue"

_PASSWORD = re.compile(r"(?P<user>(?://|,)[^:@/,]*):(?P<pw>[^@/,]*)@")


def redact_url(url: str) -> str:
    """``rabbit://user:***@h1:5672,user:***@h2:5672/vhost``: no password in logs or status."""
    return _PASSWORD.sub(lambda m: f"{m.group('user')}:***@", url)


class NotificationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transport_urls: list[str] = Field(min_length=1, description="oslo.messaging transport URLs.")
    topics: list[str] = Field(
        default_factory=lambda: ["notifications", "versioned_notifications"], min_length=1
    )
    exchanges: list[str] | None = Field(
        None, description="Control exchanges; default: those of the inventory's services."
    )
    pool: str = Field("osmon", min_length=1, description="Listener pool = queue name.")
    batch_size: int = Field(500, gt=0)
    batch_timeout: float = Field(1.0, gt=0)
    prefetch: int | None = Field(
        None, ge=0, description="AMQP prefetch; default executor_threads x batch_size."
    )
    executor_threads: int = Field(
        8, gt=0, description="Batches handled at once; the sinks merge those in flight."
    )
    max_attempts: int = Field(3, gt=0, description="Conversion attempts before dead-lettering.")
    requeue_delay: float = Field(1.0, ge=0, description="Pause before handing back a requeue.")
    dead_letter: Path | None = Field(None, description="Default: <state_dir>/deadletter/.")
    meter_definitions: list[Path] = Field(
        default_factory=list, description="meters.yaml files replacing the shipped ones."
    )
    max_payload_bytes: int = Field(1024 * 1024, ge=0, description="0 disables the limit.")
    unknown_exchange: Literal["dead_letter", "accept"] = "dead_letter"
    raw_priorities: list[str] = Field(default_factory=lambda: ["error", "critical"])

    @field_validator("transport_urls", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


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


class _Endpoint:
    """oslo batch endpoint: one method per priority, each receiving a list of message dicts."""

    def __init__(self, source: NotificationSource) -> None:
        for priority in PRIORITIES:
            setattr(self, priority, self._bind(source, priority))

    @staticmethod
    def _bind(source: NotificationSource, priority: str) -> Any:
        def handle(messages: list[dict[str, Any]]) -> str:
            return source.handle(priority, messages)

        return handle


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
        self._listeners: list[tuple[Any, Any]] = []
        self._hook = UndecodableHandler(self._undecodable)
        self.received = 0
        self.accepted = 0
        self.requeued_batches = 0
        self.last_batch_at: float | None = None

    # ---- Source protocol -------------------------------------------------------------------
    async def run(self, submit: Submit) -> None:
        self._loop = asyncio.get_running_loop()
        self._submit = submit
        self._hook.install()
        try:
            await _in_daemon_thread(self._start_listeners, f"osmon-{self.name}-start")
            await self._stop.wait()
        finally:
            await _in_daemon_thread(self._stop_listeners, f"osmon-{self.name}-stop")
            self._hook.uninstall()
            self._done.set()

    async def stop(self) -> None:
        self._stop.set()
        if self._loop is not None:
            await self._done.wait()

    def status(self) -> dict[str, Any]:
        return {
            "transport_urls": [redact_url(u) for u in self.opts.transport_urls],
            "topics": list(self.opts.topics),
            "exchanges": list(self.exchanges),
            "pool": self.opts.pool,
            "listeners": len(self._listeners),
            "received": self.received,
            "accepted": self.accepted,
            "requeued_batches": self.requeued_batches,
            "dead_letters": dict(self.poison.counts),
            "dead_letter_file": str(self.poison.path),
            "last_batch_at": self.last_batch_at,
        }

    # ---- oslo side (runs on oslo's executor threads) ------------------------------------------
    def _start_listeners(self) -> None:
        om = oslo_messaging()
        from oslo_config import cfg

        prefetch = (
            self.opts.prefetch
            if self.opts.prefetch is not None
            else self.opts.executor_threads * self.opts.batch_size
        )
        targets = [
            om.Target(topic=topic, exchange=exchange)
            for topic in self.opts.topics
            for exchange in self.exchanges
        ]
        for url in self.opts.transport_urls:
            conf = cfg.ConfigOpts()
            conf([], project="osmon", default_config_files=[])
            transport = om.get_notification_transport(conf, url=url)
            conf.set_override("rabbit_qos_prefetch_count", prefetch, group="oslo_messaging_rabbit")
            listener = om.get_batch_notification_listener(
                transport,
                targets,
                [_Endpoint(self)],
                executor="threading",
                batch_size=self.opts.batch_size,
                batch_timeout=self.opts.batch_timeout,
                pool=self.opts.pool,
                allow_requeue=True,  # oslo's default (False) acks a REQUEUE: the batch is lost
            )
            conf.set_override("executor_thread_pool_size", self.opts.executor_threads)
            listener.start()
            self._listeners.append((listener, transport))
            self.metrics.listeners.inc()
            LOG.info("notification listener on %s (pool %s)", redact_url(url), self.opts.pool)

    def _stop_listeners(self) -> None:
        for listener, _ in self._listeners:
            listener.stop()
        for listener, transport in self._listeners:
            listener.wait()
            transport.cleanup()
            self.metrics.listeners.dec()
        self._listeners.clear()

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
            records.append(conv.event)
            accepted.append((mid, conv))
        if records and not self._deliver(records):
            return self._requeue()
        now = time.time()
        for mid, conv in accepted:
            event_type = self.metrics.bounded_event_type(conv.event.event_type)
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


async def _in_daemon_thread(fn: Callable[[], None], name: str) -> None:
    """Run ``fn`` on a daemon thread: a thread that touched oslo.messaging/kombu may not finish
    cleanly at interpreter exit, and the loop's default executor joins its threads on close."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            loop.call_soon_threadsafe(_settle, done, exc)
        else:
            loop.call_soon_threadsafe(_settle, done, None)

    threading.Thread(target=target, name=name, daemon=True).start()
    await done


def _settle(future: asyncio.Future[None], exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is None:
        future.set_result(None)
    else:
        future.set_exception(exc)


def _message_id(message: Any) -> str | None:
    if not isinstance(message, Mapping):
        return None
    metadata = message.get("metadata")
    mid = metadata.get("message_id") if isinstance(metadata, Mapping) else None
    return mid if isinstance(mid, str) and mid else None


def _meters(paths: Sequence[Path], cache: dict[tuple[Path, ...], MeterSet] = {}) -> MeterSet:  # noqa: B006
    key = tuple(paths)
    if key not in cache:
        cache[key] = load_definitions(paths)
    return cache[key]


def build(name: str, options: Mapping[str, Any], ctx: Context) -> NotificationSource:
    opts = NotificationOptions.model_validate(dict(options))
    exchanges = opts.exchanges or exchanges_from_inventory(ctx.inventory)
    dead_letter = opts.dead_letter or ctx.state_dir / "deadletter" / f"notifications-{name}.jsonl"
    converter = Converter(
        _meters(opts.meter_definitions),
        max_payload_bytes=opts.max_payload_bytes,
        accept_unknown_exchange=opts.unknown_exchange == "accept",
        raw_priorities=opts.raw_priorities,
    )
    return NotificationSource(
        name,
        opts,
        exchanges=exchanges,
        dead_letter=dead_letter,
        converter=converter,
        metrics=metrics_for(ctx.registry),
    )
