"""Prometheus metrics of the notification source, shared by every source on one registry."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge

from osmon.selfmetrics import shared

MAX_EVENT_TYPES = 1000
OTHER = "other"


class NotificationMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.notifications = Counter(
            "osmon_notifications_total",
            "Notifications accepted downstream, by exchange, event type and priority",
            ["exchange", "event_type", "priority"],
            registry=registry,
        )
        self.errors = Counter(
            "osmon_notification_errors_total",
            "ERROR/CRITICAL or *.error notifications, by publishing service and event type",
            ["service", "event_type"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "osmon_notification_dead_letters_total",
            "Notifications set aside in the dead-letter file, by reason",
            ["reason"],
            registry=registry,
        )
        self.batches = Counter(
            "osmon_notification_batches_total",
            "Batches handed back to oslo.messaging, by outcome (handled, requeued)",
            ["outcome"],
            registry=registry,
        )
        self.duplicates = Counter(
            "osmon_notification_redelivered_skipped_total",
            "Redelivered notifications already accepted downstream, not submitted twice",
            registry=registry,
        )
        self.listeners = Gauge(
            "osmon_notification_listeners",
            "oslo.messaging listeners running (one per transport URL)",
            registry=registry,
        )
        self.last_received = Gauge(
            "osmon_notification_last_received_timestamp_seconds",
            "When the last notification of an exchange was accepted",
            ["exchange"],
            registry=registry,
        )
        self._event_types: set[str] = set()
        self._lock = threading.Lock()

    def bounded_event_type(self, event_type: str) -> str:
        """The event type as a label value; past MAX_EVENT_TYPES distinct values, ``other``."""
        if event_type in self._event_types:
            return event_type
        with self._lock:
            if len(self._event_types) >= MAX_EVENT_TYPES:
                return OTHER
            self._event_types.add(event_type)
        return event_type


def metrics_for(registry: CollectorRegistry) -> NotificationMetrics:
    return shared(registry, NotificationMetrics)
