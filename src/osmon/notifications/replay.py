"""Publish notification files through a real oslo.messaging Notifier.

Files are JSON: one notification ``{"event_type", "publisher_id", "priority", "payload",
"ctxt"?}`` or a list of them; Nova's versioned samples (``$ref`` + deep-merge) are resolved first.
The context goes out as an oslo.context ``RequestContext`` because oslo.messaging drops a plain
dict context. Each notification is sent on its service's control exchange (derived from the
publisher like the consumer attributes it, or forced with ``exchange``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osmon.notifications.exchanges import attribute
from osmon.notifications.oslo import oslo_messaging
from osmon.notifications.refs import RefError, RefResolver

VERSIONED_TOPIC = "versioned_notifications"
LEGACY_TOPIC = "notifications"
_PRIORITY_METHODS = {
    "audit": "audit",
    "debug": "debug",
    "info": "info",
    "warn": "warn",
    "warning": "warn",
    "error": "error",
    "critical": "critical",
    "sample": "sample",
}


class ReplayError(ValueError):
    """A notification file that cannot be published; the message names the file."""


@dataclass(frozen=True, slots=True)
class Notification:
    event_type: Any
    publisher_id: str
    priority: str
    payload: Any
    ctxt: dict[str, Any] = field(default_factory=dict)
    origin: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    """The notification's own ``message_id``/``timestamp`` when the file has them."""

    @property
    def versioned(self) -> bool:
        return isinstance(self.payload, dict) and "nova_object.name" in self.payload


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(x for x in p.glob("*.json") if x.is_file())
        else:
            yield p


def _notification(doc: Any, origin: str) -> Notification:
    if not isinstance(doc, dict):
        raise ReplayError(f"{origin}: expected a JSON object, got {type(doc).__name__}")
    missing = [k for k in ("publisher_id", "payload") if k not in doc]
    if missing:
        raise ReplayError(f"{origin}: missing {', '.join(missing)}")
    priority = str(doc.get("priority", "INFO")).lower()
    if priority not in _PRIORITY_METHODS:
        raise ReplayError(f"{origin}: unknown priority {doc.get('priority')!r}")
    ctxt = doc.get("ctxt") or {}
    if not isinstance(ctxt, dict):
        raise ReplayError(f"{origin}: ctxt must be an object")
    metadata = doc.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ReplayError(f"{origin}: metadata must be an object")
    for key in ("message_id", "timestamp"):
        if key not in metadata and isinstance(doc.get(key), str):
            metadata = {**metadata, key: doc[key]}  # oslo's wire format has them at the top
    return Notification(
        event_type=doc.get("event_type"),
        publisher_id=str(doc["publisher_id"]),
        priority=_PRIORITY_METHODS[priority],
        payload=doc["payload"],
        ctxt=ctxt,
        origin=origin,
        metadata=metadata,
    )


def load_notifications(paths: Sequence[Path]) -> list[Notification]:
    """Every notification of the files (directories: their ``*.json``), ``$ref`` resolved."""
    resolver = RefResolver()
    out: list[Notification] = []
    for path in _expand(paths):
        try:
            doc = resolver.resolve_file(path)
        except RefError as exc:
            raise ReplayError(str(exc)) from None
        if isinstance(doc, list):
            out.extend(_notification(d, f"{path}[{i}]") for i, d in enumerate(doc))
        else:
            out.append(_notification(doc, str(path)))
    return out


def _context(ctxt: dict[str, Any]) -> Any:
    from oslo_context import context

    return context.RequestContext.from_dict(
        ctxt,
        user_id=ctxt.get("user_id") or ctxt.get("user"),
        project_id=ctxt.get("project_id") or ctxt.get("tenant") or ctxt.get("project"),
    )


class _SendFailures(logging.Filter):
    """oslo's notifier logs a failed send (with the whole payload) instead of raising; keep the
    error for the caller and drop the record."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Could not send notification"):
            exc = record.exc_info[1]
            self.local.error = f"{type(exc).__name__}: {exc}"
            return False
        return True

    def take(self) -> str | None:
        error: str | None = getattr(self.local, "error", None)
        self.local.error = None
        return error


_NOTIFY_LOGGERS = ("oslo.messaging.notify.messaging", "oslo_messaging.notify.messaging")


class Publisher:
    """Notifiers per (exchange, topic), one transport per exchange (the exchange is a transport
    setting in oslo.messaging)."""

    def __init__(
        self,
        transport_url: str,
        *,
        topic: str | None = None,
        exchange: str | None = None,
        retry: int = 3,
    ) -> None:
        self.transport_url = transport_url
        self.retry = retry
        self._failures = _SendFailures()
        for name in _NOTIFY_LOGGERS:
            logging.getLogger(name).addFilter(self._failures)
        self.topic = topic
        self.exchange = exchange
        self._om = oslo_messaging()
        self._transports: dict[str, Any] = {}
        self._notifiers: dict[tuple[str, str], Any] = {}

    def _notifier(self, exchange: str, topic: str) -> Any:
        key = (exchange, topic)
        if key not in self._notifiers:
            if exchange not in self._transports:
                from oslo_config import cfg
                from oslo_messaging import opts as om_opts

                conf = cfg.ConfigOpts()
                for group, opts in om_opts.list_opts():
                    if group is None:
                        conf.register_opts(opts)
                conf([], project="osmon", default_config_files=[])
                conf.set_override("control_exchange", exchange)
                self._transports[exchange] = self._om.get_notification_transport(
                    conf, url=self.transport_url
                )
            self._notifiers[key] = self._om.Notifier(
                self._transports[exchange],
                driver="messagingv2",
                topics=[topic],
                retry=self.retry,
            )
        return self._notifiers[key]

    def route(self, n: Notification) -> tuple[str, str]:
        topic = self.topic or (VERSIONED_TOPIC if n.versioned else LEGACY_TOPIC)
        exchange = self.exchange or attribute(n.publisher_id, str(n.event_type or ""))
        if exchange is None:
            raise ReplayError(
                f"{n.origin}: cannot tell the exchange of publisher {n.publisher_id!r}; "
                "pass an exchange"
            )
        return exchange, topic

    def publish(self, n: Notification) -> None:
        exchange, topic = self.route(n)
        notifier = self._notifier(exchange, topic).prepare(publisher_id=n.publisher_id)
        getattr(notifier, n.priority)(_context(n.ctxt), n.event_type, n.payload)
        error = self._failures.take()
        if error is not None:
            raise ReplayError(f"{n.origin}: not sent to {exchange}/{topic}: {error}")

    def close(self) -> None:
        for name in _NOTIFY_LOGGERS:
            logging.getLogger(name).removeFilter(self._failures)
        for transport in self._transports.values():
            transport.cleanup()
        self._transports.clear()
        self._notifiers.clear()


def replay(
    notifications: Sequence[Notification],
    publisher: Publisher,
    *,
    rate: float | None = None,
    repeat: int = 1,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Publish ``repeat`` rounds of the notifications, at most ``rate`` per second; the count."""
    for n in notifications:
        publisher.route(n)
    interval = 1.0 / rate if rate else 0.0
    start = time.monotonic()
    sent = 0
    for _ in range(repeat):
        for n in notifications:
            if interval:
                delay = start + sent * interval - time.monotonic()
                if delay > 0:
                    sleep(delay)
            publisher.publish(n)
            sent += 1
    return sent
