"""The scheduler: skip-not-stack, the reload diff, the partition at run time, the grid, bounds.

Intervals are short so that runs come quickly; the tests wait (bounded) for counts, and never
assert how long anything took.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from osmon.inventory import Probe
from osmon.probes.scheduler import ProbeScheduler, first_run
from tests.unit.probes.targets import target
from tests.unit.waiting import until


class Recorder:
    """An execute function that records runs and blocks until released (when ``hold``)."""

    def __init__(self, hold: bool = False) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.concurrent = 0
        self.max_concurrent = 0
        self.release = asyncio.Event()
        if not hold:
            self.release.set()

    async def __call__(self, probe: Probe) -> None:
        self.started.append(probe.id)
        self.concurrent += 1
        self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            await self.release.wait()
        finally:
            self.concurrent -= 1
        self.finished.append(probe.id)


class Owning:
    """A partition that owns the ids in ``owned`` (changed by the test at will)."""

    def __init__(self, owned: set[str]) -> None:
        self.owned = owned
        self.calls = 0

    async def start(self) -> None:
        return None

    def owns(self, target_id: str) -> bool:
        self.calls += 1
        return target_id in self.owned

    async def stop(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {"mode": "test", "owned": len(self.owned)}


async def test_a_run_still_going_is_skipped_and_counted_never_stacked() -> None:
    rec = Recorder(hold=True)
    registry = CollectorRegistry()
    sched = ProbeScheduler(rec, registry=registry)
    sched.sync([target("slow/api@h1", interval=0.1)])
    sched.start()
    try:
        await until("three skipped runs", lambda: sched.skipped["running"] >= 3)
        assert rec.started == ["slow/api@h1"] and rec.max_concurrent == 1
        assert sched.status()["running"] == 1
        skipped = registry.get_sample_value(
            "osmon_probe_skipped_total", {"kind": "http", "reason": "running"}
        )
        assert skipped is not None and skipped >= 3
        rec.release.set()
        await until("runs resume once released", lambda: len(rec.finished) >= 3)
        assert rec.max_concurrent == 1
    finally:
        await sched.shutdown()


async def test_shutdown_cancels_runs_in_progress_quietly(caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder(hold=True)
    sched = ProbeScheduler(rec, concurrency=2)
    sched.sync([target(f"s{i}/api@h1", interval=0.1) for i in range(4)])
    sched.start()
    await until("four runs in progress", lambda: sched.running == 4)
    with caplog.at_level(logging.WARNING):
        await sched.shutdown()
        await asyncio.sleep(0.3)  # what the executor would log happens after the shutdown call
    assert rec.finished == [] and rec.concurrent == 0 and sched.running == 0
    assert [r.getMessage() for r in caplog.records] == []


async def test_sync_adds_removes_and_reschedules_by_id() -> None:
    rec = Recorder()
    sched = ProbeScheduler(rec)
    a, b, c = target("a/api@h1"), target("b/api@h1"), target("c/api@h1")
    assert sched.sync([a, b]).added == ("a/api@h1", "b/api@h1")
    sched.start()
    try:
        jobs = {j.id: j for j in sched._aps.get_jobs()}
        assert set(jobs) == {"a/api@h1", "b/api@h1"}
        b_job_before = jobs["b/api@h1"]
        changes = sched.sync([target("b/api@h1", interval=120.0, timeout=3.0), c])
        assert changes.added == ("c/api@h1",)
        assert changes.removed == ("a/api@h1",)
        assert changes.updated == ("b/api@h1",)
        jobs = {j.id: j for j in sched._aps.get_jobs()}
        assert set(jobs) == {"b/api@h1", "c/api@h1"}
        assert jobs["b/api@h1"].trigger.interval.total_seconds() == 120.0
        assert b_job_before.id == jobs["b/api@h1"].id
        # an unchanged list changes nothing
        same = sched.sync([target("b/api@h1", interval=120.0, timeout=3.0), c])
        assert same.added == same.removed == same.updated == ()
        assert sched.status()["targets"] == 2
    finally:
        await sched.shutdown()


async def test_a_threshold_change_is_read_by_the_next_run_without_rescheduling() -> None:
    seen: list[float] = []

    async def execute(probe: Probe) -> None:
        seen.append(probe.timeout)

    sched = ProbeScheduler(execute)
    sched.sync([target("a/api@h1", interval=0.1, timeout=1.0)])
    sched.start()
    try:
        await until("a first run", lambda: seen != [])
        job = sched._aps.get_job("a/api@h1")
        sched.sync([target("a/api@h1", interval=0.1, timeout=2.0)])
        assert sched._aps.get_job("a/api@h1").next_run_time == job.next_run_time
        await until("a run with the new timeout", lambda: 2.0 in seen)
    finally:
        await sched.shutdown()


async def test_the_partition_is_asked_at_run_time_and_pinned_targets_always_run() -> None:
    rec = Recorder()
    part = Owning(set())
    sched = ProbeScheduler(rec, part, pinned=lambda p: p.type == "process")
    sched.sync(
        [
            target("shared/api@h1", interval=0.1),
            target("nova/process@h1", interval=0.1, type="process"),
        ]
    )
    sched.start()
    try:
        await until(
            "the pinned target ran twice", lambda: rec.finished.count("nova/process@h1") >= 2
        )
        assert "shared/api@h1" not in rec.started and sched.not_owned >= 1
        part.owned.add("shared/api@h1")  # the ring changed: no rescheduling needed
        await until("the newly owned target ran", lambda: "shared/api@h1" in rec.finished)
        part.owned.clear()
        before = rec.started.count("shared/api@h1")
        not_owned = sched.not_owned
        await until("two more runs refused", lambda: sched.not_owned >= not_owned + 2)
        assert rec.started.count("shared/api@h1") == before
        assert sched.status()["partition"] == {"mode": "test", "owned": 0}
    finally:
        await sched.shutdown()


async def test_a_failing_partition_probes_rather_than_misses() -> None:
    class Broken(Owning):
        def owns(self, target_id: str) -> bool:
            raise RuntimeError("ring unavailable")

    rec = Recorder()
    sched = ProbeScheduler(rec, Broken(set()))
    sched.sync([target("a/api@h1", interval=0.1)])
    sched.start()
    try:
        await until("a run despite the partition error", lambda: rec.finished != [])
    finally:
        await sched.shutdown()


async def test_concurrency_is_bounded_and_waiting_runs_count_as_running() -> None:
    rec = Recorder(hold=True)
    sched = ProbeScheduler(rec, concurrency=2)
    sched.sync([target(f"s{i}/api@h1", interval=0.1) for i in range(5)])
    sched.start()
    try:
        await until("five runs in progress", lambda: sched.running == 5)
        assert len(rec.started) == 2 and rec.max_concurrent == 2
        rec.release.set()
        await until(
            "every target ran", lambda: set(rec.finished) >= {f"s{i}/api@h1" for i in range(5)}
        )
        assert rec.max_concurrent == 2
    finally:
        await sched.shutdown()


async def test_an_execute_bug_does_not_end_the_job() -> None:
    calls: list[str] = []

    async def execute(probe: Probe) -> None:
        calls.append(probe.id)
        raise ValueError("bug")

    sched = ProbeScheduler(execute)
    sched.sync([target("a/api@h1", interval=0.1)])
    sched.start()
    try:
        await until("three runs", lambda: len(calls) >= 3)
        assert sched.running == 0
    finally:
        await sched.shutdown()


def test_first_runs_sit_on_a_grid_the_same_for_every_daemon() -> None:
    for tid in ("keystone/api@ctl1", "nova-api/api@ctl2", "rabbitmq/amqp@ctl3"):
        for interval in (10.0, 30.0, 0.5):
            a = first_run(tid, interval, 1_000_000.0)
            b = first_run(tid, interval, 1_000_123.4)
            assert 1_000_000.0 <= a < 1_000_000.0 + interval
            assert 1_000_123.4 <= b < 1_000_123.4 + interval
            k = (b - a) / interval
            assert abs(k - round(k)) < 1e-6  # same phase, whoever computes it and when


def test_first_runs_of_many_targets_spread_over_the_interval() -> None:
    offsets = [first_run(f"svc{i}/api@h{i}", 10.0, 0.0) for i in range(1000)]
    per_second = [sum(1 for o in offsets if s <= o < s + 1) for s in range(10)]
    assert min(per_second) > 50 and max(per_second) < 150
