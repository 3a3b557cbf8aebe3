"""``osmon generate``: configuration files for other tools, derived from the inventory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from osmon.inventory import Expansion, Inventory, InventoryError, expand, load

__all__ = ["generate"]

_INVENTORY = click.option(
    "-i",
    "--inventory",
    "inventory_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Inventory file (YAML).",
)
_CHECK = click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if the files on disk differ from what would be generated.",
)


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    raise SystemExit(1)


def _inventory(path: Path) -> Inventory:
    try:
        return load(path)
    except InventoryError as exc:
        _problems(exc)


def _expansion(path: Path) -> Expansion:
    try:
        return expand(load(path))
    except InventoryError as exc:
        _problems(exc)


def _problems(exc: InventoryError) -> NoReturn:
    for problem in exc.problems:
        click.echo(str(problem), err=True)
    raise SystemExit(1) from None


def _stale(root: Path, files: dict[str, str]) -> list[str]:
    from osmon.generate.output import is_generated

    stale = [
        rel
        for rel, text in files.items()
        if not (root / rel).is_file() or (root / rel).read_bytes() != text.encode()
    ]
    folders = {(root / rel).parent for rel in files}
    wanted = {(root / rel) for rel in files}
    for folder in sorted(f for f in folders if f.is_dir()):
        stale.extend(
            p.relative_to(root).as_posix() + " (no longer generated)"
            for p in sorted(folder.iterdir())
            if p.is_file() and p not in wanted and is_generated(p)
        )
    return sorted(stale)


def _emit(root: Path, files: dict[str, str], check: bool, what: str, command: str) -> None:
    from osmon.generate.output import write_tree

    if check:
        stale = _stale(root, files)
        if stale:
            _fail(f"{what} in {root} is stale ({', '.join(stale)}); run `{command}`")
        click.echo(f"{what} in {root} is up to date ({len(files)} files)")
        return
    try:
        report = write_tree(root, files)
    except OSError as exc:
        _fail(f"cannot write {what}: {exc}")
    click.echo(
        f"{root}: {len(report.written)} written, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed"
    )
    for rel in report.removed:
        click.echo(f"  removed {rel} (no longer implied by the inventory)")


@click.group()
def generate() -> None:
    """Generate configuration for other tools from the inventory (deterministic output)."""


@generate.command()
@_INVENTORY
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the pipelines (e.g. logstash/pipelines).",
)
@_CHECK
def logstash(inventory_path: Path, out_dir: Path, check: bool) -> None:
    """Logstash pipelines (beats and per-host file inputs) and Filebeat configs.

    They use osmon's grok patterns (logstash/patterns) and write to the data streams of osmon's
    Elasticsearch sink. Credentials stay ${VAR} references.
    """
    from osmon.generate.logstash import generate_logstash

    files = generate_logstash(_expansion(inventory_path))
    command = f"osmon generate logstash -i {inventory_path} -o {out_dir}"
    _emit(out_dir, files, check, "Logstash configuration", command)


@generate.command()
@_INVENTORY
@click.option(
    "-o",
    "--output",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="NDJSON file to write (e.g. kibana/osmon.ndjson).",
)
@_CHECK
def kibana(inventory_path: Path, out_file: Path, check: bool) -> None:
    """Kibana 8.x saved objects: data views, saved searches, Lens charts, one dashboard.

    Import with Stack Management → Saved objects → Import (stable ids: re-importing overwrites).
    """
    from osmon.generate.kibana import generate_kibana

    _single(
        out_file,
        lambda: generate_kibana(_expansion(inventory_path)),
        check,
        f"osmon generate kibana -i {inventory_path} -o {out_file}",
    )


def _single(path: Path, make: Callable[[], str], check: bool, command: str) -> None:
    text = make()
    if check:
        if not path.is_file() or path.read_bytes() != text.encode():
            _fail(f"{path} is stale; run `{command}`")
        click.echo(f"{path} is up to date")
        return
    from osmon.generate.output import write_tree

    try:
        report = write_tree(path.parent, {path.name: text}, prune=False)
    except OSError as exc:
        _fail(f"cannot write {path}: {exc}")
    click.echo(f"{path}: {'written' if report.written else 'unchanged'}")


def _plugin_commands() -> dict[str, str]:
    """osmon's plugin commands (the package ships them)."""
    from osmon.checks.plugins import COMMANDS

    return dict(COMMANDS)


@generate.command()
@_INVENTORY
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for objects/, resource.cfg and nrpe.d/ (e.g. nagios).",
)
@click.option(
    "--active",
    is_flag=True,
    help="Run probes as active Monitoring Plugins checks instead of waiting for osmon's results.",
)
@click.option("--nrpe-port", default=5666, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--freshness-slack",
    default=60,
    show_default=True,
    type=click.IntRange(0),
    help="Seconds beyond 3 probe intervals before a passive result is stale (UNKNOWN).",
)
@click.option(
    "--plugin-dir",
    default="/usr/lib/nagios/plugins",
    show_default=True,
    help="$USER1$ in resource.cfg, and the plugin path in the NRPE files.",
)
@_CHECK
def nagios(
    inventory_path: Path,
    out_dir: Path,
    active: bool,
    nrpe_port: int,
    freshness_slack: int,
    plugin_dir: str,
    check: bool,
) -> None:
    """Nagios 4 objects, resource.cfg and per-host NRPE files.

    Include them from nagios.cfg with cfg_dir=DIR/objects and resource_file=DIR/resource.cfg;
    copy nrpe.d/HOST/osmon.cfg to /etc/nagios/nrpe.d/ on each host.
    """
    from osmon.generate.nagios import NagiosSettings, generate_nagios

    inv = _inventory(inventory_path)
    settings = NagiosSettings(
        _plugin_commands(), active, nrpe_port, plugin_dir, freshness_slack=freshness_slack
    )
    files = generate_nagios(inv, settings)
    command = f"osmon generate nagios -i {inventory_path} -o {out_dir}"
    _emit(out_dir, files, check, "Nagios configuration", command)


@generate.command()
@_INVENTORY
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for prometheus.yml, rules/ and targets/ (e.g. prometheus).",
)
@_CHECK
def prometheus(inventory_path: Path, out_dir: Path, check: bool) -> None:
    """Prometheus alerting and recording rules, and a scrape config for osmon.

    Rules for osmon's own series, the probes, agent states and log metrics, and the inventory's
    alarms; check them with `promtool check config DIR/prometheus.yml`.
    """
    from osmon.generate.prometheus import PrometheusError, generate_prometheus

    try:
        files = generate_prometheus(_expansion(inventory_path))
    except PrometheusError as exc:
        _fail(f"{inventory_path}: {exc}")
    command = f"osmon generate prometheus -i {inventory_path} -o {out_dir}"
    _emit(out_dir, files, check, "Prometheus configuration", command)
