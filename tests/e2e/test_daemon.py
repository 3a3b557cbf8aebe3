"""The daemon as an operator runs it: a real ``osmon run`` subprocess, real signals, real HTTP."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import time
import urllib.request
from pathlib import Path

import yaml

from osmon.config import default_config_path
from osmon.records import Sample
from osmon.spool import Spool
from tests.e2e.daemon_proc import DaemonProc, http_get


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp: Path, port: int, **extra: object) -> Path:
    inv = Path(str(default_config_path())).with_name("local.yaml")
    cfg = {
        "inventory": str(inv),
        "state_dir": str(tmp / "state"),
        "http": {"listen": "127.0.0.1", "port": port},
        "sinks": {"prom": {"type": "prometheus"}},
        "routes": {"sample": ["prom"]},
        **extra,
    }
    p = tmp / "osmon.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def test_run_without_arguments_serves_metrics_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    """The embedded default: no config, no backend; /metrics on 127.0.0.1:9790 within 15 s."""
    d = DaemonProc([], env={"HOME": str(tmp_path)}, log=tmp_path / "osmon.log")
    try:
        took = d.wait_http("http://127.0.0.1:9790/metrics", timeout=15)
        assert took < 15
        status, body, headers = http_get("http://127.0.0.1:9790/metrics")
        assert status == 200 and b"osmon_build_info" in body
        assert headers["Content-Type"].startswith("text/plain")
        om = urllib.request.Request(
            "http://127.0.0.1:9790/metrics",
            headers={"Accept": "application/openmetrics-text; version=1.0.0"},
        )
        with urllib.request.urlopen(om, timeout=2) as resp:
            assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
            assert resp.read().rstrip().endswith(b"# EOF")
        assert http_get("http://127.0.0.1:9790/healthz")[0] == 200
        st = d.status("http://127.0.0.1:9790")
        assert "spool" in st and "sinks" in st and "sources" in st
        assert (tmp_path / ".local/state/osmon/spool.db").exists()
        t0 = time.monotonic()
        assert d.terminate(timeout=10) == 0
        assert time.monotonic() - t0 < 10
    finally:
        if d.proc.poll() is None:
            d.kill9()
    assert "Traceback" not in d.log()


def test_listener_binds_loopback_only(tmp_path: Path) -> None:
    port = free_port()
    d = DaemonProc(["-c", str(write_config(tmp_path, port))], log=tmp_path / "log")
    try:
        d.wait_http(f"http://127.0.0.1:{port}/healthz")
        st = d.status(f"http://127.0.0.1:{port}")
        assert st["version"]
        listening = []
        for proc_file in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(proc_file).read_text().splitlines()[1:]:
                fields = line.split()
                address, _, hex_port = fields[1].rpartition(":")
                if int(hex_port, 16) == port and fields[3] == "0A":
                    listening.append(address)
        assert listening == ["0100007F"], listening
    finally:
        assert d.terminate() == 0


def test_invalid_config_exits_1_with_file_line_and_no_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("inventory: x.yaml\nhttp:\n  port: notaport\nroutes:\n  sample: [nope]\n")
    d = DaemonProc(["-c", str(cfg)], log=tmp_path / "log")
    assert d.proc.wait(15) == 1
    out = d.log()
    assert f"{cfg}:3:" in out and "port" in out
    assert "Traceback" not in out


def test_unknown_route_sink_reported(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("inventory: x.yaml\nroutes:\n  sample: [nope]\n")
    d = DaemonProc(["-c", str(cfg)], log=tmp_path / "log")
    assert d.proc.wait(15) == 1
    assert f"{cfg}:3: routes.sample: no sink named 'nope'" in d.log()


def test_sighup_reloads_inventory_and_keeps_old_on_error(tmp_path: Path) -> None:
    port = free_port()
    inv = tmp_path / "inv.yaml"
    inv.write_text(Path(str(default_config_path())).with_name("local.yaml").read_text())
    cfg = write_config(tmp_path, port)
    data = yaml.safe_load(cfg.read_text())
    data["inventory"] = str(inv)
    cfg.write_text(yaml.safe_dump(data))
    base = f"http://127.0.0.1:{port}"
    d = DaemonProc(["-c", str(cfg)], log=tmp_path / "log")
    try:
        d.wait_http(base + "/healthz")
        d.proc.send_signal(signal.SIGHUP)
        _wait(lambda: d.status(base)["inventory"]["reloads"] == 1)
        inv.write_text("cloud: [broken\n")
        d.proc.send_signal(signal.SIGHUP)
        _wait(lambda: d.status(base)["inventory"]["reload_error"] is not None)
        st = d.status(base)
        assert st["inventory"]["reloads"] == 1
        assert str(inv) in st["inventory"]["reload_error"]
        assert http_get(base + "/healthz")[0] == 200
    finally:
        assert d.terminate() == 0


def test_kill_9_during_spool_replay_loses_nothing(tmp_path: Path) -> None:
    """A spool full of records replays into a file sink; the daemon is killed with SIGKILL in
    the middle; after a restart every record is in the sink (duplicates allowed, no loss)."""
    state = tmp_path / "state"
    state.mkdir()
    spool = Spool(state / "spool.db")
    n_chunks, per = 200, 1000
    for c in range(n_chunks):
        spool.put("out", [Sample("m", float(c * per + i), 0.0) for i in range(per)])
    spool.close()
    port = free_port()
    cfg = write_config(
        tmp_path,
        port,
        sinks={"out": {"type": "jsonl", "path": str(tmp_path / "out.jsonl")}},
        routes={"sample": ["out"]},
    )
    out = tmp_path / "out.jsonl"
    d = DaemonProc(["-c", str(cfg)], log=tmp_path / "log1")
    _wait(lambda: out.exists() and out.stat().st_size > 0, timeout=30)
    _wait(lambda: _lines(out) >= 5 * per, timeout=30)
    d.kill9()
    remaining = _spool_depth(state / "spool.db")
    assert 0 < remaining < n_chunks * per, "kill must land mid-replay"
    d2 = DaemonProc(["-c", str(cfg)], log=tmp_path / "log2")
    try:
        _wait(lambda: _spool_depth(state / "spool.db") == 0, timeout=60)
    finally:
        assert d2.terminate() == 0
    values = {json.loads(line)["record"][1] for line in out.read_text().splitlines()}
    assert values == {float(i) for i in range(n_chunks * per)}


def _lines(p: Path) -> int:
    with p.open("rb") as fh:
        return sum(1 for _ in fh)


def _spool_depth(db: Path) -> int:
    con = sqlite3.connect(str(db), timeout=10)
    try:
        return int(con.execute("SELECT COALESCE(SUM(n),0) FROM chunk").fetchone()[0])
    finally:
        con.close()


def _wait(cond: object, timeout: float = 10.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
