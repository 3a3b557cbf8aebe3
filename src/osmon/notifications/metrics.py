"""Prometheus metrics of the notification source, shared by every source on one registry."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from osmon.notifications.convert import Converter
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
        self.definitions = DefinitionMetrics()
        registry.register(self.definitions)

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


class DefinitionMetrics(Collector):
    """What the meter and event definitions in use could not do, per definition (``FILE:LINE``).

    Read from the definitions' own counters at scrape time; sources sharing a definition file
    share its counts, so they are reported once.
    """

    def __init__(self) -> None:
        self._converters: weakref.WeakSet[Converter] = weakref.WeakSet()

    def watch(self, converter: Converter) -> None:
        self._converters.add(converter)

    def collect(self) -> Iterator[Metric]:
        samples = CounterMetricFamily(
            "osmon_meter_samples_skipped",
            "Samples a meter definition did not produce: bad_value (the notification did not "
            "convert), null_volume (no volume)",
            labels=["definition", "reason"],
        )
        traits = CounterMetricFamily(
            "osmon_event_traits_dropped",
            "Trait values that did not convert to the trait's type (the event keeps the others)",
            labels=["definition", "trait"],
        )
        skipped = GaugeMetricFamily(
            "osmon_definitions_skipped",
            "Definitions skipped at load (FILE:LINE warnings in the log), by kind",
            labels=["kind"],
        )
        meter_sets = {id(c.meters): c.meters for c in list(self._converters)}
        event_sets = {id(c.events): c.events for c in list(self._converters)}
        for meters in meter_sets.values():
            for d in meters.definitions:
                for reason, count in list(d.stats.items()):
                    samples.add_metric([d.origin, reason], count)
        for events in event_sets.values():
            for e in events.definitions:
                for t in e.traits:
                    if t.dropped:
                        traits.add_metric([e.origin, t.name], t.dropped)
        skipped.add_metric(["meter"], sum(m.skipped for m in meter_sets.values()))
        skipped.add_metric(["event"], sum(len(e.problems) for e in event_sets.values()))
        yield samples
        yield traits
        yield skipped
