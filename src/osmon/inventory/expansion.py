"""The expanded inventory: every probe, log source, alarm and Nagios object it implies.

Plain frozen dataclasses that collectors and generators consume; each has a stable ``id`` and the
lists in ``Expansion`` are sorted by it, so generated files diff cleanly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Alarm",
    "Credentials",
    "Expansion",
    "LogSource",
    "NagiosHost",
    "NagiosService",
    "NotificationExchange",
    "Probe",
    "Threshold",
]


@dataclass(frozen=True, slots=True)
class Threshold:
    """Nagios ranges for one metric (text; parse with ``osmon.checks.range``)."""

    warning: str | None
    critical: str | None


@dataclass(frozen=True, slots=True)
class Credentials:
    """Where a probe finds its login: names of a variable or files, never the password."""

    username: str | None
    password_env: str | None
    password_file: str | None
    option_file: str | None


@dataclass(frozen=True, slots=True)
class Probe:
    """One check of one target. ``host`` is None for a probe of a public/VIP URL.

    ``id`` is ``service/probe@host`` (or ``service/probe`` when host is None). ``body_pattern``
    (a regex) and ``follow_redirects`` are for http probes, ``client_cert``/``client_key`` for
    TLS ones, ``processes`` (names to count) for process probes.
    """

    id: str
    service: str
    service_type: str
    name: str
    type: str
    host: str | None
    address: str | None
    port: int | None
    url: str | None
    interval: float
    timeout: float
    expected_status: tuple[int, ...]
    tls_verify: bool
    ca_file: str | None
    server_name: str | None
    thresholds: Mapping[str, Threshold]
    contacts: tuple[str, ...]
    body_pattern: str | None = None
    follow_redirects: bool = False
    client_cert: str | None = None
    client_key: str | None = None
    processes: tuple[str, ...] = ()
    keystone_service_type: str | None = None
    agent_binary: str | None = None
    stuck_after: float | None = None
    credentials: Credentials | None = None
    queue_vhost: str | None = None
    queue_match: str | None = None


@dataclass(frozen=True, slots=True)
class LogSource:
    """A log file (glob) to tail on one host. ``id`` is ``service@host:path``."""

    id: str
    service: str
    host: str
    path: str
    format: str
    multiline: bool
    timezone: str
    service_name: str


@dataclass(frozen=True, slots=True)
class Alarm:
    """An alarm for Aodh and Prometheus. ``id`` is the (unique) name."""

    id: str
    name: str
    service: str | None
    metric: str
    comparison: str
    threshold: float
    severity: str
    aodh_severity: str
    for_seconds: float
    granularity: float
    evaluation_periods: int
    aggregation: str
    labels: Mapping[str, str]
    description: str
    contacts: tuple[str, ...]
    enabled: bool


@dataclass(frozen=True, slots=True)
class NagiosHost:
    """A Nagios host: an inventory host, or the cloud itself for probes of public URLs."""

    id: str
    address: str
    hostgroups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NagiosService:
    """A Nagios service. Passive ones receive the result of ``probe_id`` from the daemon;
    active ones (``process``) run a plugin on the host. ``id`` is ``host;description``."""

    id: str
    host: str
    description: str
    check: str
    service: str
    passive: bool
    probe_id: str | None
    thresholds: Mapping[str, Threshold]
    contacts: tuple[str, ...]
    contact_groups: tuple[str, ...]
    processes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NotificationExchange:
    """An oslo.messaging exchange to consume, with the topics and services that publish on it."""

    id: str
    topics: tuple[str, ...]
    services: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Expansion:
    """Everything an inventory implies; every list sorted by ``id``."""

    cloud: str
    region: str
    log_timezone: str
    probes: tuple[Probe, ...]
    log_sources: tuple[LogSource, ...]
    alarms: tuple[Alarm, ...]
    nagios_hosts: tuple[NagiosHost, ...]
    nagios_services: tuple[NagiosService, ...]
    notification_exchanges: tuple[NotificationExchange, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many of each kind of object the inventory implies."""
        return {
            "probes": len(self.probes),
            "log_sources": len(self.log_sources),
            "alarms": len(self.alarms),
            "nagios_hosts": len(self.nagios_hosts),
            "nagios_services": len(self.nagios_services),
            "notification_exchanges": len(self.notification_exchanges),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (tuples as lists, mappings as dicts)."""
        return dataclasses.asdict(self)
