"""The probes source with fake probe kinds and a collecting router: samples, latest state,
status, reload, the slow-router queue, unavailable kinds, a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from osmon.checks.latest import LatestState
from osmon.checks.state import State
from osmon.sources.probes import ProbesSource
from tests.unit.sources.probes.conftest import INVENTORY as INVENTORY_TEXT
from tests.unit.sources.probes.conftest import Collector, inventory
from tests.unit.waiting import until

ALL = {"keystone/api@h1", "keystone/api@h2", "redis/redis@h1"}


async def _running(src: ProbesSource, submit: Collector) -> asyncio.Task[None]:
    return asyncio.create_task(src.run(submit))


async def _stop(src: ProbesSource, task: asyncio.Task[None]) -> None:
    await src.stop()
    await asyncio.wait_for(task, 10)


def _results(src: ProbesSource) -> set[str]:
    return {s.target for s in src.latest.all()}


async def test_results_become_samples_and_latest_states(
    make_source: Callable[..., ProbesSource], kinds: Callable[..., None]
) -> None:
    kinds(http="ok", tcp="refused")
    src = make_source()
    submit = Collector()
    task = await _running(src, submit)
    try:
        await until("a result per target", lambda: _results(src) == ALL)
        await until(
            "samples of every target", lambda: {s.labels["target"] for s in submit.samples} == ALL
        )
    finally:
        await _stop(src, task)
    ok = src.latest.get("keystone/api@h1")
    assert ok is not None and ok.state == State.OK and ok.summary == "HTTP 200"
    assert ok.kind == "http" and ok.owner == "h1"
    assert ok.perfdata.startswith("response_time=0.5s;2;10 success=1 duration=")
    assert [m["series"] for m in ok.metrics] == [
        "osmon_probe_response_time",
        "probe_success",
        "probe_duration_seconds",
    ]
    bad = src.latest.get("redis/redis@h1")
    assert bad is not None and (bad.state, bad.summary) == (State.CRITICAL, "connection refused")

    by_name = {(s.name, s.labels["target"]): s for s in submit.samples}
    success = by_name[("probe_success", "keystone/api@h1")]
    assert success.type == "gauge" and success.value == 1.0
    assert success.labels == {
        "target": "keystone/api@h1",
        "service": "keystone",
        "host": "h1",
        "check": "api",
    }
    assert success.resource_id == "keystone/api@h1"
    assert by_name[("probe_success", "redis/redis@h1")].value == 0.0
    assert by_name[("osmon_probe_response_time", "keystone/api@h2")].unit == "s"
    assert {b.source for b in submit.batches} == {"probes"} and all(
        b.settled for b in submit.batches
    )

    st = src.status()
    assert st["targets"] == 3 and st["running"] == 0 and st["skipped"] >= 0
    assert st["states"] == {"OK": 2, "WARNING": 0, "CRITICAL": 1, "UNKNOWN": 0}
    assert st["partition"] == {"mode": "everything"} and st["owner"] == "h1"
    assert st["scheduler"]["runs"] >= 3
    results = src.registry.get_sample_value(
        "osmon_probe_results_total", {"kind": "tcp", "state": "CRITICAL"}
    )
    assert results is not None and results >= 1


async def test_thresholds_and_metric_labels_reach_the_records(
    make_source: Callable[..., ProbesSource], kinds: Callable[..., None]
) -> None:
    kinds(http="slow", tcp="agents")
    src = make_source()
    submit = Collector()
    task = await _running(src, submit)
    try:
        await until("a result per target", lambda: _results(src) == ALL)
        await until(
            "agent samples",
            lambda: any(s.name == "openstack_nova_agent_state" for s in submit.samples),
        )
    finally:
        await _stop(src, task)
    slow = src.latest.get("keystone/api@h2")
    assert slow is not None and slow.state == State.WARNING
    assert "response_time 3s outside 2 (WARNING)" in slow.summary
    agent = next(s for s in submit.samples if s.name == "openstack_nova_agent_state")
    # the metric's labels win: openstack-exporter's "service" is the agent's binary
    assert agent.labels == {
        "target": "redis/redis@h1",
        "service": "nova-compute",
        "host": "h1",
        "check": "redis",
        "hostname": "cmp1",
        "adminState": "enabled",
        "zone": "nova",
        "id": "7",
    }
    assert agent.resource_id not in ("", "redis/redis@h1")  # one resource per labelled series
    state = src.latest.get("redis/redis@h1")
    assert state is not None and "agent_state[enabled,cmp1,7,nova-compute,nova]=1" in (
        state.perfdata
    )


async def test_a_kind_without_a_module_gives_unknown_results_not_a_crash(
    make_source: Callable[..., ProbesSource], kinds: Callable[..., None]
) -> None:
    kinds(http=None, tcp="ok")
    from osmon import components

    del components.PROBES["tcp"]  # restored by monkeypatch (setitem above)
    src = make_source()
    submit = Collector()
    task = await _running(src, submit)
    try:
        await until("a result per target", lambda: _results(src) == ALL)
    finally:
        await _stop(src, task)
    http = src.latest.get("keystone/api@h1")
    tcp = src.latest.get("redis/redis@h1")
    assert http is not None and (http.state, http.summary) == (
        State.UNKNOWN,
        "no probe for type http",
    )
    assert tcp is not None and (tcp.state, tcp.summary) == (State.UNKNOWN, "no probe for type tcp")
    success = [s for s in submit.samples if s.name == "probe_success"]
    assert success and all(s.value == 0.0 for s in success)


async def test_a_kind_whose_client_is_missing_says_so(
    make_source: Callable[..., ProbesSource], kinds: Callable[..., None]
) -> None:
    kinds(http="ok", tcp="tests.unit.sources.probes.brokenprobe:probe")
    src = make_source()
    task = await _running(src, Collector())
    try:
        await until("the tcp result", lambda: "redis/redis@h1" in _results(src))
    finally:
        await _stop(src, task)
    tcp = src.latest.get("redis/redis@h1")
    assert tcp is not None and tcp.state == State.UNKNOWN
    assert tcp.summary == "probe type tcp unavailable: No module named 'osmon_no_such_client'"


async def test_a_slow_router_never_blocks_the_probes_and_drops_are_counted(
    make_source: Callable[..., ProbesSource], kinds: Callable[..., None]
) -> None:
    kinds(http="ok", tcp="ok")
    src = make_source({"queue_results": 2, "batch_results": 1})
    submit = Collector(hold=True)  # the first batch never settles
    task = await _running(src, submit)
    try:
        await until("results dropped", lambda: src.publisher.dropped >= 5)
        runs = src.status()["scheduler"]["runs"]
        await until("probing goes on", lambda: src.status()["scheduler"]["runs"] >= runs + 6)
        assert len(submit.batches) == 1
        queue = src.status()["queue"]
        assert queue["pending"] <= 2 and queue["dropped"] >= 5
        dropped = src.registry.get_sample_value("osmon_probe_results_dropped_total")
        assert dropped is not None and dropped >= 5
    finally:
        submit.release.set()
        await _stop(src, task)


async def test_reload_follows_the_inventory(
    make_source: Callable[..., ProbesSource], kinds: Callable[..., None]
) -> None:
    kinds(http="ok", tcp="ok")
    src = make_source()
    task = await _running(src, Collector())
    try:
        await until("a result per target", lambda: _results(src) == ALL)
        smaller = inventory(
            "version: 1\ncloud: {name: test}\ndefaults: {interval: 0.1, timeout: 1}\n"
            "hosts:\n  h1: {address: 127.0.0.1}\n  h3: {address: 127.0.0.3}\n"
            "services:\n  keystone: {hosts: [h1, h3], probes: {process: {enabled: false}}}\n"
        )

        class Ctx:
            inventory = smaller

        src.reload(Ctx())  # type: ignore[arg-type]
        assert _results(src) == {"keystone/api@h1"}  # gone targets are forgotten at once
        await until("the new target ran", lambda: "keystone/api@h3" in _results(src))
        assert src.status()["targets"] == 2
        await asyncio.sleep(0.3)  # a few intervals: the removed targets never come back
        assert _results(src) == {"keystone/api@h1", "keystone/api@h3"}
    finally:
        await _stop(src, task)


async def test_the_latest_state_is_flushed_periodically_and_survives_a_restart(
    make_source: Callable[..., ProbesSource], kinds: Callable[..., None], tmp_path: Path
) -> None:
    kinds(http="ok", tcp="refused")
    path = tmp_path / "latest-state.json"
    src = make_source({"flush_interval": 0.05})
    task = await _running(src, Collector())
    try:
        await until(
            "a flushed file with every target",
            lambda: path.exists() and {s.target for s in LatestState(path).all()} == ALL,
        )
    finally:
        await _stop(src, task)
    before = {s.target: s for s in src.latest.all()}
    restarted = make_source(latest=LatestState(path))  # not running yet
    assert {s.target: s for s in restarted.latest.all()} == before
    assert restarted.status()["states"] == {"OK": 2, "WARNING": 0, "CRITICAL": 1, "UNKNOWN": 0}


def test_process_probes_run_only_on_their_own_host() -> None:
    from osmon.sources.probes.kinds import select
    from tests.unit.probes.targets import target

    probes = [
        target("nova-compute/process@cmp1", type="process"),
        target("nova-compute/process@cmp2", type="process"),
        target("keystone/api@ctl1"),
    ]
    assert [p.id for p in select(probes, "cmp1")] == [
        "nova-compute/process@cmp1",
        "keystone/api@ctl1",
    ]


async def test_new_credentials_get_a_new_context_and_the_old_one_is_closed_later(
    make_source: Callable[..., ProbesSource], kinds: Callable[..., None]
) -> None:
    kinds(http="ok", tcp="ok")
    with_auth = INVENTORY_TEXT.replace("hosts:", "auth: {cloud: first}\nhosts:", 1)
    src = make_source(text=with_auth)
    task = await _running(src, Collector())
    closed: list[str] = []
    try:
        old = src._probe_ctx
        assert old.auth is not None and old.auth.cloud == "first"

        async def close_session() -> None:  # what a kind registers with its session
            closed.append("first")

        old.closers.append(close_session)

        class Ctx:
            inventory = inventory(with_auth.replace("cloud: first", "cloud: second"))

        src.reload(Ctx())  # type: ignore[arg-type]
        assert src._probe_ctx is not old and src._probe_ctx.auth.cloud == "second"
        await until("the old context closed", lambda: closed == ["first"])
    finally:
        await _stop(src, task)
