"""Prometheus rule building blocks, and the rules on osmon's own series.

A rule is the plain mapping Prometheus reads (``alert``/``record``, ``expr``, ``for``,
``labels``, ``annotations``). Alerts carry a ``severity`` label (warning or critical), a
``for:`` duration and ``summary``/``description`` annotations naming the target; recording
rules are named ``level:metric:operations``. The self rules read the series of README
"Self-metrics" and of the probe scheduler, coordination and Prometheus sink.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["JOB", "Rule", "alert", "duration", "record", "self_rules"]

Rule = dict[str, Any]

JOB: Final = "osmon"
"""The scrape job of the osmon daemons (``prometheus.yml``); ``OsmonDown`` selects it."""


def duration(seconds: float) -> str:
    """Seconds as a Prometheus duration (``90`` → ``1m30s``); sub-second parts are dropped."""
    left = int(seconds)
    if left <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return "".join(parts)


def alert(
    name: str,
    expr: str,
    *,
    for_: float,
    severity: str,
    summary: str,
    description: str,
    labels: dict[str, str] | None = None,
) -> Rule:
    """An alerting rule in the order Prometheus documents its keys."""
    rule: Rule = {"alert": name, "expr": expr}
    if for_ > 0:
        rule["for"] = duration(for_)
    rule["labels"] = {"severity": severity, **(labels or {})}
    rule["annotations"] = {"summary": summary, "description": description}
    return rule


def record(name: str, expr: str) -> Rule:
    return {"record": name, "expr": expr}


def self_rules() -> Rule:
    """osmon's health: scraped, sinks accepting, spool not growing or dropping, sources moving."""
    by = "job, instance"
    return {
        "name": "osmon.self",
        "rules": [
            record(
                "osmon:sink_errors:rate5m",
                f"sum by ({by}, sink, class) (rate(osmon_sink_errors_total[5m]))",
            ),
            record(
                "osmon:sink_records:rate5m",
                f"sum by ({by}, sink) (rate(osmon_sink_records_total[5m]))",
            ),
            alert(
                "OsmonDown",
                f'up{{job="{JOB}"}} == 0',
                for_=300,
                severity="critical",
                summary="osmon on {{ $labels.instance }} cannot be scraped",
                description="Prometheus has not scraped osmon's /metrics on "
                "{{ $labels.instance }} for 5 minutes: the daemon is down or unreachable, and "
                "its probes, notifications and logs are not processed there.",
            ),
            alert(
                "OsmonSinkFailing",
                'osmon:sink_errors:rate5m{class="transient"} > 0 unless on (job, instance, sink) '
                "osmon:sink_records:rate5m > 0",
                for_=600,
                severity="warning",
                summary="osmon sink {{ $labels.sink }} on {{ $labels.instance }} is failing",
                description="Every write to the sink {{ $labels.sink }} on "
                "{{ $labels.instance }} has failed for 10 minutes and none succeeded: its "
                "records wait in the spool (see /status, sinks.{{ $labels.sink }}.last_error).",
            ),
            alert(
                "OsmonDeadLetters",
                "increase(osmon_deadletter_records_total[15m]) > 0",
                for_=0,
                severity="warning",
                summary="osmon sink {{ $labels.sink }} on {{ $labels.instance }} refuses records",
                description="{{ $value | humanize }} records were refused for good by the sink "
                "{{ $labels.sink }} on {{ $labels.instance }} in 15 minutes; they are in "
                "<state>/deadletter/{{ $labels.sink }}.jsonl.",
            ),
            alert(
                "OsmonSpoolGrowing",
                "osmon_spool_depth_records > 0 and deriv(osmon_spool_depth_records[15m]) > 0",
                for_=900,
                severity="warning",
                summary="osmon's spool on {{ $labels.instance }} keeps growing",
                description="The spool on {{ $labels.instance }} has grown for 15 minutes "
                "({{ $value | humanize }} records/s): a sink is down or slower than the input. "
                "When the spool is full it drops records (policy in osmon.yaml).",
            ),
            alert(
                "OsmonSpoolDropping",
                "increase(osmon_spool_dropped_records_total[5m]) > 0",
                for_=0,
                severity="critical",
                summary="osmon on {{ $labels.instance }} drops records ({{ $labels.reason }})",
                description="The spool on {{ $labels.instance }} dropped {{ $value | humanize }} "
                "records in 5 minutes (reason {{ $labels.reason }}): they are lost.",
            ),
            alert(
                "OsmonSourceStalled",
                f'sum by ({by}, source) (rate(osmon_source_batches_total{{outcome="nack"}}[10m])) '
                f"> 0 unless on ({by}, source) "
                f'sum by ({by}, source) (rate(osmon_source_batches_total{{outcome="ack"}}[10m])) '
                "> 0",
                for_=600,
                severity="warning",
                summary="osmon source {{ $labels.source }} on {{ $labels.instance }} is stalled",
                description="For 10 minutes every batch of the source {{ $labels.source }} on "
                "{{ $labels.instance }} was refused (nacked) and none acknowledged: nothing "
                "it reads reaches the sinks or the spool.",
            ),
            alert(
                "OsmonProbesStalled",
                "max by (job) (osmon_probe_targets) > 0 unless on (job) "
                "sum by (job) (rate(osmon_probe_results_total[10m])) > 0",
                for_=600,
                severity="warning",
                summary="no osmon daemon has produced a probe result for 10 minutes",
                description="osmon has {{ $value }} probe targets scheduled but no daemon of "
                "job {{ $labels.job }} reported a result in 10 minutes.",
            ),
            alert(
                "OsmonProbeResultsDropped",
                "increase(osmon_probe_results_dropped_total[10m]) > 0",
                for_=0,
                severity="warning",
                summary="osmon on {{ $labels.instance }} drops probe results",
                description="{{ $value | humanize }} probe results on {{ $labels.instance }} did "
                "not fit the router's queue in 10 minutes (the latest state kept them).",
            ),
            alert(
                "OsmonCoordinationSafeMode",
                "osmon_coordination_safe_mode == 1",
                for_=300,
                severity="warning",
                summary="osmon on {{ $labels.instance }} cannot reach its coordination backend",
                description="{{ $labels.instance }} has probed every target itself for 5 minutes "
                "(safe mode): the tooz backend is unreachable (/status: partition.last_error).",
            ),
            alert(
                "OsmonSeriesRejected",
                "increase(osmon_prometheus_series_rejected_total[10m]) > 0",
                for_=0,
                severity="warning",
                summary="osmon on {{ $labels.instance }} rejects series ({{ $labels.reason }})",
                description="{{ $value | humanize }} samples were not exported by "
                "{{ $labels.instance }} in 10 minutes (reason {{ $labels.reason }}); raise "
                "max_series of its Prometheus sink or look for a label explosion.",
            ),
        ],
    }
