"""Notifications end to end, with faults: real RabbitMQ (a vhost per test, or a private node that
the test restarts), a real ``osmon run`` subprocess, real Gnocchi API + metricd on PostgreSQL.
Every published measure must be readable from Gnocchi at the end: zero loss."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

from osmon.notifications.replay import Publisher, replay
from tests.e2e.daemon_proc import DaemonProc
from tests.integration.conftest import Stack
from tests.integration.pipeline import (
    GnocchiApi,
    RabbitNode,
    daemon_config,
    free_port,
    instance_exists,
    wait_measures,
)


def publish(url: str, notes: list[Any], rate: float | None = None) -> None:
    pub = Publisher(url, exchange="nova", topic="notifications")
    try:
        replay(notes, pub, rate=rate)
    finally:
        pub.close()


def status(d: DaemonProc, port: int) -> dict[str, Any]:
    return d.status(f"http://127.0.0.1:{port}")


def wait_until(cond: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def start_osmon(tmp: Path, cfg: Path, port: int, name: str) -> DaemonProc:
    d = DaemonProc(["-c", str(cfg)], log=tmp / f"{name}.log")
    d.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=30)
    wait_until(
        lambda: status(d, port)["sources"]["notifications"]["listeners"] > 0,
        30,
        "the notification listener",
    )
    return d


def test_every_measure_reaches_gnocchi(
    stack: Stack, rabbit_vhost: str, gnocchi_client: Any, tmp_path: Path
) -> None:
    notes, expected = instance_exists(120, uuid.uuid4().hex)
    port = free_port()
    cfg = daemon_config(
        tmp_path, transport_url=rabbit_vhost, gnocchi_url=stack.gnocchi_url, port=port
    )
    d = start_osmon(tmp_path, cfg, port, "osmon")
    try:
        publish(rabbit_vhost, notes)
        got = wait_measures(gnocchi_client, expected, timeout=90)
        assert got == expected
        st = status(d, port)
        assert st["sinks"]["gnocchi"]["delivered"] >= len(expected)
    finally:
        assert d.terminate() == 0


def test_gnocchi_stopped_60s_while_notifications_flow(
    stack: Stack, rabbit_vhost: str, gnocchi_client: Any, tmp_path: Path
) -> None:
    """Gnocchi dies mid-stream and comes back 60 s later: osmon spools (acking RabbitMQ only once
    the spool holds the records), then replays every measure."""
    api = GnocchiApi(stack.dir, free_port(), tmp_path / "gnocchi-api.log")
    api.start()
    notes, expected = instance_exists(200, uuid.uuid4().hex)
    port = free_port()
    cfg = daemon_config(tmp_path, transport_url=rabbit_vhost, gnocchi_url=api.url, port=port)
    d = start_osmon(tmp_path, cfg, port, "osmon")
    try:
        publish(rabbit_vhost, notes[:100])
        wait_until(
            lambda: status(d, port)["sinks"]["gnocchi"]["delivered"] >= 100,
            60,
            "the first half delivered",
        )
        api.stop()
        publish(rabbit_vhost, notes[100:])
        wait_until(lambda: status(d, port)["spool"]["records"] > 0, 60, "records spooled")
        wait_until(
            lambda: status(d, port)["sources"]["notifications"]["accepted"] >= 200,
            60,
            "the second half acknowledged to RabbitMQ after spooling",
        )
        st = status(d, port)
        assert st["sinks"]["gnocchi"]["backlog"] is True
        assert st["sinks"]["gnocchi"]["last_error"]
        time.sleep(60)
        api.start()
        wait_until(lambda: status(d, port)["spool"]["records"] == 0, 120, "the spool replayed")
        got = wait_measures(gnocchi_client, expected, timeout=120)
        assert got == expected
    finally:
        api.stop()
        assert d.terminate() == 0


def test_kill_9_mid_stream_loses_nothing(
    stack: Stack, rabbit_vhost: str, gnocchi_client: Any, tmp_path: Path
) -> None:
    notes, expected = instance_exists(300, uuid.uuid4().hex)
    port = free_port()
    cfg = daemon_config(
        tmp_path, transport_url=rabbit_vhost, gnocchi_url=stack.gnocchi_url, port=port
    )
    d = start_osmon(tmp_path, cfg, port, "osmon1")
    sender = threading.Thread(target=publish, args=(rabbit_vhost, notes, 100.0))
    sender.start()
    wait_until(
        lambda: status(d, port)["sources"]["notifications"]["received"] >= 50,
        60,
        "consumption under way",
    )
    d.kill9()
    sender.join(120)
    d2 = start_osmon(tmp_path, cfg, port, "osmon2")
    try:
        got = wait_measures(gnocchi_client, expected, timeout=120)
        assert got == expected
    finally:
        assert d2.terminate() == 0


def test_rabbitmq_restart_mid_stream_reconnects(
    stack: Stack, gnocchi_client: Any, tmp_path: Path
) -> None:
    """A private RabbitMQ node is restarted while osmon consumes from it: osmon reconnects by
    itself (no restart of osmon) and every measure published before and after arrives."""
    node = RabbitNode(Path("/var/tmp") / f"osmon-rabbit-{uuid.uuid4().hex[:8]}", free_port())
    node.start()
    try:
        notes, expected = instance_exists(160, uuid.uuid4().hex)
        port = free_port()
        cfg = daemon_config(
            tmp_path, transport_url=node.url, gnocchi_url=stack.gnocchi_url, port=port
        )
        d = start_osmon(tmp_path, cfg, port, "osmon")
        try:
            publish(node.url, notes[:80])
            wait_until(
                lambda: status(d, port)["sources"]["notifications"]["accepted"] >= 80,
                60,
                "the first half consumed",
            )
            node.stop()
            time.sleep(2)
            node.start()
            wait_until(lambda: node.queue_exists("osmon"), 120, "osmon to re-declare its queue")
            publish(node.url, notes[80:])
            got = wait_measures(gnocchi_client, expected, timeout=120)
            assert got == expected
            assert d.proc.poll() is None
        finally:
            assert d.terminate() == 0
    finally:
        node.destroy()
