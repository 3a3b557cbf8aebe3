"""RabbitMQ node and queue findings (partitions and stopped nodes need a cluster)."""

from __future__ import annotations

from osmon.probes.rabbitmq import _nodes, _queue


def test_partition_and_stopped_node_are_problems() -> None:
    nodes = [
        {"name": "rabbit@a", "running": True, "mem_alarm": False, "disk_free_alarm": False,
         "partitions": ["rabbit@b"]},
        {"name": "rabbit@b", "running": False},
    ]  # fmt: skip
    metrics, problems = _nodes(nodes, {})
    assert problems == [
        "network partition: rabbit@a cannot see rabbit@b",
        "node rabbit@b not running",
    ]
    values = {(m.series_name, m.labels["node"]): m.value for m in metrics}
    assert values[("osmon_probe_rabbitmq_partitions", "rabbit@a")] == 1.0
    # the live health check knows every node's alarms, even without node statistics
    assert values[("rabbitmq_alarms_memory_used_watermark", "rabbit@b")] == 0.0


def test_node_statistics_missing_and_no_live_check_gives_no_alarm_metric() -> None:
    metrics, problems = _nodes([{"name": "rabbit@a"}], None)
    assert metrics == [] and problems == []


def test_live_alarm_wins_over_stale_statistics() -> None:
    _, problems = _nodes([{"name": "n", "mem_alarm": False}], {"n": {"memory"}})
    assert problems == ["memory alarm on n"]


def test_queue_without_statistics_is_not_zero() -> None:
    metrics, problems, missing = _queue({"name": "osmon", "vhost": "/"})
    assert (metrics, problems, missing) == ([], [], ["queue /osmon"])


def test_crashed_queue() -> None:
    queue = {"name": "q", "vhost": "v", "messages": 0, "consumers": 1, "state": "crashed"}
    _, problems, _ = _queue(queue)
    assert problems == ["queue v/q is crashed"]
