from __future__ import annotations

import asyncio
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from osmon.batch import Batch
from osmon.deadletter import DeadLetters
from osmon.records import Event, Kind, Record, Sample
from osmon.retry import RetryPolicy
from osmon.router import Router
from osmon.selfmetrics import SelfMetrics
from osmon.sinks.base import WriteResult
from osmon.spool import DropPolicy, Spool
from tests.unit.fakesinks import ScriptedSink

FAST = RetryPolicy(attempts=2, initial=0.001, maximum=0.01, timeout=5)


class Settle:
    def __init__(self) -> None:
        self.acks = 0
        self.nacks = 0

    def batch(self, records: list[Record], source: str = "src") -> Batch:
        return Batch(source, records, self._ack, self._nack)

    def _ack(self) -> None:
        self.acks += 1

    def _nack(self) -> None:
        self.nacks += 1


def make_router(tmp: Path, sinks: dict[Kind, list[ScriptedSink]], **spool_kw: object) -> Router:
    spool = Spool(tmp / "spool.db", **spool_kw)  # type: ignore[arg-type]
    return Router(sinks, spool, DeadLetters(tmp / "dl"), SelfMetrics(CollectorRegistry()), FAST)  # type: ignore[arg-type]


def recs(n: int, start: int = 0) -> list[Record]:
    return [Sample("m", float(i), float(i)) for i in range(start, start + n)]


