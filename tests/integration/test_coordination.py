"""Probe targets shared by daemons through tooz on the stack's real Redis (a namespace and a
group per test), and on a private redis-server for the outage test (the shared one is never
stopped). 1,000 target ids; "covered exactly once" means 0 duplicates and 0 gaps across the
members' ``owns()``.

The "within two intervals" bounds use ``PROBE_INTERVAL``; the measured times are printed (and
recorded as test properties) — the figures live in bench/README.md.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from prometheus_client import CollectorRegistry
from tooz import coordination

from osmon.probes.coordination import ToozPartition, build_partition
from tests.integration.coordination_member import target_ids
from tests.integration.pipeline import free_port

REPO = Path(__file__).resolve().parents[2]
PROBE_INTERVAL = 10.0
POLL = 0.5
IDS = target_ids(1000)


def split(owned: list[set[str]]) -> tuple[int, int]:
    """(duplicates, gaps) of the members' owned sets over IDS."""
    union = set().union(*owned)
    return sum(map(len, owned)) - len(union), len(IDS) - len(union)


def owned_by(part: ToozPartition) -> set[str]:
    return {t for t in IDS if part.owns(t)}


async def until(cond: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until ``cond()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


def converged(parts: list[ToozPartition], extra: list[set[str]] | None = None) -> bool:
    """Every member shares, all see the same members, and IDS are covered exactly once."""
    statuses = [p.status() for p in parts]
    size = len(parts) + (len(extra) if extra else 0)
    if any(s["mode"] != "sharing" or len(s["members"]) != size for s in statuses):
        return False
    if len({tuple(s["members"]) for s in statuses}) != 1:
        return False
    return split([*map(owned_by, parts), *(extra or [])]) == (0, 0)


@pytest.fixture
async def members(redis_url: str) -> AsyncIterator[Callable[..., ToozPartition]]:
    """make(name, url=redis_url, registry=None): a partition in this test's group, stopped
    at teardown."""
    group = f"probes-{uuid.uuid4().hex[:8]}"
    made: list[ToozPartition] = []

    def make(
        name: str, url: str = redis_url, registry: CollectorRegistry | None = None
    ) -> ToozPartition:
        part = build_partition(url, name, group, {"poll": POLL}, registry=registry)
        made.append(part)
        return part

    yield make
    await asyncio.gather(*(p.stop() for p in made))


async def test_three_members_cover_every_target_exactly_once(
    members: Callable[..., ToozPartition],
) -> None:
    parts = [members(f"m{i}") for i in range(3)]
    await asyncio.gather(*(p.start() for p in parts))  # the same instant: the tooz trap
    await until(lambda: converged(parts), 2 * PROBE_INTERVAL, "three members converge")
    for _ in range(10):  # every poll after convergence
        await asyncio.sleep(POLL)
        owned = [owned_by(p) for p in parts]
        assert split(owned) == (0, 0)
        assert all(owned), "a member owns nothing"
        assert len({tuple(p.status()["members"]) for p in parts}) == 1


async def test_members_started_at_the_same_instant_agree_every_time(
    members: Callable[..., ToozPartition],
) -> None:
    """Five rounds of three members joining at once (COMPONENTS §12: 7 of 30 tooz rings kept
    disagreeing): each round converges, and stays converged for a few polls."""
    for round_ in range(5):
        parts = [members(f"r{round_}m{i}") for i in range(3)]
        await asyncio.gather(*(p.start() for p in parts))
        await until(lambda p=parts: converged(p), 2 * PROBE_INTERVAL, f"round {round_}")
        for _ in range(3):
            await asyncio.sleep(POLL)
            assert converged(parts)
        await asyncio.gather(*(p.stop() for p in parts))


async def test_a_member_tooz_watchers_miss_is_in_every_ring_at_the_next_poll(
    redis_url: str,
) -> None:
    """The trap, forced: a member joins between tooz's ``Partitioner`` ring snapshot and its
    watcher registration. tooz's ring never learns about it (the watchers' cache already holds
    it, so no join event fires); the partition here reads the live members on every poll."""
    group = f"trap-{uuid.uuid4().hex[:8]}"
    opts = {"membership_timeout": "3", "lock_timeout": "1"}
    a = coordination.get_coordinator(redis_url, b"raw-a", None, **opts)
    q = coordination.get_coordinator(redis_url, b"raw-q", None, **opts)
    a.start(start_heart=True)
    q.start(start_heart=True)
    ours = build_partition(redis_url, "ours", group, {"poll": POLL})
    try:
        watch = a.watch_join_group

        def join_in_between(group_id: bytes, callback: Any) -> None:
            q.join_group(group_id).get()
            watch(group_id, callback)

        a.watch_join_group = join_in_between  # type: ignore[method-assign]
        tooz_partitioner = a.join_partitioned_group(group.encode())
        for _ in range(3):
            a.run_watchers()
            await asyncio.sleep(POLL)
        assert set(a.get_members(group.encode()).get()) == {b"raw-a", b"raw-q"}
        assert set(tooz_partitioner.ring.nodes) == {b"raw-a"}, "tooz's trap did not trigger"

        await ours.start()
        await ours.poll()
        assert set(ours.status()["members"]) == {"raw-a", "raw-q", ours.member}
    finally:
        await ours.stop()
        a.stop()
        q.stop()


async def test_a_member_that_stops_is_absorbed_at_the_next_poll(
    members: Callable[..., ToozPartition], record_property: Callable[[str, Any], None]
) -> None:
    parts = [members(f"m{i}") for i in range(3)]
    await asyncio.gather(*(p.start() for p in parts))
    await until(lambda: converged(parts), 2 * PROBE_INTERVAL, "three members converge")
    started = time.monotonic()
    assert parts[2].status()["member"] in parts[0].status()["members"]
    await parts[2].stop()  # tooz's own stop() takes ~1 s
    # it left the group: the members read right after stop() lack it while its last heartbeat
    # is younger than membership_timeout, so the leave did it, not the expiry
    await parts[0].poll()
    assert parts[2].status()["member"] not in parts[0].status()["members"]
    await until(
        lambda: converged(parts[:2]), 2 * PROBE_INTERVAL, "two survivors cover every target"
    )
    took = time.monotonic() - started
    assert owned_by(parts[2]) == set()
    record_property("absorbed_after_stop_seconds", round(took, 3))
    print(f"clean stop absorbed in {took:.2f}s")


async def test_a_member_killed_with_9_is_absorbed_within_two_intervals(
    redis_url: str,
    members: Callable[..., ToozPartition],
    tmp_path: Path,
    record_property: Callable[[str, Any], None],
) -> None:
    """The third member is a process killed with -9: it never leaves, its heartbeat key
    expires (membership_timeout 3 s) and the survivors' next poll drops it."""
    parts = [members(f"m{i}") for i in range(2)]
    await asyncio.gather(*(p.start() for p in parts))
    out = tmp_path / "m3.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.coordination_member", redis_url,
         parts[0].group, "m3", str(out), str(len(IDS)), str(POLL)],
        cwd=REPO,
    )  # fmt: skip
    try:

        def with_killed() -> bool:
            if not out.exists():
                return False
            doc = json.loads(out.read_text())
            if doc["mode"] != "sharing" or doc["members"] != parts[0].status()["members"]:
                return False
            return converged(parts, [{IDS[i] for i in doc["owned"]}])

        await until(with_killed, 2 * PROBE_INTERVAL, "three members (one a process) converge")
    finally:
        proc.kill()
        proc.wait(10)
    took = await until(lambda: converged(parts), 2 * PROBE_INTERVAL, "survivors cover every target")
    record_property("absorbed_after_kill9_seconds", round(took, 3))
    print(f"kill -9 absorbed in {took:.2f}s")


