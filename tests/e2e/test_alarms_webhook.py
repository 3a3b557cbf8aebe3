"""The Aodh webhook in a real ``osmon run``: effects on /metrics and the event sink, the secret
kept out of everything, start-up refusals, TLS, SIGHUP, and a forward hook that is down (spooled,
kept across kill -9, delivered when it answers)."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from osmon.config import default_config_path
from tests.e2e.alarm_hooks import SECRET, Hook, aodh_body, post, wait_until
from tests.e2e.daemon_proc import OSMON, DaemonProc, http_get
from tests.integration.pipeline import free_port

INVENTORY = Path(str(default_config_path())).with_name("local.yaml")
ENV = {"OSMON_E2E_ALARM_SECRET": SECRET}


def config(tmp: Path, **extra: Any) -> Path:
    cfg: dict[str, Any] = {
        "inventory": str(INVENTORY),
        "state_dir": str(tmp / "state"),
        "http": {"listen": "127.0.0.1", "port": 0},
        "retry": {"attempts": 2, "initial": 0.1, "maximum": 0.5, "timeout": 5},
        "sinks": {"archive": {"type": "jsonl", "path": "events.jsonl"}},
        "routes": {"event": ["archive"]},
        "alarms": {"webhook_secret_env": "OSMON_E2E_ALARM_SECRET"},
        **extra,
    }
    p = tmp / "osmon.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def metrics(base: str) -> str:
    return http_get(base + "/metrics")[1].decode()


def archived(tmp: Path) -> list[list[Any]]:
    path = tmp / "state" / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["record"] for line in path.read_text().splitlines() if line]


def test_transition_reaches_metrics_and_the_event_sink_and_the_secret_nothing(
    tmp_path: Path,
) -> None:
    d = DaemonProc(["-c", str(config(tmp_path))], env=ENV, log=tmp_path / "osmon.log")
    try:
        base = d.wait_listening()
        d.wait_http(base + "/healthz")
        assert post(f"{base}/v1/alarms/aodh/not-the-secret", aodh_body("osmon-x-y")) == 401
        assert post(f"{base}/v1/alarms/aodh/{SECRET}", b"{") == 400
        assert post(f"{base}/v1/alarms/aodh/{SECRET}", aodh_body("nova-api-slow")) == 202
        line = 'osmon_alarm_state{alarm_name="nova-api-slow",severity="critical"} 1.0'
        wait_until(lambda: line in metrics(base), 15, "osmon_alarm_state")
        [event] = wait_until(lambda: archived(tmp_path), 15, "the event in the jsonl sink")
        assert event[0] == "alarm.transition"
        assert event[3]["alarm_name"] == "nova-api-slow"
        st = d.status(base)
        assert st["sources"]["alarms"]["requests"] == {
            "accepted": 1,
            "invalid": 1,
            "unauthorized": 1,
        }
        assert SECRET not in json.dumps(st) and SECRET not in metrics(base)
        assert 'osmon_alarm_webhooks_total{outcome="unauthorized"} 1.0' in metrics(base)
    finally:
        assert d.terminate() == 0
    assert SECRET not in d.log() and "Traceback" not in d.log()
    assert SECRET not in (tmp_path / "state" / "events.jsonl").read_text()


def _start_fails(tmp_path: Path, cfg: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [*OSMON, "run", "-c", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1, out
    return out


def test_unset_secret_refuses_to_start_in_one_line(tmp_path: Path) -> None:
    out = _start_fails(tmp_path, config(tmp_path), {})
    assert "alarms.webhook_secret_env: OSMON_E2E_ALARM_SECRET is not set" in out


def test_exposed_listener_without_tls_refuses_to_start(tmp_path: Path) -> None:
    cfg = config(tmp_path, http={"listen": "0.0.0.0", "port": 0})
    out = _start_fails(tmp_path, cfg, ENV)
    assert f"{cfg}:" in out and "not a loopback address" in out


def test_tls_listener_serves_the_webhook_over_https(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    http = {"listen": "127.0.0.1", "port": 0, "tls": {"cert": str(cert), "key": str(key)}}
    d = DaemonProc(["-c", str(config(tmp_path, http=http))], env=ENV, log=tmp_path / "osmon.log")
    try:
        base = d.wait_listening().replace("http://", "https://")
        context = ssl.create_default_context(cafile=str(cert))
        req = urllib.request.Request(
            f"{base}/v1/alarms/aodh/{SECRET}",
            data=json.dumps(aodh_body("tls-alarm")).encode(),
            method="POST",
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(req, timeout=5, context=context) as resp:
                    assert resp.status == 202
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        wait_until(lambda: archived(tmp_path), 15, "the event")
    finally:
        assert d.terminate() == 0


def test_forward_hook_down_spooled_across_kill_9_then_delivered(tmp_path: Path) -> None:
    hook = Hook(free_port())
    cfg = config(tmp_path)
    doc = yaml.safe_load(cfg.read_text())
    doc["alarms"]["forward"] = [{"url": hook.url}]
    cfg.write_text(yaml.safe_dump(doc))
    d = DaemonProc(["-c", str(cfg)], env=ENV, log=tmp_path / "osmon.log")
    try:
        base = d.wait_listening()
        d.wait_http(base + "/healthz")
        names = [f"fwd-{i}" for i in range(3)]
        for name in names:
            assert post(f"{base}/v1/alarms/aodh/{SECRET}", aodh_body(name)) == 202

        def spooled() -> bool:
            sink = d.status(base)["sinks"]["alarms-forward-0"]
            return bool(sink["spooled_records"] == 3 and sink["last_error"])

        wait_until(spooled, 30, "three transitions spooled for the hook that is down")
        d.kill9()
        d = DaemonProc(["-c", str(cfg)], env=ENV, log=tmp_path / "osmon2.log")
        base = d.wait_listening()
        d.wait_http(base + "/healthz")
        assert d.status(base)["sinks"]["alarms-forward-0"]["spooled_records"] == 3
        hook.start()
        wait_until(lambda: len(hook.received) >= 3, 60, "the hook to receive the transitions")
        assert [b["alarm_name"] for b in hook.received] == names
        assert hook.received[0] == aodh_body("fwd-0")
        wait_until(
            lambda: d.status(base)["sinks"]["alarms-forward-0"]["spooled_records"] == 0,
            15,
            "the spool emptied",
        )
    finally:
        hook.stop()
        if d.proc.poll() is None:
            assert d.terminate() == 0


def test_sighup_maps_a_newly_added_inventory_alarm(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("cloud: {name: e2e}\nhosts: {ctl1: {address: 127.0.0.1}}\n")
    d = DaemonProc(
        ["-c", str(config(tmp_path, inventory=str(inventory)))], env=ENV, log=tmp_path / "log"
    )
    try:
        base = d.wait_listening()
        d.wait_http(base + "/healthz")
        url = f"{base}/v1/alarms/aodh/{SECRET}"
        assert post(url, aodh_body("osmon-e2e-disk-full")) == 202
        wait_until(lambda: archived(tmp_path), 15, "the first event")
        assert archived(tmp_path)[0][3]["inventory_alarm"] == ""
        alarm = "{name: disk-full, metric: disk, comparison: gt, threshold: 90}"
        inventory.write_text(inventory.read_text() + f"alarms:\n  - {alarm}\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_until(
            lambda: d.status(base)["sources"]["alarms"]["inventory_alarms"] == 1, 15, "reload"
        )
        assert post(url, aodh_body("osmon-e2e-disk-full", current="ok")) == 202
        second = wait_until(lambda: archived(tmp_path)[1:], 15, "the second event")
        assert second[0][3]["inventory_alarm"] == "disk-full"
    finally:
        assert d.terminate() == 0
