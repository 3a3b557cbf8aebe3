"""10,000 Aodh webhooks in a burst against ``osmon run``: webhooks/s accepted, and ``/metrics``
latency during the flood against the same daemon idle, in the same run.

The daemon runs on a free port with the ``alarms`` section, a jsonl sink for the events and the
embedded inventory; every webhook is a valid Aodh body (50 alarm names). ``--concurrency``
connections POST as fast as they are answered while one client GETs /metrics in a loop; the
idle figure is the same loop before the flood. A second baseline: a bare aiohttp server that
answers 202 to every POST without reading it (the HTTP cost alone), flooded the same way.
Usage: python bench/alarms/bench_webhook.py [--webhooks N] [--concurrency C] [--repeat R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import yaml

from osmon.config import default_config_path

SECRET = "bench-alarm-secret-0123456789"
LISTENING = re.compile(r"listening on \[\('([^']+)', (\d+)\)")
BARE = r"""
import sys
from aiohttp import web
async def ok(request):
    return web.json_response({"status": "accepted"}, status=202)
async def metrics(request):
    return web.Response(text="up 1\n")
app = web.Application()
app.router.add_post("/v1/alarms/aodh/{token}", ok)
app.router.add_get("/metrics", metrics)
print("listening on [('127.0.0.1', %d)]" % int(sys.argv[1]), file=sys.stderr, flush=True)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def body(i: int) -> bytes:
    return json.dumps(
        {
            "alarm_name": f"bench-alarm-{i % 50}",
            "alarm_id": f"00000000-0000-4000-8000-{i % 50:012d}",
            "severity": "critical",
            "previous": "ok" if i % 2 else "alarm",
            "current": "alarm" if i % 2 else "ok",
            "reason": "Transition to alarm due to 1 samples outside threshold",
            "reason_data": {"type": "threshold", "count": 1, "most_recent": float(i)},
        }
    ).encode()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], log: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    out = log.open("wb")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            return proc, f"http://{found[1]}:{found[2]}"
        if proc.poll() is not None:
            raise SystemExit(f"exited: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    raise SystemExit("no listening address")


async def metrics_loop(
    session: aiohttp.ClientSession, base: str, stop: asyncio.Event, n: int | None
) -> list[float]:
    times: list[float] = []
    while not stop.is_set() and (n is None or len(times) < n):
        t0 = time.perf_counter()
        async with session.get(base + "/metrics") as resp:
            await resp.read()
            assert resp.status == 200
        times.append(time.perf_counter() - t0)
        await asyncio.sleep(0.005)
    return times


async def flood(base: str, n: int, concurrency: int) -> dict[str, float]:
    bodies = [body(i) for i in range(n)]
    url = f"{base}/v1/alarms/aodh/{SECRET}"
    statuses: dict[int, int] = {}
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as probe:
        await asyncio.sleep(0.5)
        idle = await metrics_loop(probe, base, asyncio.Event(), 200)
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            stop = asyncio.Event()
            during = asyncio.create_task(metrics_loop(probe, base, stop, None))
            queue = iter(bodies)

            async def worker() -> None:
                for data in queue:
                    async with session.post(url, data=data, headers=headers) as resp:
                        await resp.read()
                        statuses[resp.status] = statuses.get(resp.status, 0) + 1

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - t0
            stop.set()
            busy = await during
    return {
        "elapsed": elapsed,
        "accepted": statuses.get(202, 0),
        "other": sum(v for k, v in statuses.items() if k != 202),
        "idle_p50": statistics.median(idle),
        "idle_p99": statistics.quantiles(idle, n=100)[98],
        "busy_p50": statistics.median(busy) if busy else float("nan"),
        "busy_p99": statistics.quantiles(busy, n=100)[98] if len(busy) > 1 else max(busy),
        "busy_n": len(busy),
    }


async def processed(base: str, n: int, timeout: float = 120) -> float:
    """Seconds until every transition was applied (the counters sum to n)."""
    t0 = time.perf_counter()
    async with aiohttp.ClientSession() as s:
        while time.perf_counter() - t0 < timeout:
            async with s.get(base + "/metrics") as resp:
                text = await resp.text()
            total = sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("osmon_alarm_transitions_total{")
            )
            if total >= n:
                return time.perf_counter() - t0
            await asyncio.sleep(0.1)
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--webhooks", type=int, default=10_000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs; medians printed")
    args = ap.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"osmon": [], "bare aiohttp": []}
    drained: list[float] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "BENCH_ALARM_SECRET": SECRET}
        for r in range(args.repeat):  # alternating, so load beside us hits both alike
            state = tmp / f"state{r}"
            cfg = {
                "inventory": str(Path(str(default_config_path())).with_name("local.yaml")),
                "state_dir": str(state),
                "http": {"listen": "127.0.0.1", "port": 0},
                "sinks": {"archive": {"type": "jsonl", "path": "events.jsonl"}},
                "routes": {"event": ["archive"]},
                "alarms": {"webhook_secret_env": "BENCH_ALARM_SECRET"},
            }
            (tmp / "osmon.yaml").write_text(yaml.safe_dump(cfg))
            cmd = [sys.executable, "-m", "osmon", "run", "-c", str(tmp / "osmon.yaml")]
            proc, base = start(cmd, tmp / "osmon.log", env)
            try:
                runs["osmon"].append(asyncio.run(flood(base, args.webhooks, args.concurrency)))
                drained.append(asyncio.run(processed(base, args.webhooks)))
            finally:
                proc.terminate()
                proc.wait(15)
            bare_cmd = [sys.executable, "-c", BARE, str(free_port())]
            proc, base = start(bare_cmd, tmp / "bare.log", env)
            try:
                runs["bare aiohttp"].append(
                    asyncio.run(flood(base, args.webhooks, args.concurrency))
                )
            finally:
                proc.terminate()
                proc.wait(15)
    osmon = {k: statistics.median(r[k] for r in runs["osmon"]) for k in runs["osmon"][0]}
    bare = {k: statistics.median(r[k] for r in runs["bare aiohttp"]) for k in runs["osmon"][0]}
    ms = 1000.0
    print(f"webhooks: {args.webhooks}, concurrency {args.concurrency}, medians of {args.repeat}")
    for name, r in (("osmon", osmon), ("bare aiohttp", bare)):
        print(
            f"{name:12s} accepted {r['accepted']:.0f} (other {r['other']:.0f}) in "
            f"{r['elapsed']:.2f} s = {r['accepted'] / r['elapsed']:,.0f} webhooks/s; /metrics "
            f"idle p50 {r['idle_p50'] * ms:.1f} ms p99 {r['idle_p99'] * ms:.1f} ms, during "
            f"the flood p50 {r['busy_p50'] * ms:.1f} ms p99 {r['busy_p99'] * ms:.1f} ms "
            f"({r['busy_n']:.0f} GETs)"
        )
    print(f"osmon: every transition applied {max(drained):.2f} s after the last 202 (worst)")
    rate = osmon["accepted"] / osmon["elapsed"] / (bare["accepted"] / bare["elapsed"])
    print(
        f"ratio /metrics p50 flood/idle: osmon {osmon['busy_p50'] / osmon['idle_p50']:.1f}x, "
        f"bare {bare['busy_p50'] / bare['idle_p50']:.1f}x; webhooks/s osmon/bare: {rate:.2f}"
    )


if __name__ == "__main__":
    main()
