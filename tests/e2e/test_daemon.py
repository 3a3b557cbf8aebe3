"""The daemon as an operator runs it: a real ``osmon run`` subprocess, real signals, real HTTP."""

from __future__ import annotations

import signal
import sqlite3
import time
import urllib.request
from pathlib import Path

import yaml

from osmon.config import default_config_path, load_config
from osmon.records import LogRecord
from osmon.spool import Spool
from tests.e2e.daemon_proc import DaemonProc, http_get
from tests.e2e.held_backend import HeldEsDouble


def write_config(tmp: Path, **extra: object) -> Path:
    """A config on any free port (port 0: the test reads it with ``wait_listening``)."""
    inv = Path(str(default_config_path())).with_name("local.yaml")
    cfg = {
        "inventory": str(inv),
        "state_dir": str(tmp / "state"),
        "http": {"listen": "127.0.0.1", "port": 0},
        "sinks": {"prom": {"type": "prometheus"}},
        "routes": {"sample": ["prom"]},
        **extra,
    }
    p = tmp / "osmon.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def test_run_without_arguments_serves_metrics_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    """The embedded default: no config, no backend needed. It says 127.0.0.1:9790; the run here
    only overrides the port (``--port 0``) so that it never collides with another osmon."""
    default = load_config(None)
    assert (default.http.listen, default.http.port) == ("127.0.0.1", 9790)
    d = DaemonProc(["--port", "0"], env={"HOME": str(tmp_path)}, log=tmp_path / "osmon.log")
    try:
        base = d.wait_listening()
        assert base.startswith("http://127.0.0.1:")
        d.wait_http(base + "/metrics", timeout=30)
        status, body, headers = http_get(base + "/metrics")
        assert status == 200 and b"osmon_build_info" in body
        assert headers["Content-Type"].startswith("text/plain")
        om = urllib.request.Request(
            base + "/metrics",
            headers={"Accept": "application/openmetrics-text; version=1.0.0"},
        )
        with urllib.request.urlopen(om, timeout=2) as resp:
            assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
            assert resp.read().rstrip().endswith(b"# EOF")
        assert http_get(base + "/healthz")[0] == 200
        st = d.status(base)
        assert "spool" in st and "sinks" in st and "sources" in st
        assert (tmp_path / ".local/state/osmon/spool.db").exists()
        # A contract, not a speed target: the supervisor's grace period is 10 s (terminate()
        # raises when the process is still running then).
        assert d.terminate(timeout=10) == 0
    finally:
        if d.proc.poll() is None:
            d.kill9()
    assert "Traceback" not in d.log()


def test_listener_binds_loopback_only(tmp_path: Path) -> None:
    d = DaemonProc(["-c", str(write_config(tmp_path))], log=tmp_path / "log")
    try:
        base = d.wait_listening()
        port = int(base.rsplit(":", 1)[1])
        d.wait_http(base + "/healthz")
        st = d.status(base)
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
    inv = tmp_path / "inv.yaml"
    inv.write_text(Path(str(default_config_path())).with_name("local.yaml").read_text())
    cfg = write_config(tmp_path)
    data = yaml.safe_load(cfg.read_text())
    data["inventory"] = str(inv)
    cfg.write_text(yaml.safe_dump(data))
    d = DaemonProc(["-c", str(cfg)], log=tmp_path / "log")
    try:
        base = d.wait_listening()
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
    """A spool of 20 chunks replays into a log backend the test holds: it accepts 5 bulk
    requests, stores the 6th and keeps its answer back, and the daemon is killed with SIGKILL
    right then. Exactly 15 chunks are still spooled; after a restart every record reaches the
    backend, and the only ones sent twice are the 6th chunk's (written, never acknowledged)."""
    state = tmp_path / "state"
    state.mkdir()
    spool = Spool(state / "spool.db")
    n_chunks, per, answered = 20, 500, 5
    chunks = [
        [
            LogRecord(
                {"@timestamp": "2026-12-01T00:00:00.000Z", "message": f"entry {c * per + i}"},
                f"e2e-{c * per + i}",
                "nova",
            )
            for i in range(per)
        ]
        for c in range(n_chunks)
    ]
    for chunk in chunks:
        spool.put("out", chunk)
    spool.close()
    backend = HeldEsDouble(answer=answered)
    backend.start()
    try:
        cfg = write_config(
            tmp_path,
            sinks={"out": {"type": "elasticsearch", "hosts": [backend.url]}},
            routes={"log": ["out"]},
        )
        d = DaemonProc(["-c", str(cfg)], log=tmp_path / "log1")
        try:
            assert backend.held.wait(60), f"no bulk request held: {d.log()}"
        finally:
            d.kill9()
        assert _spool_depth(state / "spool.db") == (n_chunks - answered) * per
        sent = backend.bulk_ids()
        assert sent == [[r.doc_id for r in chunk] for chunk in chunks[: answered + 1]]

        backend.release()
        d2 = DaemonProc(["-c", str(cfg)], log=tmp_path / "log2")
        try:
            _wait(lambda: _spool_depth(state / "spool.db") == 0, timeout=120)
        finally:
            assert d2.terminate() == 0
        everything = {r.doc_id for chunk in chunks for r in chunk}
        assert set(backend.docs("logs-*")) == everything
        twice = {i for i, n in backend.receipts().items() if n == 2}
        assert twice == {r.doc_id for r in chunks[answered]}
        assert max(backend.receipts().values()) == 2
        assert len(backend.bulk_requests()) == n_chunks + 1
        assert not backend.internal_errors, backend.internal_errors[0]
    finally:
        backend.release()
        backend.stop()


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
