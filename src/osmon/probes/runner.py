"""Run one probe: time limit, exceptions → states, thresholds → state, the shared metrics.

Never raises (but for cancellation): whatever a probe does, the loop gets a ``ProbeResult``.
A timeout is CRITICAL, as ``check_http -t`` ends by default; an unexpected exception in a probe
is UNKNOWN (the probe, not the target, is broken) with the exception named in the summary.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping

from osmon.checks.range import NagiosRange, NagiosRangeError, parse
from osmon.checks.state import State, worst
from osmon.inventory import Probe, Threshold
from osmon.probes.base import (
    Metric,
    Observation,
    ProbeContext,
    ProbeFailed,
    ProbeFunction,
    ProbeResult,
)

log = logging.getLogger(__name__)

SUCCESS_SERIES = "probe_success"
DURATION_SERIES = "probe_duration_seconds"


async def run_probe(probe: Probe, fn: ProbeFunction, ctx: ProbeContext) -> ProbeResult:
    checked_at = time.time()
    started = time.monotonic()
    try:
        async with asyncio.timeout(probe.timeout):
            obs = await fn(probe, ctx)
    except TimeoutError:
        obs = Observation(state=State.CRITICAL, summary=f"timed out after {probe.timeout:g}s")
    except ProbeFailed as exc:
        obs = Observation(exc.metrics, exc.state, exc.summary)
    except Exception as exc:  # a probe bug must not stop the others
        log.debug("probe %s failed", probe.id, exc_info=True)
        obs = Observation(state=State.UNKNOWN, summary=f"probe error: {type(exc).__name__}: {exc}")
    duration = time.monotonic() - started
    state, notes = evaluate(obs.metrics, probe.thresholds)
    state = worst([obs.state, state])
    summary = "; ".join(part for part in (obs.summary, *notes) if part) or state.name
    shared = (
        Metric("success", 1.0 if obs.state == State.OK else 0.0, series=SUCCESS_SERIES),
        Metric("duration", duration, "s", series=DURATION_SERIES),
    )
    return ProbeResult(
        probe.id, probe.type, state, summary, (*obs.metrics, *shared), duration, checked_at
    )


def evaluate(
    metrics: Iterable[Metric], thresholds: Mapping[str, Threshold]
) -> tuple[State, list[str]]:
    """The worst state the thresholds give, and one note per breached range."""
    states: list[State] = []
    notes: list[str] = []
    for m in metrics:
        t = thresholds.get(m.name)
        if t is None:
            continue
        for text, state in ((t.critical, State.CRITICAL), (t.warning, State.WARNING)):
            rng = _range(text)
            if rng is not None and rng.alert(m.value):
                states.append(state)
                notes.append(f"{m.name} {m.value:g}{m.unit} outside {rng} ({state.name})")
                break
    return worst(states), notes


def _range(text: str | None) -> NagiosRange | None:
    if not text:
        return None
    try:
        return parse(text)
    except NagiosRangeError:  # the inventory loader rejects these; never fail a probe on one
        return None
