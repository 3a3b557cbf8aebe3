"""The Aodh alarms every service gets from the catalog, unless the inventory says otherwise.

Each rule looks at a service's catalog entry and its probes and yields alarms in the inventory's
own syntax (validated like an operator's). A service's alarm of the same name replaces the
default one; ``defaults.default_alarms: false`` turns them all off. They are Aodh alarms
(``gnocchi_aggregation_by_resources_threshold`` on the probes' series, which reach Aodh when the
``sample`` route includes a Gnocchi sink), not ``threshold`` ones: the same conditions are rules
of their own in ``osmon generate prometheus`` (``prometheus`` below), and a ``threshold`` alarm
would give Prometheus a second alert for each. Two conditions read series only Prometheus has
(the log metrics, per-queue RabbitMQ series): they are Prometheus rules only (no ``build``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from osmon.inventory.catalog import PROBE_UP_METRIC, ServiceType

__all__ = ["RULES", "DefaultRule", "default_alarms", "probe_query", "table"]

Probes = Sequence[tuple[str, str]]  # (probe name, probe type)
Spec = dict[str, Any]

_AODH = "gnocchi_aggregation_by_resources_threshold"


def probe_query(service: str, probe: str | None = None) -> dict[str, Any]:
    """Gnocchi search for the resources of a service's probe targets (ids ``svc_probe@host``).

    The Gnocchi sink stores a probe target ``svc/probe@host`` as resource ``svc_probe@host``
    (Gnocchi keeps it as ``original_resource_id``); ``_`` is escaped for SQL LIKE. Without a
    probe, every target but the process checks' (those alarm in Nagios).
    """
    prefix = _like(service) + "\\_"
    if probe is not None:
        return {"like": {"original_resource_id": f"{prefix}{_like(probe)}%"}}
    return {
        "and": [
            {"like": {"original_resource_id": f"{prefix}%"}},
            {"not": {"like": {"original_resource_id": f"{prefix}process@%"}}},
        ]
    }


def _like(text: str) -> str:
    """``text`` matched literally by SQL LIKE (names hold no ``%``; ``_`` is escaped)."""
    return text.replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class DefaultRule:
    """One default condition: which services get it, what it watches (for the README), its Aodh
    alarms (``build``; None: Prometheus only) and the ``osmon generate prometheus`` rule."""

    suffix: str
    applies: str
    watches: str
    prometheus: str
    build: Callable[[str, ServiceType, Probes], Iterator[Spec]] | None


def _down(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    if probes:
        yield {
            "name": f"{service}-down",
            "type": _AODH,
            "metric": PROBE_UP_METRIC,
            "comparison": "lt",
            "threshold": 1,
            "aggregation": "min",
            "severity": "critical",
            "resource_query": probe_query(service),
            "description": f"{service}: a probe has been failing for 5 minutes",
        }


def _agents(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    for name, kind in probes:
        if kind == "agent":
            yield {
                "name": f"{service}-agents-down",
                "type": _AODH,
                "metric": "osmon_probe_agents_down",
                "comparison": "gt",
                "threshold": 0,
                "aggregation": "max",
                "severity": "critical",
                "resource_query": probe_query(service, name),
                "description": f"{service}: agents reported down by their API for 5 minutes",
            }
            return


def _backlog(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    for name, kind in probes:
        if kind == "gnocchi":
            yield {
                "name": f"{service}-backlog-growing",
                "type": _AODH,
                "metric": "openstack_gnocchi_status_measures_to_process",
                "comparison": "gt",
                "threshold": 10000,
                "aggregation": "max",
                "granularity": 300,
                "for": "15m",
                "resource_query": probe_query(service, name),
                "description": f"{service}: over 10000 measures waiting for metricd for 15 min",
            }
            return


def _certificate(service: str, entry: ServiceType, probes: Probes) -> Iterator[Spec]:
    for name, kind in probes:
        if kind == "tls":
            yield {
                "name": f"{service}-certificate-expiring",
                "type": _AODH,
                "metric": "osmon_probe_days_left",
                "comparison": "lt",
                "threshold": 14,
                "aggregation": "min",
                "resource_query": probe_query(service, name),
                "description": f"{service}: a TLS certificate expires within 14 days",
            }
            return


RULES: tuple[DefaultRule, ...] = (
    DefaultRule(
        "down", "every service with a probe", "`probe_success` min < 1 for 5 min (critical)",
        "`ServiceDown`", _down,
    ),
    DefaultRule(
        "agents-down", "services with an `agent` probe (nova/cinder/neutron workers, heat-engine)",
        "`osmon_probe_agents_down` max > 0 for 5 min (critical)", "`Openstack<Api>AgentDown`",
        _agents,
    ),
    DefaultRule(
        "backlog-growing", "`gnocchi-api` with a `gnocchi` probe",
        "`openstack_gnocchi_status_measures_to_process` max > 10000 for 15 min (5 min periods)",
        "`GnocchiBacklogGrowing`", _backlog,
    ),
    DefaultRule(
        "certificate-expiring", "services with a `tls` probe",
        "`osmon_probe_days_left` min < 14 for 5 min (warning)", "`ProbeCertificateExpiring`",
        _certificate,
    ),
    DefaultRule(
        "notifications-no-consumer", "`rabbitmq` (its `rabbitmq` probe)",
        "a notification queue with messages and no consumer (per-queue series)",
        "`RabbitmqQueueWithoutConsumer`", None,
    ),
    DefaultRule(
        "api-5xx", "every OpenStack API service with access logs",
        "5xx share of `openstack_api_requests_total` (log metrics)", "`OpenstackApi5xxRate`",
        None,
    ),
)  # fmt: skip


def default_alarms(service: str, entry: ServiceType, probes: Probes) -> list[Spec]:
    """The default alarms of one service, as inventory alarm mappings. ``process`` probes are
    left out: their active check alarms in Nagios."""
    probes = [(name, kind) for name, kind in probes if kind != "process"]
    return [
        spec
        for rule in RULES
        if rule.build is not None
        for spec in rule.build(service, entry, probes)
    ]


def table() -> str:
    """The README's table of the default conditions (Markdown)."""
    lines = [
        "| condition | services | watches | Aodh alarm | Prometheus rule |",
        "|---|---|---|---|---|",
    ]
    for r in RULES:
        aodh = f"`<service>-{r.suffix}`" if r.build is not None else "— (Prometheus only)"
        lines.append(f"| {r.suffix} | {r.applies} | {r.watches} | {aodh} | {r.prometheus} |")
    return "\n".join(lines)
