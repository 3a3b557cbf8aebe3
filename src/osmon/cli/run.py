"""``osmon run``: the daemon, until SIGTERM (SIGHUP reloads the inventory)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click


@click.command()
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Daemon configuration (default: the packaged embedded default).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Listen on this port instead of the configured one (0: any free port).",
)
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
)
def run(config_path: Path | None, port: int | None, log_level: str) -> None:
    """Run the daemon until SIGTERM (SIGHUP reloads the inventory)."""
    from pydantic import ValidationError

    from osmon.components import UnknownComponent
    from osmon.config import ConfigError, load_config
    from osmon.grok import default_library
    from osmon.inventory import InventoryError, load

    logging.basicConfig(
        level=log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        cfg = load_config(config_path)
        if port is not None:
            cfg.http.port = port
        inventory = load(cfg.inventory)
        # The shipped grok patterns, read now: sources restart on failure, and a file missing
        # from the installation would otherwise be a restart loop instead of one error.
        default_library()
        from osmon.daemon import Daemon

        daemon = Daemon(cfg, inventory)
    except (ConfigError, InventoryError) as exc:
        _fail(str(exc))
    except (ValidationError, UnknownComponent) as exc:
        _fail(f"{config_path or 'default config'}: {exc}")
    except ValueError as exc:  # a component refused its options (clouds.yaml, missing secret …)
        _fail(f"{config_path or 'default config'}: {exc}")
    except OSError as exc:
        _fail(f"cannot start: {exc}")
    # Start-up objects (modules, compiled patterns, models) live as long as the process: move
    # them out of the collector's sight so batches held until acked do not keep rescanning them.
    gc.freeze()
    loop = asyncio.new_event_loop()
    loop.run_until_complete(daemon.run())
    # Everything is flushed, settled and closed once run() returns. Threads that oslo.messaging
    # and kombu leave behind (heartbeats, executors, a thread still blocked in the client
    # library) must not hold the process past the supervisor's grace period, so exit without
    # waiting for them (asyncio.run would join the default executor).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _fail(message: Any) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)
