"""``osmon generate prometheus``: alerting and recording rules and a scrape config.

Output (relative paths), for a Prometheus whose configuration directory receives them:

* ``prometheus.yml``: ``rule_files: [rules/*.yml]`` and the scrape jobs: ``osmon`` (file_sd,
  below) and, when the inventory places them, ``pushgateway`` (``honor_labels``) and
  ``prometheus`` itself;
* ``targets/osmon.yml``: file_sd targets, ``<address>:9790`` of every host that runs osmon —
  those with host-local work (log files to tail, ``process`` probes) and the controllers.
  Prometheus re-reads the file when it changes, so a new host needs no reload. Target labels
  are ``osmon_host``/``osmon_cloud``, never ``host``/``service``/``target``, which osmon's own
  series carry (a clash would rename them to ``exported_*``);
* ``rules/osmon.yml``: osmon's own health, probes, agent states, log metrics
  (``prometheus_rules``, ``prometheus_openstack``);
* ``rules/alarms.yml``: the inventory's alarms (``alarm_rule``), when it has any.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

import yaml

from osmon.generate.output import header
from osmon.generate.prometheus_openstack import agent_rules, log_rules, probe_rules
from osmon.generate.prometheus_rules import JOB, Rule, alert, duration, self_rules
from osmon.inventory import Alarm, Expansion

__all__ = ["COMMAND", "OSMON_PORT", "PrometheusError", "alarm_rule", "generate_prometheus"]

COMMAND: Final = "osmon generate prometheus"
OSMON_PORT: Final = 9790
SCRAPE_INTERVAL: Final = "30s"

_OPS: Final = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "==", "ne": "!="}
_OVER_TIME: Final = {
    "mean": "avg_over_time",
    "max": "max_over_time",
    "min": "min_over_time",
    "sum": "sum_over_time",
    "last": "last_over_time",
    "count": "count_over_time",
}
_EXPORTERS: Final = (("pushgateway", True), ("prometheus", False))
"""Catalog services scraped as exporters when the inventory places them (name, honor_labels)."""


class PrometheusError(ValueError):
    """The inventory cannot be written as Prometheus rules (two alarms, one alert name)."""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _selector(metric: str, labels: dict[str, str]) -> str:
    if not labels:
        return metric
    matchers = ", ".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{metric}{{{matchers}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _literal(text: str) -> str:
    """Text shown as it is by Prometheus' Go templates (an inventory description with ``{{``)."""
    return text.replace("{{", '{{ "{{" }}')


