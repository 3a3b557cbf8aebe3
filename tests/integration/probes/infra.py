"""The local stack's private infrastructure instances (deploy/stack/infra.sh) and a way to run
one probe of an inventory against them.

``deploy/local-stack up`` writes their addresses into ``stack.env``; when they are missing or
down, ``up`` runs once more (it is idempotent) and a test that still cannot reach them fails.
"""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from osmon.components import probe_function
from osmon.inventory import expand, load_text
from osmon.probes import ProbeContext, ProbeResult
from osmon.probes.runner import run_probe
from tests.integration.conftest import LOCAL_STACK, STACK_DIR, parse_stack_env

_KEYS = (
    "GALERA_ADDR",
    "GALERA_USER",
    "GALERA_PASSWORD_FILE",
    "GALERA_OPTION_FILE",
    "GALERA_SOCKET",
    "MEMCACHED_ADDR",
    "HAPROXY_STATS_URL",
    "HAPROXY_SOCKET",
)


@dataclass(frozen=True, slots=True)
class Infra:
    galera_port: int
    galera_user: str
    galera_password_file: Path
    galera_option_file: Path
    galera_socket: Path
    memcached_port: int
    haproxy_stats_url: str
    haproxy_socket: Path


def _port(addr: str) -> int:
    return int(addr.rpartition(":")[2])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return True
    except OSError:
        return False


def _load() -> tuple[Infra | None, str]:
    env_file = STACK_DIR / "stack.env"
    env = parse_stack_env(env_file) if env_file.is_file() else {}
    missing = [k for k in _KEYS if k not in env]
    if missing:
        return None, f"{env_file} lacks {', '.join(missing)}"
    infra = Infra(
        galera_port=_port(env["GALERA_ADDR"]),
        galera_user=env["GALERA_USER"],
        galera_password_file=Path(env["GALERA_PASSWORD_FILE"]),
        galera_option_file=Path(env["GALERA_OPTION_FILE"]),
        galera_socket=Path(env["GALERA_SOCKET"]),
        memcached_port=_port(env["MEMCACHED_ADDR"]),
        haproxy_stats_url=env["HAPROXY_STATS_URL"],
        haproxy_socket=Path(env["HAPROXY_SOCKET"]),
    )
    down = [
        name
        for name, port in (
            ("galera", infra.galera_port),
            ("memcached", infra.memcached_port),
            ("haproxy", _port(infra.haproxy_stats_url.split("/")[2])),
        )
        if not _listening(port)
    ]
    return infra, f"not listening: {', '.join(down)}" if down else ""


@pytest.fixture(scope="session")
def infra() -> Infra:
    found, problem = _load()
    if found is not None and not problem:
        return found
    proc = subprocess.run(
        [str(LOCAL_STACK), "up"], capture_output=True, text=True, timeout=1800, check=False
    )
    found, again = _load()
    if found is None or again:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        pytest.fail(f"infrastructure instances unusable ({problem}; then {again}):\n{tail}")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run_one(inventory: str, probe_id: str) -> ProbeResult:
    """Run the probe ``probe_id`` of an inventory (YAML text) once, as the daemon would."""
    targets = {p.id: p for p in expand(load_text(inventory, "test.yaml")).probes}
    assert probe_id in targets, f"{probe_id} not in {sorted(targets)}"
    target = targets[probe_id]
    ctx = ProbeContext(hostname="local")
    try:
        return await run_probe(target, probe_function(target.type), ctx)
    finally:
        await ctx.close()


def series(result: ProbeResult, name: str, **labels: str) -> float | None:
    """The value of one series of a result (labels must match those given), or None."""
    for m in result.metrics:
        if m.series_name == name and all(m.labels.get(k) == v for k, v in labels.items()):
            return m.value
    return None


#: An inventory's first lines: one host, 127.0.0.1, a controller. The response_time
#: threshold is wide: these tests assert states and summaries, never how fast a busy machine is.
HEAD = (
    "version: 1\n"
    "cloud: {name: t}\n"
    "defaults: {timeout: 5s, thresholds: {response_time: {warning: '60', critical: '60'}}}\n"
    "hosts: {local: {address: 127.0.0.1, roles: [controller]}}\n"
)
