"""PassiveFeed against a real FIFO read by the test (Nagios's side is in tests/integration)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from prometheus_client import CollectorRegistry

from osmon.nagios import PassiveFeed
from tests.unit.waiting import until


class Reader:
    """Reads the FIFO like Nagios's command worker (O_RDWR | O_NONBLOCK), in a thread."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.data = b""
        self.writes: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            self.data += chunk

    def lines(self) -> list[str]:
        return self.data.decode().splitlines()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self.fd)


def _count(registry: CollectorRegistry, outcome: str) -> float | None:
    return registry.get_sample_value("osmon_nagios_passive_results_total", {"outcome": outcome})


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "nagios.cmd"
    os.mkfifo(path, 0o660)
    return path


async def test_results_reach_the_pipe_in_order(tmp_path: Path) -> None:
    path = _fifo(tmp_path)
    reader = Reader(path)
    registry = CollectorRegistry()
    feed = PassiveFeed(path, registry=registry)
    await feed.start()
    try:
        for i in range(500):
            feed.service_result("h", "s", i % 4, f"result {i}", "x=1", 1000 + i)
        feed.host_result("h", 0, "up", timestamp=2000)
        await until("501 lines", lambda: len(reader.lines()) == 501)
    finally:
        await feed.stop()
        reader.close()
    lines = reader.lines()
    assert lines[0] == "[1000] PROCESS_SERVICE_CHECK_RESULT;h;s;0;result 0|x=1"
    assert [int(line.split(";")[4].split("|")[0].split()[-1]) for line in lines[:500]] == list(
        range(500)
    )
    assert lines[-1] == "[2000] PROCESS_HOST_CHECK_RESULT;h;0;up"
    assert feed.status()["sent"] == 501
    assert _count(registry, "sent") == 501


async def test_no_pipe_at_start_then_it_comes(tmp_path: Path) -> None:
    path = tmp_path / "nagios.cmd"
    feed = PassiveFeed(path, retry_interval=0.05)
    await feed.start()
    try:
        for i in range(10):
            feed.service_result("h", "s", 0, f"r{i}")
        await until("the missing pipe seen", lambda: feed.status()["last_error"] is not None)
        os.mkfifo(path, 0o660)  # a pipe, but nobody reading it yet: ENXIO
        await until("ENXIO seen", lambda: "No such device" in (feed.status()["last_error"] or ""))
        assert feed.status()["pending"] == 10
        reader = Reader(path)
        await until("10 lines", lambda: len(reader.lines()) == 10)
        assert feed.status()["connected"] is True
        assert feed.status()["last_error"] is None
    finally:
        await feed.stop()
        reader.close()
    assert [line.rsplit(";", 1)[1] for line in reader.lines()] == [f"r{i}" for i in range(10)]


async def test_oldest_dropped_past_the_bound(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    feed = PassiveFeed(tmp_path / "absent.cmd", max_queue=5, registry=registry)
    await feed.start()
    for i in range(8):
        feed.service_result("h", "s", 0, f"r{i}")
    status = feed.status()
    assert status["pending"] == 5 and status["dropped"] == 3
    assert _count(registry, "dropped") == 3
    path = _fifo(tmp_path)
    os.replace(path, tmp_path / "absent.cmd")
    reader = Reader(tmp_path / "absent.cmd")
    try:
        await until("5 lines", lambda: len(reader.lines()) == 5)
    finally:
        await feed.stop()
        reader.close()
    assert [line.rsplit(";", 1)[1] for line in reader.lines()] == [f"r{i}" for i in range(3, 8)]


async def test_reader_gone_and_back_replays_recent_lines(tmp_path: Path) -> None:
    path = _fifo(tmp_path)
    first = Reader(path)
    feed = PassiveFeed(path, retry_interval=0.05)
    await feed.start()
    try:
        feed.service_result("h", "s", 0, "before")
        await until("first line", lambda: len(first.lines()) == 1)
        first.close()  # Nagios stops: what it read may never have been processed
        await until("the loss seen", lambda: feed.status()["connected"] is False)
        feed.service_result("h", "s", 1, "during")
        second = Reader(path)
        await until("both lines again", lambda: len(second.lines()) == 2)
    finally:
        await feed.stop()
        second.close()
    assert [line.rsplit(";", 1)[1] for line in second.lines()] == ["before", "during"]
    assert feed.status()["resent"] == 1


async def test_a_full_pipe_never_blocks_and_loses_nothing(tmp_path: Path) -> None:
    path = _fifo(tmp_path)
    stalled = os.open(path, os.O_RDWR | os.O_NONBLOCK)  # a reader that does not read yet
    feed = PassiveFeed(path, max_queue=100_000)
    await feed.start()
    try:
        for i in range(5000):  # ~300 KB: several times a pipe's 64 KB
            feed.service_result("h", "s", 0, f"result {i:05d} " + "x" * 40)
        await until("the pipe full", lambda: feed.status()["sent"] > 0)
        assert feed.status()["pending"] > 0
        reader = Reader(path)
        os.close(stalled)
        await until("every line", lambda: len(reader.lines()) == 5000)
    finally:
        await feed.stop()
        reader.close()
    assert all(f"result {i:05d} " in line for i, line in enumerate(reader.lines()))


async def test_invalid_results_are_counted_not_sent(tmp_path: Path) -> None:
    feed = PassiveFeed(tmp_path / "x.cmd")
    feed.service_result("a;b", "s", 0, "x")
    feed.service_result("h", "s", 7, "x")
    assert feed.status()["invalid"] == 2 and feed.status()["pending"] == 0


async def test_stop_counts_what_could_not_be_delivered(tmp_path: Path) -> None:
    feed = PassiveFeed(tmp_path / "x.cmd", stop_timeout=0.2, retry_interval=0.05)
    await feed.start()
    feed.service_result("h", "s", 0, "x")
    await feed.stop()
    assert feed.status()["dropped"] == 1 and feed.status()["pending"] == 0
    feed.service_result("h", "s", 0, "after the stop")
    assert feed.status()["dropped"] == 2 and feed.status()["pending"] == 0


async def test_a_regular_file_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "nagios.cmd"
    path.write_text("")
    feed = PassiveFeed(path, retry_interval=0.05, stop_timeout=0.2)
    await feed.start()
    feed.service_result("h", "s", 0, "x")
    await until("refused", lambda: "is not a FIFO" in (feed.status()["last_error"] or ""))
    await feed.stop()
    assert path.read_text() == "" and feed.status()["dropped"] == 1
