"""The galera probe against a real Galera (MariaDB 10.11 + galera-4): the stack's single-node
cluster, a private single node this module starts, desyncs and stops, and the machine's plain
MariaDB (3306, read-only status queries)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator

import pytest

from osmon.checks.state import State
from tests.integration.probes.galera_nodes import Node, new_dir
from tests.integration.probes.infra import HEAD, Infra, infra, run_one, series

__all__ = ["infra"]


def galera(port: int, credentials: str, hosts: str = "") -> str:
    placed = f"hosts: [{hosts}], " if hosts else ""
    return (
        HEAD
        + f"infrastructure:\n  galera: {{{placed}endpoint: {{port: {port}}}, "
        + f"credentials: {credentials}}}\n"
    )


async def test_stack_node_is_synced_primary_ready(infra: Infra) -> None:
    inventory = galera(infra.galera_port, f"{{option_file: {infra.galera_option_file}}}")
    result = await run_one(inventory, "galera/galera@local")
    assert (result.state, result.summary) == (State.OK, "Synced, Primary, cluster size 1, ready ON")
    assert series(result, "mysql_global_status_wsrep_cluster_size") == 1.0
    assert series(result, "mysql_global_status_wsrep_ready") == 1.0
    assert series(result, "mysql_global_status_wsrep_cluster_status") == 1.0
    assert series(result, "mysql_global_status_wsrep_local_state") == 4.0
    assert series(result, "mysql_global_status_wsrep_flow_control_paused") is not None
    assert series(result, "probe_success") == 1.0


async def test_password_from_file_and_from_environment(
    infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = infra.galera_user
    from_file = f"{{username: {user}, password_file: {infra.galera_password_file}}}"
    result = await run_one(galera(infra.galera_port, from_file), "galera/galera@local")
    assert result.state == State.OK, result.summary
    monkeypatch.setenv("GALERA_PW", infra.galera_password_file.read_text().strip())
    from_env = f"{{username: {user}, password_env: GALERA_PW}}"
    result = await run_one(galera(infra.galera_port, from_env), "galera/galera@local")
    assert result.state == State.OK, result.summary


async def test_wrong_password_unknown_and_missing_variable(
    infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GALERA_PW", "not-the-password")
    creds = f"{{username: {infra.galera_user}, password_env: GALERA_PW}}"
    result = await run_one(galera(infra.galera_port, creds), "galera/galera@local")
    assert result.state == State.UNKNOWN
    assert result.summary.startswith("login refused: Access denied for user 'osmon'")
    monkeypatch.delenv("GALERA_PW")
    result = await run_one(galera(infra.galera_port, creds), "galera/galera@local")
    assert (result.state, result.summary) == (
        State.UNKNOWN,
        "password variable GALERA_PW is not set",
    )


async def test_three_galera_hosts_expected_one_node_seen_is_critical(infra: Infra) -> None:
    """The inventory places galera on three hosts: the default cluster_size threshold wants
    3 (WARNING below) and a majority, 2 (CRITICAL below); the lone node has 1."""
    head = HEAD.replace(
        "hosts: {local: {address: 127.0.0.1, roles: [controller]}}",
        "hosts:\n  local: {address: 127.0.0.1}\n  b: {address: 127.0.0.1}\n"
        "  c: {address: 127.0.0.1}",
    )
    creds = f"{{option_file: {infra.galera_option_file}}}"
    inventory = galera(infra.galera_port, creds, "local, b, c").replace(HEAD, head + "\n")
    result = await run_one(inventory, "galera/galera@local")
    assert result.state == State.CRITICAL
    assert result.summary.endswith("cluster_size 1 outside 2: (CRITICAL)")


async def test_plain_mariadb_is_available_not_galera() -> None:
    """The machine's MariaDB (wsrep off; root without password over TCP on this machine)."""
    plain = HEAD + (
        "infrastructure:\n  mariadb:\n    credentials: {username: root}\n"
        "    probes: {status: {type: galera}}\n"
    )
    result = await run_one(plain, "mariadb/status@local")
    assert result.state == State.OK
    assert result.summary.startswith("not a Galera node (wsrep off); MariaDB ")
    assert series(result, "mysql_global_status_wsrep_cluster_size") is None
    as_galera = HEAD + "infrastructure:\n  galera: {credentials: {username: root}}\n"
    result = await run_one(as_galera, "galera/galera@local")
    assert result.state == State.CRITICAL and result.summary.startswith("not a Galera node")


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    """A private single-node Galera cluster."""
    d = new_dir("osmon-galera-")
    node = Node("single", d)
    node.configure(peers="")
    node.install()
    node.start("--wsrep-new-cluster")
    try:
        node.wait_synced()
        node.sql("CREATE USER 'osmon'@'127.0.0.1' IDENTIFIED BY 'pw'")
        yield node
    finally:
        node.stop()
        shutil.rmtree(d, ignore_errors=True)


async def test_private_node_desynced_is_warning_then_stopped_is_refused(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODE_PW", "pw")
    inventory = galera(node.port, "{username: osmon, password_env: NODE_PW}")
    result = await run_one(inventory, "galera/galera@local")
    assert (result.state, result.summary) == (State.OK, "Synced, Primary, cluster size 1, ready ON")

    node.sql("SET GLOBAL wsrep_desync = ON")
    result = await run_one(inventory, "galera/galera@local")
    assert result.state == State.WARNING
    assert result.summary == "node is Donor/Desynced, Primary, cluster size 1"
    assert series(result, "mysql_global_status_wsrep_local_state") == 2.0
    node.sql("SET GLOBAL wsrep_desync = OFF")

    node.stop()
    result = await run_one(inventory, "galera/galera@local")
    assert (result.state, result.summary) == (State.CRITICAL, "connection refused")
    assert series(result, "probe_success") == 0.0
    assert os.path.exists(node.dir / "error.log")


async def test_silent_and_garbage_servers() -> None:
    """A server that accepts and never speaks, and one that talks HTTP: the probe's own
    timeouts end the worker thread; neither is an exception out of the probe."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        writer.close()

    servers = [await asyncio.start_server(h, "127.0.0.1", 0) for h in (silent, http)]
    try:
        quiet, talker = (s.sockets[0].getsockname()[1] for s in servers)
        text = galera(quiet, "{username: osmon}").replace("timeout: 5s", "timeout: 1s")
        result = await run_one(text, "galera/galera@local")
        assert (result.state, result.summary) == (State.CRITICAL, "timed out after 1s")
        result = await run_one(galera(talker, "{username: osmon}"), "galera/galera@local")
        assert result.state == State.CRITICAL
        assert result.summary.startswith(
            f"not a MySQL/MariaDB server at 127.0.0.1:{talker}: Packet sequence number wrong"
        ), result.summary
    finally:
        for s in servers:
            s.close()
