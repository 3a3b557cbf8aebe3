"""``osmon run`` feeding a private Nagios 4 with the results of its probes of the local stack's
memcached and HAProxy (and a port nobody listens on), then ``osmon nagios status`` reading it.

The daemon starts first, so the command pipe is absent at its start; Nagios is then started,
restarted (SIGTERM) in the middle, and the daemon's results keep arriving under the names of the
inventory's passive services.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from osmon.inventory import expand, load_text
from tests.e2e.daemon_proc import DaemonProc, http_get
from tests.integration.nagios_private import PrivateNagios
from tests.integration.probes.infra import Infra, free_port, infra  # noqa: F401

WAIT_S = 90.0
INVENTORY = """\
version: 1
cloud: {{name: nagtest}}
defaults:
  interval: 2s
  timeout: 5s
  thresholds: {{response_time: {{warning: '60', critical: '60'}}}}
hosts: {{local: {{address: 127.0.0.1, roles: [controller]}}}}
infrastructure:
  memcached: {{endpoint: {{port: {memcached}}}}}
  haproxy: {{endpoint: {{port: {haproxy}}}}}
  memcached-gone: {{type: memcached, endpoint: {{port: {closed}}}}}
"""
EXPECTED = {
    "memcached/memcached@local": ("local", "memcached memcached", "OK"),
    "haproxy/stats@local": ("local", "haproxy stats", "WARNING"),  # the stack's 'down' server
    "memcached-gone/memcached@local": ("local", "memcached-gone memcached", "CRITICAL"),
}


def wait(what: str, check: Callable[[], bool], daemon: DaemonProc, nagios: PrivateNagios) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not in {WAIT_S}s\n{daemon.log()}\n{nagios.tail()}")
        time.sleep(0.2)


@pytest.fixture
def setup(tmp_path: Path, infra: Infra) -> Iterator[tuple[Path, PrivateNagios]]:  # noqa: F811
    haproxy = int(infra.haproxy_stats_url.split("/")[2].rpartition(":")[2])
    text = INVENTORY.format(memcached=infra.memcached_port, haproxy=haproxy, closed=free_port())
    inv = tmp_path / "inventory.yaml"
    inv.write_text(text)
    exp = expand(load_text(text, str(inv)))
    passive = [s for s in exp.nagios_services if s.passive]
    assert {s.probe_id: (s.host, s.description) for s in passive} == {
        k: v[:2] for k, v in EXPECTED.items()
    }
    nagios = PrivateNagios(
        [(h.id, h.address) for h in exp.nagios_hosts], [(s.host, s.description) for s in passive]
    )
    nagios.verify()
    cfg = tmp_path / "osmon.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "inventory": str(inv),
                "hostname": "local",
                "state_dir": str(tmp_path / "state"),
                "http": {"listen": "127.0.0.1", "port": 0},
                "nagios": {"command_file": str(nagios.command_file), "max_queue": 1000},
                "sinks": {"prom": {"type": "prometheus"}},
                "sources": {"probes": {"type": "probes", "flush_interval": 0.5}},
                "routes": {"sample": ["prom"]},
            }
        )
    )
    try:
        yield cfg, nagios
    finally:
        nagios.close()


def probes(base: str) -> dict[str, dict[str, Any]]:
    _, body, _ = http_get(base + "/v1/probes")
    return {p["target"]: p for p in json.loads(body)}


def matches(base: str, nagios: PrivateNagios, since: float = 0.0) -> bool:
    """Every passive service holds its target's latest result (same check time, state and
    summary; Nagios shows a ';' of plugin output as ':'), checked after ``since``."""
    latest, states = probes(base), nagios.states()
    for target, (host, service, expected) in EXPECTED.items():
        row, mine = states.get((host, service)), latest.get(target)
        if row is None or mine is None or row.last_check is None or row.last_check < since:
            return False
        assert mine["state"] == expected, mine
        if row.last_check != int(mine["checked_at"]):
            return False  # one of them has moved on: look again
        assert row.state == expected
        assert row.output == mine["summary"].replace(";", ":")
        assert row.perfdata == mine["perfdata"]
    return True


def test_probe_results_reach_nagios_across_a_restart(
    setup: tuple[Path, PrivateNagios], tmp_path: Path
) -> None:
    cfg, nagios = setup
    daemon = DaemonProc(["-c", str(cfg)], log=tmp_path / "osmon.log")
    try:
        base = daemon.wait_listening()

        def feed() -> dict[str, Any]:
            result: dict[str, Any] = daemon.status(base)["nagios"]
            return result

        wait("results queued, no pipe yet", lambda: feed()["pending"] >= 3, daemon, nagios)
        assert feed()["connected"] is False and "nagios.cmd" in (feed()["last_error"] or "")

        nagios.start()
        wait("status.dat matches /v1/probes", lambda: matches(base, nagios), daemon, nagios)

        nagios.stop()
        down_at = time.time()
        wait("the loss seen", lambda: feed()["connected"] is False, daemon, nagios)
        nagios.start()
        wait("results again", lambda: matches(base, nagios, down_at), daemon, nagios)
        status = feed()
        assert status["connects"] >= 2 and status["dropped"] == 0 and status["invalid"] == 0
        _, metrics, _ = http_get(base + "/metrics")
        assert b'osmon_nagios_passive_results_total{outcome="sent"}' in metrics

        out = subprocess.run(
            [sys.executable, "-m", "osmon", "nagios", "status", "--status-file",
             str(nagios.status_file), "--host", "local", "--format", "json"],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        rows = {(r["host"], r["service"]): r for r in json.loads(out.stdout)}
        for host, service, state in EXPECTED.values():
            assert rows[(host, service)]["state"] == state
            assert rows[(host, service)]["passive"] is True
        table = subprocess.run(
            [sys.executable, "-m", "osmon", "nagios", "status", "--status-file",
             str(nagios.status_file)],
            capture_output=True, text=True, check=True, timeout=60, env={"COLUMNS": "200"},
        )  # fmt: skip
        assert "memcached-gone memcached" in table.stdout and "CRITICAL" in table.stdout
    finally:
        assert daemon.terminate() == 0, daemon.log()
