"""The oslo.messaging side of the ``notifications`` source: batch listeners on oslo's threads.

One listener per transport URL, bound to ``topic.priority`` on every exchange, all feeding the
queue named after the pool, so a Ceilometer beside osmon keeps its own copy and several osmon
daemons compete on the same queue. Starting and stopping run on daemon threads: a thread that
touched oslo.messaging/kombu may not finish cleanly at interpreter exit.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from osmon.notifications.oslo import oslo_messaging
from osmon.redact import redact_url

LOG = logging.getLogger(__name__)

PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")

Handler = Callable[[str, list[dict[str, Any]]], str]


class _Endpoint:
    """oslo batch endpoint: one method per priority, each receiving a list of message dicts."""

    def __init__(self, handler: Handler) -> None:
        for priority in PRIORITIES:
            setattr(self, priority, self._bind(handler, priority))

    @staticmethod
    def _bind(handler: Handler, priority: str) -> Any:
        def handle(messages: list[dict[str, Any]]) -> str:
            return handler(priority, messages)

        return handle


class Listeners:
    """The running oslo listeners of one source; ``start``/``stop`` block (call them through
    ``in_daemon_thread``)."""

    def __init__(
        self,
        handler: Handler,
        *,
        pool: str,
        batch_size: int,
        batch_timeout: float,
        prefetch: int,
        executor_threads: int,
        on_change: Callable[[int], None] = lambda delta: None,
    ) -> None:
        self.handler = handler
        self.pool = pool
        self.batch_size = batch_size
        self.batch_timeout = batch_timeout
        self.prefetch = prefetch
        self.executor_threads = executor_threads
        self.on_change = on_change
        self.running: list[tuple[Any, Any]] = []

    def start(self, urls: Sequence[str], topics: Sequence[str], exchanges: Sequence[str]) -> None:
        om = oslo_messaging()
        from oslo_config import cfg

        targets = [
            om.Target(topic=topic, exchange=exchange) for topic in topics for exchange in exchanges
        ]
        for url in urls:
            conf = cfg.ConfigOpts()
            conf([], project="osmon", default_config_files=[])
            transport = om.get_notification_transport(conf, url=url)
            conf.set_override("rabbit_qos_prefetch_count", self.prefetch, "oslo_messaging_rabbit")
            listener = om.get_batch_notification_listener(
                transport,
                targets,
                [_Endpoint(self.handler)],
                executor="threading",
                batch_size=self.batch_size,
                batch_timeout=self.batch_timeout,
                pool=self.pool,
                allow_requeue=True,  # oslo's default (False) acks a REQUEUE: the batch is lost
            )
            conf.set_override("executor_thread_pool_size", self.executor_threads)
            listener.start()
            self.running.append((listener, transport))
            self.on_change(1)
            LOG.info("notification listener on %s (pool %s)", redact_url(url), self.pool)

    def stop(self) -> None:
        """Stop consuming, wait for the batches in flight, close the connections."""
        for listener, _ in self.running:
            listener.stop()
        for listener, transport in self.running:
            listener.wait()
            transport.cleanup()
            self.on_change(-1)
        self.running.clear()


async def in_daemon_thread(fn: Callable[[], None], name: str) -> None:
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
