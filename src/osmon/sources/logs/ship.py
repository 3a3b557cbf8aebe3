"""Backfill: read log files to their end through the ``logs`` source machinery, then stop.

The files go through the same tailer, parser and checkpoints as the daemon's ``logs`` source
(under the source name ``ship``, so the daemon's own positions are untouched): an interrupted
ship resumes where its last acked batch ended, and ``--from-start`` reads everything again
without duplicating a document, since ids are deterministic. Nothing is spooled: if the sinks
stay unreachable, ship stops with the position saved and says so.
"""

from __future__ import annotations

import asyncio
import fnmatch
import glob
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from osmon.batch import Batch
from osmon.logs.tail import WatchSpec
from osmon.sources.base import Submit
from osmon.sources.logs.config import LogsOptions, known_format
from osmon.sources.logs.parsers import ParserFactory, RecordMaker
from osmon.sources.logs.source import LogsSource

if TYPE_CHECKING:
    from osmon.inventory import Inventory

__all__ = ["SOURCE_NAME", "ShipSummary", "file_specs", "ship"]

SOURCE_NAME = "ship"


@dataclass(slots=True)
class ShipSummary:
    files: int
    lines: int
    entries: int
    unparsed: int
    truncated: int
    bytes: int
    seconds: float
    complete: bool
    error: str | None = None

    def lines_out(self) -> list[str]:
        rate = self.bytes / self.seconds / 1e6 if self.seconds > 0 else 0.0
        out = [
            f"files:     {self.files}",
            f"lines:     {self.lines}",
            f"entries:   {self.entries}",
            f"unparsed:  {self.unparsed}",
            f"truncated: {self.truncated}",
            f"bytes:     {self.bytes}",
            f"seconds:   {self.seconds:.2f} ({rate:.2f} MB/s)",
        ]
        if not self.complete:
            out.append(f"stopped:   {self.error or 'interrupted'} (progress saved; run again)")
        return out


def file_specs(
    paths: Sequence[Path],
    inventory: Inventory | None,
    fmt: str | None,
    service: str | None,
) -> list[WatchSpec]:
    """One spec per file; format and service from the options, else from the inventory entry
    whose glob matches the file (``auto`` if the parser lacks its format), else ``oslo`` and
    the file's stem."""
    known: list[tuple[str, str, str]] = []
    if inventory is not None:
        from osmon.inventory import expand

        known = [
            (s.path, s.format, s.service_name or s.service) for s in expand(inventory).log_sources
        ]
    specs: list[WatchSpec] = []
    for p in paths:
        path = str(p.resolve())
        match = next(((f, s) for g, f, s in known if fnmatch.fnmatch(path, g)), None)
        inventory_fmt = match[0] if match and known_format(match[0]) else "auto"
        spec = WatchSpec(
            glob.escape(path),
            fmt or (inventory_fmt if match else "oslo"),
            service if service is not None else (match[1] if match else p.stem),
        )
        if spec not in specs:
            specs.append(spec)
    return specs


async def ship(
    specs: Sequence[WatchSpec],
    submit: Submit,
    *,
    registry_path: Path,
    host: str,
    from_start: bool = False,
    parser_factory: ParserFactory,
    record_maker: RecordMaker,
    batch_max_records: int = 1000,
    give_up_after: int = 5,
    on_progress: Callable[[int, int], None] | None = None,
) -> ShipSummary:
    """Read ``specs`` to their end through ``submit``; give up after consecutive nacks."""
    opts = LogsOptions(batch_max_records=batch_max_records, batch_max_wait=0.2, poll_interval=0.05)
    source = LogsSource(
        SOURCE_NAME,
        specs,
        registry_path,
        host=host,
        parser_factory=parser_factory,
        record_maker=record_maker,
        follow=False,
        ignore_checkpoints=from_start,
        options=opts,
    )
    failures = 0
    error: list[str] = []

    async def guarded(batch: Batch) -> None:
        nonlocal failures
        outcome: list[bool] = []
        ack, nack = batch.on_ack, batch.on_nack

        def on_ack() -> None:
            outcome.append(True)
            ack()

        def on_nack() -> None:
            outcome.append(False)
            nack()

        batch.on_ack, batch.on_nack = on_ack, on_nack
        await submit(batch)
        failures = 0 if outcome and outcome[0] else failures + 1
        if failures >= give_up_after:
            error.append(f"{failures} batches in a row were not accepted by the sinks")
            await source.stop()

    start_bytes: list[int] = []
    t0 = time.monotonic()
    task = asyncio.create_task(source.run(guarded))
    while not task.done():
        done, total = source.progress()
        if not start_bytes and total:
            start_bytes.append(done)
        if on_progress is not None:
            on_progress(done, total)
        await asyncio.wait([task], timeout=0.1)
    done, total = source.progress()
    await task
    if on_progress is not None:
        on_progress(done, total)
    st = source.stats
    return ShipSummary(
        files=st.files,
        lines=st.lines,
        entries=st.entries,
        unparsed=st.unparsed,
        truncated=st.truncated,
        bytes=st.bytes_acked,
        seconds=time.monotonic() - t0,
        complete=not error,
        error=error[0] if error else None,
    )
