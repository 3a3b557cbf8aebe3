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


ROOT = Path(__file__).resolve().parents[2]
NOVA_SAMPLES = ROOT.parent / "shared" / "data" / "nova-notification-samples"
LEGACY = ROOT / "tests" / "fixtures" / "notifications" / "legacy"
SAMPLE_INSTANCE = "178b0921-8f85-4257-88b6-2e743b5a975c"
LEGACY_INSTANCE = "5f8b2a8e-9c1d-4f3a-8b6e-2d7c4a1e9f30"


def test_nova_samples_and_legacy_fixtures_into_gnocchi_and_metrics(
    stack: Stack, rabbit_vhost: str, gnocchi_client: Any, tmp_path: Path
) -> None:
    """Nova's 140 published versioned samples and the legacy fixtures of nova, cinder, glance,
    neutron and keystone go through a real daemon: no dead letter, every notification counted
    on /metrics, and the instances' measures read back from Gnocchi."""
    import dataclasses
    import json

    from osmon.notifications.replay import load_notifications

    sample_instance, legacy_instance = str(uuid.uuid4()), str(uuid.uuid4())

    def fresh_ids(n: Any) -> Any:
        """The published files use fixed instance ids; give this run its own."""
        text = json.dumps(n.payload)
        text = text.replace(SAMPLE_INSTANCE, sample_instance)
        return dataclasses.replace(
            n, payload=json.loads(text.replace(LEGACY_INSTANCE, legacy_instance))
        )

    notes = [fresh_ids(n) for n in load_notifications([NOVA_SAMPLES, LEGACY])]
    assert len([n for n in notes if n.versioned]) == 140
    port = free_port()
    cfg = daemon_config(
        tmp_path, transport_url=rabbit_vhost, gnocchi_url=stack.gnocchi_url, port=port
    )
    import yaml

    data = yaml.safe_load(cfg.read_text())
    data["sources"]["notifications"]["exchanges"] = [
        "nova",
        "cinder",
        "glance",
        "neutron",
        "keystone",
    ]
    data["sources"]["notifications"]["topics"] = ["notifications", "versioned_notifications"]
    data["sinks"]["prometheus"] = {"type": "prometheus"}
    data["routes"]["sample"] = ["gnocchi", "prometheus"]
    cfg.write_text(yaml.safe_dump(data))
    d = start_osmon(tmp_path, cfg, port, "osmon")
    try:
        pub = Publisher(rabbit_vhost)
        try:
            replay(notes, pub)
        finally:
            pub.close()
        wait_until(
            lambda: status(d, port)["sources"]["notifications"]["accepted"] >= len(notes),
            90,
            "every notification accepted",
        )
        st = status(d, port)["sources"]["notifications"]
        assert st["dead_letters"] == {}
        assert st["accepted"] == len(notes)
        from tests.e2e.daemon_proc import http_get

        _, body, _ = http_get(f"http://127.0.0.1:{port}/metrics")
        text = body.decode()
        total = sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("osmon_notifications_total{")
        )
        assert total == len(notes)
        assert 'osmon_notification_errors_total{event_type="compute.instance.create.error"' in text

        def memory(resource: str) -> set[float]:
            try:
                ms = gnocchi_client.metric.get_measures(
                    "memory", resource_id=resource, refresh=True
                )
            except Exception:
                return set()
            return {float(m[2]) for m in ms}

        wait_until(lambda: bool(memory(sample_instance)), 90, "the sample instance's memory")
        wait_until(
            lambda: (
                status(d, port)["sinks"]["gnocchi"]["delivered"] > 0
                and status(d, port)["spool"]["records"] == 0
            ),
            60,
            "the sink to settle",
        )
        wait_until(lambda: 2048.0 in memory(legacy_instance), 90, "the legacy instance's memory")
        vcpus = gnocchi_client.metric.get_measures(
            "vcpus", resource_id=sample_instance, refresh=True
        )
        assert {float(m[2]) for m in vcpus} == {1.0}
        res = gnocchi_client.resource.get("instance", sample_instance)
        assert {"memory", "vcpus", "disk.root.size"} <= set(res["metrics"])
    finally:
        assert d.terminate() == 0
