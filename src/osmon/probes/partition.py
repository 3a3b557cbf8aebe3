"""Which probe targets this daemon runs: the hook that lets several daemons share them.

The scheduler asks ``owns(target_id)`` at every run, not when it schedules, so a change of the
partition (a daemon joining or leaving) takes effect at the next run of each target without
rescheduling anything. ``owns`` is called thousands of times per interval on the event loop: it
must answer from memory, never block. ``Everything`` (one daemon, no coordination) is the
default; the tooz-backed partition is built by ``osmon.probes.coordination.build_partition``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["Everything", "Partition"]


@runtime_checkable
class Partition(Protocol):
    async def start(self) -> None:
        """Join (the group, the ring …); called once before the first run."""

    def owns(self, target_id: str) -> bool:
        """Whether this daemon runs ``target_id`` now; answered from memory."""

    async def stop(self) -> None:
        """Leave; called once at shutdown."""

    def status(self) -> dict[str, Any]:
        """Facts for ``/status`` (mode, members …); never a credential."""


class Everything:
    """This daemon runs every target: the partition when no coordination is configured."""

    async def start(self) -> None:
        return None

    def owns(self, target_id: str) -> bool:
        return True

    async def stop(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {"mode": "everything"}