def alert_name(alarm_id: str) -> str:
    """``nova-api-slow`` → ``NovaApiSlow``: the alert name of an inventory alarm."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", alarm_id))


def _threshold_expr(metric: str, alarm: Alarm, comparison: str, threshold: float) -> str:
    """The value of each period (``granularity``) compared with the threshold.

    A gauge is aggregated over the period per series (``mean`` → ``avg_over_time`` …); a counter
    (``*_total``) counts its increase in the period, summed over the series with ``sum``.
    """
    window = f"{_selector(metric, dict(alarm.labels))}[{duration(alarm.granularity)}]"
    if metric.endswith("_total"):
        value = f"increase({window})"
        if alarm.aggregation == "sum":
            value = f"sum({value})"
    else:
        value = f"{_OVER_TIME[alarm.aggregation]}({window})"
    return f"{value} {_OPS[comparison]} {_number(threshold)}"


def alarm_rule(alarm: Alarm) -> Rule | None:
    """The alerting rule of one inventory alarm; None when it has no Prometheus form.

    The one place that maps the alarm model: an alarm whose ``backends`` leave Prometheus out,
    or that is disabled, has no rule; a ``prometheus`` alarm's PromQL (``expr``) is used as it
    is; a ``threshold`` alarm on a metric becomes ``_threshold_expr``; the other types (Gnocchi
    aggregations, event, composite) are Aodh's. ``osmon_alarm`` carries the inventory id.
    """
    kind = getattr(alarm, "type", "threshold")
    if not alarm.enabled or "prometheus" not in getattr(alarm, "backends", ("prometheus",)):
        return None
    if kind == "prometheus":
        expr = getattr(alarm, "expr", None)
        if not expr:
            return None
        condition = str(expr)
    else:
        metric, comparison, threshold = alarm.metric, alarm.comparison, alarm.threshold
        if kind != "threshold" or not metric or comparison is None or threshold is None:
            return None
        condition = _threshold_expr(metric, alarm, comparison, threshold)
    labels = {"osmon_alarm": alarm.id}
    if alarm.service is not None:
        labels["service"] = alarm.service
    what, condition_text = _literal(alarm.description), _literal(condition)
    on = "{{ with $labels.target }} on {{ . }}{{ else }}{{ with $labels.instance }} on {{ . }}"
    on += "{{ end }}{{ end }}"
    return alert(
        alert_name(alarm.id),
        condition,
        for_=alarm.for_seconds,
        severity=alarm.severity,
        labels=labels,
        summary=f"{what}{on}",
        description=f"{what}: {condition_text} has held for {duration(alarm.for_seconds)}{on} "
        "(value {{ $value | humanize }}).",
    )


def _alarm_group(alarms: Iterable[Alarm]) -> Rule | None:
    rules: list[Rule] = []
    owner: dict[str, str] = {}
    for alarm in alarms:
        rule = alarm_rule(alarm)
        if rule is None:
            continue
        name = rule["alert"]
        if name in owner:
            raise PrometheusError(
                f"alarms {owner[name]!r} and {alarm.id!r} both become the alert {name!r}; "
                "rename one"
            )
        owner[name] = alarm.id
        rules.append(rule)
    return {"name": "osmon.alarms", "rules": rules} if rules else None


def _dump(exp: Expansion, doc: Any) -> str:
    body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=1000)
    return header(COMMAND, exp.cloud) + body


def osmon_hosts(exp: Expansion) -> list[tuple[str, str]]:
    """(host, address) of every host running osmon: host-local work, or a controller."""
    local = {s.host for s in exp.log_sources}
    local |= {p.host for p in exp.probes if p.type == "process" and p.host}
    return [
        (h.id, h.address) for h in exp.nagios_hosts if h.id in local or "controller" in h.hostgroups
    ]


def _targets(exp: Expansion) -> str:
    groups = [
        {
            "targets": [f"{address}:{OSMON_PORT}"],
            "labels": {"osmon_cloud": exp.cloud, "osmon_host": host},
        }
        for host, address in osmon_hosts(exp)
    ]
    return _dump(exp, groups)


def _exporter_jobs(exp: Expansion) -> list[dict[str, Any]]:
    jobs = []
    for service, honor in _EXPORTERS:
        targets = sorted(
            {
                f"{p.address}:{p.port}"
                for p in exp.probes
                if p.service_type == service and p.host and p.address and p.port
            }
        )
        if targets:
            job: dict[str, Any] = {"job_name": service}
            if honor:
                job["honor_labels"] = True
            job["static_configs"] = [{"targets": targets}]
            jobs.append(job)
    return jobs


def _config(exp: Expansion) -> str:
    osmon_job = {"job_name": JOB, "file_sd_configs": [{"files": ["targets/osmon.yml"]}]}
    doc = {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "rule_files": ["rules/*.yml"],
        "scrape_configs": [osmon_job, *_exporter_jobs(exp)],
    }
    return _dump(exp, doc)


def generate_prometheus(exp: Expansion) -> dict[str, str]:
    """Every file for the inventory, by relative path; ``PrometheusError`` on a name clash."""
    builtin = [self_rules(), probe_rules(exp), agent_rules(exp), log_rules(exp)]
    files = {
        "prometheus.yml": _config(exp),
        "targets/osmon.yml": _targets(exp),
        "rules/osmon.yml": _dump(exp, {"groups": [g for g in builtin if g is not None]}),
    }
    alarms = _alarm_group(exp.alarms)
    if alarms is not None:
        files["rules/alarms.yml"] = _dump(exp, {"groups": [alarms]})
    return dict(sorted(files.items()))
