"""Daemon log path throughput: tailed file -> parser -> LogRecord batches, on one core.

Two pipelines over the same generated mixed OpenStack log as ``bench.py``, in the same run:

* tail: ``LogsSource.poll_once`` (tailer, framing, span tracking, document ids, records,
  batches of 1000 acked at once by the submit, checkpoint commits) until every line is acked;
* parse: ``for line in open(...)`` + the same ``LogParser.feed`` (the parse cost without
  tailing: the baseline).

The ratio parse/tail is the tailing overhead. Best of R runs; lines/s counts input lines.

Usage: python bench/logs/bench_tail.py [--lines N] [--repeat R]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import lines as generate_lines

from osmon.batch import Batch
from osmon.logs.parser import LogParser
from osmon.logs.tail import WatchSpec
from osmon.sources.logs import LogsOptions, LogsSource, default_parsers

HOST = "ctl1"


def run_parse(path: Path, state: Path) -> int:
    parser = LogParser("oslo", host=HOST, service="nova", path=str(path))
    feed = parser.feed
    n = offset = entries = 0
    with path.open("rb") as f:
        for raw in f:
            n += 1
            entries += len(feed(raw[:-1].decode("utf-8", "replace"), offset))
            offset += len(raw)
    entries += len(parser.flush())
    return n


def run_tail(path: Path, state: Path) -> int:
    acked = 0

    async def submit(batch: Batch) -> None:
        nonlocal acked
        acked += len(batch)
        batch.ack()

    async def main() -> int:
        make_parser, to_record = default_parsers(HOST, "UTC")
        src = LogsSource(
            "bench",
            [WatchSpec(str(path), "oslo", "nova")],
            state / f"checkpoints-{time.monotonic_ns()}.db",
            host=HOST,
            parser_factory=make_parser,
            record_maker=to_record,
            follow=False,
            options=LogsOptions(),
        )
        await src.open()
        try:
            while await src.poll_once(submit) or not src.finished:
                pass
        finally:
            await src.close()
        return src.stats.lines

    return asyncio.run(main())


def best_rate(fn: Callable[[Path, Path], int], path: Path, state: Path, repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        n = fn(path, state)
        best = max(best, n / (time.perf_counter() - t))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mixed-openstack.log"
        with path.open("w", encoding="utf-8") as f:
            for line in generate_lines(args.lines):
                f.write(line + "\n")
        size = path.stat().st_size
        n_parse = run_parse(path, Path(tmp))
        n_tail = run_tail(path, Path(tmp))
        if n_tail != n_parse:
            raise SystemExit(f"tail acked {n_tail} lines, the file has {n_parse}")
        print(f"input: {n_parse} lines, {size / 1e6:.1f} MB; one core; best of {args.repeat}")
        parse = best_rate(run_parse, path, Path(tmp), args.repeat)
        tail = best_rate(run_tail, path, Path(tmp), args.repeat)
    mb = size / n_parse / 1e6
    print(f"{'parse (baseline)':>17}: {parse:>10,.0f} lines/s {parse * mb:6.1f} MB/s")
    print(f"{'tail (daemon)':>17}: {tail:>10,.0f} lines/s {tail * mb:6.1f} MB/s")
    print(f"parse / tail: {parse / tail:.2f}x")


if __name__ == "__main__":
    main()
