"""The ``osmon`` command. Each command group is one module of this package, imported only when
used, so ``osmon --help`` and the commands that do not need oslo.messaging or the backend
clients start fast. Commands stay thin: parse options, call the domain code, print."""

from __future__ import annotations

import importlib
from typing import Any

import click

import osmon
from osmon.packaged import PackagedDataError

_LAZY = {
    "run": "osmon.cli.run:run",
    "inventory": "osmon.cli.inventory:inventory",
    "logs": "osmon.cli.logs:logs",
    "notifications": "osmon.cli.notifications:notifications",
    "generate": "osmon.cli.generate:generate",
    "probe": "osmon.cli.probe:probe",
    "alarms": "osmon.cli.alarms:alarms",
    "nagios": "osmon.cli.nagios:nagios",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *_LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _LAZY.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attr = target.partition(":")
        cmd: click.Command = getattr(importlib.import_module(module), attr)
        return cmd

    def invoke(self, ctx: click.Context) -> Any:
        # A file missing from the installation is one line for every command, not a traceback.
        try:
            return super().invoke(ctx)
        except PackagedDataError as exc:
            click.echo(f"osmon: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_LazyGroup)
@click.version_option(osmon.__version__, prog_name="osmon")
def main() -> None:
    """osmon: metrics, events and logs of an OpenStack control plane, from one inventory."""
