"""The probe scheduler: one APScheduler interval job per target, on the daemon's event loop.

Invariants:
- a target never has two runs at once: a run still going when the next is due is skipped and
  counted (``max_instances=1``, ``EVENT_JOB_MAX_INSTANCES``), never stacked; runs missed while
  the loop was busy are coalesced into one;
- every run is a task on the loop (no thread per probe), and at most ``concurrency`` probes run
  at once; a run waiting for a slot still counts as running, so a saturated daemon skips rather
  than queues;
- each target fires on a fixed grid: ``t ≡ offset (mod interval)`` in epoch seconds, the offset
  a hash of the target id. First runs of thousands of targets are spread over the interval, and
  every daemon (or a restarted one) puts a target on the same grid, so when a target moves to
  another daemon it is not probed twice in one interval;
- the partition is asked at run time, so a ring change applies at each target's next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry, Counter, Gauge

from osmon.inventory import Probe
from osmon.probes.partition import Everything, Partition
from osmon.selfmetrics import shared

__all__ = ["Changes", "ProbeScheduler", "first_run"]

log = logging.getLogger(__name__)

# APScheduler logs every job run at INFO and every skipped run at WARNING: thousands of lines per
# interval. Skips are counted instead; its errors still get through.
_APS_LOG = log.getChild("apscheduler")
if _APS_LOG.level == logging.NOTSET:
    _APS_LOG.setLevel(logging.ERROR)
_APS_EXECUTOR_LOG = logging.getLogger("apscheduler.executors.default")
if _APS_EXECUTOR_LOG.level == logging.NOTSET:
    _APS_EXECUTOR_LOG.setLevel(logging.WARNING)

Execute = Callable[[Probe], Awaitable[None]]


class SchedulerMetrics:
    """The scheduler's own series, one holder per registry (``selfmetrics.shared``)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.targets = Gauge("osmon_probe_targets", "Probe targets scheduled", registry=registry)
        self.running = Gauge(
            "osmon_probe_running",
            "Probe runs in progress, including those waiting for a concurrency slot",
            registry=registry,
        )
        self.skipped = Counter(
            "osmon_probe_skipped",
            "Probe runs not started: the previous run was still going (running) or the run "
            "started later than its grace time (late)",
            ["kind", "reason"],
            registry=registry,
        )


@dataclass(frozen=True, slots=True)
class Changes:
    """What a ``sync`` did, by target id."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()


def _offset(target_id: str, interval: float) -> float:
    digest = hashlib.blake2b(target_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * interval


def first_run(target_id: str, interval: float, now: float) -> float:
    """The first time ≥ ``now`` on the target's grid ``offset + k * interval`` (epoch s)."""
    offset = _offset(target_id, interval)
    return offset + math.ceil((now - offset) / interval) * interval


