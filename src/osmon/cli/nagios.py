"""``osmon nagios status``: the states Nagios holds, read from its ``status.dat``."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Literal

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from osmon.nagios.status import ObjectStatus, StatusFileError, read_status

DEFAULT_STATUS_FILE = Path("/var/lib/nagios4/status.dat")  # Debian's nagios4 status_file

_STYLE = {
    "OK": "green",
    "UP": "green",
    "WARNING": "yellow",
    "CRITICAL": "red",
    "DOWN": "red",
    "UNREACHABLE": "red",
    "UNKNOWN": "magenta",
    "PENDING": "dim",
}


@click.group()
def nagios() -> None:
    """Nagios: what it holds (the daemon feeds it passive results; see `nagios:` in osmon.yaml)."""


@nagios.command()
@click.option(
    "--status-file",
    type=click.Path(path_type=Path, dir_okay=True),
    default=DEFAULT_STATUS_FILE,
    show_default=True,
    help="Nagios's status.dat (status_file in nagios.cfg).",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="NAME",
    help="Only this host and its services (repeatable).",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def status(status_file: Path, hosts: tuple[str, ...], output: Literal["table", "json"]) -> None:
    """Print the state of every host and service in Nagios's status.dat.

    Exit status 1 when the file is missing or not a status file, or a --host is not in it.
    """
    try:
        rows = read_status(status_file, hosts)
    except StatusFileError as exc:
        click.echo(f"osmon nagios status: {exc}", err=True)
        raise SystemExit(1) from None
    missing = sorted(set(hosts) - {r.host for r in rows})
    if missing:
        click.echo(f"osmon nagios status: {status_file}: no host {', '.join(missing)}", err=True)
        raise SystemExit(1)
    if output == "json":
        click.echo(json.dumps([r.to_json() for r in rows], indent=2))
    else:
        _table(rows, Console(highlight=False, soft_wrap=False))


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _table(rows: list[ObjectStatus], console: Console) -> None:
    table = Table(title="Nagios")
    for column in ("host", "service", "state", "type", "last check (UTC)", "output"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            escape(r.host),
            escape(r.service) if r.service is not None else "(host)",
            f"[{_STYLE.get(r.state, '')}]{r.state}[/]" + (" (passive)" if r.passive else ""),
            r.state_type,
            _when(r.last_check),
            escape(r.output),
        )
    console.print(table)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    console.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no host")
