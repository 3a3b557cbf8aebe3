"""Metrics derived from delivered log entries: messages per level, API requests and latency.

Counted when the router acked the batch, so they describe what reached the sinks. Label values
come from closed sets (levels, HTTP methods, status classes) because a garbled line must not
create a new series; anything else is counted as ``OTHER``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from osmon.selfmetrics import shared

LEVELS = frozenset(
    {
        "TRACE",
        "DEBUG",
        "INFO",
        "NOTICE",
        "AUDIT",
        "WARNING",
        "WARN",
        "ERROR",
        "CRITICAL",
        "FATAL",
        "UNKNOWN",
        "ALERT",
        "EMERG",
        "NOTE",
    }
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class LogMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "openstack_log_messages",
            "Log entries delivered, by service and level",
            ["service", "level"],
            registry=registry,
        )
        self.requests = Counter(
            "openstack_api_requests",
            "API requests seen in access logs",
            ["service", "method", "status_class"],
            registry=registry,
        )
        self.duration = Histogram(
            "openstack_api_request_duration_seconds",
            "API request duration from access logs",
            ["service", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, service: str, doc: Mapping[str, Any]) -> None:
        service = service or "unknown"
        log = doc.get("log")
        level = log.get("level") if isinstance(log, Mapping) else None
        level = level.upper() if isinstance(level, str) else "UNKNOWN"
        self.messages.labels(service, level if level in LEVELS else "OTHER").inc()
        http = doc.get("http")
        if not isinstance(http, Mapping):
            return
        req, resp = http.get("request"), http.get("response")
        method = req.get("method") if isinstance(req, Mapping) else None
        status = resp.get("status_code") if isinstance(resp, Mapping) else None
        if not isinstance(status, int):
            return
        method = method if method in METHODS else "OTHER"
        status_class = f"{status // 100}xx" if 100 <= status <= 599 else "other"
        self.requests.labels(service, method, status_class).inc()
        event = doc.get("event")
        duration = event.get("duration") if isinstance(event, Mapping) else None
        if isinstance(duration, int | float) and duration >= 0:
            self.duration.labels(service, method).observe(duration / 1e9)


def log_metrics_for(registry: CollectorRegistry) -> LogMetrics:
    """One instance per registry, so several log sources share the same series."""
    return shared(registry, LogMetrics)
