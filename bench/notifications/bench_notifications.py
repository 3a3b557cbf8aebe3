"""Notifications/s from RabbitMQ into Gnocchi, against two baselines measured in the same run.

Needs the local stack (`deploy/local-stack up`): real RabbitMQ and a real Gnocchi API + metricd.

- osmon: NotificationSource (oslo batch listener, batch 500, the default 8 executor threads and
  prefetch 8 x 500) → Router → GnocchiSink (the batches in flight merged into one batch POST),
  timed from the first message consumed to the last batch acked, i.e. every measure accepted
  (202) by Gnocchi.
- baseline (a), Ceilometer's behaviour: the same source and sink with batches of ONE notification,
  4 executor threads and the sink's merging of batches in flight turned off, so one batch POST
  per notification, 4 at a time (measured on a subset: it is slow).
- baseline (b), the broker limit: a bare oslo.messaging batch listener that only acks.

Messages are pre-published into the pool queue before each timed phase. Resources are created in
a warm-up pass so every phase measures steady-state ingestion. Besides wall-clock rates the
benchmark prints osmon's own CPU time per notification (this process runs only osmon; Gnocchi
and RabbitMQ run in other processes on the same 2 cores), i.e. the one-core rate, and the same
for baseline (b), the part of it that oslo.messaging/kombu alone cost.

python bench/notifications/bench_notifications.py [--count 50000] [--baseline-count 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from prometheus_client import CollectorRegistry  # noqa: E402

from osmon.components import Context  # noqa: E402
from osmon.config import default_config_path  # noqa: E402
from osmon.deadletter import DeadLetters  # noqa: E402
from osmon.inventory import load  # noqa: E402
from osmon.notifications.oslo import oslo_messaging  # noqa: E402
from osmon.notifications.replay import (  # noqa: E402
    Notification,
    Publisher,
    load_notifications,
    replay,
)
from osmon.records import Kind  # noqa: E402
from osmon.retry import RetryPolicy  # noqa: E402
from osmon.router import Router  # noqa: E402
from osmon.selfmetrics import SelfMetrics  # noqa: E402
from osmon.sinks.gnocchi import build as build_gnocchi  # noqa: E402
from osmon.sources.notifications import build as build_source  # noqa: E402
from osmon.spool import Spool  # noqa: E402

MGMT = "http://127.0.0.1:15672"
SAMPLES = REPO.parent / "shared" / "data" / "nova-notification-samples"


def mgmt(method: str, path: str, body: Any = None) -> None:
    req = urllib.request.Request(
        MGMT + path, method=method, data=None if body is None else json.dumps(body).encode()
    )
    req.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
    req.add_header("Content-Type", "application/json")
    urllib.request.urlopen(req, timeout=10).read()


def queue_depth(vhost: str, queue: str) -> int:
    req = urllib.request.Request(f"{MGMT}/api/queues/{vhost}/{queue}")
    req.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
    try:
        doc = json.loads(urllib.request.urlopen(req, timeout=10).read())
    except OSError:
        return -1
    return int(doc.get("messages", 0))


def workload(count: int, instances: list[str], project: str) -> list[Notification]:
    """Half legacy compute.instance.exists, half Nova's versioned instance samples, on separate
    instances so each instance keeps consistent attributes (as in a real cloud)."""
    versioned = [
        n for n in load_notifications([SAMPLES]) if str(n.event_type).startswith("instance.")
    ]
    rnd = random.Random(7)
    out = []
    for i in range(count):
        half = len(instances) // 2
        iid = instances[(i // 2) % half + (0 if i % 2 == 0 else half)]
        if i % 2 == 0:
            payload = {
                "tenant_id": project,
                "user_id": "u" * 32,
                "instance_id": iid,
                "display_name": "vm",
                "host": "cmp1",
                "instance_type": "m1.small",
                "instance_flavor_id": "2",
                "memory_mb": 512 + rnd.randint(0, 8) * 256,
                "vcpus": 1,
                "root_gb": 1,
                "ephemeral_gb": 0,
                "disk_gb": 1,
                "state": "active",
                "launched_at": "2026-11-23T10:00:00.000000",
            }
            out.append(
                Notification(
                    "compute.instance.exists",
                    "compute.cmp1",
                    "info",
                    payload,
                    {"project_id": project},
                    f"legacy[{i}]",
                )
            )
        else:
            base = versioned[i % len(versioned)]
            payload = json.loads(json.dumps(base.payload))
            data = payload.get("nova_object.data", {})
            data["uuid"] = iid
            data["tenant_id"] = project
            out.append(
                Notification(
                    base.event_type,
                    base.publisher_id,
                    base.priority,
                    payload,
                    {"project_id": project},
                    f"versioned[{i}]",
                )
            )
    return out


def publish(url: str, notes: list[Notification]) -> None:
    legacy = [n for n in notes if not n.versioned]
    versioned = [n for n in notes if n.versioned]
    for topic, part in (("notifications", legacy), ("versioned_notifications", versioned)):
        pub = Publisher(url, exchange="nova", topic=topic)
        try:
            replay(part, pub)
        finally:
            pub.close()


class Pipeline:
    """The osmon pieces in one process, as the daemon wires them."""

    def __init__(self, url: str, gnocchi: str, state: Path, batch_size: int) -> None:
        one_per_post = batch_size == 1
        self.registry = CollectorRegistry()
        inv = load(Path(str(default_config_path())).with_name("local.yaml"))
        self.ctx = Context(inventory=inv, state_dir=state, registry=self.registry)
        self.sink = build_gnocchi("gnocchi", {"endpoint": gnocchi, "auth": "basic"}, self.ctx)
        if one_per_post:
            # Baseline (a) is one POST per notification: 4 in parallel (osmon's former default),
            # never merged by the sink's group commit.
            self.sink.write = self.sink._write_now  # type: ignore[method-assign]
        self.spool = Spool(state / f"spool-{batch_size}.db")
        self.router = Router(
            {Kind.SAMPLE: [self.sink]},
            self.spool,
            DeadLetters(state / "dl"),
            SelfMetrics(self.registry),
            RetryPolicy(attempts=3, timeout=120),
        )
        self.source = build_source(
            "notifications",
            {
                "transport_urls": [url],
                "exchanges": ["nova"],
                "topics": ["notifications", "versioned_notifications"],
                "batch_size": batch_size,
                "batch_timeout": 0.2,
                **({"executor_threads": 4} if one_per_post else {}),
            },
            self.ctx,
        )

    async def run_until(self, n: int, on_first: list[float]) -> float:
        await self.router.start()
        task = asyncio.create_task(self.source.run(self.router.submit))
        t_first: float | None = None
        deadline = time.monotonic() + float(os.environ.get("BENCH_STUCK_AFTER", "600"))
        while self.source.accepted < n:  # type: ignore[attr-defined]
            if time.monotonic() > deadline:
                raise RuntimeError(f"stuck: {self.source.status()} {self.router.status()}")
            if t_first is None and self.source.received:  # type: ignore[attr-defined]
                t_first = time.perf_counter()
                on_first.append(t_first)
            await asyncio.sleep(0.02)
        t_end = time.perf_counter()
        await self.source.stop()
        await task
        await self.router.stop()
        if self.spool.depth():
            raise RuntimeError("records left in the spool: Gnocchi refused some")
        if os.environ.get("BENCH_VERBOSE"):
            print("  sink:", self.sink.status(), flush=True)
            print(
                "  router:",
                {
                    k: v
                    for k, v in self.router.status()["sinks"]["gnocchi"].items()
                    if k in ("delivered", "last_error")
                },
                flush=True,
            )
        self.spool.close()
        return t_end - (t_first or t_end)


def declare_queue(url: str) -> None:
    """Start and stop a listener so the pool queue and its bindings exist before publishing."""
    bare_consume(url, 0)


def bare_consume(url: str, n: int) -> float:
    om = oslo_messaging()
    from oslo_config import cfg

    conf = cfg.ConfigOpts()
    conf([], project="osmon-bench", default_config_files=[])
    transport = om.get_notification_transport(conf, url=url)
    conf.set_override("rabbit_qos_prefetch_count", 1000, group="oslo_messaging_rabbit")
    got = [0]
    first: list[float] = []
    done = threading.Event()

    class Endpoint:
        def __getattr__(self, priority: str) -> Any:
            if priority not in ("info", "warn", "error", "critical", "debug", "audit", "sample"):
                raise AttributeError(priority)

            def handle(messages: list[Any]) -> Any:
                if not first:
                    first.append(time.perf_counter())
                got[0] += len(messages)
                if got[0] >= n:
                    done.set()
                return om.NotificationResult.HANDLED

            return handle

    targets = [
        om.Target(topic=t, exchange="nova") for t in ("notifications", "versioned_notifications")
    ]
    listener = om.get_batch_notification_listener(
        transport,
        targets,
        [Endpoint()],
        executor="threading",
        batch_size=500,
        batch_timeout=0.2,
        pool="osmon",
    )
    listener.start()
    if n:
        done.wait(600)
    end = time.perf_counter()
    listener.stop()
    listener.wait()
    transport.cleanup()
    return end - first[0] if first else 0.0


def timed_osmon(url: str, gnocchi: str, state: Path, n: int, batch: int) -> tuple[float, float]:
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    pipe = Pipeline(url, gnocchi, state, batch)
    wall = asyncio.run(pipe.run_until(n, []))
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=50_000)
    ap.add_argument("--baseline-count", type=int, default=1_000)
    ap.add_argument("--instances", type=int, default=1_000)
    ap.add_argument("--gnocchi", default="http://127.0.0.1:8041")
    a = ap.parse_args()

    vhost = f"osmon-bench-{uuid.uuid4().hex[:8]}"
    mgmt("PUT", f"/api/vhosts/{vhost}")
    mgmt("PUT", f"/api/permissions/{vhost}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
    url = f"rabbit://guest:guest@127.0.0.1:5672/{vhost}"
    project = uuid.uuid4().hex
    instances = [str(uuid.uuid4()) for _ in range(a.instances)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp)
            declare_queue(url)
            warm = workload(a.instances, instances, project)
            publish(url, warm)
            timed_osmon(url, a.gnocchi, state, len(warm), 500)
            print("warm-up done", flush=True)

            notes = workload(a.count, instances, project)
            t0 = time.perf_counter()
            publish(url, notes)
            t_pub = time.perf_counter() - t0
            print(
                f"published {a.count} in {t_pub:.1f}s; queue depth {queue_depth(vhost, 'osmon')}",
                flush=True,
            )
            wall, cpu = timed_osmon(url, a.gnocchi, state, a.count, 500)

            publish(url, notes[: a.baseline_count])
            wall_a, _ = timed_osmon(url, a.gnocchi, state, a.baseline_count, 1)

            publish(url, notes)
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            wall_b = bare_consume(url, a.count)
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            cpu_b = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    finally:
        mgmt("DELETE", f"/api/vhosts/{vhost}")

    r_osmon, r_a, r_b = a.count / wall, a.baseline_count / wall_a, a.count / wall_b
    print(
        f"osmon → Gnocchi          : {a.count} notifications in {wall:.1f}s = "
        f"{r_osmon:,.0f}/s wall; osmon CPU {cpu:.1f}s = {a.count / cpu:,.0f}/s per core"
    )
    print(f"(a) 1 POST/notification : {a.baseline_count} in {wall_a:.1f}s = {r_a:,.0f}/s")
    print(
        f"(b) bare consumer, ack  : {a.count} in {wall_b:.1f}s = {r_b:,.0f}/s; "
        f"CPU {cpu_b:.1f}s = {a.count / cpu_b:,.0f}/s per core"
    )
    print(f"ratio osmon/(a) = {r_osmon / r_a:.1f}x; osmon/(b) = {r_osmon / r_b:.2f}")
    os._exit(0)


if __name__ == "__main__":
    main()
