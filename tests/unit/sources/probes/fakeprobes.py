"""Probe functions for the source's tests, registered by monkeypatching ``components.PROBES``."""

from __future__ import annotations

from osmon.checks.state import State
from osmon.inventory import Probe
from osmon.probes import Metric, Observation, ProbeContext, ProbeFailed

CALLS: list[str] = []


async def ok(target: Probe, ctx: ProbeContext) -> Observation:
    CALLS.append(target.id)
    return Observation((Metric("response_time", 0.5, "s"),), summary="HTTP 200")


async def slow(target: Probe, ctx: ProbeContext) -> Observation:
    return Observation((Metric("response_time", 3.0, "s"),), summary="HTTP 200")


async def refused(target: Probe, ctx: ProbeContext) -> Observation:
    raise ProbeFailed(State.CRITICAL, "connection refused")


async def agents(target: Probe, ctx: ProbeContext) -> Observation:
    labels = {
        "hostname": "cmp1",
        "service": "nova-compute",
        "adminState": "enabled",
        "zone": "nova",
        "id": "7",
    }
    return Observation(
        (Metric("agent_state", 1.0, series="openstack_nova_agent_state", labels=labels),)
    )