async def drain(router: Router, sink: ScriptedSink, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while router.spool.depth(sink.name) and loop.time() < end:
        await asyncio.sleep(0.005)
    assert router.spool.depth(sink.name) == 0


async def test_ack_after_every_sink_accepted(tmp_path: Path) -> None:
    a, b = ScriptedSink("a"), ScriptedSink("b")
    r = make_router(tmp_path, {Kind.SAMPLE: [a, b]})
    await r.start()
    s = Settle()
    await r.submit(s.batch(recs(10)))
    assert s.acks == 1 and s.nacks == 0
    assert len(a.received) == 10 and len(b.received) == 10
    await r.stop()


async def test_records_routed_by_kind(tmp_path: Path) -> None:
    samples_sink, events_sink = ScriptedSink("m"), ScriptedSink("e")
    r = make_router(tmp_path, {Kind.SAMPLE: [samples_sink], Kind.EVENT: [events_sink]})
    await r.start()
    ev = Event("x.y", 1.0, "id")
    await r.submit(Settle().batch([*recs(2), ev]))
    assert events_sink.received == [ev]
    assert len(samples_sink.received) == 2
    await r.stop()


async def test_down_sink_spools_then_acks_and_replays_in_order(tmp_path: Path) -> None:
    sink = ScriptedSink("g")
    sink.down = True
    r = make_router(tmp_path, {Kind.SAMPLE: [sink]})
    await r.start()
    s = Settle()
    for i in range(5):
        await r.submit(s.batch(recs(3, i * 3)))
    assert s.acks == 5
    assert r.spool.depth("g") == 15
    retries = r.metrics.registry.get_sample_value("osmon_sink_retries_total", {"sink": "g"})
    assert retries == FAST.attempts - 1  # only the first batch pays the retry cycle
    sink.down = False
    await drain(r, sink)
    assert [x.value for x in sink.received] == [float(i) for i in range(15)]  # type: ignore[union-attr]
    await r.stop()


async def test_new_batches_queue_behind_backlog(tmp_path: Path) -> None:
    sink = ScriptedSink("g")
    sink.down = True
    r = make_router(tmp_path, {Kind.SAMPLE: [sink]})
    await r.start()
    await r.submit(Settle().batch(recs(2)))
    sink.down = False
    await r.submit(Settle().batch(recs(2, 2)))
    await drain(r, sink)
    assert [x.value for x in sink.received] == [0.0, 1.0, 2.0, 3.0]  # type: ignore[union-attr]
    await r.stop()


async def test_permanent_failures_dead_lettered_and_batch_acked(tmp_path: Path) -> None:
    def half_bad(records: list[Record]) -> WriteResult:
        return WriteResult(permanent=[(0, "mapper_parsing_exception")])

    sink = ScriptedSink("es")
    sink.script = [half_bad, "perm"]
    r = make_router(tmp_path, {Kind.SAMPLE: [sink]})
    await r.start()
    s = Settle()
    await r.submit(s.batch(recs(3)))
    await r.submit(s.batch(recs(2, 3)))
    assert s.acks == 2
    dead = r.deadletters.read("es")
    assert len(dead) == 3
    assert dead[0]["reason"] == "mapper_parsing_exception"
    assert len(sink.received) == 2
    await r.stop()


async def test_per_record_transient_retried_only_for_those(tmp_path: Path) -> None:
    def one_429(records: list[Record]) -> WriteResult:
        return WriteResult(transient=[1])

    sink = ScriptedSink("es")
    sink.script = [one_429]
    r = make_router(tmp_path, {Kind.SAMPLE: [sink]})
    await r.start()
    await r.submit(Settle().batch(recs(3)))
    assert sorted(x.value for x in sink.received) == [0.0, 1.0, 2.0]  # type: ignore[union-attr]
    assert sink.calls == 2
    await r.stop()


async def test_spool_refusal_nacks(tmp_path: Path) -> None:
    sink = ScriptedSink("g")
    sink.down = True
    r = make_router(tmp_path, {Kind.SAMPLE: [sink]}, max_bytes=10, policy=DropPolicy.BLOCK)
    await r.start()
    s = Settle()
    await r.submit(s.batch(recs(50)))
    assert s.nacks == 1 and s.acks == 0
    assert r.spool_error
    await r.stop()


async def test_sink_failing_to_start_is_started_by_replay(tmp_path: Path) -> None:
    sink = ScriptedSink("g")
    sink.fail_start = True
    r = make_router(tmp_path, {Kind.SAMPLE: [sink]})
    await r.start()
    s = Settle()
    await r.submit(s.batch(recs(4)))
    assert s.acks == 1 and sink.calls == 0
    sink.fail_start = False
    await drain(r, sink)
    assert len(sink.received) == 4 and sink.started == 1
    await r.stop()


async def test_spooled_data_replayed_after_restart(tmp_path: Path) -> None:
    sink = ScriptedSink("g")
    sink.down = True
    r = make_router(tmp_path, {Kind.SAMPLE: [sink]})
    await r.start()
    await r.submit(Settle().batch(recs(6)))
    await r.stop()
    r.spool.close()
    sink2 = ScriptedSink("g")
    r2 = make_router(tmp_path, {Kind.SAMPLE: [sink2]})
    await r2.start()
    await drain(r2, sink2)
    assert len(sink2.received) == 6
    await r2.stop()


outcomes = st.sampled_from(["ok", "down", "down", "perm", "t1"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(st.integers(1, 8), min_size=1, max_size=12),
    script=st.lists(outcomes, max_size=40),
)
def test_property_every_record_delivered_or_dead_lettered(
    tmp_path_factory: object, batches: list[int], script: list[str]
) -> None:
    """Whatever the failure schedule, each batch settles once (ack), and each record ends up
    delivered at least once or dead-lettered; nothing is silently lost."""

    def t1(records: list[Record]) -> WriteResult:
        return WriteResult(transient=[0])

    async def scenario(tmp: Path) -> None:
        sink = ScriptedSink("s")
        sink.script = [t1 if o == "t1" else o for o in script]
        r = make_router(tmp, {Kind.SAMPLE: [sink]})
        await r.start()
        s = Settle()
        n = 0
        for size in batches:
            await r.submit(s.batch(recs(size, n)))
            n += size
        await drain(r, sink)
        assert s.acks == len(batches) and s.nacks == 0
        delivered = {x.value for x in sink.received}  # type: ignore[union-attr]
        dead = {d["record"][1] for d in r.deadletters.read("s")}
        assert delivered | dead == {float(i) for i in range(n)}
        await r.stop()
        r.spool.close()

    import tempfile

    with tempfile.TemporaryDirectory() as d:
        asyncio.run(scenario(Path(d)))
