"""The stack's real Prometheus scrapes a daemon that probes: ``probe_success`` per target.

Same path as ``test_prometheus_scrape``: the daemon listens on a free port, the test hands it to
Prometheus through the stack's file_sd directory and reads the series back from
``/api/v1/query``. The targets are the stack's Keystone and Redis; a kind whose module is not in
this build reports UNKNOWN, so its ``probe_success`` is 0.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.e2e.daemon_proc import DaemonProc
from tests.integration.test_prometheus_scrape import get_json, osmon_targets, query, wait_for

if TYPE_CHECKING:
    from conftest import Stack

pytestmark = pytest.mark.integration

INVENTORY = """\
version: 1
cloud: {name: prom}
defaults: {interval: 1s, timeout: 2}
hosts:
  localhost: {address: 127.0.0.1}
services:
  keystone: {hosts: [localhost]}
infrastructure:
  redis: {hosts: [localhost]}
"""
TARGETS = {
    "keystone/api@localhost": "http",
    "redis/redis@localhost": "tcp",
    "keystone/process@localhost": "process",
    "redis/process@localhost": "process",
}


def test_prometheus_has_probe_success_per_target(stack: Stack, tmp_path: Path) -> None:
    prometheus = stack.prometheus_url
    loaded = get_json(f"{prometheus}/api/v1/status/config")["data"]["yaml"]
    assert str(stack.prometheus_targets_dir) in loaded, "no file_sd job: run deploy/local-stack up"
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    cfg = tmp_path / "osmon.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "inventory": str(tmp_path / "inventory.yaml"),
                "hostname": "localhost",
                "state_dir": str(tmp_path / "state"),
                "http": {"listen": "127.0.0.1", "port": 0},
                "sinks": {"prom": {"type": "prometheus"}},
                "sources": {"probes": {"type": "probes"}},
                "routes": {"sample": ["prom"]},
            }
        )
    )
    target = stack.prometheus_targets_dir / f"osmon-probes-{uuid.uuid4().hex[:12]}.json"
    d = DaemonProc(["-c", str(cfg)], log=tmp_path / "osmon.log")
    try:
        instance = d.wait_listening().removeprefix("http://")
        pending = target.with_suffix(".tmp")
        pending.write_text(json.dumps([{"targets": [instance], "labels": {"test": target.stem}}]))
        pending.rename(target)
        selector = f'job="osmon", instance="{instance}", test="{target.stem}"'
        found = wait_for(
            "probe_success of every target in Prometheus",
            lambda: (
                len(r := query(prometheus, f"probe_success{{{selector}}}")) == len(TARGETS) and r
            ),
        )
        by_target = {s["metric"]["target"]: s for s in found}
        assert by_target.keys() == TARGETS.keys()
        for name in TARGETS:
            series = by_target[name]["metric"]
            assert (series["host"], series["check"]) == (
                "localhost",
                name.split("/")[1].split("@")[0],
            )
        duration = query(prometheus, f"probe_duration_seconds{{{selector}}}")
        assert {s["metric"]["target"] for s in duration} == TARGETS.keys()
        targets = query(prometheus, f"osmon_probe_targets{{{selector}}}")
        assert [s["value"][1] for s in targets] == [str(len(TARGETS))]
    finally:
        target.unlink(missing_ok=True)
        assert d.terminate() == 0
    wait_for(f"{instance} gone from Prometheus", lambda: instance not in osmon_targets(prometheus))
