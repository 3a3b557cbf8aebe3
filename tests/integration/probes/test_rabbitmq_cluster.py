"""The rabbitmq probe against a private two-node RabbitMQ cluster (net_ticktime 4 s): a node
suspended past the tick timeout is seen down, and when it resumes both sides report a network
partition (the documented effect of suspending a node, with cluster_partition_handling=ignore).

Two private nodes, 300 MB of RAM and about a minute; one module, one test.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from osmon.checks.state import State
from osmon.probes import ProbeResult
from tests.integration.pipeline import RabbitNode
from tests.integration.probes.infra import HEAD, free_port, run_one, series

WAIT_S = 90.0
ID = "rabbitmq/amqp@local"
TICK = "-kernel inet_dist_use_interface {127,0,0,1} -kernel net_ticktime 4"


def _node(api_port: int | None, cookie: str) -> RabbitNode:
    node = RabbitNode(Path("/var/tmp") / f"osmon-probe-rmq-{uuid.uuid4().hex[:8]}", free_port())
    conf = node.base / "rabbitmq.conf"
    if api_port is not None:
        conf.write_text(
            conf.read_text() + f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {api_port}\n"
        )
        (node.base / "enabled_plugins").write_text("[rabbitmq_management].\n")
    node.env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = TICK
    cookie_file = node.base / ".erlang.cookie"
    cookie_file.write_text(cookie)
    cookie_file.chmod(0o400)
    return node


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[RabbitNode, RabbitNode, int]]:
    api_port = free_port()
    cookie = uuid.uuid4().hex.upper()
    first, second = _node(api_port, cookie), _node(None, cookie)
    try:
        first.start()
        second.start()
        for args in (("stop_app",), ("join_cluster", first.node), ("start_app",)):
            r = second._ctl(*args)
            assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"
        yield first, second, api_port
    finally:
        pid = second.pidfile.read_text().strip() if second.pidfile.exists() else ""
        if pid:
            os.kill(int(pid), signal.SIGCONT)
        second.destroy()
        first.destroy()


async def until(text: str, check: Callable[[ProbeResult], bool]) -> ProbeResult:
    deadline = time.monotonic() + WAIT_S
    while True:
        result = await run_one(text, ID)
        if check(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.5)


async def test_suspended_node_then_partition(
    cluster: tuple[RabbitNode, RabbitNode, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, api_port = cluster
    monkeypatch.setenv("RABBIT_PW", "guest")
    # the management API waits on a suspended node for seconds: a longer probe timeout
    text = HEAD.replace("timeout: 5s", "timeout: 30s") + (
        "infrastructure:\n  rabbitmq:\n"
        f"    probes: {{amqp: {{port: {api_port}, queues: {{match: none}}}}}}\n"
        "    credentials: {username: guest, password_env: RABBIT_PW}\n"
    )
    result = await until(text, lambda r: r.summary.endswith("2 nodes, no alarm, no partition"))
    assert result.state == State.OK, result.summary

    pid = int(second.pidfile.read_text().strip())
    os.kill(pid, signal.SIGSTOP)
    try:
        result = await until(text, lambda r: "not running" in r.summary)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert result.state == State.CRITICAL, result.summary
    # the API waits on the suspended node: response_time may breach its threshold too
    assert result.summary.startswith(f"node {second.node} not running"), result.summary

    result = await until(text, lambda r: "network partition" in r.summary)
    assert result.state == State.CRITICAL, result.summary
    assert f"network partition: {first.node} cannot see {second.node}" in result.summary
    assert series(result, "osmon_probe_rabbitmq_partitions", node=first.node) == 1.0
