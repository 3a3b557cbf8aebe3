"""What a probe is: an async function from one inventory target to an ``Observation``.

A probe kind (``http``, ``tcp``, ``rabbitmq`` …) only measures: it returns metrics, and a state
with a summary when the probe itself knows the answer (connection refused is CRITICAL whatever
the thresholds). ``osmon.probes.runner`` adds what every probe shares: the time limit, the
mapping of exceptions to states, the inventory's thresholds, ``probe_success`` and
``probe_duration_seconds``. This is nagiosplugin's Resource → Context → Summary, split the same
way.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from osmon.checks.state import State

if TYPE_CHECKING:
    from osmon.inventory import Probe

__all__ = [
    "RESPONSE_TIME_SERIES",
    "Metric",
    "Observation",
    "ProbeContext",
    "ProbeFailed",
    "ProbeFunction",
    "ProbeResult",
]

#: The series every probe's ``response_time`` metric (seconds) is exported as: blackbox's
#: ``probe_http_duration_seconds`` is per phase, which osmon's probes do not split.
RESPONSE_TIME_SERIES = "osmon_probe_response_time_seconds"


@dataclass(frozen=True, slots=True)
class Metric:
    """One measured value, in base units (seconds, bytes, ratios).

    ``name`` is what inventory thresholds and Nagios perfdata call it (``response_time``,
    ``days_left``); ``series`` is the Prometheus name it is exported as — blackbox_exporter's
    where it has one (``probe_duration_seconds``), openstack-exporter's for agent states, else
    ``osmon_probe_<name>``; ``labels`` are added to the target's own labels.
    """

    name: str
    value: float
    unit: str = ""
    series: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def series_name(self) -> str:
        return self.series or f"osmon_probe_{self.name}"


@dataclass(frozen=True, slots=True)
class Observation:
    """What a probe saw. ``state`` is the probe's own verdict before thresholds apply."""

    metrics: tuple[Metric, ...] = ()
    state: State = State.OK
    summary: str = ""


class ProbeFailed(Exception):
    """A probe's distinct, expected failure (refused, reset, TLS invalid, wrong body …)."""

    def __init__(self, state: State, summary: str, metrics: tuple[Metric, ...] = ()) -> None:
        super().__init__(summary)
        self.state = state
        self.summary = summary
        self.metrics = metrics


@dataclass(slots=True)
class ProbeContext:
    """What probes share within one daemon or one ``osmon probe`` run: connection pools and
    authenticated sessions live in ``resources`` (created by the probe kinds on first use and
    closed with ``close``), so a token is reused across probes until it nears expiry."""

    hostname: str
    auth: Any = None
    resources: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        for close in reversed(self.closers):
            await close()
        self.closers.clear()
        self.resources.clear()


ProbeFunction = Callable[["Probe", ProbeContext], Awaitable[Observation]]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of one run of one probe, as stored in the latest state and printed."""

    target: str
    kind: str
    state: State
    summary: str
    metrics: tuple[Metric, ...]
    duration: float
    checked_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "state": self.state.name,
            "summary": self.summary,
            "duration_seconds": round(self.duration, 6),
            "checked_at": self.checked_at,
            "metrics": [
                {
                    "name": m.name,
                    "series": m.series_name,
                    "value": m.value,
                    "unit": m.unit,
                    "labels": dict(m.labels),
                }
                for m in self.metrics
            ],
        }
