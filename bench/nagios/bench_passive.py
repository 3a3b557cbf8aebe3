"""Passive results/s into a Nagios command FIFO, and the event loop's cost per result.

osmon: ``PassiveFeed.service_result`` on the event loop, the writer thread packing whole lines
into PIPE_BUF writes. Baseline, in the same run, same lines, same FIFO and reader: the simplest
writer, one blocking ``os.write`` per line on the event loop (what a loop-side writer costs; it
also stalls the loop whenever the pipe is full). The reader drains the FIFO as Nagios's command
worker does (``O_RDWR | O_NONBLOCK``, poll, 64 KiB reads), so the figures are the writers' own.
Usage: python bench/nagios/bench_passive.py [--results N] [--repeat R]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import select
import statistics
import tempfile
import threading
import time
from pathlib import Path

from osmon.nagios import PassiveFeed, service_check_result

PERF = "response_time=0.012s;1;5 success=1 duration=0.013s"


class Reader(threading.Thread):
    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.lines = 0
        self.stop = False

    def run(self) -> None:
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while not self.stop:
            if poller.poll(100):
                with contextlib.suppress(BlockingIOError):
                    self.lines += os.read(self.fd, 65536).count(b"\n")


async def wait_lines(reader: Reader, n: int) -> None:
    while reader.lines < n:
        await asyncio.sleep(0.001)


async def osmon(path: Path, reader: Reader, n: int) -> tuple[float, float]:
    feed = PassiveFeed(path, max_queue=n)
    await feed.start()
    start, base = time.perf_counter(), reader.lines
    for i in range(n):
        feed.service_result("ctl1", "nova-api api", 0, f"HTTP 200 in 0.012 s #{i}", PERF, 1e9)
    loop_s = time.perf_counter() - start
    await wait_lines(reader, base + n)
    total = time.perf_counter() - start
    await feed.stop()
    return n / total, loop_s / n * 1e6


async def baseline(path: Path, reader: Reader, n: int) -> tuple[float, float]:
    fd = os.open(path, os.O_WRONLY)
    start, base = time.perf_counter(), reader.lines
    for i in range(n):
        line = service_check_result(
            "ctl1", "nova-api api", 0, f"HTTP 200 in 0.012 s #{i}", PERF, 1e9
        )
        os.write(fd, line)
    loop_s = time.perf_counter() - start
    await wait_lines(reader, base + n)
    total = time.perf_counter() - start
    os.close(fd)
    return n / total, loop_s / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nagios.cmd"
        os.mkfifo(path, 0o660)
        reader = Reader(path)
        reader.start()
        mine, base = [], []
        for _ in range(args.repeat):  # alternating, so both see the same machine load
            mine.append(asyncio.run(osmon(path, reader, args.results)))
            base.append(asyncio.run(baseline(path, reader, args.results)))
        reader.stop = True
    rate, cost = statistics.median(r for r, _ in mine), statistics.median(c for _, c in mine)
    brate, bcost = statistics.median(r for r, _ in base), statistics.median(c for _, c in base)
    print(f"results per run: {args.results:,}, runs: {args.repeat} (medians)")
    print(f"osmon PassiveFeed: {rate:,.0f} results/s, {cost:.1f} us of event loop per result")
    print(f"baseline write/line: {brate:,.0f} results/s, {bcost:.1f} us of event loop per result")
    print(f"ratio: {rate / brate:.2f}x results/s, {bcost / cost:.2f}x less loop time per result")


if __name__ == "__main__":
    main()
