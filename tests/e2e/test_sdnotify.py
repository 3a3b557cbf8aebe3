"""``Type=notify`` readiness as systemd sees it: a real ``osmon run`` reports READY, RELOADING
and STOPPING on the datagram socket named by NOTIFY_SOCKET."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import yaml

from osmon.config import default_config_path
from tests.e2e.daemon_proc import DaemonProc, http_get


def _fields(sock: socket.socket) -> dict[str, str]:
    data = sock.recv(4096).decode()
    return dict(line.split("=", 1) for line in data.split("\n"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_log(d: DaemonProc, text: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while text not in d.log():
        assert time.monotonic() < end and d.proc.poll() is None, f"no {text!r}: {d.log()}"
        time.sleep(0.2)


def _config(tmp: Path, **sources: object) -> Path:
    cfg = {
        "inventory": str(Path(str(default_config_path())).with_name("local.yaml")),
        "hostname": "localhost",
        "state_dir": str(tmp / "state"),
        "http": {"listen": "127.0.0.1", "port": 9790},
        "sinks": {
            "prom": {"type": "prometheus"},
            "archive": {"type": "jsonl", "path": str(tmp / "archive.jsonl")},
        },
        "sources": {"logs": {"type": "logs"}, **sources},
        "routes": {"sample": ["prom"], "log": ["archive"]},
    }
    path = tmp / "osmon.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_ready_after_listener_reloading_on_sighup_stopping_on_sigterm(tmp_path: Path) -> None:
    """The first datagram is READY=1, and /metrics answers at once when it arrives (no retry);
    SIGHUP brings RELOADING=1 + MONOTONIC_USEC then READY=1; SIGTERM brings STOPPING=1 and
    exit 0. ``--port 0`` makes the listener pick a free port, which READY's STATUS reports."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify"))
        sock.settimeout(30)
        d = DaemonProc(
            ["-c", str(_config(tmp_path)), "--port", "0"],
            env={"NOTIFY_SOCKET": str(tmp_path / "notify")},
            log=tmp_path / "osmon.log",
        )
        try:
            try:
                ready = _fields(sock)
            except TimeoutError:
                raise AssertionError(f"no READY=1 within 30 s: {d.log()}") from None
            assert ready["READY"] == "1", ready
            host_port = ready["STATUS"].removeprefix("listening on ").split()[0]
            assert host_port.startswith("127.0.0.1:") and host_port != "127.0.0.1:0", ready
            status, body, _ = http_get(f"http://{host_port}/metrics")
            assert status == 200 and b"osmon_build_info" in body
            assert "logs" in d.status(f"http://{host_port}")["sources"]

            d.proc.send_signal(signal.SIGHUP)
            reloading = _fields(sock)
            assert reloading["RELOADING"] == "1" and int(reloading["MONOTONIC_USEC"]) > 0
            assert _fields(sock) == {"READY": "1"}
            assert d.status(f"http://{host_port}")["inventory"]["reloads"] == 1

            d.proc.send_signal(signal.SIGTERM)
            assert _fields(sock) == {"STOPPING": "1"}
            assert d.proc.wait(10) == 0
        finally:
            if d.proc.poll() is None:
                d.kill9()
    assert "Traceback" not in d.log()


def test_sigterm_exits_within_the_stop_timeout_while_the_broker_is_unreachable(
    tmp_path: Path,
) -> None:
    """The notifications source retries a RabbitMQ that refuses connections (a closed port) from
    inside oslo.messaging; SIGTERM must still end in STOPPING=1 and exit 0 within the 10 s the
    unit's TimeoutStopSec=15 counts on, instead of waiting for the connection forever."""
    url = f"rabbit://guest:guest@127.0.0.1:{_free_port()}/"
    notifications = {"type": "notifications", "transport_urls": [url]}
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify"))
        sock.settimeout(30)
        d = DaemonProc(
            ["-c", str(_config(tmp_path, notifications=notifications)), "--port", "0"],
            env={"NOTIFY_SOCKET": str(tmp_path / "notify")},
            log=tmp_path / "osmon.log",
        )
        try:
            assert _fields(sock)["READY"] == "1"
            _wait_for_log(d, "Connection failed")
            d.proc.send_signal(signal.SIGTERM)
            assert _fields(sock) == {"STOPPING": "1"}
            assert d.proc.wait(10) == 0, d.log()
        finally:
            if d.proc.poll() is None:
                d.kill9()
