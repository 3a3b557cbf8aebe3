"""``osmon logs ship FILE…``: backfill log files into the log sinks of the daemon configuration.

The engine is ``osmon.sources.logs.ship``; the sinks and router are the daemon's own wiring
(``osmon.daemon.build_router``) behind a spool that refuses everything, so a batch the sinks
do not take is nacked and ship stops with its position saved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from osmon.logs.tail import WatchSpec
from osmon.sources.logs.parsers import default_parsers
from osmon.sources.logs.ship import ShipSummary, file_specs, ship

if TYPE_CHECKING:
    from osmon.config import DaemonConfig
    from osmon.inventory import Inventory
    from osmon.router import Router


def _log_router(cfg: DaemonConfig, inventory: Inventory, host: str) -> Router:
    """The daemon's log sinks behind a router whose spool refuses everything (nack instead)."""
    from prometheus_client import CollectorRegistry

    from osmon.components import Context
    from osmon.daemon import build_router
    from osmon.records import Kind
    from osmon.selfmetrics import SelfMetrics
    from osmon.spool import DropPolicy, Spool

    if not any(n in cfg.enabled_sinks() for n in cfg.routes.get(Kind.LOG, [])):
        where = cfg.source_path or "the configuration"
        raise click.ClickException(f"{where}: no enabled sink is routed for logs (routes.log)")
    registry = CollectorRegistry()
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context(inventory, cfg.state_dir, registry, extra={"hostname": host})
    spool = Spool(cfg.state_dir / "ship-spool.db", max_bytes=1, policy=DropPolicy.BLOCK)
    return build_router(cfg, ctx, SelfMetrics(registry), spool, kinds=[Kind.LOG])


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
        router = _log_router(cfg, inventory, host)
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
