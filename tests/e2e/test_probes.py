"""``osmon run`` with the probes source: results at /v1/probes, counts in /status, probe_*
series at /metrics, the latest state kept across a restart, SIGHUP following the inventory.

The targets are the local stack's real endpoints (Keystone, Gnocchi, Redis) and their
processes: every result has the documented keys and comes from a probe that ran (not UNKNOWN:
no exception, no missing kind) with at least one metric.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from osmon.probes.scheduler import first_run
from tests.e2e.daemon_proc import DaemonProc, http_get

INVENTORY = """\
version: 1
cloud: {name: e2e}
defaults: {interval: %s, timeout: 2}
hosts:
  localhost: {address: 127.0.0.1, roles: [controller]}
services:
  keystone: {hosts: [localhost]}
  gnocchi-api: {hosts: [localhost]}
infrastructure:
  redis: {hosts: [localhost]}
"""
TARGETS = {
    "keystone/api@localhost": "http",
    "gnocchi-api/api@localhost": "http",
    "redis/redis@localhost": "tcp",
    # process targets run on their own host: the config names this machine "localhost"
    "keystone/process@localhost": "process",
    "gnocchi-api/process@localhost": "process",
    "redis/process@localhost": "process",
}
KEYS = {
    "target",
    "kind",
    "state",
    "summary",
    "checked_at",
    "duration_seconds",
    "metrics",
    "perfdata",
    "owner",
}
DEADLINE_S = 60.0


def write_config(tmp: Path, interval: str) -> Path:
    inv = tmp / "inventory.yaml"
    inv.write_text(INVENTORY % interval)
    cfg = tmp / "osmon.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "inventory": str(inv),
                "hostname": "localhost",
                "state_dir": str(tmp / "state"),
                "http": {"listen": "127.0.0.1", "port": 0},
                "sinks": {"prom": {"type": "prometheus"}},
                "sources": {"probes": {"type": "probes", "flush_interval": 0.5}},
                "routes": {"sample": ["prom"]},
            }
        )
    )
    return cfg


def get_json(url: str) -> Any:
    status, body, headers = http_get(url)
    assert headers["Content-Type"].startswith("application/json"), (url, headers)
    return status, json.loads(body)


def wait_for(what: str, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what}: not seen within {DEADLINE_S}s")


def probes(base: str) -> dict[str, dict[str, Any]]:
    status, body = get_json(base + "/v1/probes")
    assert status == 200
    return {p["target"]: p for p in body}


def test_results_at_v1_probes_status_and_metrics(tmp_path: Path) -> None:
    d = DaemonProc(["-c", str(write_config(tmp_path, "1s"))], log=tmp_path / "osmon.log")
    try:
        base = d.wait_listening()
        found = wait_for(
            "a result per target", lambda: (p := probes(base)).keys() == TARGETS.keys() and p
        )
        for target, kind in TARGETS.items():
            result = found[target]
            assert set(result) == KEYS and result["kind"] == kind
            assert result["owner"] == "localhost"
            assert result["state"] in {"OK", "WARNING", "CRITICAL"}, result["summary"]
            assert result["metrics"], target
            status, one = get_json(base + "/v1/probes/" + target)
            assert status == 200 and set(one) == KEYS and one["target"] == target
        quoted = urllib.parse.quote("keystone/api@localhost", safe="")
        assert get_json(base + "/v1/probes/" + quoted)[0] == 200
        status, missing = get_json(base + "/v1/probes/nova-api/api@nowhere")
        assert (status, missing["error"]) == (404, "unknown target")

        st = d.status(base)["sources"]["probes"]
        assert st["targets"] == len(TARGETS)
        assert {"running", "skipped", "scheduler", "partition"} <= set(st)
        assert sum(st["states"].values()) == len(TARGETS)
        assert st["partition"] == {"mode": "everything"}

        def success() -> dict[str, float]:
            _, body, _ = http_get(base + "/metrics")
            return {
                s.labels["target"]: s.value
                for fam in text_string_to_metric_families(body.decode())
                if fam.name == "probe_success"
                for s in fam.samples
            }

        values = wait_for(
            "probe_success of every target", lambda: (v := success()).keys() == TARGETS.keys() and v
        )
        assert set(values) == set(TARGETS)
        wait_for("the stack's Keystone probed OK", lambda: success()["keystone/api@localhost"] == 1)
        _, body, _ = http_get(base + "/metrics")
        text = body.decode()
        assert (
            'probe_success{check="api",host="localhost",service="keystone",'
            'target="keystone/api@localhost"}' in text
        )
        assert f"osmon_probe_targets {len(TARGETS)}.0" in text
        assert "osmon_probe_results_total{" in text
        assert "password" not in json.dumps(d.status(base)).lower()
    finally:
        assert d.terminate() == 0
    assert "Traceback" not in d.log()


def test_the_latest_state_survives_a_restart(tmp_path: Path) -> None:
    d = DaemonProc(["-c", str(write_config(tmp_path, "1s"))], log=tmp_path / "run1.log")
    try:
        base = d.wait_listening()
        wait_for("a result per target", lambda: probes(base).keys() == TARGETS.keys())
    finally:
        assert d.terminate() == 0
    stopped = time.time()
    saved = json.loads((tmp_path / "state" / "latest-state.json").read_text())
    assert {s["target"] for s in saved["states"]} == TARGETS.keys()

    # Run 2 probes every 30 days: a target whose first run on its grid comes later than the
    # check below can only show the result run 1 left.
    interval = 30 * 86400.0
    d2 = DaemonProc(["-c", str(write_config(tmp_path, "30d"))], log=tmp_path / "run2.log")
    try:
        base = d2.wait_listening()
        started = time.time()
        after = probes(base)
        checked = time.time()
        assert after.keys() == TARGETS.keys()
        for target in TARGETS:
            if first_run(target, interval, started) > checked:
                assert after[target]["checked_at"] < stopped
    finally:
        assert d2.terminate() == 0


def test_sighup_adds_and_removes_targets(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "1s")
    d = DaemonProc(["-c", str(cfg)], log=tmp_path / "osmon.log")
    try:
        base = d.wait_listening()
        wait_for("a result per target", lambda: probes(base).keys() == TARGETS.keys())
        inv = tmp_path / "inventory.yaml"
        inv.write_text(
            inv.read_text().replace(
                "  gnocchi-api: {hosts: [localhost]}\n", "  aodh-api: {hosts: [localhost]}\n"
            )
        )
        d.proc.send_signal(signal.SIGHUP)
        gone = {"gnocchi-api/api@localhost", "gnocchi-api/process@localhost"}
        expected = {*TARGETS, "aodh-api/api@localhost", "aodh-api/process@localhost"} - gone
        wait_for("the reloaded targets", lambda: probes(base).keys() == expected)
        assert d.status(base)["sources"]["probes"]["targets"] == len(TARGETS)
    finally:
        assert d.terminate() == 0
