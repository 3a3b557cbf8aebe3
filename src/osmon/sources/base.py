"""The source contract the daemon relies on.

``run`` produces batches until ``stop`` is called and hands each to ``submit``, which returns once
the router has settled the batch (acked or nacked). ``reload`` is called on SIGHUP with the new
inventory: a source follows what it derives from it (log files, exchanges). A source that runs
its own threads (the oslo.messaging listener) bridges with ``asyncio.run_coroutine_threadsafe``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from osmon.batch import Batch

if TYPE_CHECKING:
    from osmon.components import Context

Submit = Callable[[Batch], Awaitable[None]]


@runtime_checkable
class Source(Protocol):
    name: str

    async def run(self, submit: Submit) -> None:
        """Produce batches until stopped; return when drained."""

    async def stop(self) -> None:
        """Stop producing; batches already submitted are still settled."""

    def reload(self, ctx: Context) -> None:
        """SIGHUP: ``ctx.inventory`` is the new inventory; follow it without dropping records."""

    def status(self) -> dict[str, Any]:
        """Source-specific facts for /status (queue, files, lag ...)."""
