"""Probes: scheduled checks of the inventory's endpoints and dependencies.

A probe kind is one module with ``async def probe(target, ctx) -> Observation``, registered by
name in ``osmon.components.PROBES``; ``runner`` applies the time limit and the thresholds.
"""

from osmon.probes.base import (
    Metric,
    Observation,
    ProbeContext,
    ProbeFailed,
    ProbeFunction,
    ProbeResult,
)

__all__ = ["Metric", "Observation", "ProbeContext", "ProbeFailed", "ProbeFunction", "ProbeResult"]
