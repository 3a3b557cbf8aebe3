"""The ``probes`` source: the inventory's probes on a schedule, results to the router and the
latest state.

Every result goes two ways: into the latest state (``ctx.latest``, read by ``/v1/probes`` and the
Nagios side; flushed every ``flush_interval`` and at shutdown) and, as samples, to the router
through a bounded queue that never blocks the scheduler. With ``coordination.backend_url`` set
in the daemon config, the targets are shared with the other daemons of the group through
``osmon.probes.coordination.build_partition``. Without it this daemon probes every target; so
it does, saying why in ``/status``, when that partition cannot be built (for good) or started
(until a retry, every ``partition_retry`` seconds, starts it).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter

from osmon.checks.latest import CheckState, LatestState
from osmon.inventory import Probe, expand
from osmon.probes.base import ProbeContext
from osmon.probes.partition import Everything, Partition
from osmon.probes.runner import run_probe
from osmon.probes.scheduler import ProbeScheduler
from osmon.redact import has_password, redact_url
from osmon.selfmetrics import shared
from osmon.sources.base import Submit
from osmon.sources.probes.config import ProbesOptions
from osmon.sources.probes.kinds import KindResolver, is_local, select
from osmon.sources.probes.publish import Publisher, check_state, samples
from osmon.sources.probes.routes import Route, probe_routes

if TYPE_CHECKING:
    from osmon.components import Context
    from osmon.config import CoordinationOptions
    from osmon.inventory import Inventory

__all__ = ["ProbesSource"]

log = logging.getLogger(__name__)

PUBLISH_GRACE = 2.0
"""Seconds a batch being handed to the router at shutdown may take before it is cancelled."""


class ProbesMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.results = Counter(
            "osmon_probe_results",
            "Probe results by kind and state",
            ["kind", "state"],
            registry=registry,
        )
        self.dropped = Counter(
            "osmon_probe_results_dropped",
            "Probe results not handed to the router: its queue was full (latest state kept them)",
            registry=registry,
        )


class ProbesSource:
    """Probes of the inventory, scheduled. Enabled by::

    sources:
      probes: {type: probes}
    coordination:               # optional: share the targets between daemons
      backend_url_env: OSMON_COORDINATION_URL    # or backend_url: redis://127.0.0.1:6379
      group: osmon-probes
    """

    def __init__(self, name: str, opts: ProbesOptions, ctx: Context) -> None:
        self.name = name
        self.opts = opts
        self.hostname = str(ctx.extra.get("hostname") or socket.gethostname())
        self.coordination: CoordinationOptions | None = ctx.extra.get("coordination")
        member = self.coordination.member_id if self.coordination else None
        self.owner = member or self.hostname
        self.latest = ctx.latest if ctx.latest is not None else LatestState()
        # Called with every new result (the daemon's Nagios passive feed); must not block.
        self.listeners: list[Callable[[CheckState], None]] = ctx.extra.get("probe_listeners", [])
        self.registry = ctx.registry
        self.metrics = shared(ctx.registry, ProbesMetrics)
        self.kinds = KindResolver()
        self.publisher = Publisher(name, opts.queue_results, opts.batch_results)
        self._targets: list[Probe] = []
        self._inventory_auth: Any = None
        self._probe_ctx = ProbeContext(self.hostname)
        self._scheduler: ProbeScheduler | None = None
        self._partition_error: str | None = None
        self._joining: Partition | None = None
        self._stopping = asyncio.Event()
        self._closing: set[asyncio.Task[None]] = set()
        self.last_error: str | None = None
        self._follow(ctx.inventory)

    def _follow(self, inventory: Inventory) -> None:
        self._targets = select(expand(inventory).probes, self.hostname)
        dropped = self.latest.retain(p.id for p in self._targets)
        if dropped:
            log.info(
                "%s: forgot the latest state of %d targets gone from the inventory",
                self.name,
                dropped,
            )
        auth = inventory.auth
        if auth != self._inventory_auth:
            old, self._probe_ctx = self._probe_ctx, ProbeContext(self.hostname, auth)
            self._inventory_auth = auth
            self._close_later(old)

    def _close_later(self, old: ProbeContext) -> None:
        """Close the sessions of a replaced context once the runs using it are over."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not running yet: nothing was opened
        delay = max((p.timeout for p in self._targets), default=0.0) + 1.0

        def close() -> None:
            task = loop.create_task(old.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

        loop.call_later(delay, close)

    async def run(self, submit: Submit) -> None:
        partition = await self._start_partition()
        scheduler = ProbeScheduler(
            self._execute,
            partition,
            concurrency=self.opts.concurrency,
            pinned=is_local,
            registry=self.registry,
        )
        scheduler.sync(self._targets)
        scheduler.start()
        self._scheduler = scheduler
        log.info(
            "%s: %d probe targets scheduled (owner %s, partition %s)",
            self.name,
            len(self._targets),
            self.owner,
            partition.status().get("mode", "?"),
        )
        publishing = asyncio.create_task(self.publisher.run(submit), name=f"{self.name}-publish")
        background = [asyncio.create_task(self._flush_every(), name=f"{self.name}-flush")]
        if self._joining is not None:
            background.append(asyncio.create_task(self._join_later(scheduler)))
        try:
            await self._stopping.wait()
        finally:
            await scheduler.shutdown()
            self.publisher.close()
            for task in background:
                task.cancel()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(publishing, PUBLISH_GRACE)
            await asyncio.gather(*background, return_exceptions=True)
            try:
                await scheduler.partition.stop()
            except Exception as exc:
                log.warning("%s: leaving the coordination group: %s", self.name, exc)
            await self._probe_ctx.close()
            self._flush()

    async def stop(self) -> None:
        self._stopping.set()

    def reload(self, ctx: Context) -> None:
        self._follow(ctx.inventory)
        if self._scheduler is not None:
            changes = self._scheduler.sync(self._targets)
            log.info(
                "%s: %d targets added, %d removed, %d updated",
                self.name,
                len(changes.added),
                len(changes.removed),
                len(changes.updated),
            )

    def routes(self) -> list[Route]:
        """HTTP routes the daemon mounts on its listener."""
        return probe_routes(self.latest)

    def status(self) -> dict[str, Any]:
        sched = self._scheduler.status() if self._scheduler else {}
        partition = sched.pop("partition", {"mode": "not started"})
        if self._partition_error:
            partition = {**partition, "error": self._partition_error}
        if self._joining is not None:
            partition = {**partition, "retrying": True}
        return {
            "type": "probes",
            "owner": self.owner,
            "targets": len(self._targets),
            "running": sched.get("running", 0),
            "skipped": sched.get("skipped", 0),
            "states": self.latest.counts(),
            "scheduler": sched,
            "partition": partition,
            "queue": self.publisher.status(),
            "last_error": self.last_error,
        }

    async def _execute(self, probe: Probe) -> None:
        result = await run_probe(probe, self.kinds(probe.type), self._probe_ctx)
        if self._scheduler is not None and not self._scheduler.scheduled(probe.id):
            return  # removed from the inventory while it ran
        state = check_state(result, probe, self.owner)
        self.latest.put(state)
        for listener in self.listeners:
            try:
                listener(state)
            except Exception:
                log.exception("%s: a result listener failed", self.name)
        self.metrics.results.labels(probe.type, result.state.name).inc()
        if not self.publisher.offer(samples(result, probe)):
            self.metrics.dropped.inc()

    async def _start_partition(self) -> Partition:
        coord = self.coordination
        url = coord.url() if coord else None
        if coord is None or not url:
            return Everything()
        if coord.backend_url and has_password(coord.backend_url):
            log.warning(
                "%s: coordination.backend_url holds a password; name an environment "
                "variable in backend_url_env instead",
                self.name,
            )
        try:
            # Imported only when configured: tooz and its backend's client load with it.
            module = importlib.import_module("osmon.probes.coordination")
            options = {**coord.options(), "registry": self.registry}
            partition: Partition = module.build_partition(url, self.owner, coord.group, options)
        except Exception as exc:  # a configuration error: no retry
            return self._unpartitioned(url, exc)
        try:
            await partition.start()
        except Exception as exc:
            self._joining = partition  # tried again every partition_retry seconds
            return self._unpartitioned(url, exc)
        return partition

    def _unpartitioned(self, url: str, exc: Exception) -> Partition:
        self._partition_error = redact_url(f"{type(exc).__name__}: {exc}")
        log.error(
            "%s: coordination at %s unavailable, probing every target: %s",
            self.name,
            redact_url(url),
            self._partition_error,
        )
        return Everything()

    async def _join_later(self, scheduler: ProbeScheduler) -> None:
        """Start the partition that failed to start; once it has, the scheduler uses it."""
        while self._joining is not None:
            await asyncio.sleep(self.opts.partition_retry)
            try:
                await self._joining.start()
            except Exception as exc:
                self._partition_error = redact_url(f"{type(exc).__name__}: {exc}")
                continue
            scheduler.partition, self._joining = self._joining, None
            self._partition_error = None
            log.info("%s: joined the coordination group: sharing the targets", self.name)

    async def _flush_every(self) -> None:
        while True:
            await asyncio.sleep(self.opts.flush_interval)
            if self.latest.dirty:
                await asyncio.to_thread(self._flush)

    def _flush(self) -> None:
        try:
            self.latest.flush()
        except OSError as exc:
            self.last_error = f"latest state not written: {exc}"
            log.warning("%s: %s", self.name, self.last_error)
