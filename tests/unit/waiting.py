"""Bounded waits for asynchronous tests: wait for a count, never assert a duration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

WAIT = 20.0


async def until(what: str, check: Callable[[], bool], limit: float = WAIT) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(poll(), limit)
    except TimeoutError:
        raise AssertionError(f"not reached within {limit}s: {what}") from None
