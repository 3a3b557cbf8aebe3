"""The rabbitmq probe against real RabbitMQ 3.10 management APIs: the stack's node (queues in a
private vhost of this test only) and a private node whose management plugin is enabled after a
queue was declared, and whose memory and disk alarms the test raises."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kombu
import pytest

from osmon.checks.state import State
from osmon.probes import ProbeResult
from tests.integration.conftest import Stack
from tests.integration.pipeline import RabbitNode
from tests.integration.probes.infra import HEAD, free_port, run_one, series

WAIT_S = 30.0  # the management API refreshes queue statistics every 5 s
ID = "rabbitmq/amqp@local"


def inventory(port: int, vhost: str | None, match: str | None = None) -> str:
    queues = {k: v for k, v in (("vhost", vhost), ("match", match)) if v is not None}
    return (
        HEAD
        + "infrastructure:\n  rabbitmq:\n"
        + f"    endpoint: {{port: {port}}}\n"
        + f"    probes: {{amqp: {{port: {port}, queues: {json.dumps(queues)}}}}}\n"
        + "    credentials: {username: guest, password_env: RABBIT_PW}\n"
    )


def mgmt_port(stack: Stack) -> int:
    return int(urllib.parse.urlsplit(stack.rabbit_mgmt_url).port or 15672)


async def until(text: str, check: Callable[[ProbeResult], bool]) -> ProbeResult:
    deadline = time.monotonic() + WAIT_S
    while True:
        result = await run_one(text, ID)
        if check(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.5)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RABBIT_PW", "guest")


def _publish(api: Callable[..., Any], vhost: str, queue: str, count: int) -> None:
    quoted = urllib.parse.quote(vhost, safe="")
    api("PUT", f"/api/queues/{quoted}/{queue}", {"durable": False})
    for i in range(count):
        body = {
            "properties": {},
            "routing_key": queue,
            "payload": f"m{i}",
            "payload_encoding": "string",
        }
        api("POST", f"/api/exchanges/{quoted}/amq.default/publish", body)


async def test_queue_with_messages_and_no_consumer_is_critical(
    stack: Stack, rabbit_vhost: str, rabbit_api: Callable[..., Any]
) -> None:
    vhost = rabbit_vhost.rsplit("/", 1)[1]
    _publish(rabbit_api, vhost, "notifications.info", 3)
    _publish(rabbit_api, vhost, "unrelated", 2)  # not a notification queue: not watched
    text = inventory(mgmt_port(stack), vhost)
    result = await until(text, lambda r: r.state == State.CRITICAL)
    assert result.state == State.CRITICAL
    assert result.summary == f"queue {vhost}/notifications.info: 3 messages, no consumer"
    labels = {"vhost": vhost, "queue": "notifications.info"}
    assert series(result, "rabbitmq_queue_messages", **labels) == 3.0
    assert series(result, "rabbitmq_queue_consumers", **labels) == 0.0
    assert series(result, "rabbitmq_queue_messages_unacked", **labels) == 0.0
    assert series(result, "rabbitmq_queue_messages", queue="unrelated") is None
    assert series(result, "rabbitmq_alarms_memory_used_watermark", node="rabbit@localhost") == 0
    assert series(result, "osmon_probe_rabbitmq_partitions", node="rabbit@localhost") == 0
    connections = series(result, "rabbitmq_connections")
    assert connections is not None and connections >= 0

    widened = await run_one(inventory(mgmt_port(stack), vhost, "unrelated|notifications.info"), ID)
    assert f"queue {vhost}/unrelated: 2 messages, no consumer" in widened.summary


async def test_consumed_queue_is_ok_with_unacked_messages(
    stack: Stack, rabbit_vhost: str, rabbit_api: Callable[..., Any]
) -> None:
    vhost = rabbit_vhost.rsplit("/", 1)[1]
    _publish(rabbit_api, vhost, "osmon", 3)
    _publish(rabbit_api, vhost, "notifications.error", 0)
    amqp = "amqp://" + rabbit_vhost.split("://", 1)[1]
    with kombu.Connection(amqp, connect_timeout=5) as conn:
        channel = conn.channel()
        channel.basic_qos(0, 2, False)
        held: list[Any] = []
        consumer = kombu.Consumer(
            channel,
            [kombu.Queue("osmon", no_declare=True)],
            callbacks=[lambda b, m: held.append(m)],
        )
        with consumer:
            conn.drain_events(timeout=5)
            conn.drain_events(timeout=5)
            labels = {"vhost": vhost, "queue": "osmon"}
            text = inventory(mgmt_port(stack), vhost)
            # the management API samples queue fields apart: wait for both to show
            result = await until(
                text,
                lambda r: (
                    series(r, "rabbitmq_queue_messages_unacked", **labels) == 2.0
                    and series(r, "rabbitmq_queue_consumers", **labels) == 1.0
                ),
            )
    assert result.state == State.OK, result.summary
    assert result.summary.startswith("2 queues watched (3 messages), ")
    assert result.summary.endswith("1 nodes, no alarm, no partition")
    assert series(result, "rabbitmq_queue_consumers", **labels) == 1.0
    assert series(result, "rabbitmq_queue_messages_unacked", **labels) == 2.0
    assert series(result, "probe_success") == 1.0


async def test_login_refused_refused_and_unknown_vhost(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = mgmt_port(stack)
    missing = await run_one(inventory(port, "osmon-no-such-vhost"), ID)
    assert (missing.state, missing.summary) == (
        State.UNKNOWN,
        "vhost 'osmon-no-such-vhost' not found",
    )
    monkeypatch.setenv("RABBIT_PW", "wrong")
    refused = await run_one(inventory(port, None), ID)
    assert refused.state == State.UNKNOWN
    assert refused.summary == f"login refused by http://127.0.0.1:{port}/api/overview (HTTP 401)"
    closed = await run_one(inventory(free_port(), None), ID)
    assert (closed.state, closed.summary) == (State.CRITICAL, "connection refused")


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[RabbitNode, int]]:
    """A private node started without plugins; a queue is declared and filled, then the
    management plugin is enabled at run time on a free port."""
    amqp_port, api_port = free_port(), free_port()
    node = RabbitNode(Path("/var/tmp") / f"osmon-probe-rabbit-{uuid.uuid4().hex[:8]}", amqp_port)
    node.start()
    try:
        with kombu.Connection(f"amqp://guest:guest@127.0.0.1:{amqp_port}//") as conn:
            queue = kombu.Queue("notifications.info", durable=False, channel=conn.channel())
            queue.declare()
            producer = conn.Producer()
            for i in range(2):
                producer.publish(f"m{i}", routing_key="notifications.info")
        listener = f'[{{ip, "127.0.0.1"}}, {{port, {api_port}}}]'
        r = node._ctl("eval", f"application:set_env(rabbitmq_management, tcp_config, {listener}).")
        assert r.returncode == 0, r.stderr
        r = subprocess.run(
            ["/usr/lib/rabbitmq/bin/rabbitmq-plugins", "-n", node.node, "enable",
             "rabbitmq_management"],
            env=node.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
        yield node, api_port
    finally:
        node.destroy()
        shutil.rmtree(node.base, ignore_errors=True)


async def test_queue_declared_before_the_plugin_has_no_statistics(
    node: tuple[RabbitNode, int],
) -> None:
    _, port = node
    text = inventory(port, "/")
    result = await until(text, lambda r: r.state == State.UNKNOWN)
    assert result.state == State.UNKNOWN, result.summary
    assert result.summary == (
        "queue /notifications.info: no statistics "
        "(declared before the management plugin was enabled?)"
    )
    assert series(result, "rabbitmq_queue_messages", queue="notifications.info") is None


async def test_memory_and_disk_alarms_are_critical(node: tuple[RabbitNode, int]) -> None:
    rabbit, port = node
    text = inventory(port, "/", "none")  # no queue watched: only the node's state counts
    result = await until(text, lambda r: r.state == State.OK)
    assert result.state == State.OK, result.summary
    assert rabbit._ctl("set_vm_memory_high_watermark", "0.0001").returncode == 0
    try:
        result = await until(text, lambda r: r.state == State.CRITICAL)
    finally:
        rabbit._ctl("set_vm_memory_high_watermark", "0.4")
    assert result.summary == f"memory alarm on {rabbit.node}"
    assert series(result, "rabbitmq_alarms_memory_used_watermark", node=rabbit.node) == 1.0
    await until(text, lambda r: r.state == State.OK)

    assert rabbit._ctl("set_disk_free_limit", "100000GB").returncode == 0
    try:
        result = await until(text, lambda r: "disk alarm" in r.summary)
    finally:
        rabbit._ctl("set_disk_free_limit", "50MB")
    assert result.state == State.CRITICAL
    assert result.summary == f"disk alarm on {rabbit.node}"
    assert series(result, "rabbitmq_alarms_free_disk_space_watermark", node=rabbit.node) == 1.0


async def test_broken_management_apis() -> None:
    """Local servers in place of the management API: garbage JSON, a 5xx, a dropped request."""

    def answering(status: bytes, body: bytes) -> Any:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            head = b"HTTP/1.1 %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            writer.write(head % (status, len(body)) + body)
            await writer.drain()
            writer.close()

        return handler

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    handlers = {
        "garbage": answering(b"200 OK", b"<html>not json</html>"),
        "error": answering(b"503 Service Unavailable", b""),
        "drop": drop,
    }
    servers = {k: await asyncio.start_server(h, "127.0.0.1", 0) for k, h in handlers.items()}
    port = {k: s.sockets[0].getsockname()[1] for k, s in servers.items()}
    try:
        result = await run_one(inventory(port["garbage"], None), ID)
        assert result.state == State.CRITICAL
        assert result.summary == (
            f"garbage JSON from http://127.0.0.1:{port['garbage']}/api/overview: "
            "Expecting value: line 1 column 1 (char 0)"
        )
        result = await run_one(inventory(port["error"], None), ID)
        overview = f"http://127.0.0.1:{port['error']}/api/overview"
        assert (result.state, result.summary) == (State.CRITICAL, f"HTTP 503 from {overview}")
        result = await run_one(inventory(port["drop"], None), ID)
        overview = f"http://127.0.0.1:{port['drop']}/api/overview"
        assert (result.state, result.summary) == (
            State.CRITICAL,
            f"connection closed by {overview} before a response",
        )
    finally:
        for s in servers.values():
            s.close()
