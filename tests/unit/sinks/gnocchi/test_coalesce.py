"""Writes that arrive while Gnocchi is busy go out together, each caller keeping its own result."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from osmon.records import Record
from osmon.sinks.base import TransientError, WriteResult
from osmon.sinks.gnocchi.coalesce import WriteCoalescer
from tests.unit.sinks.gnocchi.fakegnocchi import FakeGnocchi, make_sink, vm


class GatedWrites:
    """A write_now that waits for one permit per call and remembers what each call carried."""

    def __init__(self) -> None:
        self.calls: list[list[Record]] = []
        self.permits = asyncio.Semaphore(0)
        self.fail: Exception | None = None

    def allow(self, n: int = 1) -> None:
        for _ in range(n):
            self.permits.release()

    async def __call__(self, records: list[Record]) -> WriteResult:
        self.calls.append(list(records))
        await self.permits.acquire()
        if self.fail is not None:
            raise self.fail
        bad = [i for i, r in enumerate(records) if not math.isfinite(getattr(r, "value", 0.0))]
        return WriteResult(transient=[i for i in bad if i % 2], permanent=[(i, "nan") for i in bad])


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_writes_queued_behind_a_busy_one_are_merged_with_their_own_indices() -> None:
    writes = GatedWrites()
    co = WriteCoalescer(writes)
    rid = str(uuid.uuid4())
    first = asyncio.create_task(co.write([vm(rid, 1.0)]))
    await settle()
    second = asyncio.create_task(co.write([vm(rid, 2.0), vm(rid, math.nan)]))
    third = asyncio.create_task(co.write([vm(rid, math.nan), vm(rid, 3.0)]))
    await settle()
    writes.allow(2)
    r1, r2, r3 = await asyncio.gather(first, second, third)
    assert [len(c) for c in writes.calls] == [1, 4]
    assert [getattr(r, "value", None) for r in writes.calls[1]][::3] == [2.0, 3.0]
    assert r1.ok
    assert r2.permanent == [(1, "nan")] and r2.transient == [1]
    assert r3.permanent == [(0, "nan")] and r3.transient == []
    assert (co.writes, co.merged) == (2, 1)


async def test_a_failed_merged_write_fails_every_caller() -> None:
    writes = GatedWrites()
    co = WriteCoalescer(writes)
    rid = str(uuid.uuid4())
    first = asyncio.create_task(co.write([vm(rid)]))
    await settle()
    others = [asyncio.create_task(co.write([vm(rid)])) for _ in range(2)]
    await settle()
    writes.fail = TransientError("gnocchi: 503")
    writes.allow(2)
    for task in [first, *others]:
        with pytest.raises(TransientError):
            await task


async def test_a_cancelled_waiting_write_is_not_sent() -> None:
    writes = GatedWrites()
    co = WriteCoalescer(writes)
    rid = str(uuid.uuid4())
    first = asyncio.create_task(co.write([vm(rid, 1.0)]))
    await settle()
    gone = asyncio.create_task(co.write([vm(rid, 2.0)]))
    kept = asyncio.create_task(co.write([vm(rid, 3.0)]))
    await settle()
    gone.cancel()
    writes.allow(2)
    assert (await first).ok and (await kept).ok
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert [[getattr(r, "value", None) for r in c] for c in writes.calls] == [[1.0], [3.0]]


async def test_followers_of_a_cancelled_leader_get_a_transient_error() -> None:
    writes = GatedWrites()
    co = WriteCoalescer(writes)
    rid = str(uuid.uuid4())
    blocker = asyncio.create_task(co.write([vm(rid, 1.0)]))
    await settle()
    leader = asyncio.create_task(co.write([vm(rid, 2.0)]))
    follower = asyncio.create_task(co.write([vm(rid, 3.0)]))
    await settle()
    writes.allow()
    assert (await blocker).ok
    await settle()
    assert len(writes.calls) == 2
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    with pytest.raises(TransientError, match="interrupted"):
        await follower


async def test_sink_merges_concurrent_batches_into_one_post_and_patches_once() -> None:
    fake = FakeGnocchi()
    sink = make_sink(fake)
    await sink.start()
    rid = str(uuid.uuid4())
    assert (await sink.write([vm(rid, display_name="a")])).ok
    release = asyncio.Event()
    original = fake.post_measures

    async def slow(body: Mapping[str, Any]) -> None:
        await release.wait()
        await original(body)

    fake.post_measures = slow  # type: ignore[method-assign]
    fake.calls.clear()
    tasks = [
        asyncio.create_task(sink.write([vm(rid, float(i), 1_700_000_100.0 + i, display_name=n)]))
        for i, n in enumerate(["b", "c", "d"])
    ]
    await settle()
    release.set()
    assert all(r.ok for r in await asyncio.gather(*tasks))
    assert fake.count("update_resource") == 2  # "b" alone, then "c" and "d" merged: "d" wins
    assert fake.resource(rid)["display_name"] == "d"
    assert len(fake.measures[(rid, "memory")]) == 4
    assert sink.status()["merged_writes"] == 1
