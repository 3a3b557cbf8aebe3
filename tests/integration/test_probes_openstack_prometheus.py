"""The stack's real Prometheus scrapes a daemon probing the real Nova: openstack-exporter's
``openstack_nova_agent_state`` (its labels) and ``openstack_nova_up``, and ``probe_success``.

Same path as ``test_probes_prometheus``: a daemon on a free port, handed to Prometheus through
the stack's file_sd directory, series read back from ``/api/v1/query``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.e2e.daemon_proc import DaemonProc
from tests.integration.openstack import PASSWORD_ENV, nova_from_stack
from tests.integration.test_prometheus_scrape import osmon_targets, query, wait_for

if TYPE_CHECKING:
    from conftest import Stack

pytestmark = pytest.mark.integration


def _inventory(stack: Stack) -> str:
    return (
        "version: 1\n"
        "cloud: {name: osmon-prom, region: RegionOne}\n"
        f"auth: {{auth_url: '{stack.keystone_url}', username: {stack.keystone_admin_user}, "
        f"project_name: {stack.keystone_admin_project}, password_env: {PASSWORD_ENV}, "
        "interface: public}\n"
        "defaults: {interval: 2s, timeout: 20}\n"
        "hosts:\n"
        "  osmon-nova: {address: 127.0.0.1, roles: [controller, compute]}\n"
        "services:\n"
        "  nova-compute: {hosts: [osmon-nova]}\n"
        "  nova-conductor: {hosts: [osmon-nova]}\n"
        "  nova-scheduler: {hosts: [osmon-nova]}\n"
    )


def test_prometheus_sees_the_agent_states_of_the_real_nova(stack: Stack, tmp_path: Path) -> None:
    nova = nova_from_stack()
    if isinstance(nova, str):
        pytest.fail(nova, pytrace=False)
    (tmp_path / "inventory.yaml").write_text(_inventory(stack))
    cfg = tmp_path / "osmon.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "inventory": str(tmp_path / "inventory.yaml"),
                "hostname": "osmon-prom-test",
                "state_dir": str(tmp_path / "state"),
                "http": {"listen": "127.0.0.1", "port": 0},
                "sinks": {"prom": {"type": "prometheus"}},
                "sources": {"probes": {"type": "probes"}},
                "routes": {"sample": ["prom"]},
            }
        )
    )
    prometheus = stack.prometheus_url
    target = stack.prometheus_targets_dir / f"osmon-nova-{uuid.uuid4().hex[:12]}.json"
    d = DaemonProc(
        ["-c", str(cfg)], log=tmp_path / "osmon.log", env={PASSWORD_ENV: stack.keystone_password}
    )
    try:
        instance = d.wait_listening().removeprefix("http://")
        pending = target.with_suffix(".tmp")
        pending.write_text(json.dumps([{"targets": [instance], "labels": {"test": target.stem}}]))
        pending.rename(target)
        selector = f'job="osmon", instance="{instance}", test="{target.stem}"'
        states = wait_for(
            "openstack_nova_agent_state in Prometheus",
            lambda: (
                len(r := query(prometheus, f"openstack_nova_agent_state{{{selector}}}")) >= 3 and r
            ),
        )
        by_service = {s["metric"]["service"]: s for s in states}
        assert {"nova-compute", "nova-conductor", "nova-scheduler"} <= by_service.keys()
        for s in by_service.values():
            labels = s["metric"]
            assert {"hostname", "service", "adminState", "zone", "id"} <= labels.keys(), labels
            assert labels["adminState"] in ("enabled", "disabled")
        assert by_service["nova-compute"]["value"][1] == "1"
        up = wait_for(
            "openstack_nova_up",
            lambda: (r := query(prometheus, f"openstack_nova_up{{{selector}}}")) and r,
        )
        assert {s["value"][1] for s in up} == {"1"}
        success = query(prometheus, f"probe_success{{{selector}}}")
        assert success and {s["value"][1] for s in success} == {"1"}, success
    finally:
        target.unlink(missing_ok=True)
        assert d.terminate() == 0
    wait_for(f"{instance} gone from Prometheus", lambda: instance not in osmon_targets(prometheus))
