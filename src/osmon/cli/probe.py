"""``osmon probe``: run an inventory's probes once, without a daemon, and print the states.

Exit status is the worst state's Nagios code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), so the
command is itself a check. An inventory that does not load, or a ``--target`` that matches
nothing, exits 3 (UNKNOWN: nothing could be checked) after the ``FILE:LINE: message`` lines.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import socket
from typing import Literal

import click
from rich.console import Console
from rich.table import Table

from osmon.checks.state import State, worst
from osmon.inventory import InventoryError, expand, load
from osmon.probes.base import ProbeContext, ProbeResult
from osmon.probes.once import run_once
from osmon.sources.probes.kinds import KindResolver, select

__all__ = ["probe"]

_STYLE = {
    State.OK: "green",
    State.WARNING: "yellow",
    State.CRITICAL: "red",
    State.UNKNOWN: "magenta",
}


@click.command()
@click.option(
    "-i",
    "--inventory",
    "inventory_path",
    required=True,
    metavar="INVENTORY",
    help="The service inventory (YAML).",
)
@click.option(
    "--target",
    "patterns",
    multiple=True,
    metavar="GLOB",
    help="Only probe ids matching this glob (repeatable), e.g. 'keystone/*'.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--host",
    default=None,
    metavar="NAME",
    help="This machine's name in the inventory: process probes run only for it "
    "(default: the host name).",
)
@click.option(
    "--concurrency",
    default=32,
    show_default=True,
    type=click.IntRange(1, 1024),
    help="Probes running at once, at most.",
)
def probe(
    inventory_path: str,
    patterns: tuple[str, ...],
    output: Literal["table", "json"],
    host: str | None,
    concurrency: int,
) -> None:
    """Run the probes of INVENTORY once and print one result per target.

    Exit status: the worst state's code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); 3 also when
    the inventory is invalid or no target matches.
    """
    try:
        inv = load(inventory_path)
    except InventoryError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(State.UNKNOWN.value) from None
    hostname = host or socket.gethostname()
    every = [p for p in expand(inv).probes if _matches(p.id, patterns)]
    targets = select(every, hostname)
    elsewhere = len(every) - len(targets)
    if elsewhere:
        click.echo(
            f"{elsewhere} process probes skipped: they run on their own host "
            f"(this is {hostname!r}; see --host)",
            err=True,
        )
    if not targets:
        click.echo("no probe target matches", err=True)
        raise SystemExit(State.UNKNOWN.value)
    results = asyncio.run(
        run_once(targets, KindResolver(), ProbeContext(hostname, inv.auth), concurrency)
    )
    if output == "json":
        click.echo(json.dumps([_json(r) for r in results], indent=2))
    else:
        _table(results, Console(highlight=False, soft_wrap=False))
    raise SystemExit(worst(r.state for r in results).value)


def _matches(target_id: str, patterns: tuple[str, ...]) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(target_id, p) for p in patterns)


def _json(result: ProbeResult) -> dict[str, object]:
    doc = result.to_json()
    return {
        k: doc[k]
        for k in ("target", "kind", "state", "summary", "duration_seconds", "checked_at", "metrics")
    }


def _table(results: list[ProbeResult], console: Console) -> None:
    table = Table(title="Probes")
    for column in ("target", "kind", "state", "duration", "summary"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            r.target,
            r.kind,
            f"[{_STYLE[r.state]}]{r.state.name}[/]",
            f"{r.duration:.3f}s",
            r.summary,
        )
    console.print(table)
    counts = {s: sum(1 for r in results if r.state == s) for s in State}
    console.print(", ".join(f"{n} {s.name}" for s, n in counts.items()))
