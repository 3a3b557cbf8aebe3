"""What one Aodh alarm transition does in osmon: series, an ``Event``, a Nagios result.

Series stay bounded: an Aodh alarm named ``osmon-<cloud>-<alarm id>`` (the name ``osmon alarms
apply`` gives the inventory's alarms) always has its own ``alarm_name`` label; at most
``max_alarm_names`` other names get one, the rest share ``alarm_name="_other"`` and are counted
in ``osmon_alarm_names_overflow_total``. ``osmon_alarm_state`` is 0 ok, 1 alarm, 2 insufficient
data, one series per alarm name (a changed severity replaces the old series).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import BaseModel, ConfigDict, Field

from osmon.alarms.desired import aodh_name
from osmon.checks.state import State
from osmon.inventory import Alarm, Inventory, expand
from osmon.records import Event

__all__ = [
    "EVENT_TYPE",
    "STATE_VALUES",
    "AlarmEffects",
    "AlarmMetrics",
    "AodhNotification",
    "NagiosFeed",
]

log = logging.getLogger(__name__)

EVENT_TYPE = "alarm.transition"
"""``Event.event_type`` of an alarm transition."""

OTHER = "_other"
"""``alarm_name`` label of the names beyond the cap."""

AodhState = Literal["ok", "alarm", "insufficient data"]
STATE_VALUES: Mapping[str, int] = {"ok": 0, "alarm": 1, "insufficient data": 2}

_NAGIOS_ALARM = {"critical": State.CRITICAL, "moderate": State.WARNING, "low": State.WARNING}


class AodhNotification(BaseModel):
    """The body Aodh's ``http``/``https`` notifier POSTs (``aodh/notifier/rest.py``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    alarm_name: str = Field(min_length=1, max_length=255)
    alarm_id: str = Field(min_length=1, max_length=128)
    severity: Literal["low", "moderate", "critical"] | None
    previous: AodhState | None
    current: AodhState
    reason: str  # bounded by max_body_bytes: a long (composite) reason is never refused
    reason_data: dict[str, Any]


class NagiosFeed(Protocol):
    """``osmon.nagios.passive.PassiveFeed`` as far as alarms use it (``ctx.extra["nagios"]``)."""

    def service_result(self, host: str, service: str, state: State, output: str) -> Any: ...


class AlarmMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.state = Gauge(
            "osmon_alarm_state",
            "Aodh alarm state from its webhook: 0 ok, 1 alarm, 2 insufficient data",
            ["alarm_name", "severity"],
            registry=registry,
        )
        self.transitions = Counter(
            "osmon_alarm_transitions",
            "Aodh alarm transitions received, by the state entered",
            ["alarm_name", "severity", "current"],
            registry=registry,
        )
        self.webhooks = Counter(
            "osmon_alarm_webhooks",
            "Aodh webhook requests by outcome",
            ["outcome"],
            registry=registry,
        )
        self.overflow = Counter(
            "osmon_alarm_names_overflow",
            "Transitions of alarms beyond max_alarm_names, recorded as alarm_name=_other",
            registry=registry,
        )


@dataclass(frozen=True, slots=True)
class NagiosTarget:
    host: str | None
    service: str
    enabled: bool = True


class AlarmEffects:
    """Applies transitions: the series, the ``Event`` to route, the optional Nagios result."""

    def __init__(
        self,
        metrics: AlarmMetrics,
        inventory: Inventory,
        max_alarm_names: int,
        nagios: NagiosTarget,
        extra: Mapping[str, Any],
    ) -> None:
        self.metrics = metrics
        self.max_alarm_names = max_alarm_names
        self.nagios = nagios
        self._extra = extra
        self._others: set[str] = set()
        self._severity: dict[str, str] = {}
        self.cloud = ""
        self.known: dict[str, Alarm] = {}
        self.reload(inventory)

    def reload(self, inventory: Inventory) -> None:
        expansion = expand(inventory)
        self.cloud = expansion.cloud
        self.known = {aodh_name(expansion.cloud, a.id): a for a in expansion.alarms}

    def label(self, alarm_name: str) -> str:
        """The ``alarm_name`` label: the name itself while the series stay bounded."""
        if alarm_name in self.known or alarm_name in self._others:
            return alarm_name
        if len(self._others) < self.max_alarm_names:
            self._others.add(alarm_name)
            return alarm_name
        self.metrics.overflow.inc()
        return OTHER

    def apply(self, note: AodhNotification, received_at: float, request_id: str) -> Event:
        """Update the series and return the transition as an ``Event``."""
        name = self.label(note.alarm_name)
        severity = note.severity or ""
        old = self._severity.get(name)
        if old is not None and old != severity:
            with contextlib.suppress(KeyError):
                self.metrics.state.remove(name, old)
        self._severity[name] = severity
        self.metrics.state.labels(name, severity).set(STATE_VALUES[note.current])
        self.metrics.transitions.labels(name, severity, note.current).inc()
        alarm = self.known.get(note.alarm_name)
        traits: dict[str, Any] = {
            "alarm_name": note.alarm_name,
            "alarm_id": note.alarm_id,
            "severity": severity,
            "previous": note.previous or "",
            "current": note.current,
            "reason": note.reason,
            "cloud": self.cloud,
            "inventory_alarm": alarm.id if alarm else "",
            "service": (alarm.service or "") if alarm else "",
        }
        return Event(
            event_type=EVENT_TYPE,
            timestamp=received_at,
            message_id=request_id or str(uuid.uuid4()),
            traits=traits,
            raw=note.model_dump(),
        )

    async def to_nagios(self, note: AodhNotification) -> None:
        """A passive result for an inventory alarm, when the daemon has a Nagios feed."""
        feed: NagiosFeed | None = self._extra.get("nagios")
        alarm = self.known.get(note.alarm_name)
        if feed is None or alarm is None or not self.nagios.enabled:
            return
        if note.current == "ok":
            state = State.OK
        elif note.current == "alarm":
            state = _NAGIOS_ALARM.get(note.severity or "", State.WARNING)
        else:
            state = State.UNKNOWN
        output = f"{state.name} - {note.current}: {note.reason}"[:1024]
        host = self.nagios.host or self.cloud
        service = self.nagios.service.format(alarm=alarm.id)
        try:
            result = feed.service_result(host, service, state, output)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:  # Nagios down must not stop the other effects
            log.warning("alarm %s: Nagios result not written: %s", alarm.id, exc)
