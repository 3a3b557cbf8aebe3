"""1,000 HTTP endpoints every 10 s on one core: coverage, start jitter, CPU per probe, against a
sequential baseline and an unbounded ``asyncio.gather`` baseline measured in the same run.

The fleet is one aiohttp server process (1,000 distinct URLs ``/e/<i>`` on one port, each
answering a version document), pinned to the other core. This process is pinned to one core and
runs the real runner (``osmon.probes.runner.run_probe``) with the real http probe (a fresh
connection per run, the catalog's body pattern, a shared session) in three modes, each for
``--cycles`` intervals after one warm-up interval:

- osmon: each target on its own grid slot (``offset(target) + k * interval``, the offset a hash
  of the target id, as the daemon's scheduler does), a run still going when the next is due is
  skipped, never stacked. Driver: the daemon's ``osmon.probes.scheduler.ProbeScheduler``
  (APScheduler; the default), or ``--driver minimal``, a bare loop with the same grid and skip
  rule, to see what APScheduler costs.
- sequential: at each interval start, every target in turn.
- gather: at each interval start, ``asyncio.gather`` of every target at once, no bound.
- idle: the osmon driver with runs that do nothing: the jitter the machine and the event loop
  add on their own (the floor; other work on this shared machine shows up here).

Start jitter is the time from a run's due time (its grid slot; the interval start for the
baselines) to the moment the probe starts. Coverage counts the targets run exactly once in each
measured interval. CPU is this process's user+system time over the measured intervals.
Usage: python bench/probes/bench_probes.py [--endpoints 1000] [--interval 10] [--cycles 3]
       [--driver apscheduler|minimal] [--modes osmon,sequential,gather,idle]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from osmon.checks.state import State  # noqa: E402
from osmon.inventory import Probe, Threshold  # noqa: E402
from osmon.probes import ProbeContext  # noqa: E402
from osmon.probes.http import probe as http_probe  # noqa: E402
from osmon.probes.runner import run_probe  # noqa: E402

SERVER = r"""
import os, sys
from aiohttp import web
os.sched_setaffinity(0, {int(sys.argv[2])})
DOC = b'{"versions": [{"id": "v1.0", "status": "CURRENT"}]}'
async def handle(request):
    return web.Response(body=DOC, content_type="application/json")
app = web.Application()
app.router.add_get("/e/{i}", handle)
ready = lambda *_: print("ready", flush=True)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=ready, backlog=4096,
            access_log=None)
