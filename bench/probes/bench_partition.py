"""Three daemons share probe targets through tooz (Redis): duplicates and gaps per interval, and
the time the survivors take to cover every target again after one is killed with -9.

Each member is a process with a scheduler stand-in: every target has its own start offset in
the interval (random per member, as start jitter gives), and at each run the member asks its
partition ``owns(target)`` and "probes" (records) only then — as the probes source does. Per
interval window the records of all members give, per target, how many times it was probed:
duplicates = probes beyond the first, gaps = targets not probed. Windows in which membership
changed (start, kill) are reported apart from the steady ones.
Baseline in the same run: the same three processes without coordination (every daemon probes
every target, the only safe choice without a partition): 3x the probes.

Usage: python bench/probes/bench_partition.py [--url redis://127.0.0.1:6379/0] [--targets 1000]
       [--interval 5] [--intervals 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def target_ids(n: int) -> list[str]:
    return [f"svc{i % 37}/http@host{i:04d}" for i in range(n)]


# ---- one member (a subprocess) --------------------------------------------------------------
async def member(args: argparse.Namespace) -> None:
    ids = target_ids(args.targets)
    out = Path(args.out)
    part: Any = None
    if args.url:
        from osmon.probes.coordination import build_partition

        part = build_partition(args.url, args.name, args.group, {"poll": 1.0})
        await part.start()

    def owns(t: str) -> bool:
        return part is None or part.owns(t)

    async def snapshots() -> None:
        while True:
            owned = [i for i, t in enumerate(ids) if owns(t)]
            tmp = out / f"{args.name}.owned.tmp"
            tmp.write_text(json.dumps({"t": time.time(), "owned": owned}))
            os.replace(tmp, out / f"{args.name}.owned.json")
            await asyncio.sleep(0.1)

    asyncio.get_running_loop().create_task(snapshots())
    rng = random.Random(args.name)
    offsets = sorted((rng.random() * args.interval, i) for i in range(len(ids)))
    with (out / f"{args.name}.probes").open("a", buffering=1) as log:
        k = 0
        while True:
            for offset, i in offsets:
                due = args.start + k * args.interval + offset
                delay = due - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -args.interval:
                    continue  # started late: the first runs are in the past
                if owns(ids[i]):  # a late run still counts for the interval it was due in
                    log.write(f"{k} {i}\n")
            k += 1


# ---- the parent -----------------------------------------------------------------------------
class Fleet:
    def __init__(self, args: argparse.Namespace, out: Path, coordinated: bool) -> None:
        self.args = args
        self.out = out
        self.url = args.url_ns if coordinated else ""
        self.group = f"bench-{uuid.uuid4().hex[:8]}"
        self.start_at = time.time() + 1.0
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(
            [sys.executable, __file__, "--member", name, "--url", self.url,
             "--group", self.group, "--out", str(self.out), "--targets", str(self.args.targets),
             "--interval", str(self.args.interval), "--start", str(self.start_at)],
        )  # fmt: skip

    def kill(self, name: str) -> float:
        self.procs[name].send_signal(signal.SIGKILL)
        at = time.time()
        self.procs[name].wait()
        return at

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
                p.wait(10)

    def owned(self, name: str) -> set[int] | None:
        try:
            return set(json.loads((self.out / f"{name}.owned.json").read_text())["owned"])
        except (OSError, ValueError):
            return None

    def windows(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """(window, duplicates, gaps) for windows first..last (relative to start_at)."""
        per: dict[int, Counter[int]] = {k: Counter() for k in range(first, last + 1)}
        for f in self.out.glob("*.probes"):
            for line in f.read_text().splitlines():
                k, i = map(int, line.split())
                if k in per:
                    per[k][int(i)] += 1
        n = self.args.targets
        return [(k, sum(c.values()) - len(c), n - len(c)) for k, c in sorted(per.items())]

    def wait_window(self, k: int) -> None:
        """Sleep until window k has ended (plus a little for the last records)."""
        end = self.start_at + (k + 1) * self.args.interval + 0.3
        time.sleep(max(0.0, end - time.time()))


def window_of(fleet: Fleet, t: float) -> int:
    return int((t - fleet.start_at) // fleet.args.interval)


def covered(fleet: Fleet, names: list[str], n: int) -> bool:
    sets = [fleet.owned(name) for name in names]
    if any(s is None for s in sets):
        return False
    union = set().union(*sets)  # type: ignore[arg-type]
    return len(union) == n and sum(map(len, sets)) == n  # type: ignore[arg-type]


def run(args: argparse.Namespace) -> None:
    n, steady = args.targets, args.intervals
    names = ["d1", "d2", "d3"]
    with tempfile.TemporaryDirectory(prefix="osmon-bench-partition-") as tmp:
        # -- coordinated
        out = Path(tmp) / "tooz"
        out.mkdir()
        fleet = Fleet(args, out, coordinated=True)
        try:
            for name in names:
                fleet.spawn(name)
            deadline = time.time() + 60
            while not covered(fleet, names, n):
                if time.time() > deadline:
                    raise SystemExit("the three members did not converge within 60 s")
                time.sleep(0.02)
            converged = time.time() - fleet.start_at
            first = window_of(fleet, time.time()) + 1  # the first window wholly converged
            fleet.wait_window(first + steady - 1)
            start_rows = fleet.windows(0, first - 1)
            steady_rows = fleet.windows(first, first + steady - 1)
            killed_at = fleet.kill("d3")
            deadline = killed_at + 4 * args.interval
            while not covered(fleet, names[:2], n) and time.time() < deadline:
                time.sleep(0.02)
            recover = time.time() - killed_at if covered(fleet, names[:2], n) else float("nan")
            kill_window = window_of(fleet, killed_at)
            fleet.wait_window(kill_window + 2 + steady)
            after = fleet.windows(kill_window, kill_window + 2 + steady)
        finally:
            fleet.stop()
        # -- baseline: no coordination
        base_out = Path(tmp) / "all"
        base_out.mkdir()
        base = Fleet(args, base_out, coordinated=False)
        try:
            for name in names:
                base.spawn(name)
            base.wait_window(first + steady - 1)
            base_rows = base.windows(first, first + steady - 1)
        finally:
            base.stop()

    def summary(rows: list[tuple[int, int, int]]) -> str:
        return ", ".join(f"w{k}: {d}/{g}" for k, d, g in rows)

    print(f"targets {n}, interval {args.interval:g}s, 3 members, duplicates/gaps per window")
    print(f"  start-up, converged {converged:.2f}s after the start: {summary(start_rows)}")
    print(f"  steady (3 members): {summary(steady_rows)}")
    print(f"  kill -9 of d3 in window w{kill_window}; survivors cover every target after "
          f"{recover:.2f}s ({recover / args.interval:.2f} intervals)")  # fmt: skip
    print(f"  from the kill on (2 members): {summary(after)}")
    print(f"  baseline, no coordination: {summary(base_rows)}")
    probes = sum(n + d for _, d, _ in steady_rows) / len(steady_rows)
    base_probes = sum(n + d for _, d, _ in base_rows) / len(base_rows)
    print(f"probes per interval: coordinated {probes:.0f}, baseline {base_probes:.0f} "
          f"(ratio {base_probes / probes:.2f}x)")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=os.environ.get("OSMON_BENCH_REDIS", "redis://127.0.0.1:6379/0"))
    p.add_argument("--targets", type=int, default=1000)
    p.add_argument("--interval", type=float, default=5.0)
    p.add_argument("--intervals", type=int, default=6)
    p.add_argument("--member")
    p.add_argument("--group")
    p.add_argument("--out")
    p.add_argument("--start", type=float)
    args = p.parse_args()
    if args.member:
        args.name = args.member
        asyncio.run(member(args))
        return
    namespace = f"osmon-bench-{uuid.uuid4().hex[:8]}"
    args.url_ns = f"{args.url.split('?')[0]}?namespace={namespace}"
    try:
        run(args)
    finally:
        import redis

        client = redis.Redis.from_url(args.url.split("?")[0])
        keys = list(client.scan_iter(match=f"{namespace}*"))
        if keys:
            client.delete(*keys)


if __name__ == "__main__":
    main()
