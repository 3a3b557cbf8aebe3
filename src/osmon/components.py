"""Registry of source, sink and probe types, imported lazily by dotted path.

The daemon config names a type (``gnocchi``, ``elasticsearch`` ...); only the modules that are
actually configured get imported, so ``osmon run`` on the embedded default never loads the
Elasticsearch or Gnocchi clients.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # prometheus_client only as a type: the Nagios plugins import this table
    from prometheus_client import CollectorRegistry

    from osmon.checks.latest import LatestState
    from osmon.inventory import Inventory
    from osmon.probes.base import ProbeFunction
    from osmon.sinks.base import Sink
    from osmon.sources.base import Source


@dataclass(slots=True)
class Context:
    """What a source or sink factory may use besides its own options."""

    inventory: Inventory
    state_dir: Path
    registry: CollectorRegistry
    latest: LatestState | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class SinkFactory(Protocol):
    def __call__(self, name: str, options: Mapping[str, Any], ctx: Context) -> Sink: ...


class SourceFactory(Protocol):
    def __call__(self, name: str, options: Mapping[str, Any], ctx: Context) -> Source: ...


SINKS: dict[str, str] = {
    "prometheus": "osmon.sinks.prometheus:build",
    "gnocchi": "osmon.sinks.gnocchi:build",
    "elasticsearch": "osmon.sinks.elasticsearch:build",
    "opensearch": "osmon.sinks.elasticsearch:build",
    "jsonl": "osmon.sinks.jsonl:build",
    "webhook": "osmon.sinks.webhook:build",
}

SOURCES: dict[str, str] = {
    "notifications": "osmon.sources.notifications:build",
    "logs": "osmon.sources.logs:build",
    "journald": "osmon.sources.journald:build",
    "probes": "osmon.sources.probes:build",
}


#: Probe kinds by the inventory's probe ``type``: ``async def probe(target, ctx) -> Observation``.
PROBES: dict[str, str] = {
    "http": "osmon.probes.http:probe",
    "tls": "osmon.probes.tls:probe",
    "tcp": "osmon.probes.tcp:probe",
    "process": "osmon.probes.process:probe",
    "rabbitmq": "osmon.probes.rabbitmq:probe",
    "galera": "osmon.probes.galera:probe",
    "memcached": "osmon.probes.memcached:probe",
    "haproxy": "osmon.probes.haproxy:probe",
    "agent": "osmon.probes.agents:probe",
    "gnocchi": "osmon.probes.gnocchi:probe",
    "aodh": "osmon.probes.aodh:probe",
}


class UnknownComponent(ValueError):
    pass


def _load(table: Mapping[str, str], kind: str, type_name: str) -> Any:
    try:
        target = table[type_name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise UnknownComponent(f"unknown {kind} type {type_name!r} (known: {known})") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def sink_factory(type_name: str) -> SinkFactory:
    factory: SinkFactory = _load(SINKS, "sink", type_name)
    return factory


def probe_function(type_name: str) -> ProbeFunction:
    fn: ProbeFunction = _load(PROBES, "probe", type_name)
    return fn


def source_factory(type_name: str) -> SourceFactory:
    factory: SourceFactory = _load(SOURCES, "source", type_name)
    return factory
