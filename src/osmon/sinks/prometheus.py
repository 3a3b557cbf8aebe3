"""Prometheus sink: keeps the latest value of each series and exposes it through a collector.

Prometheus pulls, so "writing" a sample means remembering it until the next scrape. Two guards keep
a misbehaving source from taking the exporter down: labels outside an allow-list are dropped
(a resource id never becomes a label unless an operator asks for it) and a hard cap on series
rejects new ones, both counted. Series that stop being updated are evicted after
``staleness_seconds`` so a deleted instance does not linger forever.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, ConfigDict, Field

from osmon.components import Context
from osmon.records import Kind, Record, Sample
from osmon.sinks.base import WriteResult

_INVALID = re.compile(r"[^a-zA-Z0-9_]")

DEFAULT_LABELS = (
    "service",
    "host",
    "hostname",
    "region",
    "zone",
    "endpoint",
    "interface",
    "check",
    "adminState",
    # openstack-exporter's other agent-state labels, and Aodh alarm states (all bounded)
    "id",
    "disabledReason",
    "availability_zone",
    "state",
    "agent",
    "exchange",
    "event_type",
    "priority",
    "level",
    "method",
    "status_class",
    "status",
    "target",
    "cloud",
    "role",
    "queue",
    "vhost",
    "node",
    "le",
    "id",
    "proxy",
    "server",
    "state",
)


class PrometheusOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    namespace: str = Field("", description="Prefix added to every exported metric name.")
    staleness_seconds: float = Field(600.0, gt=0, description="Evict series not updated since.")
    max_series: int = Field(50_000, gt=0, description="Hard cap on exported series.")
    label_allowlist: list[str] = Field(
        default_factory=lambda: list(DEFAULT_LABELS),
        description="Labels kept on exported series; others are dropped (counted).",
    )


def metric_name(name: str, namespace: str = "") -> str:
    base = _INVALID.sub("_", name.replace(".", "_"))
    if namespace:
        base = f"{namespace}_{base}"
    if base[:1].isdigit():
        base = "_" + base
    return base


@dataclass(slots=True)
class _Series:
    value: float
    updated: float


@dataclass(slots=True)
class _Family:
    type: str
    help: str
    labelnames: tuple[str, ...]
    series: dict[tuple[str, ...], _Series]


class LatestValueCollector(Collector):
    def __init__(self, opts: PrometheusOptions, registry: CollectorRegistry) -> None:
        self.opts = opts
        self.allow = frozenset(opts.label_allowlist)
        self._families: dict[str, _Family] = {}
        self._nseries = 0
        self._lock = threading.Lock()
        self.rejected = Counter(
            "osmon_prometheus_series_rejected",
            "Samples not exported because the series cap was reached or types clashed",
            ["reason"],
            registry=registry,
        )
        self.dropped_labels = Counter(
            "osmon_prometheus_labels_dropped",
            "Labels removed by the allow-list",
            ["label"],
            registry=registry,
        )
        self.evicted = Counter(
            "osmon_prometheus_series_evicted",
            "Series evicted as stale",
            registry=registry,
        )

    @property
    def series_count(self) -> int:
        return self._nseries

    def _labels(self, s: Sample) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in s.labels.items():
            if k in self.allow:
                out[_INVALID.sub("_", k)] = str(v)
            else:
                self.dropped_labels.labels(k).inc()
        if s.resource_id and "resource_id" in self.allow:
            out["resource_id"] = s.resource_id
        return out

    def update(self, s: Sample, now: float) -> bool:
        name = metric_name(s.name, self.opts.namespace)
        mtype = "gauge" if s.type == "gauge" else "counter"
        if mtype == "counter" and name.endswith("_total"):
            name = name[: -len("_total")]
        labels = self._labels(s)
        with self._lock:
            fam = self._families.get(name)
            if fam is None:
                help_text = f"{s.name} ({s.unit})" if s.unit else s.name
                fam = _Family(mtype, help_text, tuple(sorted(labels)), {})
                self._families[name] = fam
            if fam.type != mtype:
                self.rejected.labels("type_clash").inc()
                return False
            if tuple(sorted(labels)) != fam.labelnames:
                for ln in fam.labelnames:
                    labels.setdefault(ln, "")
                labels = {k: v for k, v in labels.items() if k in fam.labelnames}
            key = tuple(labels[k] for k in fam.labelnames)
            cur = fam.series.get(key)
            if cur is None:
                if self._nseries >= self.opts.max_series:
                    self.rejected.labels("series_cap").inc()
                    return False
                start = 0.0 if s.type == "delta" else s.value
                fam.series[key] = _Series(start, now)
                self._nseries += 1
                cur = fam.series[key]
                if s.type != "delta":
                    return True
            cur.value = cur.value + s.value if s.type == "delta" else s.value
            cur.updated = now
            return True

    def evict(self, now: float) -> None:
        limit = now - self.opts.staleness_seconds
        with self._lock:
            for name in list(self._families):
                fam = self._families[name]
                stale = [k for k, v in fam.series.items() if v.updated < limit]
                for k in stale:
                    del fam.series[k]
                self._nseries -= len(stale)
                if stale:
                    self.evicted.inc(len(stale))
                if not fam.series:
                    del self._families[name]

    def collect(self) -> Iterator[Metric]:
        self.evict(time.time())
        with self._lock:
            snapshot = [
                (name, fam.type, fam.help, fam.labelnames, list(fam.series.items()))
                for name, fam in sorted(self._families.items())
            ]
        for name, mtype, help_text, labelnames, series in snapshot:
            metric: GaugeMetricFamily | CounterMetricFamily
            if mtype == "gauge":
                metric = GaugeMetricFamily(name, help_text, labels=labelnames)
            else:
                metric = CounterMetricFamily(name, help_text, labels=labelnames)
            for key, ser in series:
                metric.add_metric(list(key), ser.value)
            yield metric


class PrometheusSink:
    kinds = frozenset({Kind.SAMPLE})

    def __init__(self, name: str, opts: PrometheusOptions, registry: CollectorRegistry) -> None:
        self.name = name
        self.opts = opts
        self.collector = LatestValueCollector(opts, registry)
        registry.register(self.collector)

    async def start(self) -> None:
        return None

    async def write(self, records: Sequence[Record]) -> WriteResult:
        now = time.time()
        for rec in records:
            if isinstance(rec, Sample):
                self.collector.update(rec, now)
        return WriteResult()

    async def close(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {"series": self.collector.series_count, "max_series": self.opts.max_series}


def build(name: str, options: Mapping[str, Any], ctx: Context) -> PrometheusSink:
    return PrometheusSink(name, PrometheusOptions.model_validate(dict(options)), ctx.registry)
