"""``osmon inventory``: check an inventory file and show what it expands into."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal

import click
from rich.console import Console
from rich.table import Table

from osmon.inventory import Expansion, Inventory, InventoryError, Threshold, expand, load

__all__ = ["inventory"]


def _load_or_exit(path: str) -> Inventory:
    try:
        return load(path)
    except InventoryError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None


@click.group()
def inventory() -> None:
    """Validate and inspect the service inventory (the YAML file describing a cloud)."""


@inventory.command()
@click.argument("file", metavar="FILE")
def validate(file: str) -> None:
    """Exit 0 if FILE is a valid inventory; else print FILE:LINE: message lines on stderr."""
    inv = _load_or_exit(file)
    services = len(inv.services) + len(inv.infrastructure)
    click.echo(f"{file}: OK ({len(inv.hosts)} hosts, {services} services)")


@inventory.command()
@click.argument("file", metavar="FILE")
@click.option(
    "--format",
    "output",
    type=click.Choice(["json", "table"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def show(file: str, output: Literal["json", "table"]) -> None:
    """Show every probe, log source, alarm, Nagios object and exchange FILE implies."""
    expansion = expand(_load_or_exit(file))
    if output == "json":
        document = {"counts": expansion.counts, **expansion.to_dict()}
        click.echo(json.dumps(document, indent=2))
    else:
        _tables(expansion, Console(highlight=False, soft_wrap=False))


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _ranges(thresholds: Mapping[str, Threshold]) -> str:
    return " ".join(
        f"{metric}:w={t.warning or '-'},c={t.critical or '-'}" for metric, t in thresholds.items()
    )


def _tables(exp: Expansion, console: Console) -> None:
    console.print(f"cloud {exp.cloud} region {exp.region} log time zone {exp.log_timezone}")
    probes = _table("Probes", "id", "type", "target", "interval", "timeout", "thresholds")
    for p in exp.probes:
        target = p.url or (f"{p.agent_binary}@{p.host}" if p.agent_binary else "")
        if not target and p.address:
            target = f"{p.address}:{p.port}"
        probes.add_row(
            p.id, p.type, target, f"{p.interval:g}s", f"{p.timeout:g}s", _ranges(p.thresholds)
        )
    logs = _table("Log sources", "id", "format", "multiline", "service.name")
    for s in exp.log_sources:
        logs.add_row(s.id, s.format, "yes" if s.multiline else "no", s.service_name)
    alarms = _table("Alarms", "name", "metric", "condition", "for", "severity", "contacts")
    for a in exp.alarms:
        if a.threshold is not None:
            condition = f"{a.aggregation} {a.comparison} {a.threshold:g}"
        else:
            condition = f"{a.type}: {a.event_type or a.expr or json.dumps(a.composite)}"
        alarms.add_row(
            a.name,
            a.metric or "",
            condition,
            f"{a.for_seconds:g}s",
            a.severity,
            ",".join(a.contacts),
        )
    nagios = _table("Nagios services", "host", "service", "check", "mode", "contact groups")
    for n in exp.nagios_services:
        mode = "passive" if n.passive else "active"
        nagios.add_row(n.host, n.description, n.check, mode, ",".join(n.contact_groups))
    exchanges = _table("Notification exchanges", "exchange", "topics", "services")
    for x in exp.notification_exchanges:
        exchanges.add_row(x.id, ",".join(x.topics), ",".join(x.services))
    for table in (probes, logs, alarms, nagios, exchanges):
        console.print(table)
    console.print(", ".join(f"{count} {kind}" for kind, count in exp.counts.items()))
