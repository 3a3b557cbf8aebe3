"""Rules on the OpenStack-facing series osmon exports: probes, agent states, log metrics.

Each function returns one rule group (``{"name", "rules"}``), or None when the inventory implies
none of its series. The agent-state rules read openstack-exporter's series, which the ``agent``
probe exports under the same names and labels, so they fire on that exporter's output too.
Certificate rules use the inventory's ``days_left`` ranges of the form ``N:`` (alert below N);
another form falls back to the catalog's default for that level.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Final

from osmon.generate.prometheus_rules import Rule, alert, record
from osmon.inventory import Expansion, Probe

__all__ = ["AGENT_APIS", "agent_rules", "log_rules", "probe_rules"]

AGENT_APIS: Final[dict[str, str]] = {
    "compute": "nova",
    "block-storage": "cinder",
    "volume": "cinder",
    "volumev3": "cinder",
    "network": "neutron",
    "orchestration": "heat",
}
"""Keystone service type of an ``agent`` probe → openstack-exporter's name in its series."""

_ENABLED: Final = {"neutron": "up"}
"""The ``adminState`` value of an enabled agent, where it is not ``enabled``."""

_ERROR_LEVELS: Final = "ERROR|CRITICAL|FATAL|ALERT|EMERG"
_DAYS_LEFT: Final = (30.0, 7.0)
"""The catalog's ``days_left`` ranges (``30:``, ``7:``), used when no tls probe says otherwise."""
_AT_LEAST = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*$")


def _days(text: str | None, default: float) -> float:
    match = _AT_LEAST.match(text or "")
    return float(match.group(1)) if match else default


def _cert_rules(probes: Iterable[Probe]) -> list[Rule]:
    """Expiry alerts at the inventory's ``days_left`` ranges (``N:``) of its tls probes.

    The most common pair applies to every ``probe_ssl_earliest_cert_expiry`` series (tls and
    https probes); tls targets with another pair get rules of their own, excluded from it.
    """
    pairs: dict[tuple[float, float], list[str]] = {}
    for p in probes:
        if p.type == "tls":
            t = p.thresholds.get("days_left")
            pair = (
                _days(t.warning if t else None, _DAYS_LEFT[0]),
                _days(t.critical if t else None, _DAYS_LEFT[1]),
            )
            pairs.setdefault(pair, []).append(p.id)
    counts = Counter({pair: len(ids) for pair, ids in pairs.items()})
    common = min(counts, key=lambda pair: (-counts[pair], pair)) if counts else _DAYS_LEFT
    others = sorted((pair, ids) for pair, ids in pairs.items() if pair != common)
    excluded = "|".join(re.escape(i) for _, ids in others for i in sorted(ids))
    groups = [(common, f'{{target!~"{excluded}"}}' if excluded else "")]
    groups += [
        (pair, '{target=~"' + "|".join(map(re.escape, sorted(ids))) + '"}') for pair, ids in others
    ]
    rules = []
    for (warning, critical), selector in groups:
        for severity, days in (("warning", warning), ("critical", critical)):
            rules.append(
                alert(
                    "ProbeCertificateExpiring",
                    f"(probe_ssl_earliest_cert_expiry{selector} - time()) / 86400 < {days:g}",
                    for_=0,
                    severity=severity,
                    summary="the certificate of {{ $labels.target }} expires in "
                    "{{ $value | humanize }} days",
                    description="The TLS certificate served at {{ $labels.target }} (service "
                    "{{ $labels.service }}) has {{ $value | humanize }} days left, "
                    f"less than {days:g}.",
                )
            )
    return rules


def probe_rules(exp: Expansion) -> Rule | None:
    """A failing probe, a service whose probes all fail, certificates expiring, queues and
    Gnocchi's backlog."""
    if not exp.probes:
        return None
    target = "{{ $labels.target }}"
    return {
        "name": "osmon.probes",
        "rules": [
            record("service:probe_success:avg", "avg by (service) (probe_success)"),
            alert(
                "ProbeFailing",
                "probe_success == 0",
                for_=300,
                severity="warning",
                summary=f"probe {target} is failing",
                description=f"The {{{{ $labels.check }}}} probe of {{{{ $labels.service }}}} "
                f"({target}, host {{{{ $labels.host }}}}) has failed for 5 minutes; its summary "
                f"is at GET /v1/probes/{target} on {{{{ $labels.instance }}}}.",
            ),
            alert(
                "ServiceDown",
                "service:probe_success:avg == 0",
                for_=300,
                severity="critical",
                summary="every probe of {{ $labels.service }} is failing",
                description="All probes of {{ $labels.service }} have failed for 5 minutes "
                "(osmon probe --target '{{ $labels.service }}/*' shows why).",
            ),
            *_cert_rules(exp.probes),
            *_kind_rules({p.type for p in exp.probes}),
        ],
    }


