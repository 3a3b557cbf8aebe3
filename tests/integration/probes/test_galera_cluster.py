"""The galera probe against a private three-node Galera cluster on this machine (rsync SST,
short EVS timeouts): a killed node shrinks the cluster below the inventory's size (WARNING),
a second one leaves the survivor without quorum (wsrep_ready OFF, non-Primary: CRITICAL).

About 450 MB of RAM and 10-20 s to form (two state transfers), which is why it is one module
with one test.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterator

import pytest

from osmon.checks.state import State
from osmon.probes import ProbeResult
from tests.integration.probes.galera_nodes import Node, new_dir
from tests.integration.probes.infra import HEAD, run_one, series

WAIT_S = 60.0
ID = "galera/galera@local"


@pytest.fixture(scope="module")
def cluster() -> Iterator[list[Node]]:
    base = new_dir("osmon-galera3-")
    nodes = [Node(f"n{i}", base / f"n{i}") for i in (1, 2, 3)]
    peers = ",".join(f"127.0.0.1:{n.gcomm}" for n in nodes)
    for node in nodes:
        node.dir.mkdir()
        node.configure(peers)
    try:
        nodes[0].install()
        nodes[0].start("--wsrep-new-cluster")
        nodes[0].wait_synced()
        nodes[0].sql("CREATE USER 'osmon'@'127.0.0.1' IDENTIFIED BY 'pw'")
        for node in nodes[1:]:  # empty datadir: filled by an rsync state transfer
            node.start()
            node.wait_synced()
        yield nodes
    finally:
        for node in nodes:
            node.kill()
        shutil.rmtree(base, ignore_errors=True)


def inventory(port: int) -> str:
    """Galera placed on three hosts (all 127.0.0.1, probed on n1's port): the default
    cluster_size thresholds are WARNING below 3 and CRITICAL below 2."""
    head = HEAD.replace(
        "hosts: {local: {address: 127.0.0.1, roles: [controller]}}",
        "hosts:\n  local: {address: 127.0.0.1}\n  b: {address: 127.0.0.1}\n"
        "  c: {address: 127.0.0.1}",
    )
    return head + (
        f"infrastructure:\n  galera: {{hosts: [local, b, c], endpoint: {{port: {port}}}, "
        "credentials: {username: osmon, password_env: CLUSTER_PW}}\n"
    )


async def until(text: str, check: Callable[[ProbeResult], bool]) -> ProbeResult:
    deadline = time.monotonic() + WAIT_S
    while True:
        result = await run_one(text, ID)
        if check(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.3)


async def test_node_loss_then_quorum_loss(
    cluster: list[Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTER_PW", "pw")
    text = inventory(cluster[0].port)
    result = await run_one(text, ID)
    assert (result.state, result.summary) == (State.OK, "Synced, Primary, cluster size 3, ready ON")

    cluster[2].kill()
    result = await until(text, lambda r: series(r, "mysql_global_status_wsrep_cluster_size") == 2)
    assert result.state == State.WARNING
    assert result.summary == (
        "Synced, Primary, cluster size 2, ready ON; cluster_size 2 outside 3: (WARNING)"
    )

    cluster[1].kill()
    result = await until(text, lambda r: series(r, "mysql_global_status_wsrep_ready") == 0)
    assert result.state == State.CRITICAL
    assert result.summary.startswith("wsrep_ready OFF; cluster status non-Primary (")
    assert series(result, "mysql_global_status_wsrep_cluster_status") == 0.0
    assert series(result, "probe_success") == 0.0
