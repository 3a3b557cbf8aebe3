"""A probe result as records for the router and as the latest state, and the hand-off between.

Samples: one gauge per metric, named by ``Metric.series_name`` (blackbox_exporter's and
openstack-exporter's names where they have one), labelled ``target`` (the probe id), ``service``,
``host`` (empty for a VIP/URL probe) and ``check`` (the probe's name), then the metric's own
labels, which win (openstack-exporter's ``service`` is the agent's binary). For Gnocchi the
resource is the target (``keystone/http@ctl1``); a labelled metric (one agent, one queue) gets a
resource of its own, a UUID derived from the target and the labels, so two agents' values never
overwrite each other.

The hand-off (``Publisher``) never blocks the scheduler: results wait in a bounded queue for the
router, and when the router is slower than the probes the oldest are dropped and counted — the
latest state, which is what matters, was already written.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from typing import Any

from osmon.batch import Batch
from osmon.checks.latest import CheckState
from osmon.checks.perfdata import PerfValue, format_perfdata, perf_label
from osmon.inventory import Probe
from osmon.probes.base import Metric, ProbeResult
from osmon.records import Sample
from osmon.sources.base import Submit

__all__ = ["Publisher", "check_state", "samples"]

_RESOURCES = uuid.UUID("5b0c7f0e-7a39-4f57-9b43-0d8c8c0b6f10")


def _resource_id(target: str, m: Metric) -> str:
    if not m.labels:
        return target
    labels = ",".join(f"{k}={v}" for k, v in sorted(m.labels.items()))
    return str(uuid.uuid5(_RESOURCES, f"{target}|{labels}"))


def samples(result: ProbeResult, probe: Probe) -> list[Sample]:
    base = {"target": probe.id, "service": probe.service, "host": probe.host or ""}
    base["check"] = probe.name
    return [
        Sample(
            name=m.series_name,
            value=float(m.value),
            timestamp=result.checked_at,
            unit=m.unit,
            type="gauge",
            resource_id=_resource_id(probe.id, m),
            labels={**base, **m.labels},
        )
        for m in result.metrics
    ]


def check_state(result: ProbeResult, probe: Probe, owner: str) -> CheckState:
    perf = []
    for m in result.metrics:
        t = probe.thresholds.get(m.name)
        warning, critical = (t.warning or "", t.critical or "") if t else ("", "")
        perf.append(PerfValue(perf_label(m.name, m.labels), m.value, m.unit, warning, critical))
    doc = result.to_json()
    return CheckState(
        target=result.target,
        kind=result.kind,
        state=result.state,
        summary=result.summary,
        checked_at=result.checked_at,
        duration=doc["duration_seconds"],
        metrics=tuple(doc["metrics"]),
        perfdata=format_perfdata(perf),
        owner=owner,
    )


class Publisher:
    """Results → batches for the router, through a queue of at most ``max_results``."""

    def __init__(self, source: str, max_results: int, batch_results: int) -> None:
        self.source = source
        self.batch_results = batch_results
        self._pending: deque[list[Sample]] = deque()
        self._max = max_results
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0
        self.submitted = 0

    def offer(self, records: list[Sample]) -> bool:
        """Queue one result's samples; False when the oldest result had to be dropped."""
        kept = True
        if len(self._pending) >= self._max:
            self._pending.popleft()
            self.dropped += 1
            kept = False
        self._pending.append(records)
        self._ready.set()
        return kept

    async def run(self, submit: Submit) -> None:
        """Hand queued results to ``submit`` until ``close``; one batch at a time."""
        while not self._closed:
            await self._ready.wait()
            self._ready.clear()
            while self._pending and not self._closed:
                n = min(len(self._pending), self.batch_results)
                taken = [self._pending.popleft() for _ in range(n)]
                records = [s for result in taken for s in result]
                if records:
                    await submit(Batch(self.source, records))
                self.submitted += n

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    def status(self) -> dict[str, Any]:
        return {
            "pending": len(self._pending),
            "max": self._max,
            "submitted": self.submitted,
            "dropped": self.dropped,
        }
