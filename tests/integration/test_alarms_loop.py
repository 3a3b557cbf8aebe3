"""The two alarm loops through the local stack's real Aodh daemons into ``osmon run``.

Threshold: osmon's notifications source and Gnocchi sink write ``memory`` measures for an
instance into the real Gnocchi; a ``gnocchi_resources_threshold`` alarm on it (made here with
aodhclient, its action the daemon's webhook URL) is breached, aodh-evaluator (every 5 s) moves it
to alarm, aodh-notifier POSTs to osmon, and osmon exposes ``osmon_alarm_state … 1`` and writes
the ``alarm.transition`` event; a lower measure then brings it back to ok (state 0).

Event: a Ceilometer-format event published on RabbitMQ (topic ``alarm.all``) → aodh-listener →
aodh-notifier → the same webhook, called with basic credentials. Alarms live in a project of
their own per test and are deleted afterwards.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from osmon.config import default_config_path
from osmon.notifications.replay import Notification, Publisher, replay
from tests.e2e.alarm_hooks import SECRET, wait_until
from tests.e2e.daemon_proc import DaemonProc, http_get
from tests.integration.conftest import Stack
from tests.integration.pipeline import free_port, instance_exists, wait_measures

ENV = {"OSMON_IT_ALARM_SECRET": SECRET}


@pytest.fixture
def project() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def aodh(stack: Stack, project: str) -> Iterator[Any]:
    """aodhclient (noauth, admin of a fresh project); deletes the alarms it made afterwards."""
    from aodhclient import client as aodh_client
    from aodhclient import noauth
    from keystoneauth1 import session as ks_session

    plugin = noauth.AodhNoAuthPlugin(
        user_id=uuid.uuid4().hex, project_id=project, roles="admin", endpoint=stack.aodh_url
    )
    client = aodh_client.Client("2", session=ks_session.Session(auth=plugin, timeout=30))
    yield client
    for alarm in client.alarm.list():
        client.alarm.delete(alarm["alarm_id"])


def start_osmon(tmp: Path, stack: Stack, transport_url: str | None) -> tuple[DaemonProc, str]:
    port = free_port()
    cfg: dict[str, Any] = {
        "inventory": str(Path(str(default_config_path())).with_name("local.yaml")),
        "state_dir": str(tmp / "state"),
        "http": {"listen": "127.0.0.1", "port": port},
        "sinks": {
            "gnocchi": {"type": "gnocchi", "endpoint": stack.gnocchi_url, "auth": "basic"},
            "archive": {"type": "jsonl", "path": "events.jsonl"},
        },
        "routes": {"sample": ["gnocchi"], "event": ["archive"]},
        "alarms": {"webhook_secret_env": "OSMON_IT_ALARM_SECRET"},
    }
    if transport_url is not None:
        cfg["sources"] = {
            "notifications": {
                "type": "notifications",
                "transport_urls": [transport_url],
                "exchanges": ["nova"],
                "topics": ["notifications"],
                "batch_timeout": 0.5,
            }
        }
    path = tmp / "osmon.yaml"
    path.write_text(yaml.safe_dump(cfg))
    d = DaemonProc(["-c", str(path)], env=ENV, log=tmp / "osmon.log")
    base = f"http://127.0.0.1:{port}"
    d.wait_http(base + "/healthz", timeout=30)
    return d, base


def publish(url: str, notes: list[Notification]) -> None:
    pub = Publisher(url, exchange="nova", topic="notifications")
    try:
        replay(notes, pub)
    finally:
        pub.close()


def webhook_url(base: str) -> str:
    return f"{base}/v1/alarms/aodh/{SECRET}"


def basic_url(base: str) -> str:
    """The other form: HTTP basic credentials in the URL, sent by Aodh as a header."""
    return base.replace("http://", f"http://osmon:{SECRET}@") + "/v1/alarms/aodh"


def state_line(name: str, severity: str, value: int) -> str:
    return f'osmon_alarm_state{{alarm_name="{name}",severity="{severity}"}} {float(value)}'


def transitions(tmp: Path, name: str) -> list[dict[str, Any]]:
    path = tmp / "state" / "events.jsonl"
    if not path.exists():
        return []
    records = [json.loads(line)["record"] for line in path.read_text().splitlines() if line]
    return [r[3] for r in records if r[0] == "alarm.transition" and r[3]["alarm_name"] == name]


def test_threshold_loop_gnocchi_measures_to_aodh_evaluator_to_osmon(
    stack: Stack, rabbit_vhost: str, gnocchi_client: Any, aodh: Any, tmp_path: Path
) -> None:
    d, base = start_osmon(tmp_path, stack, rabbit_vhost)
    try:
        wait_until(
            lambda: d.status(base)["sources"]["notifications"]["listeners"] > 0,
            30,
            "the notification listener",
        )
        notes, expected = instance_exists(1, uuid.uuid4().hex, start_value=4096)
        publish(rabbit_vhost, notes)
        assert wait_measures(gnocchi_client, expected, timeout=90) == expected
        [instance] = expected
        name = f"osmon-it-memory-{uuid.uuid4().hex[:8]}"
        alarm = aodh.alarm.create(
            {
                "name": name,
                "type": "gnocchi_resources_threshold",
                "severity": "critical",
                "alarm_actions": [webhook_url(base)],
                "ok_actions": [webhook_url(base)],
                "insufficient_data_actions": [webhook_url(base)],
                "gnocchi_resources_threshold_rule": {
                    "metric": "memory",
                    "resource_id": instance,
                    "resource_type": "instance",
                    "aggregation_method": "last",
                    "granularity": 60,
                    "evaluation_periods": 1,
                    "threshold": 1024.0,
                    "comparison_operator": "gt",
                },
            }
        )
        line = state_line(name, "critical", 1)
        wait_until(lambda: line in http_get(base + "/metrics")[1].decode(), 120, line)
        [event] = wait_until(lambda: transitions(tmp_path, name), 30, "the alarm.transition")
        assert event["alarm_id"] == alarm["alarm_id"]
        assert event["current"] == "alarm"
        assert "4096" in event["reason"]
        assert aodh.alarm.get(alarm["alarm_id"])["state"] == "alarm"

        # back under the threshold: the evaluator's next cycle calls the ok action
        payload = {**notes[0].payload, "memory_mb": 256.0}
        publish(rabbit_vhost, [dataclasses.replace(notes[0], payload=payload)])
        line = state_line(name, "critical", 0)
        wait_until(lambda: line in http_get(base + "/metrics")[1].decode(), 120, line)
        ok = wait_until(
            lambda: [t for t in transitions(tmp_path, name) if t["current"] == "ok"],
            30,
            "the ok transition",
        )
        assert ok[0]["previous"] == "alarm"
        counted = f'{{alarm_name="{name}",current="ok",severity="critical"}} 1.0'
        assert "osmon_alarm_transitions_total" + counted in http_get(base + "/metrics")[1].decode()
    finally:
        assert d.terminate() == 0
    assert SECRET not in d.log()


def test_event_loop_rabbitmq_to_aodh_listener_to_osmon(
    stack: Stack, aodh: Any, project: str, tmp_path: Path
) -> None:
    d, base = start_osmon(tmp_path, stack, None)
    try:
        event_type = f"osmon.test.{uuid.uuid4().hex[:8]}.error"
        name = f"osmon-it-event-{uuid.uuid4().hex[:8]}"
        alarm = aodh.alarm.create(
            {
                "name": name,
                "type": "event",
                "severity": "moderate",
                "alarm_actions": [basic_url(base)],
                "event_rule": {
                    "event_type": event_type,
                    "query": [
                        {"field": "traits.state", "op": "eq", "type": "string", "value": "error"}
                    ],
                },
            }
        )
        event = {
            "message_id": str(uuid.uuid4()),
            "event_type": event_type,
            "generated": datetime.datetime.now(datetime.UTC).replace(tzinfo=None).isoformat(),
            "traits": [["project_id", 1, project], ["state", 1, "error"]],
            "raw": {},
        }
        note = Notification("event", "osmon-test", "sample", [event], origin="it")
        pub = Publisher(stack.rabbit_url, exchange="openstack", topic="alarm.all")
        try:
            replay([note], pub)
        finally:
            pub.close()
        line = state_line(name, "moderate", 1)
        wait_until(lambda: line in http_get(base + "/metrics")[1].decode(), 60, line)
        [got] = wait_until(lambda: transitions(tmp_path, name), 30, "the alarm.transition")
        assert got["alarm_id"] == alarm["alarm_id"]
        assert event_type in got["reason"]
    finally:
        assert d.terminate() == 0
