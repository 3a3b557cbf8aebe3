"""RabbitMQ through its management HTTP API: queues, connections, node alarms, partitions.

Enabled by the catalog for every ``rabbitmq`` host (``http://<host>:15672/``); the login comes
from the service's ``credentials`` (a ``monitoring``-tagged user is enough)::

    infrastructure:
      rabbitmq:
        credentials: {username: osmon, password_env: OSMON_RABBITMQ_PASSWORD}
        probes: {amqp: {queues: {vhost: /, match: "notifications\\..+|osmon"}}}

Metrics take the rabbitmq-prometheus plugin's names (per-object form) where it has one:
``rabbitmq_queue_messages``, ``rabbitmq_queue_consumers``, ``rabbitmq_queue_messages_unacked``
(labels ``vhost``, ``queue``), ``rabbitmq_connections``,
``rabbitmq_alarms_memory_used_watermark`` and ``rabbitmq_alarms_free_disk_space_watermark``
(label ``node``); osmon's own: ``osmon_probe_rabbitmq_partitions{node}`` (partitioned peers) and
``osmon_probe_response_time_seconds``.

Verdicts: CRITICAL for a watched queue holding messages with no consumer, a queue ``down`` or
``crashed``, a node not running, a memory or disk alarm (the live health check, which the
``/api/nodes`` statistics trail by ~10 s), or a network partition. A watched queue without
statistics (declared before the management plugin was enabled: the keys are missing) is
reported UNKNOWN, never as 0 messages. Otherwise OK.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from osmon.checks.state import State
from osmon.inventory import Probe
from osmon.inventory.infra import DEFAULT_QUEUES
from osmon.probes import apiclient
from osmon.probes.base import Metric, Observation, ProbeContext, ProbeFailed
from osmon.probes.credentials import Login, login

__all__ = ["probe"]

_QUEUE_COLUMNS = "name,vhost,messages,consumers,messages_unacknowledged,state"
_NODE_COLUMNS = "name,running,mem_alarm,disk_free_alarm,partitions"
_ALARM_SERIES = {
    "memory": ("memory_alarm", "rabbitmq_alarms_memory_used_watermark"),
    "disk": ("disk_alarm", "rabbitmq_alarms_free_disk_space_watermark"),
}
_BAD_QUEUE_STATES = frozenset({"down", "crashed", "stopped"})
_LISTED = 5


def _api(target: Probe) -> str:
    if not target.url:
        raise ProbeFailed(State.UNKNOWN, "no management API URL for this target")
    return target.url.rstrip("/") + "/api"


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    api, user = _api(target), login(target)
    started = time.monotonic()
    overview = await apiclient.get_json(ctx, target, f"{api}/overview", user)
    nodes = await apiclient.get_json(ctx, target, f"{api}/nodes?columns={_NODE_COLUMNS}", user)
    live = await _live_alarms(ctx, target, api, user)
    queues = await _queues(ctx, target, api, user)
    elapsed = time.monotonic() - started

    metrics = [Metric("response_time", elapsed, "s", series="osmon_probe_response_time_seconds")]
    critical: list[str] = []
    unknown: list[str] = []
    connections = _dict(_dict(overview).get("object_totals")).get("connections")
    if isinstance(connections, int | float):
        metrics.append(Metric("connections", float(connections), series="rabbitmq_connections"))
    node_metrics, node_problems = _nodes(nodes, live)
    metrics += node_metrics
    critical += node_problems
    pattern = re.compile(target.queue_match or DEFAULT_QUEUES)
    watched = [q for q in queues if isinstance(q, dict) and pattern.fullmatch(str(q.get("name")))]
    for queue in watched:
        found, problem, missing = _queue(queue)
        metrics += found
        critical += problem
        unknown += missing

    summary = _summary(watched, connections, nodes)
    if critical:
        return Observation(tuple(metrics), State.CRITICAL, _listed(critical))
    if unknown:
        note = "no statistics (declared before the management plugin was enabled?)"
        return Observation(tuple(metrics), State.UNKNOWN, f"{_listed(unknown)}: {note}")
    return Observation(tuple(metrics), State.OK, summary)


async def _live_alarms(
    ctx: ProbeContext, target: Probe, api: str, user: Login | None
) -> dict[str, set[str]] | None:
    """Alarms in effect now, by node (``memory``/``disk``); None where the check is missing."""
    resp = await apiclient.get(
        ctx, target, f"{api}/health/checks/alarms", user, accept=(200, 404, 503)
    )
    if resp.status == 404:  # RabbitMQ before 3.8.10: /api/nodes alone
        return None
    alarms: dict[str, set[str]] = {}
    for alarm in _dict(resp.json()).get("alarms", ()):
        if isinstance(alarm, dict):
            kind = "memory" if "memory" in str(alarm.get("resource")) else "disk"
            alarms.setdefault(str(alarm.get("node")), set()).add(kind)
    if resp.status == 503 and not alarms:
        raise ProbeFailed(State.CRITICAL, f"alarm check failed: {resp.body[:200]!r}")
    return alarms


async def _queues(ctx: ProbeContext, target: Probe, api: str, user: Login | None) -> list[Any]:
    vhost = target.queue_vhost
    path = f"/{quote(vhost, safe='')}" if vhost is not None else ""
    url = f"{api}/queues{path}?columns={_QUEUE_COLUMNS}"
    resp = await apiclient.get(ctx, target, url, user, accept=(200, 404))
    if resp.status == 404:
        raise ProbeFailed(State.UNKNOWN, f"vhost {vhost!r} not found")
    queues = resp.json()
    if not isinstance(queues, list):
        raise ProbeFailed(State.CRITICAL, f"garbage JSON from {url}: not a list of queues")
    return queues


def _nodes(nodes: Any, live: Mapping[str, set[str]] | None) -> tuple[list[Metric], list[str]]:
    if not isinstance(nodes, list):
        raise ProbeFailed(State.CRITICAL, "garbage JSON from /api/nodes: not a list of nodes")
    metrics: list[Metric] = []
    problems: list[str] = []
    for node in nodes:
        if not isinstance(node, dict):
            continue
        name = str(node.get("name"))
        labels = {"node": name}
        if node.get("running") is False:
            problems.append(f"node {name} not running")
        for kind, key in (("memory", "mem_alarm"), ("disk", "disk_free_alarm")):
            on: bool | None = node.get(key) if isinstance(node.get(key), bool) else None
            if live is not None:
                on = bool(on) or kind in live.get(name, set())
            if on is None:  # statistics not there yet: unknown, not "no alarm"
                continue
            metric, series = _ALARM_SERIES[kind]
            metrics.append(Metric(metric, float(on), series=series, labels=labels))
            if on:
                problems.append(f"{kind} alarm on {name}")
        partitions = node.get("partitions")
        if isinstance(partitions, list):
            metrics.append(
                Metric(
                    "partitions",
                    float(len(partitions)),
                    series="osmon_probe_rabbitmq_partitions",
                    labels=labels,
                )
            )
            if partitions:
                problems.append(f"network partition: {name} cannot see {', '.join(partitions)}")
    return metrics, problems


def _queue(queue: Mapping[str, Any]) -> tuple[list[Metric], list[str], list[str]]:
    """Metrics, CRITICAL findings and missing-statistics findings for one watched queue."""
    vhost, name = str(queue.get("vhost")), str(queue.get("name"))
    where = f"queue {vhost}/{name}" if vhost != "/" else f"queue /{name}"
    labels = {"vhost": vhost, "queue": name}
    messages, consumers = queue.get("messages"), queue.get("consumers")
    unacked = queue.get("messages_unacknowledged")
    problems: list[str] = []
    if queue.get("state") in _BAD_QUEUE_STATES:
        problems.append(f"{where} is {queue.get('state')}")
    if not isinstance(messages, int) or not isinstance(consumers, int):
        return [], problems, [where]
    metrics = [
        Metric("queue_messages", float(messages), series="rabbitmq_queue_messages", labels=labels),
        Metric(
            "queue_consumers", float(consumers), series="rabbitmq_queue_consumers", labels=labels
        ),
    ]
    if isinstance(unacked, int):
        metrics.append(
            Metric(
                "queue_messages_unacked",
                float(unacked),
                series="rabbitmq_queue_messages_unacked",
                labels=labels,
            )
        )
    if messages > 0 and consumers == 0:
        problems.append(f"{where}: {messages} messages, no consumer")
    return metrics, problems, []


def _summary(watched: list[Any], connections: object, nodes: Any) -> str:
    total = sum(q.get("messages", 0) for q in watched if isinstance(q.get("messages"), int))
    parts = [f"{len(watched)} queues watched ({total} messages)"]
    if isinstance(connections, int | float):
        parts.append(f"{connections:g} connections")
    parts.append(f"{len(nodes)} nodes, no alarm, no partition")
    return ", ".join(parts)


def _listed(items: Iterable[str]) -> str:
    items = list(items)
    more = len(items) - _LISTED
    return "; ".join(items[:_LISTED]) + (f"; and {more} more" if more > 0 else "")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
