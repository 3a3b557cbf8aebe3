"""TCP probe: can a connection to ``address:port`` be opened, and how long did it take.

The connection is closed as soon as it is open; nothing is sent. ``response_time`` is the
connect time in seconds (``osmon_probe_response_time_seconds``, as for the http probe). Refused,
unreachable, reset and DNS failures are CRITICAL with the summaries of
``osmon.probes.failures``; a target that never answers is left to the runner's time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from osmon.checks.state import State
from osmon.probes.base import (
    RESPONSE_TIME_SERIES,
    Metric,
    Observation,
    ProbeContext,
    ProbeFailed,
)
from osmon.probes.failures import connection_failed

if TYPE_CHECKING:
    from osmon.inventory import Probe

__all__ = ["probe"]


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    if not target.address or target.port is None:
        raise ProbeFailed(State.UNKNOWN, "no address and port to connect to")
    started = time.monotonic()
    try:
        _reader, writer = await asyncio.open_connection(target.address, target.port)
    except OSError as exc:
        raise connection_failed(exc, target.address) from exc
    elapsed = time.monotonic() - started
    writer.close()
    # a reset while closing says nothing about whether it accepts connections
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    metric = Metric("response_time", elapsed, "s", series=RESPONSE_TIME_SERIES)
    return Observation((metric,), State.OK, f"connected to port {target.port} in {elapsed:.3f}s")
