"""Records/s through router → spool → replay, against one SQLite transaction per record.

Both sides use the same SQLite settings (WAL, synchronous as given), the same records and the same
msgpack encoding, in the same run, so the ratio isolates what batching commits buys.
Usage: python bench/spool/bench_spool.py [--records N] [--batch B] [--synchronous FULL|NORMAL]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgpack
from prometheus_client import CollectorRegistry

from osmon.batch import Batch
from osmon.deadletter import DeadLetters
from osmon.records import Kind, Record, Sample
from osmon.retry import RetryPolicy
from osmon.router import Router
from osmon.selfmetrics import SelfMetrics
from osmon.sinks.base import TransientError, WriteResult
from osmon.spool import Spool


class Switch:
    name = "bench"
    kinds = frozenset({Kind.SAMPLE})

    def __init__(self) -> None:
        self.up = False
        self.got = 0

    async def start(self) -> None:
        return None

    async def write(self, records: Sequence[Record]) -> WriteResult:
        if not self.up:
            raise TransientError("down")
        self.got += len(records)
        return WriteResult()

    async def close(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {}


def make_records(n: int) -> list[Record]:
    return [
        Sample(
            "memory",
            512.0 + i,
            1.7e9 + i,
            unit="MB",
            resource_id=f"inst-{i % 1000}",
            resource_type="instance",
            resource_attributes={"host": "cmp1", "flavor_id": "m1"},
            labels={"host": "cmp1"},
        )
        for i in range(n)
    ]


async def osmon_run(records: list[Record], batch: int, sync: str, d: Path) -> float:
    sink = Switch()
    spool = Spool(d / "spool.db", synchronous=sync)
    router = Router(
        {Kind.SAMPLE: [sink]},
        spool,
        DeadLetters(d / "dl"),
        SelfMetrics(CollectorRegistry()),
        RetryPolicy(attempts=1, initial=0.001),
    )
    await router.start()
    t0 = time.perf_counter()
    for i in range(0, len(records), batch):
        await router.submit(Batch("bench", records[i : i + batch]))
    sink.up = True
    router.sinks["bench"].wake.set()
    while sink.got < len(records):
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - t0
    await router.stop()
    spool.close()
    return elapsed


def naive_run(records: list[Record], sync: str, d: Path) -> float:
    db = sqlite3.connect(str(d / "naive.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={sync}")
    db.execute("CREATE TABLE q (id INTEGER PRIMARY KEY AUTOINCREMENT, payload BLOB)")
    t0 = time.perf_counter()
    for r in records:
        db.execute("BEGIN")
        db.execute("INSERT INTO q (payload) VALUES (?)", (msgpack.packb(r.to_wire()),))
        db.execute("COMMIT")
    while True:
        row = db.execute("SELECT id, payload FROM q ORDER BY id LIMIT 1").fetchone()
        if row is None:
            break
        Sample.from_wire(msgpack.unpackb(row[1]))
        db.execute("BEGIN")
        db.execute("DELETE FROM q WHERE id = ?", (row[0],))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    db.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--naive-records", type=int, default=5_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--synchronous", default="FULL")
    a = ap.parse_args()
    records = make_records(a.records)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t_osmon = asyncio.run(osmon_run(records, a.batch, a.synchronous, d))
        t_naive = naive_run(records[: a.naive_records], a.synchronous, d)
    r_osmon = a.records / t_osmon
    r_naive = a.naive_records / t_naive
    print(f"synchronous={a.synchronous} batch={a.batch}")
    print(
        f"osmon router->spool->replay: {a.records} records in {t_osmon:.2f}s "
        f"= {r_osmon:,.0f} records/s"
    )
    print(
        f"baseline, 1 txn per record : {a.naive_records} records in {t_naive:.2f}s "
        f"= {r_naive:,.0f} records/s"
    )
    print(f"ratio: {r_osmon / r_naive:.1f}x")


if __name__ == "__main__":
    main()
