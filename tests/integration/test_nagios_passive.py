"""PassiveFeed against a real, private Nagios 4 (tests/integration/nagios_private.py).

What Nagios processed is read from its log (one ``EXTERNAL COMMAND`` line per passive result
it took, duplicates included) and its ``status.dat``. No timing is asserted: every wait is for
a state, bounded only to fail instead of hanging.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from prometheus_client import CollectorRegistry

from osmon.nagios import PassiveFeed
from tests.integration.nagios_private import PrivateNagios

WAIT_S = 60.0
HOST = "passive-host"


async def until(what: str, check: Callable[[], bool], nagios: PrivateNagios) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"not reached in {WAIT_S}s: {what}\n{nagios.tail()}")
        await asyncio.sleep(0.1)


def services(n: int) -> list[tuple[str, str]]:
    return [(HOST, f"svc {i:03d}") for i in range(n)]


@pytest.fixture
def nagios_factory() -> Iterator[Callable[..., PrivateNagios]]:
    made: list[PrivateNagios] = []

    def make(n: int, retain: bool = False) -> PrivateNagios:
        nagios = PrivateNagios([(HOST, "127.0.0.1")], services(n), retain=retain)
        made.append(nagios)
        nagios.verify()
        return nagios

    yield make
    for nagios in made:
        nagios.close()


def _outputs(nagios: PrivateNagios) -> set[str]:
    """The outputs of the service results Nagios processed."""
    return {
        line.split(";", 4)[4].split("|")[0]
        for line in nagios.received()
        if line.startswith("PROCESS_SERVICE_CHECK_RESULT;")
    }


async def test_states_outputs_and_perfdata_reach_status_dat(
    nagios_factory: Callable[..., PrivateNagios],
) -> None:
    nagios = nagios_factory(4)
    nagios.start()
    feed = PassiveFeed(nagios.command_file)
    await feed.start()
    try:
        feed.service_result(HOST, "svc 000", 0, "all good", "time=0.01s;1;5")
        feed.service_result(HOST, "svc 001", 1, "slow | very", "time=2s;1;5")
        feed.service_result(HOST, "svc 002", 2, "refused\nline two", "")
        feed.service_result(HOST, "svc 003", 3, "no probe for type http", "")
        feed.host_result(HOST, 1, "host down")
        await until(
            "every result in status.dat",
            lambda: all(r.state != "PENDING" for r in nagios.states().values()),
            nagios,
        )
    finally:
        await feed.stop()
    st = nagios.states()
    assert [(st[(HOST, f"svc {i:03d}")].state) for i in range(4)] == [
        "OK",
        "WARNING",
        "CRITICAL",
        "UNKNOWN",
    ]
    assert st[(HOST, "svc 000")].output == "all good"
    assert st[(HOST, "svc 000")].perfdata == "time=0.01s;1;5"
    assert st[(HOST, "svc 001")].output == "slow  very"  # '|' is not Nagios output
    assert st[(HOST, "svc 002")].output == "refused"  # the long output is its own field
    assert st[(HOST, None)].state == "DOWN" and st[(HOST, None)].output == "host down"
    assert feed.status()["sent"] == 5 and feed.status()["dropped"] == 0


@pytest.mark.parametrize("how", ["restart", "kill9"])
async def test_a_nagios_restart_loses_no_result(
    nagios_factory: Callable[..., PrivateNagios], how: str
) -> None:
    """Results flow while Nagios is stopped (SIGTERM, or kill -9) and started again: every one
    is processed by one Nagios or the other (some twice: those replayed after the loss)."""
    total, restart_at = 300, 100
    nagios = nagios_factory(total, retain=True)
    nagios.start()
    registry = CollectorRegistry()
    feed = PassiveFeed(nagios.command_file, registry=registry, retry_interval=0.1)
    await feed.start()
    restarted: asyncio.Task[None] | None = None

    def restart() -> None:
        nagios.stop() if how == "restart" else nagios.kill9()
        nagios.start()

    try:
        for i in range(total):
            feed.service_result(HOST, f"svc {i:03d}", i % 4, f"seq {i:03d}")
            if i == restart_at:
                restarted = asyncio.create_task(asyncio.to_thread(restart))
            await asyncio.sleep(0.01)
        assert restarted is not None
        await restarted
        wanted = {f"seq {i:03d}" for i in range(total)}
        await until("every result processed", lambda: wanted <= _outputs(nagios), nagios)
    finally:
        await feed.stop()
    status = feed.status()
    assert status["dropped"] == 0 and status["invalid"] == 0
    assert status["connects"] >= 2
    assert nagios.starts == 2
    if how == "restart":  # state retained over a clean restart: every service shows its result
        await until(
            "status.dat of the second Nagios has every service",
            lambda: sum(r.state != "PENDING" for r in nagios.states().values()) >= total,
            nagios,
        )
        st = nagios.states()
        assert all(st[(HOST, f"svc {i:03d}")].output == f"seq {i:03d}" for i in range(total))


async def test_no_pipe_at_start_results_wait_for_nagios(
    nagios_factory: Callable[..., PrivateNagios],
) -> None:
    nagios = nagios_factory(10)
    feed = PassiveFeed(nagios.command_file, retry_interval=0.1)
    await feed.start()
    try:
        for i in range(10):
            feed.service_result(HOST, f"svc {i:03d}", 2, f"early {i}")
        await until("the absent pipe reported", lambda: bool(feed.status()["last_error"]), nagios)
        assert feed.status()["pending"] == 10 and not feed.status()["connected"]
        nagios.start()
        await until(
            "all ten in status.dat",
            lambda: sum(r.output.startswith("early") for r in nagios.states().values()) == 10,
            nagios,
        )
    finally:
        await feed.stop()
    assert feed.status()["sent"] == 10 and feed.status()["dropped"] == 0


async def test_past_the_bound_the_oldest_are_dropped_and_counted(
    nagios_factory: Callable[..., PrivateNagios],
) -> None:
    nagios = nagios_factory(50)
    registry = CollectorRegistry()
    feed = PassiveFeed(nagios.command_file, max_queue=20, registry=registry, retry_interval=0.1)
    await feed.start()
    try:
        for i in range(50):  # Nagios is not there: 20 fit
            feed.service_result(HOST, f"svc {i:03d}", 1, f"bounded {i}")
        assert feed.status()["dropped"] == 30 and feed.status()["pending"] == 20
        dropped = registry.get_sample_value(
            "osmon_nagios_passive_results_total", {"outcome": "dropped"}
        )
        assert dropped == 30
        nagios.start()
        await until(
            "the 20 newest in status.dat",
            lambda: sum(r.output.startswith("bounded") for r in nagios.states().values()) == 20,
            nagios,
        )
    finally:
        await feed.stop()
    st = nagios.states()
    assert {s for (_, s), r in st.items() if r.output.startswith("bounded")} == {
        f"svc {i:03d}" for i in range(30, 50)
    }
