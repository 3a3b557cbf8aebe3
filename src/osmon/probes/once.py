"""Run a set of probes once, concurrently but bounded: ``osmon probe`` without a daemon.

Every target gets a result, whatever its probe does (the runner maps failures to states), in the
order given; the shared context (sessions, tokens) is closed at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from osmon.inventory import Probe
from osmon.probes.base import ProbeContext, ProbeFunction, ProbeResult
from osmon.probes.runner import run_probe

__all__ = ["run_once"]


async def run_once(
    targets: Sequence[Probe],
    resolve: Callable[[str], ProbeFunction],
    ctx: ProbeContext,
    concurrency: int = 32,
) -> list[ProbeResult]:
    slots = asyncio.Semaphore(concurrency)

    async def one(probe: Probe) -> ProbeResult:
        async with slots:
            return await run_probe(probe, resolve(probe.type), ctx)

    try:
        return list(await asyncio.gather(*(one(p) for p in targets)))
    finally:
        await ctx.close()
