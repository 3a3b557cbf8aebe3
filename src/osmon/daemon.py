"""Wires config → sinks → router → sources, serves HTTP, and handles signals.

SIGTERM/SIGINT: sources stop producing, batches in flight settle (flushed to sinks or spooled),
then sinks close; the whole shutdown is bounded so a supervisor's 10 s grace is never exceeded.
SIGHUP: the inventory is loaded again and handed to sources that follow it; the router and sinks
keep running, so no record is dropped. An invalid inventory on reload keeps the old one.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Gauge

import osmon
from osmon import sdnotify
from osmon.batch import Batch
from osmon.checks.latest import LatestState
from osmon.components import Context, sink_factory, source_factory
from osmon.config import FORWARD_SINK, DaemonConfig
from osmon.deadletter import DeadLetters
from osmon.http.server import HttpServer
from osmon.inventory import Inventory, InventoryError, load
from osmon.records import Kind
from osmon.retry import RetryPolicy
from osmon.router import Router
from osmon.selfmetrics import SelfMetrics
from osmon.sinks.base import Sink
from osmon.sources.base import Source
from osmon.spool import Spool

log = logging.getLogger(__name__)

SHUTDOWN_BUDGET = 8.0

ALARMS_SOURCE = "alarms"
"""Name of the Aodh webhook receiver among the sources (``/status``, batches)."""


def build_router(
    cfg: DaemonConfig,
    ctx: Context,
    metrics: SelfMetrics,
    spool: Spool,
    kinds: Iterable[Kind] | None = None,
) -> Router:
    """The configured sinks behind a router: the one wiring of the daemon and ``logs ship``.

    Only routed sinks are built; ``kinds`` limits the routes (and so the sinks) to those kinds.
    """
    wanted = set(Kind) if kinds is None else set(kinds)
    enabled = cfg.enabled_sinks()
    names = {n for kind, ns in cfg.routes.items() if kind in wanted for n in ns if n in enabled}
    sinks: dict[str, Sink] = {
        name: sink_factory(c.type)(name, c.options(), ctx)
        for name, c in enabled.items()
        if name in names
    }
    routes: dict[Kind, list[Sink]] = {
        kind: [sinks[n] for n in ns if n in sinks]
        for kind, ns in cfg.routes.items()
        if kind in wanted
    }
    r = cfg.retry
    return Router(
        routes,
        spool,
        DeadLetters(ctx.state_dir / "deadletter"),
        metrics,
        RetryPolicy(r.attempts, r.initial, r.maximum, r.timeout),
    )


def build_forward(cfg: DaemonConfig, ctx: Context, metrics: SelfMetrics, spool: Spool) -> Router:
    """The ``alarms.forward`` hooks (``webhook`` sinks) behind a router of their own, fed only by
    the alarm webhook: a hook that is down spools alarm transitions, not every routed event."""
    hooks = cfg.alarms.forward if cfg.alarms else []
    sinks: list[Sink] = [
        sink_factory("webhook")(FORWARD_SINK.format(index=i), hook.model_dump(), ctx)
        for i, hook in enumerate(hooks)
    ]
    r = cfg.retry
    return Router(
        {Kind.EVENT: sinks} if sinks else {},
        spool,
        DeadLetters(ctx.state_dir / "deadletter"),
        metrics,
        RetryPolicy(r.attempts, r.initial, r.maximum, r.timeout),
    )


class Daemon:
    def __init__(self, cfg: DaemonConfig, inventory: Inventory) -> None:
        self.cfg = cfg
        self.registry = CollectorRegistry()
        self.metrics = SelfMetrics(self.registry)
        self.started_at = time.time()
        state_dir = cfg.state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.ctx = Context(
            inventory=inventory,
            state_dir=state_dir,
            registry=self.registry,
            latest=LatestState(state_dir / "latest-state.json"),
            extra={
                "hostname": cfg.hostname or socket.gethostname(),
                "coordination": cfg.coordination,
            },
        )
        self.spool = Spool(
            state_dir / "spool.db",
            max_bytes=cfg.spool.max_bytes,
            policy=cfg.spool.policy,
            synchronous=cfg.spool.synchronous,
        )
        self.router = build_router(cfg, self.ctx, self.metrics, self.spool)
        self.forward = build_forward(cfg, self.ctx, self.metrics, self.spool)
        self.sources: dict[str, Source] = {
            name: source_factory(c.type)(name, c.options(), self.ctx)
            for name, c in cfg.enabled_sources().items()
        }
        if cfg.alarms is not None:  # the Aodh webhook runs like a source: queue → router
            from osmon.alarms.webhook import build as build_webhook

            if ALARMS_SOURCE in self.sources:
                raise ValueError(f"sources.{ALARMS_SOURCE}: the name is the alarm webhook's")
            self.sources[ALARMS_SOURCE] = build_webhook(ALARMS_SOURCE, cfg.alarms, self.ctx)
        self.http = HttpServer(self.registry, self.status, self.healthy)
        self._ssl = self._tls()  # read now: a bad certificate is a start-up error, not a crash
        for src in self.sources.values():  # a source may serve its own endpoints (/v1/probes)
            for method, path, handler in getattr(src, "routes", list)():
                self.http.add_route(method, path, handler)
        self._stop = asyncio.Event()
        self._reloads = 0
        self._reload_error: str | None = None
        Gauge("osmon_build_info", "osmon version", ["version"], registry=self.registry).labels(
            osmon.__version__
        ).set(1)
        Gauge("osmon_start_time_seconds", "Start time of the daemon", registry=self.registry).set(
            self.started_at
        )

    def healthy(self) -> tuple[bool, str]:
        error = self.router.spool_error or self.forward.spool_error
        if error:
            return False, f"spool: {error}"
        return True, ""

    def status(self) -> dict[str, Any]:
        inv = self.ctx.inventory
        routed = self.router.status()
        return {
            "version": osmon.__version__,
            "uptime_seconds": round(time.time() - self.started_at, 3),
            "hostname": self.ctx.extra["hostname"],
            "inventory": {
                "path": str(self.cfg.inventory),
                "cloud": getattr(inv, "cloud", None) and str(getattr(inv.cloud, "name", inv.cloud)),
                "reloads": self._reloads,
                "reload_error": self._reload_error,
            },
            "sources": {name: src.status() for name, src in self.sources.items()},
            **routed,
            "sinks": {**routed["sinks"], **self.forward.status()["sinks"]},
        }

    def _tls(self) -> ssl.SSLContext | None:
        tls = self.cfg.http.tls
        if tls is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls.cert, tls.key)
        return context

    def request_stop(self) -> None:
        self._stop.set()

    def _sighup(self) -> None:
        sdnotify.reloading()
        try:
            self.reload()
        finally:
            sdnotify.ready()

    def reload(self) -> None:
        try:
            inv = load(self.cfg.inventory)
        except InventoryError as exc:
            self._reload_error = str(exc)
            log.error("inventory reload failed, keeping the previous one:\n%s", exc)
            return
        self.ctx.inventory = inv
        self._reloads += 1
        self._reload_error = None
        for src in self.sources.values():
            src.reload(self.ctx)
        log.info("inventory reloaded from %s", self.cfg.inventory)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, self._sighup)
        await self.http.start(self.cfg.http.listen, self.cfg.http.port, self._ssl)
        log.info("listening on %s", self.http.bound)
        await self.router.start()
        await self.forward.start()
        tasks = [
            asyncio.create_task(self._run_source(name, src), name=f"source-{name}")
            for name, src in self.sources.items()
        ]
        await asyncio.sleep(0)  # every source task has entered its run()
        sdnotify.ready("listening on " + " ".join(f"{h}:{p}" for h, p in self.http.bound))
        try:
            await self._stop.wait()
        finally:
            await self._shutdown(tasks)

    async def _submit_alarms(self, batch: Batch) -> None:
        """Alarm transitions go to the routed sinks and to the forward hooks."""
        if not self.forward.sinks:
            await self.router.submit(batch)
            return
        hooks = Batch(f"{batch.source}-forward", batch.records)
        await asyncio.gather(self.router.submit(batch), self.forward.submit(hooks))

    async def _run_source(self, name: str, src: Source) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                await src.run(self._submit_alarms if name == ALARMS_SOURCE else self.router.submit)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("source %s failed; restarting in %.0fs", name, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)

    async def _shutdown(self, tasks: list[asyncio.Task[None]]) -> None:
        deadline = time.monotonic() + SHUTDOWN_BUDGET
        sdnotify.stopping()
        self.router.drain()
        self.forward.drain()
        # Bounded too: a source blocked in a client library (a broker that cannot be reached)
        # must not hold the process past the budget.
        stops = asyncio.gather(*(s.stop() for s in self.sources.values()), return_exceptions=True)
        await asyncio.wait([stops], timeout=max(0.1, deadline - time.monotonic() - 2.0))
        stops.cancel()
        remaining = max(0.1, deadline - time.monotonic() - 2.0)
        _, pending = await asyncio.wait(tasks, timeout=remaining) if tasks else (set(), set())
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
        await self.router.stop()
        await self.forward.stop()
        if self.ctx.latest is not None:
            self.ctx.latest.flush()
        self.spool.close()
        await self.http.stop()
        log.info("stopped")
