"""osmon's own Prometheus metrics, on a registry owned by the daemon (not the global one).

Also ``shared``: one instance of a metrics holder per registry. Several sources of the same type
share a daemon's registry; registering the same metric names twice would fail, so each holder
class is built once per registry and then shared.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

T = TypeVar("T")

_SHARED: weakref.WeakKeyDictionary[CollectorRegistry, dict[Any, Any]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def shared(registry: CollectorRegistry, factory: Callable[[CollectorRegistry], T]) -> T:
    """``factory(registry)``, built on the first call for this registry and factory."""
    with _LOCK:
        per_registry = _SHARED.setdefault(registry, {})
        found = per_registry.get(factory)
        if found is None:
            found = per_registry[factory] = factory(registry)
        result: T = found
        return result


class SelfMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.records_in = Counter(
            "osmon_source_records",
            "Records received from a source",
            ["source"],
            registry=registry,
        )
        self.batches = Counter(
            "osmon_source_batches",
            "Batches settled per source and outcome (ack, nack)",
            ["source", "outcome"],
            registry=registry,
        )
        self.records_out = Counter(
            "osmon_sink_records",
            "Records accepted by a sink",
            ["sink"],
            registry=registry,
        )
        self.sink_errors = Counter(
            "osmon_sink_errors",
            "Sink write failures by class (transient, permanent)",
            ["sink", "class"],
            registry=registry,
        )
        self.sink_retries = Counter(
            "osmon_sink_retries",
            "Sink write attempts beyond the first",
            ["sink"],
            registry=registry,
        )
        self.spooled = Counter(
            "osmon_spool_written_records",
            "Records written to the spool",
            ["sink"],
            registry=registry,
        )
        self.replayed = Counter(
            "osmon_spool_replayed_records",
            "Records replayed from the spool into a sink",
            ["sink"],
            registry=registry,
        )
        self.spool_dropped = Counter(
            "osmon_spool_dropped_records",
            "Records the spool dropped, by reason",
            ["reason"],
            registry=registry,
        )
        self.spool_depth = Gauge(
            "osmon_spool_depth_records",
            "Records waiting in the spool",
            registry=registry,
        )
        self.spool_bytes = Gauge(
            "osmon_spool_size_bytes",
            "Payload bytes held by the spool",
            registry=registry,
        )
        self.deadletters = Counter(
            "osmon_deadletter_records",
            "Records written to a dead-letter file",
            ["sink"],
            registry=registry,
        )
        self.batch_latency = Histogram(
            "osmon_batch_latency_seconds",
            "Time from submit to settle of a batch",
            ["source"],
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