class ProbeScheduler:
    """Runs ``execute(target)`` for every target at its interval; see the module docstring.

    ``pinned(target)`` marks targets that run here whatever the partition says (a process check
    runs on its own host). ``sync`` adds, removes and updates jobs by diffing target ids.
    """

    def __init__(
        self,
        execute: Execute,
        partition: Partition | None = None,
        *,
        concurrency: int = 256,
        pinned: Callable[[Probe], bool] = lambda _: False,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._execute = execute
        self.partition: Partition = partition or Everything()
        self._pinned = pinned
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._targets: dict[str, Probe] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._metrics = shared(registry or CollectorRegistry(), SchedulerMetrics)
        self._aps = AsyncIOScheduler(timezone=UTC, logger=_APS_LOG)
        self._aps.add_listener(self._on_skip, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        self._started = False
        self._stopped = False
        self.running = 0
        self.runs = 0
        self.not_owned = 0
        self.skipped: Tally[str] = Tally()

    @property
    def targets(self) -> dict[str, Probe]:
        return dict(self._targets)

    def scheduled(self, target_id: str) -> bool:
        return target_id in self._targets

    def start(self) -> None:
        """Schedule every target and start; call on the running event loop."""
        for probe in self._targets.values():
            self._add(probe)
        self._aps.start()
        self._started = True

    def sync(self, targets: Iterable[Probe]) -> Changes:
        """Follow a new target list: jobs for new ids, none for gone ids, new intervals applied;
        other changes (thresholds, URL …) are read by the next run."""
        new = {p.id: p for p in targets}
        old = self._targets
        added = sorted(new.keys() - old.keys())
        removed = sorted(old.keys() - new.keys())
        updated = sorted(i for i in new.keys() & old.keys() if new[i] != old[i])
        self._targets = new
        self._metrics.targets.set(len(new))
        if self._started and not self._stopped:
            for target_id in removed:
                with contextlib.suppress(JobLookupError):
                    self._aps.remove_job(target_id)
            for target_id in added:
                self._add(new[target_id])
            for target_id in updated:
                if new[target_id].interval != old[target_id].interval:
                    self._aps.reschedule_job(target_id, trigger=self._trigger(new[target_id]))
        return Changes(tuple(added), tuple(removed), tuple(updated))

    async def shutdown(self) -> None:
        """Stop scheduling and cancel the runs in progress (their results are not wanted).

        Quietly: the scheduler is paused first, cancelled runs end without an error, and runs
        already handed to APScheduler's executor see the stop and return before it shuts down
        (it would otherwise cancel them and log each as a failed job)."""
        if self._stopped:
            return
        self._stopped = True
        if self._started:
            self._aps.pause()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _ in range(3):  # submitted runs start, return, and their done-callbacks run
            await asyncio.sleep(0)
        if self._started:
            self._aps.shutdown(wait=False)

    def status(self) -> dict[str, Any]:
        return {
            "targets": len(self._targets),
            "running": self.running,
            "concurrency": self.concurrency,
            "runs": self.runs,
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(self.skipped),
            "not_owned": self.not_owned,
            "partition": self.partition.status(),
        }

    def _trigger(self, probe: Probe) -> IntervalTrigger:
        start = first_run(probe.id, probe.interval, time.time())
        return IntervalTrigger(
            seconds=probe.interval, start_date=datetime.fromtimestamp(start, UTC), timezone=UTC
        )

    def _add(self, probe: Probe) -> None:
        self._aps.add_job(
            self._run,
            self._trigger(probe),
            args=[probe.id],
            id=probe.id,
            name=probe.id,
            max_instances=1,
            coalesce=True,
            # A run that could not start within one interval is dropped: the next is due.
            misfire_grace_time=max(1, math.ceil(probe.interval)),
            replace_existing=True,
        )

    def _owned(self, probe: Probe) -> bool:
        if self._pinned(probe):
            return True
        try:
            return self.partition.owns(probe.id)
        except Exception:  # a broken partition must not stop probing: probe rather than miss
            log.exception("partition.owns(%s) failed; running the probe", probe.id)
            return True

    async def _run(self, target_id: str) -> None:
        probe = self._targets.get(target_id)
        if probe is None or self._stopped:
            return
        if not self._owned(probe):
            self.not_owned += 1
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.running += 1
        self._metrics.running.inc()
        try:
            async with self._slots:
                self.runs += 1
                await self._execute(probe)
        except asyncio.CancelledError:
            if not self._stopped:
                raise
        except Exception:  # execute never raises by contract; a bug must not end the job
            log.exception("probe run of %s failed", target_id)
        finally:
            self.running -= 1
            self._metrics.running.dec()
            if task is not None:
                self._tasks.discard(task)

    def _on_skip(self, event: JobEvent) -> None:
        reason = "running" if event.code == EVENT_JOB_MAX_INSTANCES else "late"
        probe = self._targets.get(event.job_id)
        self.skipped[reason] += 1
        self._metrics.skipped.labels(probe.type if probe else "", reason).inc()
