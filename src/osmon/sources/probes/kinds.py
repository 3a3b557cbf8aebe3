"""Which targets a daemon schedules, and the probe function of each kind.

Placement is the partition's job, so a daemon schedules every target of the inventory except the
kinds that can only look at the machine they run on (``process``): those run on their own host
only, whatever the partition says. A kind without a module (not implemented, not installed) gets
a function that reports UNKNOWN with the reason, so the loop never fails on it.
"""

from __future__ import annotations

from collections.abc import Iterable

from osmon.checks.state import State
from osmon.components import PROBES, UnknownComponent, probe_function
from osmon.inventory import Probe
from osmon.probes.base import Observation, ProbeContext, ProbeFunction

__all__ = ["LOCAL_KINDS", "KindResolver", "is_local", "select"]

LOCAL_KINDS = frozenset({"process"})
"""Probe types that inspect the host they run on."""


def is_local(probe: Probe) -> bool:
    return probe.type in LOCAL_KINDS


def select(probes: Iterable[Probe], hostname: str) -> list[Probe]:
    """The targets a daemon on ``hostname`` schedules."""
    return [p for p in probes if not is_local(p) or p.host == hostname]


def _unavailable(summary: str) -> ProbeFunction:
    async def probe(target: Probe, ctx: ProbeContext) -> Observation:
        return Observation(state=State.UNKNOWN, summary=summary)

    return probe


class KindResolver:
    """``resolver(type)``: the kind's probe function, imported once per type."""

    def __init__(self) -> None:
        self._cache: dict[str, ProbeFunction] = {}

    def __call__(self, type_name: str) -> ProbeFunction:
        fn = self._cache.get(type_name)
        if fn is None:
            fn = self._cache[type_name] = _load(type_name)
        return fn


def _load(type_name: str) -> ProbeFunction:
    missing = f"no probe for type {type_name}"
    try:
        return probe_function(type_name)
    except UnknownComponent:
        return _unavailable(missing)
    except ModuleNotFoundError as exc:
        module = PROBES[type_name].partition(":")[0]
        if exc.name == module:
            return _unavailable(missing)
        return _unavailable(f"probe type {type_name} unavailable: {exc}")
    except (ImportError, AttributeError) as exc:
        return _unavailable(f"probe type {type_name} unavailable: {type(exc).__name__}: {exc}")
