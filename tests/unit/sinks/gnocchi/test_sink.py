"""GnocchiSink's write path against the in-memory double of the Gnocchi API (fakegnocchi)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from osmon.records import Event, Record, Sample
from osmon.sinks.base import TransientError
from osmon.sinks.gnocchi.api import GnocchiRefused
from osmon.sinks.gnocchi.plan import END_MARGIN
from tests.unit.sinks.gnocchi.fakegnocchi import FakeGnocchi, make_sink, vm


async def test_one_post_for_many_samples_and_unknown_resources_created(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    await sink.start()
    rids = [str(uuid.uuid4()) for _ in range(20)]
    samples = [
        vm(rid, float(i), 1_700_000_000.0 + i, display_name=f"vm{i}", project_id="p", bogus=1)
        for i, rid in enumerate(rids * 5)
    ]
    fake.calls.clear()
    result = await sink.write(samples)
    assert result.ok
    assert fake.count("post_measures") == 2  # unknown resources → create → retry once
    assert fake.count("create_resource") == 20
    assert fake.count("update_resource") == 0
    assert fake.count("find_resources") == 0
    created = fake.resource(rids[3])
    assert created["type"] == "instance"
    assert created["project_id"] == "p"
    assert created["display_name"] == "vm83"  # the latest sample of the batch wins
    assert "bogus" not in created
    assert created["started_at"] == 1_700_000_003.0
    assert len(fake.measures[(rids[3], "memory")]) == 5
    assert fake.measures[(rids[3], "memory")][0] == {"timestamp": 1_700_000_003.0, "value": 3.0}

    fake.calls.clear()
    assert (await sink.write(samples)).ok
    assert fake.calls == ["post_measures"]


async def test_counter_samples_use_the_rate_policy(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    cpu = Sample("cpu", 5.0, 1.0, unit="ns", type="counter", resource_id=rid)
    mem = Sample("mem", 5.0, 1.0, resource_id=rid)
    captured: list[Mapping[str, Any]] = []
    original = fake.post_measures

    async def capture(body: Mapping[str, Any]) -> None:
        captured.append(body)
        await original(body)

    fake.post_measures = capture  # type: ignore[method-assign]
    assert (await sink.write([cpu, mem])).ok
    assert captured[-1][rid]["cpu"]["archive_policy_name"] == "osmon-rate"
    assert captured[-1][rid]["cpu"]["unit"] == "ns"
    assert captured[-1][rid]["mem"]["archive_policy_name"] == "osmon"
    assert "unit" not in captured[-1][rid]["mem"]


async def test_attribute_change_patches_once(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    assert (await sink.write([vm(rid, display_name="a", host="h1")])).ok
    fake.calls.clear()
    assert (await sink.write([vm(rid, 2.0, display_name="a", host="h1")])).ok
    assert fake.count("update_resource") == 0

    assert (await sink.write([vm(rid, 3.0, display_name="b", host="h1")])).ok
    assert (await sink.write([vm(rid, 4.0, display_name="b", host="h1")])).ok
    assert fake.count("update_resource") == 1
    assert fake.resource(rid)["display_name"] == "b"

    # A source that only knows a subset of the attributes does not undo or re-send them.
    assert (await sink.write([vm(rid, 5.0, host="h1")])).ok
    assert (await sink.write([vm(rid, 6.0, display_name="b")])).ok
    assert fake.count("update_resource") == 1


async def test_ended_at_is_patched_on_delete(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    assert (await sink.write([vm(rid, display_name="a")])).ok
    ended = "2023-11-14T22:20:00+00:00"
    assert (await sink.write([vm(rid, 0.0, display_name="a", ended_at=ended)])).ok
    assert fake.resource(rid)["ended_at"] == ended
    fake.calls.clear()
    assert (await sink.write([vm(rid, 0.0, display_name="a", ended_at="2023-11-14T22:20:00Z")])).ok
    assert fake.count("update_resource") == 0


async def test_resource_born_deleted_gets_started_at_before_ended_at(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    sample = vm(rid, ts=1_700_000_100.0, ended_at=1_700_000_000.0)
    assert (await sink.write([sample])).ok
    assert fake.resource(rid)["started_at"] == 1_700_000_100.0
    assert fake.resource(rid)["ended_at"] == 1_700_000_100.0 + END_MARGIN


async def test_ended_at_is_sent_after_the_deletions_own_measures(fake: FakeGnocchi) -> None:
    """A delete notification stamps its samples with the time it sets as ended_at; metricd would
    clear an ended_at that is not later than a measure it processes."""
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    assert (await sink.write([vm(rid, ts=1_700_000_000.0)])).ok
    deleted = 1_700_000_050.0
    assert (await sink.write([vm(rid, 0.0, ts=deleted, ended_at=deleted)])).ok
    assert fake.resource(rid)["ended_at"] == deleted + END_MARGIN
    fake.calls.clear()
    assert (await sink.write([vm(rid, 0.0, ts=deleted, ended_at=deleted)])).ok  # redelivered
    assert fake.count("update_resource") == 0


async def test_unseen_existing_resource_is_searched_not_patched_when_equal(
    fake: FakeGnocchi,
) -> None:
    rid = str(uuid.uuid4())
    await make_sink(fake).write([vm(rid, display_name="a", launched_at="2023-01-01T00:00:00Z")])
    fake.resource(rid)["launched_at"] = "2023-01-01T00:00:00+00:00"  # server spelling

    restarted = make_sink(fake)
    fake.calls.clear()
    assert (
        await restarted.write([vm(rid, display_name="a", launched_at="2023-01-01T00:00:00Z")])
    ).ok
    assert fake.calls.count("find_resources") == 1
    assert fake.count("update_resource") == 0

    other = make_sink(fake)
    assert (await other.write([vm(rid, display_name="changed while osmon was down")])).ok
    assert fake.count("update_resource") == 1
    assert fake.resource(rid)["display_name"] == "changed while osmon was down"


async def test_non_uuid_resource_ids_are_mapped_back(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    host = Sample(
        "up",
        1.0,
        1.0,
        resource_id="ctl1/nova-api",
        resource_type="osmon_service",
        resource_attributes={"service_name": "nova-api", "host_name": "ctl1"},
    )
    assert (await sink.write([host])).ok
    assert fake.resource("ctl1_nova-api")["service_name"] == "nova-api"
    assert fake.measures[("ctl1_nova-api", "up")] == [{"timestamp": 1.0, "value": 1.0}]


async def test_unknown_detail_naming_only_the_uuid_is_matched(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    await sink.start()
    rid = str(uuid.uuid4()).upper()
    original = fake.post_measures
    answered = False

    async def only_uuid(body: Mapping[str, Any]) -> None:
        nonlocal answered
        if not answered:
            answered = True
            detail = [{"resource_id": str(uuid.UUID(rid))}]
            raise GnocchiRefused(400, {"cause": "Unknown resources", "detail": detail})
        await original(body)

    fake.post_measures = only_uuid  # type: ignore[method-assign]
    assert (await sink.write([vm(rid)])).ok
    assert fake.count("create_resource") == 1


async def test_invalid_resource_attributes_are_permanent_others_delivered(
    fake: FakeGnocchi,
) -> None:
    sink = make_sink(fake)
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    samples = [
        Sample("volume.size", 1.0, 1.0, resource_id=good, resource_type="volume"),
        Sample(
            "volume.size",
            2.0,
            1.0,
            resource_id=bad,
            resource_type="volume",
            resource_attributes={"image_id": "not-a-uuid"},
        ),
        Sample("volume.size", 3.0, 2.0, resource_id=good, resource_type="volume"),
    ]
    result = await sink.write(samples)
    assert result.transient == []
    assert [i for i, _ in result.permanent] == [1]
    assert "image_id" in result.permanent[0][1]
    assert len(fake.measures[(good, "volume.size")]) == 2
    assert (bad, "volume.size") not in fake.measures


async def test_unknown_resource_type_is_permanent(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    sample = Sample("x", 1.0, 1.0, resource_id="r1", resource_type="no_such_type")
    result = await sink.write([sample, vm(str(uuid.uuid4()))])
    assert [i for i, _ in result.permanent] == [0]
    assert "no_such_type" in result.permanent[0][1]


async def test_invalid_input_on_a_metric_drops_only_that_metric(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    fake.bad_value = 13.0
    samples = [
        Sample("a", 1.0, 1.0, resource_id=rid),
        Sample("b", 13.0, 1.0, resource_id=rid),
        Sample("b", 2.0, 2.0, resource_id=rid),
        Sample("a", 3.0, 2.0, resource_id=rid),
    ]
    result = await sink.write(samples)
    assert sorted(i for i, _ in result.permanent) == [1, 2]
    assert len(fake.measures[(rid, "a")]) == 2


async def test_unattributable_400_is_isolated_by_bisection(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rids = [str(uuid.uuid4()) for _ in range(8)]
    assert (await sink.write([vm(r) for r in rids])).ok
    poison = rids[5]
    original = fake.post_measures

    async def refuse_poison(body: Mapping[str, Any]) -> None:
        if poison in body:
            fake.calls.append("post_measures")
            raise GnocchiRefused(400, "something Gnocchi did not explain")
        await original(body)

    fake.post_measures = refuse_poison  # type: ignore[method-assign]
    fake.measures.clear()
    result = await sink.write([vm(r, 2.0, 2.0) for r in rids])
    assert [i for i, _ in result.permanent] == [5]
    assert "did not explain" in result.permanent[0][1]
    assert len(fake.measures) == 7


async def test_locally_invalid_samples_are_permanent(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    records: list[Record] = [
        vm(rid, math.nan),
        vm(""),
        Sample("a/b", 1.0, 1.0, resource_id=rid),
        vm("x" * 300),
        Event("compute.instance.create.end", 1.0, "m1"),
        vm(rid, 4.0),
    ]
    result = await sink.write(records)
    assert sorted(i for i, _ in result.permanent) == [0, 1, 2, 3, 4]
    assert fake.measures[(rid, "memory")] == [{"timestamp": 1_700_000_000.0, "value": 4.0}]


async def test_gnocchi_down_raises_transient_and_recovers(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    fake.down = True
    with pytest.raises(TransientError):
        await sink.start()
    rid = str(uuid.uuid4())
    with pytest.raises(TransientError):
        await sink.write([vm(rid)])
    assert sink.status()["ready"] is False
    assert "connection refused" in sink.status()["last_error"]
    fake.down = False
    assert (await sink.write([vm(rid)])).ok
    assert sink.status()["ready"] is True


async def test_transient_failure_of_a_chunk_marks_only_its_records(fake: FakeGnocchi) -> None:
    sink = make_sink(fake, max_batch_measures=2)
    rids = [str(uuid.uuid4()) for _ in range(4)]
    assert (await sink.write([vm(r) for r in rids])).ok
    original = fake.post_measures

    async def flaky(body: Mapping[str, Any]) -> None:
        if rids[0] in body:
            raise TransientError("gnocchi: 503")
        await original(body)

    fake.post_measures = flaky  # type: ignore[method-assign]
    result = await sink.write([vm(r, 2.0, 2.0) for r in rids])
    assert sorted(result.transient) == [0, 1]
    assert result.permanent == []

    async def down(body: Mapping[str, Any]) -> None:
        raise TransientError("gnocchi: 503")

    fake.post_measures = down  # type: ignore[method-assign]
    with pytest.raises(TransientError):
        await sink.write([vm(r, 3.0, 3.0) for r in rids])


async def test_patch_failure_keeps_records_for_retry(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    assert (await sink.write([vm(rid, display_name="a")])).ok

    async def broken(*args: Any) -> None:
        raise TransientError("gnocchi: timeout")

    fake.update_resource = broken  # type: ignore[method-assign, assignment]
    result = await sink.write([vm(rid, 2.0, ended_at="2024-01-01T00:00:00Z")])
    assert result.transient == [0]


async def test_patch_refused_is_permanent_and_not_repeated(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    assert (await sink.write([vm(rid, display_name="a")])).ok
    refused = 0

    async def refuse(*args: Any) -> None:
        nonlocal refused
        refused += 1
        raise GnocchiRefused(400, {"cause": "Invalid input", "reason": "too long"})

    fake.update_resource = refuse  # type: ignore[method-assign, assignment]
    result = await sink.write([vm(rid, 2.0, display_name="b" * 999)])
    assert [i for i, _ in result.permanent] == [0]
    assert (await sink.write([vm(rid, 3.0, display_name="b" * 999)])).ok
    assert refused == 1


async def test_missing_archive_policy_is_recreated(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    await sink.start()
    del fake.policies["osmon"]
    fake.refuse_measures = GnocchiRefused(400, "Archive policy osmon does not exist")
    original = fake.create_archive_policy

    async def recreate(policy: Mapping[str, Any]) -> None:
        fake.refuse_measures = None
        await original(policy)

    fake.create_archive_policy = recreate  # type: ignore[method-assign]
    assert (await sink.write([vm(str(uuid.uuid4()))])).ok
    assert "osmon" in fake.policies


async def test_status_and_close(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    await sink.write([vm(str(uuid.uuid4()))])
    status = sink.status()
    assert status["posts"] == 1
    assert status["measures"] == 1
    assert status["resources_created"] == 1
    assert status["cached_resources"] == 1
    await sink.close()
    assert fake.calls[-1] == "close"


async def test_bad_definition_keeps_samples_for_the_spool(fake: FakeGnocchi) -> None:
    async def refuse(policy: Mapping[str, Any]) -> None:
        raise GnocchiRefused(400, "Invalid input: bad granularity")

    fake.create_archive_policy = refuse  # type: ignore[method-assign]
    sink = make_sink(fake)
    with pytest.raises(TransientError, match=r"not ready.*osmon"):
        await sink.write([vm(str(uuid.uuid4()))])


async def test_records_refused_before_an_outage_are_not_lost(fake: FakeGnocchi) -> None:
    sink = make_sink(fake)
    rid = str(uuid.uuid4())
    assert (await sink.write([Sample("a", 1.0, 1.0, resource_id=rid)])).ok
    fake.bad_value = 13.0
    original = fake.post_measures
    posts = 0

    async def then_down(body: Mapping[str, Any]) -> None:
        nonlocal posts
        if rid in body:
            posts += 1
            if posts > 1:
                raise TransientError("gnocchi: 503")
        await original(body)

    fake.post_measures = then_down  # type: ignore[method-assign]
    other = str(uuid.uuid4())
    samples = [
        Sample("a", 2.0, 2.0, resource_id=rid),
        Sample("b", 13.0, 2.0, resource_id=rid),
        Sample("a", 1.0, 1.0, resource_id=other),
    ]
    result = await make_sink(fake, max_batch_measures=2).write(samples)
    assert sorted(result.transient) == [0, 1]  # retried later, refused then
    assert result.permanent == []
    assert fake.measures[(other, "a")] == [{"timestamp": 1.0, "value": 1.0}]