def _kind_rules(kinds: set[str]) -> list[Rule]:
    """Rules on the series of one probe kind, when the inventory has probes of that kind."""
    rules = []
    if "rabbitmq" in kinds:
        queue = "{{ $labels.vhost }}/{{ $labels.queue }}"
        rules.append(
            alert(
                "RabbitmqQueueWithoutConsumer",
                "rabbitmq_queue_messages > 0 and rabbitmq_queue_consumers == 0",
                for_=600,
                severity="warning",
                summary=f"RabbitMQ queue {queue} has messages and no consumer",
                description=f"The queue {queue} ({{{{ $labels.target }}}}) has held "
                "{{ $value }} messages with no consumer for 10 minutes: notifications pile "
                "up (is osmon's or Ceilometer's listener running?).",
            )
        )
    if "gnocchi" in kinds:
        backlog = "openstack_gnocchi_status_measures_to_process"
        rules += [
            alert(
                "GnocchiBacklogGrowing",
                f"{backlog} > 0 and deriv({backlog}[30m]) > 0",
                for_=1800,
                severity="warning",
                summary="Gnocchi's backlog keeps growing ({{ $labels.target }})",
                description="The measures waiting for gnocchi-metricd have grown for 30 "
                "minutes: metricd processes less than is written.",
            ),
            alert(
                "GnocchiMetricdMissing",
                "openstack_gnocchi_status_metricd_processors == 0",
                for_=300,
                severity="critical",
                summary="no gnocchi-metricd processes measures ({{ $labels.target }})",
                description="Gnocchi has reported no metricd processor for 5 minutes: no "
                "measure is aggregated.",
            ),
        ]
    return rules


def _agent_apis(probes: Iterable[Probe]) -> list[str]:
    names = {
        AGENT_APIS[p.keystone_service_type]
        for p in probes
        if p.type == "agent" and p.keystone_service_type in AGENT_APIS
    }
    return sorted(names)


def agent_rules(exp: Expansion) -> Rule | None:
    """openstack-exporter's intent: agents down, agents disabled for long, the API itself down."""
    apis = _agent_apis(exp.probes)
    if not apis:
        return None
    where = "{{ $labels.service }} on {{ $labels.hostname }}"
    rules = []
    for api in apis:
        title = api.capitalize()
        state = f"openstack_{api}_agent_state"
        enabled = _ENABLED.get(api, "enabled")
        rules.append(
            alert(
                f"Openstack{title}AgentDown",
                f'{state}{{adminState="{enabled}"}} == 0',
                for_=300,
                severity="critical",
                summary=f"{where} is down",
                description=f"The {api} API has reported {where} as down for 5 minutes "
                "although it is enabled.",
            )
        )
        if api != "heat":  # heat's service list has no admin state
            rules.append(
                alert(
                    f"Openstack{title}AgentDisabled",
                    f'{state}{{adminState!="{enabled}"}}',
                    for_=3600,
                    severity="warning",
                    summary=f"{where} is disabled",
                    description=f"{where} has been disabled in the {api} API for an hour.",
                )
            )
        rules.append(
            alert(
                f"Openstack{title}ApiDown",
                f"openstack_{api}_up == 0",
                for_=300,
                severity="critical",
                summary=f"the {api} API does not answer osmon",
                description=f"osmon on {{{{ $labels.instance }}}} has not read the {api} agent "
                "list for 5 minutes (the API is down, or Keystone refuses osmon's token).",
            )
        )
    return {"name": "osmon.agents", "rules": rules}


def log_rules(exp: Expansion) -> Rule | None:
    """API 5xx ratio and error lines from the log metrics, when osmon tails logs."""
    if not exp.log_sources:
        return None
    requests = "rate(openstack_api_requests_total[5m])"
    return {
        "name": "osmon.logs",
        "rules": [
            record(
                "service:openstack_api_requests:rate5m",
                f"sum by (service, status_class) ({requests})",
            ),
            record(
                "service:openstack_api_requests_5xx:ratio_rate5m",
                'sum by (service) (rate(openstack_api_requests_total{status_class="5xx"}[5m])) '
                f"/ sum by (service) ({requests})",
            ),
            record(
                "service:openstack_log_errors:rate5m",
                f'sum by (service) (rate(openstack_log_messages_total{{level=~"{_ERROR_LEVELS}"}}'
                "[5m]))",
            ),
            alert(
                "OpenstackApi5xxRate",
                "service:openstack_api_requests_5xx:ratio_rate5m > 0.05",
                for_=300,
                severity="warning",
                summary="{{ $labels.service }} answers {{ $value | humanizePercentage }} of its "
                "requests with 5xx",
                description="For 5 minutes more than 5% of the requests in the access logs of "
                "{{ $labels.service }} got a 5xx answer.",
            ),
            alert(
                "OpenstackApi5xxRate",
                "service:openstack_api_requests_5xx:ratio_rate5m > 0.25",
                for_=300,
                severity="critical",
                summary="{{ $labels.service }} answers {{ $value | humanizePercentage }} of its "
                "requests with 5xx",
                description="For 5 minutes more than 25% of the requests in the access logs of "
                "{{ $labels.service }} got a 5xx answer.",
            ),
            alert(
                "OpenstackLogErrors",
                "service:openstack_log_errors:rate5m * 60 > 1",
                for_=900,
                severity="warning",
                summary="{{ $labels.service }} logs {{ $value | humanize }} errors a minute",
                description="The logs of {{ $labels.service }} have had more than one "
                f"{_ERROR_LEVELS.replace('|', '/')} line a minute for 15 minutes.",
            ),
        ],
    }
