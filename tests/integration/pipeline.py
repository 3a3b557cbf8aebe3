"""Helpers for end-to-end notification tests: synthetic notifications, a daemon config, reading
measures back from Gnocchi, and real processes (a private Gnocchi API, a private RabbitMQ node)
that tests can stop and start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import yaml

from osmon.config import default_config_path
from osmon.notifications.replay import Notification

WSGI_NAME = "gnocchi_wsgi:application"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def instance_exists(
    n: int, project: str, start_value: int = 1000
) -> tuple[list[Notification], dict[str, float]]:
    """``n`` legacy ``compute.instance.exists`` notifications, one instance each, with a distinct
    memory size, and the measure each must produce in Gnocchi."""
    out, expected = [], {}
    for i in range(n):
        iid = str(uuid.uuid4())
        mem = float(start_value + i)
        payload = {
            "tenant_id": project,
            "user_id": "u" * 32,
            "instance_id": iid,
            "display_name": f"vm-{i}",
            "host": "cmp1",
            "instance_type": "m1.small",
            "instance_flavor_id": "2",
            "memory_mb": mem,
            "vcpus": 1,
            "root_gb": 1,
            "ephemeral_gb": 0,
            "disk_gb": 1,
            "state": "active",
            "image_ref_url": "http://glance/images/11111111-2222-3333-4444-555555555555",
            "launched_at": "2026-11-23T10:00:00.000000",
            "created_at": "2026-11-23 10:00:00",
        }
        out.append(
            Notification(
                event_type="compute.instance.exists",
                publisher_id="compute.cmp1",
                priority="info",
                payload=payload,
                ctxt={"project_id": project, "request_id": f"req-{uuid.uuid4()}"},
                origin=f"synthetic[{i}]",
            )
        )
        expected[iid] = mem
    return out, expected


def daemon_config(
    tmp: Path, *, transport_url: str, gnocchi_url: str, port: int, **sink_extra: Any
) -> Path:
    cfg = {
        "inventory": str(Path(str(default_config_path())).with_name("local.yaml")),
        "state_dir": str(tmp / "state"),
        "http": {"listen": "127.0.0.1", "port": port},
        "retry": {"attempts": 2, "initial": 0.2, "maximum": 5, "timeout": 20},
        "sinks": {
            "gnocchi": {"type": "gnocchi", "endpoint": gnocchi_url, "auth": "basic", **sink_extra}
        },
        "sources": {
            "notifications": {
                "type": "notifications",
                "transport_urls": [transport_url],
                "exchanges": ["nova"],
                "topics": ["notifications"],
                "batch_size": 200,
                "batch_timeout": 0.5,
            }
        },
        "routes": {"sample": ["gnocchi"]},
    }
    p = tmp / "osmon.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def measures_found(gc: Any, expected: dict[str, float]) -> dict[str, float]:
    """Last value of ``memory`` per instance that Gnocchi has (refresh=true forces metricd)."""
    from gnocchiclient import exceptions

    found = {}
    for iid in expected:
        try:
            m = gc.metric.get_measures("memory", resource_id=iid, refresh=True)
        except (exceptions.NotFound, exceptions.ClientException):
            continue
        if m:
            found[iid] = float(m[-1][2])
    return found


def wait_measures(gc: Any, expected: dict[str, float], timeout: float) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    pending = dict(expected)
    got: dict[str, float] = {}
    while pending and time.monotonic() < deadline:
        new = measures_found(gc, pending)
        got.update(new)
        for k in new:
            pending.pop(k, None)
        if pending:
            time.sleep(1.0)
    return got


class GnocchiApi:
    """A private Gnocchi API process (the stack's venv, config and database) on its own port,
    so a test can really stop and restart the backend without touching the shared one."""

    def __init__(self, stack_dir: Path, port: int, log: Path) -> None:
        self.stack_dir = stack_dir
        self.port = port
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, "GNOCCHI_CONF": str(self.stack_dir / "gnocchi" / "gnocchi.conf")}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(self.stack_dir / "venv" / "bin" / "gunicorn"),
                    "--chdir",
                    str(self.stack_dir / "wsgi"),
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "-w",
                    "2",
                    "-k",
                    "sync",
                    "--no-control-socket",
                    WSGI_NAME,
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"private Gnocchi did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            self.proc.wait(30)
        self.proc = None


class RabbitNode:
    """A private RabbitMQ node (its own port, mnesia and cookie) that a test may restart."""

    def __init__(self, base: Path, port: int) -> None:
        self.base = base
        self.port = port
        self.dist_port = free_port()
        self.node = f"osmon{port}@localhost"
        base.mkdir(parents=True, exist_ok=True)
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{port}\nloopback_users = none\n"
        )
        (base / "enabled_plugins").write_text("[].\n")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "HOME": str(base),
        }

    @property
    def url(self) -> str:
        return f"rabbit://guest:guest@127.0.0.1:{self.port}/"

    @property
    def pidfile(self) -> Path:
        return self.base / "mnesia" / f"{self.node}.pid"

    def _ctl(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", self.node, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self) -> None:
        subprocess.run(
            ["/usr/lib/rabbitmq/bin/rabbitmq-server", "-detached"],
            env=self.env,
            check=True,
            timeout=60,
            capture_output=True,
        )
        r = self._ctl("wait", "--timeout", "60", str(self.pidfile))
        assert r.returncode == 0, f"private RabbitMQ did not start: {r.stdout}{r.stderr}"

    def stop(self) -> None:
        if self.pidfile.exists():
            self._ctl("stop", str(self.pidfile))

    def queue_exists(self, name: str) -> bool:
        r = self._ctl("-q", "list_queues", "name", timeout=30)
        return name in r.stdout.split()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
