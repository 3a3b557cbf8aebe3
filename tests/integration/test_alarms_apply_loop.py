"""An alarm ``osmon alarms apply`` made, evaluated by the real Aodh on what osmon wrote to Gnocchi.

``osmon run`` probes a service whose port is closed and writes ``probe_success`` 0 to the real
Gnocchi through its sink; ``osmon alarms apply`` creates the service's ``<service>-down`` alarm
(the default alarm's metric, aggregation and resource query; one evaluation period instead of
five so the test takes a minute, not five) with the daemon's webhook as its action;
aodh-evaluator moves it to alarm and aodh-notifier calls the daemon, which exposes the state.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from gnocchiclient import exceptions as gnocchi_exceptions

from osmon.cli.alarms import alarms
from tests.e2e.alarm_hooks import SECRET, wait_until
from tests.e2e.daemon_proc import DaemonProc, http_get
from tests.integration.conftest import Stack
from tests.integration.pipeline import free_port


def _aodh(stack: Stack, project: str) -> Any:
    from aodhclient import client as aodh_client
    from aodhclient import noauth
    from keystoneauth1 import session as ks_session

    plugin = noauth.AodhNoAuthPlugin(
        user_id="osmon-loop", project_id=project, roles="admin", endpoint=stack.aodh_url
    )
    return aodh_client.Client("2", session=ks_session.Session(auth=plugin, timeout=30))


def _measures(gnocchi_client: Any, resource: str) -> list[Any]:
    try:
        got: list[Any] = gnocchi_client.metric.get_measures(
            "probe_success", resource_id=resource, refresh=True
        )
    except gnocchi_exceptions.NotFound:  # not created yet
        return []
    return got


def test_an_applied_down_alarm_fires_into_osmon(
    stack: Stack, gnocchi_client: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    cloud, service, project = f"loop{tag}", f"ks{tag}", uuid.uuid4().hex
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        f"cloud: {{name: {cloud}}}\n"
        "defaults: {interval: 5s, timeout: 2s}\n"
        "hosts:\n  h1: {address: 127.0.0.1, roles: [controller]}\n"
        f"services:\n  {service}:\n    type: keystone\n    hosts: [h1]\n"
        f"    endpoint: {{port: {free_port()}}}\n"  # nothing listens: the probe fails
        f"    alarms:\n      - {{name: {service}-down,"
        " type: gnocchi_aggregation_by_resources_threshold, metric: probe_success,"
        " comparison: lt, threshold: 1, aggregation: min, severity: critical, for: 1m}\n"
    )
    port = free_port()
    config = tmp_path / "osmon.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "inventory": str(inventory),
                "state_dir": str(tmp_path / "state"),
                "http": {"listen": "127.0.0.1", "port": port},
                "sources": {"probes": {"type": "probes"}},
                "sinks": {
                    "gnocchi": {"type": "gnocchi", "endpoint": stack.gnocchi_url, "auth": "basic"}
                },
                "routes": {"sample": ["gnocchi"]},
                "alarms": {"webhook_secret_env": "OSMON_IT_ALARM_SECRET"},
            }
        )
    )
    env = {"OSMON_IT_ALARM_SECRET": SECRET}
    base = f"http://127.0.0.1:{port}"
    daemon = DaemonProc(["-c", str(config)], env=env, log=tmp_path / "osmon.log")
    aodh = _aodh(stack, project)
    try:
        daemon.wait_http(base + "/healthz", timeout=30)
        resource = f"{service}_api@h1"  # how the Gnocchi sink names the probe target
        wait_until(lambda: _measures(gnocchi_client, resource), 90, "probe_success in Gnocchi")

        argv = ["apply", "-i", str(inventory), "--noauth", "--aodh-url", stack.aodh_url]
        argv += ["--project-id", project, "--user-id", "osmon-loop", "--webhook-url", base]
        argv += ["--webhook-secret-env", "OSMON_IT_ALARM_SECRET"]
        applied = CliRunner().invoke(alarms, argv, env=env)
        assert applied.exit_code == 0, applied.stderr
        assert SECRET not in applied.stdout

        name = f"osmon-{cloud}-{service}-down"
        line = f'osmon_alarm_state{{alarm_name="{name}",severity="critical"}} 1.0'
        wait_until(lambda: line in http_get(base + "/metrics")[1].decode(), 120, line)
        [alarm] = aodh.alarm.list()
        assert (alarm["name"], alarm["state"]) == (name, "alarm")
    finally:
        for alarm in aodh.alarm.list():
            aodh.alarm.delete(alarm["alarm_id"])
        assert daemon.terminate() == 0
    assert SECRET not in daemon.log()
