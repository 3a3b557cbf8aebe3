"""How the source builds its partition from the daemon's ``coordination`` section.

``osmon.probes.coordination`` (the tooz partition) is replaced by a fake module here: what is
checked is the call the source makes and what it does when that fails.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

from osmon.config import CoordinationOptions
from osmon.sources.probes import ProbesSource
from tests.unit.sources.probes.conftest import Collector
from tests.unit.waiting import until


class FakePartition:
    """Owns the @h1 targets; its ``start`` fails ``failures`` times first."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.started = self.stopped = False

    async def start(self) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("redis://:s3cret@127.0.0.1:1 refused")
        self.started = True

    def owns(self, target_id: str) -> bool:
        return target_id.endswith("@h1")

    async def stop(self) -> None:
        self.stopped = True

    def status(self) -> dict[str, Any]:
        return {"mode": "partitioned", "members": 2}


made: list[FakePartition] = []


@pytest.fixture
def coordination(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    made.clear()
    module = types.ModuleType("osmon.probes.coordination")

    def build_partition(backend_url: str, member_id: str, group: str, options: Any) -> Any:
        calls.append((backend_url, member_id, group, dict(options)))
        failures = int(group.removeprefix("fail")) if group.startswith("fail") else 0
        made.append(FakePartition(failures))
        return made[-1]

    module.build_partition = build_partition  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "osmon.probes.coordination", module)
    return calls


async def _run_until_results(src: ProbesSource, n: int) -> None:
    import asyncio

    task = asyncio.create_task(src.run(Collector()))
    try:
        await until(f"{n} results", lambda: len(src.latest.all()) >= n)
    finally:
        await src.stop()
        await asyncio.wait_for(task, 10)


async def test_the_partition_gets_url_member_group_and_the_other_keys(
    make_source: Callable[..., ProbesSource],
    kinds: Callable[..., None],
    coordination: list[tuple[Any, ...]],
) -> None:
    kinds(http="ok", tcp="ok")
    coord = CoordinationOptions.model_validate(
        {
            "backend_url": "redis://127.0.0.1:6379",
            "group": "g1",
            "member_id": "ctl1-a",
            "heartbeat": 1.0,
        }
    )
    src = make_source(coordination=coord)
    await _run_until_results(src, 2)
    ((url, member, group, options),) = coordination
    assert (url, member, group) == ("redis://127.0.0.1:6379", "ctl1-a", "g1")
    assert options == {"heartbeat": 1.0, "registry": src.registry}
    # the fake partition owns the @h1 targets only
    assert {s.target for s in src.latest.all()} == {"keystone/api@h1", "redis/redis@h1"}
    assert {s.owner for s in src.latest.all()} == {"ctl1-a"}
    assert src.status()["partition"] == {"mode": "partitioned", "members": 2}
    assert made[0].started and made[0].stopped  # left the group at shutdown


async def test_the_url_may_come_from_the_environment_and_the_member_defaults_to_the_host(
    make_source: Callable[..., ProbesSource],
    kinds: Callable[..., None],
    coordination: list[tuple[Any, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kinds(http="ok", tcp="ok")
    monkeypatch.setenv("OSMON_TEST_COORD", "redis://:pw@127.0.0.1:6379")
    coord = CoordinationOptions(backend_url_env="OSMON_TEST_COORD")
    src = make_source(coordination=coord, hostname="h1")
    await _run_until_results(src, 1)
    assert coordination[0][:3] == ("redis://:pw@127.0.0.1:6379", "h1", "osmon-probes")


async def test_without_a_backend_url_the_module_is_not_even_imported(
    make_source: Callable[..., ProbesSource],
    kinds: Callable[..., None],
    coordination: list[tuple[Any, ...]],
) -> None:
    kinds(http="ok", tcp="ok")
    src = make_source(coordination=CoordinationOptions(group="g"))
    await _run_until_results(src, 3)
    assert coordination == []
    assert src.status()["partition"] == {"mode": "everything"}


async def test_a_partition_that_fails_to_start_means_probing_everything_flagged(
    make_source: Callable[..., ProbesSource],
    kinds: Callable[..., None],
    coordination: list[tuple[Any, ...]],
) -> None:
    kinds(http="ok", tcp="ok")
    coord = CoordinationOptions(backend_url="redis://127.0.0.1:1", group="fail1000")
    src = make_source(coordination=coord)
    await _run_until_results(src, 3)
    partition = src.status()["partition"]
    assert partition == {
        "mode": "everything",
        "error": "ConnectionError: redis://:***@127.0.0.1:1 refused",
        "retrying": True,
    }
    assert "s3cret" not in str(src.status())


async def test_a_partition_that_starts_on_a_retry_is_used_from_then_on(
    make_source: Callable[..., ProbesSource],
    kinds: Callable[..., None],
    coordination: list[tuple[Any, ...]],
) -> None:
    import asyncio

    kinds(http="ok", tcp="ok")
    coord = CoordinationOptions(backend_url="redis://127.0.0.1:1", group="fail2")
    src = make_source({"partition_retry": 0.05}, coordination=coord)
    task = asyncio.create_task(src.run(Collector()))
    try:
        await until(
            "the partition joined", lambda: src.status()["partition"]["mode"] != "everything"
        )
        assert src.status()["partition"] == {"mode": "partitioned", "members": 2}
        not_owned = src.status()["scheduler"]["not_owned"]
        await until(
            "runs refused by the partition",
            lambda: src.status()["scheduler"]["not_owned"] > not_owned,
        )
    finally:
        await src.stop()
        await asyncio.wait_for(task, 10)
    assert len(coordination) == 1  # built once, started until it worked