class PrivateRedis:
    """A redis-server of this test's own on a free port, so it can be stopped and restarted."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/?namespace=osmon-private"

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        with (self.base / "redis.log").open("ab") as log:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.base)],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"private redis-server not ready: {self.base}") from None
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


async def test_redis_down_is_safe_mode_and_sharing_resumes_when_it_returns(
    private_redis: PrivateRedis, members: Callable[..., ToozPartition]
) -> None:
    registries = [CollectorRegistry() for _ in range(3)]
    parts = [members(f"m{i}", url=private_redis.url, registry=r) for i, r in enumerate(registries)]
    await asyncio.gather(*(p.start() for p in parts))
    await until(lambda: converged(parts), 2 * PROBE_INTERVAL, "three members converge")
    assert [r.get_sample_value("osmon_coordination_members") for r in registries] == [3.0] * 3

    private_redis.stop()
    await until(
        lambda: all(p.status()["safe_mode"] for p in parts), 2 * PROBE_INTERVAL, "safe mode"
    )
    assert [len(owned_by(p)) for p in parts] == [len(IDS)] * 3  # everything, everywhere
    for part, registry in zip(parts, registries, strict=True):
        assert part.status()["mode"] == "safe"
        assert part.status()["last_error"]
        assert registry.get_sample_value("osmon_coordination_safe_mode") == 1.0
        assert registry.get_sample_value("osmon_coordination_members") == 0.0

    late = members("late", url=private_redis.url)  # a daemon starting during the outage
    await late.start()
    assert late.status()["mode"] == "safe" and len(owned_by(late)) == len(IDS)

    private_redis.start()  # same port, empty: the group and the members are gone
    await until(lambda: converged([*parts, late]), 2 * PROBE_INTERVAL, "sharing again")
    for registry in registries:
        assert registry.get_sample_value("osmon_coordination_safe_mode") == 0.0
        assert registry.get_sample_value("osmon_coordination_members") == 4.0
