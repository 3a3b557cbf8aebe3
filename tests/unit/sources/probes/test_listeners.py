"""The probes source hands every new result to the listeners in ``ctx.extra["probe_listeners"]``
(the daemon's Nagios passive feed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from osmon.checks.latest import CheckState
from osmon.sources.probes import ProbesSource
from tests.unit.sources.probes.conftest import Collector
from tests.unit.waiting import until


async def test_the_probes_source_calls_its_listeners(
    make_source: Callable[..., ProbesSource], kinds: Callable[..., None]
) -> None:
    kinds(http="ok", tcp="refused")
    seen: list[CheckState] = []

    def broken(_: CheckState) -> None:
        raise RuntimeError("a listener bug never stops the probes")

    src = make_source(probe_listeners=[broken, seen.append])
    task = asyncio.create_task(src.run(Collector()))
    try:
        await until("results of every target", lambda: len({s.target for s in seen}) == 3)
    finally:
        await src.stop()
        await asyncio.wait_for(task, 10)
    latest = src.latest.get("redis/redis@h1")
    assert latest is not None and latest in seen