"""


@dataclass(slots=True)
class Record:
    """What one mode measured."""

    mode: str
    starts: dict[str, list[float]] = field(default_factory=dict)  # target → start times
    jitter: list[float] = field(default_factory=list)
    states: Counter[str] = field(default_factory=Counter)
    cpu: float = 0.0
    wall: float = 0.0
    skipped: int = 0

    def started(self, target: str, when: float, due: float) -> None:
        self.starts.setdefault(target, []).append(when)
        self.jitter.append(when - due)


def targets(port: int, count: int, interval: float) -> list[Probe]:
    return [
        Probe(
            id=f"bench/api@e{i:04d}",
            service="bench",
            service_type="nova-api",
            name="api",
            type="http",
            host=f"e{i:04d}",
            address="127.0.0.1",
            port=port,
            url=f"http://127.0.0.1:{port}/e/{i}",
            interval=interval,
            timeout=5.0,
            expected_status=(200,),
            tls_verify=True,
            ca_file=None,
            server_name=None,
            thresholds={"response_time": Threshold("2", "10")},
            contacts=(),
            body_pattern=r'"versions?"\s*:',
        )
        for i in range(count)
    ]


def offset(target_id: str, interval: float) -> float:
    digest = hashlib.blake2b(target_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * interval


Run = Callable[[Probe, float], Awaitable[None]]  # (target, due time)


async def minimal_driver(ts: list[Probe], interval: float, until: float, run: Run) -> int:
    """One task per target sleeping until its grid slot; a late run skips slots, never stacks."""
    skipped = 0

    async def drive(t: Probe) -> None:
        nonlocal skipped
        off = offset(t.id, interval)
        due = off + math.ceil((time.time() - off) / interval) * interval
        while due < until:
            await asyncio.sleep(max(0.0, due - time.time()))
            await run(t, due)
            due += interval
            while due < time.time():
                due += interval
                skipped += 1

    await asyncio.gather(*(drive(t) for t in ts))
    return skipped


async def apscheduler_driver(ts: list[Probe], interval: float, until: float, run: Run) -> int:
    from osmon.probes.scheduler import ProbeScheduler, first_run

    async def execute(t: Probe) -> None:
        now = time.time()
        due = first_run(t.id, interval, now)
        if due - now > interval / 2:  # started just after its slot: the slot is one back
            due -= interval
        await run(t, due)

    scheduler = ProbeScheduler(execute, concurrency=len(ts))
    scheduler.sync(ts)
    scheduler.start()
    # runs due before ``until`` may still be going then: let them finish (shutdown cancels)
    await asyncio.sleep(until - time.time() + max(t.timeout for t in ts))
    await scheduler.shutdown()
    return int(sum(scheduler.skipped.values()))


def driver(name: str) -> tuple[str, Callable[..., Awaitable[int]]]:
    return name, apscheduler_driver if name == "apscheduler" else minimal_driver


async def measure(mode: str, ts: list[Probe], args: argparse.Namespace) -> Record:
    record = Record(mode)
    ctx = ProbeContext(hostname="bench")
    interval = args.interval
    begin = math.ceil(time.time() / interval) * interval + interval  # one warm-up interval
    end = begin + args.cycles * interval
    cpu_at: dict[str, float] = {}

    async def run(t: Probe, due: float) -> None:
        now = time.time()
        if begin <= due < end:
            record.started(t.id, now, due)
        if mode == "idle":
            record.states[State.OK.name] += begin <= due < end
            return
        result = await run_probe(t, http_probe, ctx)
        if begin <= due < end:
            record.states[result.state.name] += 1

    async def mark(at: float, key: str) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        cpu_at[key] = time.process_time()

    markers = [asyncio.create_task(mark(begin, "begin")), asyncio.create_task(mark(end, "end"))]
    start_due = math.ceil(time.time() / interval) * interval
    if mode in ("osmon", "idle"):
        record.mode = f"{mode} ({args.driver_name})"
        record.skipped = await args.driver(ts, interval, end, run)
    else:
        due = start_due
        while due < end:
            await asyncio.sleep(max(0.0, due - time.time()))
            if mode == "sequential":
                for t in ts:
                    await run(t, due)
            else:
                await asyncio.gather(*(run(t, due) for t in ts))
            late = due
            due += interval
            while due < time.time():  # a cycle longer than the interval skips the next
                due += interval
                if begin <= late < end:
                    record.skipped += len(ts)
    await asyncio.gather(*markers)
    record.cpu = cpu_at["end"] - cpu_at["begin"]
    record.wall = end - begin
    await ctx.close()
    return record


def covered(record: Record, ts: list[Probe], cycles: int) -> int:
    return sum(1 for t in ts if len(record.starts.get(t.id, ())) == cycles)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if values else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--driver", choices=("apscheduler", "minimal"), default="apscheduler")
    parser.add_argument("--modes", default="osmon,sequential,gather,idle")
    args = parser.parse_args()
    args.driver_name, args.driver = driver(args.driver)
    cores = sorted(os.sched_getaffinity(0))
    mine, server_core = cores[0], cores[-1]
    os.sched_setaffinity(0, {mine})

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(server_core)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        ts = targets(port, args.endpoints, args.interval)
        print(
            f"{args.endpoints} endpoints, interval {args.interval:g}s, {args.cycles} cycles; "
            f"probes on core {mine}, fleet on core {server_core}; driver {args.driver_name}"
        )
        records = [asyncio.run(measure(mode, ts, args)) for mode in args.modes.split(",")]
    finally:
        server.terminate()
        server.wait()
    report(records, ts, args)


def report(records: list[Record], ts: list[Probe], args: argparse.Namespace) -> None:
    runs = {r.mode: sum(len(v) for v in r.starts.values()) for r in records}
    print(
        f"{'mode':<24} {'covered':>9} {'runs':>6} {'skipped':>8} {'OK':>6} {'p50 jitter':>11} "
        f"{'p99 jitter':>11} {'max jitter':>11} {'CPU/probe':>10} {'core %':>7}"
    )
    for r in records:
        n = runs[r.mode]
        print(
            f"{r.mode:<24} {covered(r, ts, args.cycles):>5}/{len(ts):<3} {n:>6} {r.skipped:>8} "
            f"{r.states[State.OK.name]:>6} {percentile(r.jitter, 50) * 1e3:>9.1f}ms "
            f"{percentile(r.jitter, 99) * 1e3:>9.1f}ms {max(r.jitter, default=0) * 1e3:>9.1f}ms "
            f"{r.cpu / n * 1e3 if n else math.nan:>8.3f}ms {r.cpu / r.wall * 100:>6.1f}%"
        )
    base = records[0]
    for other in records[1:]:
        p99 = percentile(base.jitter, 99)
        ratio = percentile(other.jitter, 99) / p99 if p99 > 0 else math.inf
        cpu = (other.cpu / max(runs[other.mode], 1)) / (base.cpu / max(runs[base.mode], 1))
        print(f"{other.mode} / {base.mode}: p99 jitter x{ratio:.1f}, CPU per probe x{cpu:.2f}")
    print("states:", {r.mode: dict(r.states) for r in records})


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
