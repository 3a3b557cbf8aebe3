"""``osmon logs ship FILE…``: backfill log files into the log sinks of the daemon configuration.

The files go through the same tailer, parser and checkpoints as the daemon's ``logs`` source
(under the source name ``ship``, so the daemon's own positions are untouched): an interrupted
ship resumes where its last acked batch ended, and ``--from-start`` reads everything again
without duplicating a document, since ids are deterministic. Nothing is spooled: if the sinks
stay unreachable, ship stops with the position saved and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import glob
import logging
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from osmon.batch import Batch
from osmon.logs.tail import WatchSpec
from osmon.sources.base import Submit
from osmon.sources.logs import (
    LogsOptions,
    LogsSource,
    ParserFactory,
    RecordMaker,
    default_parsers,
    known_format,
)

if TYPE_CHECKING:
    from osmon.config import DaemonConfig
    from osmon.inventory import Inventory
    from osmon.router import Router

__all__ = ["ShipSummary", "file_specs", "ship", "ship_command", "ship_files"]

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


def _build_router(cfg: DaemonConfig, inventory: Inventory, host: str) -> Router:
    """The daemon's log sinks behind a router whose spool refuses everything (nack instead)."""
    from prometheus_client import CollectorRegistry

    from osmon.components import Context, sink_factory
    from osmon.deadletter import DeadLetters
    from osmon.records import Kind
    from osmon.router import RetryPolicy, Router
    from osmon.selfmetrics import SelfMetrics
    from osmon.spool import DropPolicy, Spool

    names = [n for n in cfg.routes.get(Kind.LOG, []) if n in cfg.enabled_sinks()]
    if not names:
        where = cfg.source_path or "the configuration"
        raise click.ClickException(f"{where}: no enabled sink is routed for logs (routes.log)")
    registry = CollectorRegistry()
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context(inventory, cfg.state_dir, registry, extra={"hostname": host})
    sinks = [sink_factory(cfg.sinks[n].type)(n, cfg.sinks[n].options(), ctx) for n in names]
    spool = Spool(cfg.state_dir / "ship-spool.db", max_bytes=1, policy=DropPolicy.BLOCK)
    r = cfg.retry
    return Router(
        {Kind.LOG: sinks},
        spool,
        DeadLetters(cfg.state_dir / "deadletter"),
        SelfMetrics(registry),
        RetryPolicy(r.attempts, r.initial, r.maximum, r.timeout),
    )


async def ship_files(
    router: Router,
    specs: Sequence[WatchSpec],
    *,
    registry_path: Path,
    host: str,
    timezone: str,
    from_start: bool,
    show_progress: bool,
) -> ShipSummary:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    make_parser, to_record = default_parsers(host, timezone)
    await router.start()
    progress = Progress(
        TextColumn("shipping"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not show_progress,
    )
    bar = progress.add_task("ship", total=None)

    def update(done: int, total: int) -> None:
        progress.update(bar, completed=done, total=total or None)

    try:
        with progress:
            summary = await ship(
                specs,
                router.submit,
                registry_path=registry_path,
                host=host,
                from_start=from_start,
                parser_factory=make_parser,
                record_maker=to_record,
                on_progress=update,
            )
        if not summary.complete:
            causes = [
                f"{name}: {st['last_error']}"
                for name, st in router.status()["sinks"].items()
                if st.get("last_error")
            ]
            summary.error = "; ".join([summary.error or "interrupted", *causes])
        return summary
    finally:
        await router.stop()
        router.spool.close()


@click.command("ship")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
@click.option(
    "--from-start",
    is_flag=True,
    help="Read every file from its first byte, ignoring where an earlier ship stopped "
    "(documents already delivered keep their ids, so none is duplicated).",
)
@click.option("--format", "fmt", help="Parser format (default: from the inventory, else oslo).")
@click.option("--service", help="service.name (default: from the inventory, else the file stem).")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Daemon configuration whose log sinks receive the entries (default: embedded).",
)
@click.option("--no-progress", is_flag=True, help="No progress bar (the summary is still printed).")
def ship_command(
    files: tuple[Path, ...],
    from_start: bool,
    fmt: str | None,
    service: str | None,
    config_path: Path | None,
    no_progress: bool,
) -> None:
    """Backfill FILE… into the log sinks of the daemon configuration, then print a summary."""
    from osmon.components import UnknownComponent
    from osmon.config import ConfigError, load_config
    from osmon.inventory import InventoryError, load
    from osmon.sources.logs import inventory_timezone

    try:
        cfg = load_config(config_path)
        inventory = load(cfg.inventory)
        host = cfg.hostname or socket.gethostname()
        specs = file_specs(files, inventory, fmt, service)
        router = _build_router(cfg, inventory, host)
        make_parser, _ = default_parsers(host, "UTC")
        for spec in specs:
            make_parser(spec, spec.pattern)
    except (ConfigError, InventoryError) as exc:
        raise click.ClickException(str(exc)) from None
    except (UnknownComponent, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    logging.getLogger("osmon.router").setLevel(logging.CRITICAL)
    summary: ShipSummary | None = None
    with contextlib.suppress(KeyboardInterrupt):
        summary = asyncio.run(
            ship_files(
                router,
                specs,
                registry_path=cfg.state_dir / "checkpoints.db",
                host=host,
                timezone=inventory_timezone(inventory),
                from_start=from_start,
                show_progress=not no_progress and sys.stderr.isatty(),
            )
        )
    if summary is None:
        click.echo("interrupted: progress saved up to the last accepted batch", err=True)
        sys.exit(130)
    for line in summary.lines_out():
        click.echo(line)
    if not summary.complete:
        sys.exit(1)
