"""``osmon alarms plan|apply``: keep the Aodh alarms osmon owns equal to the inventory's.

``plan`` prints the diff and changes nothing; ``apply`` performs it (a second apply finds nothing
to do). Exit status: 0 done, 1 when the inventory, the secret or Aodh failed (``FILE:LINE``
problems or one line on stderr), or when a change of ``apply`` failed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Literal

import click

from osmon.alarms import (
    AodhError,
    NoAuth,
    SecretError,
    action_url,
    apply_plan,
    connect,
    desired,
    plan,
    read_secret,
    redact,
    to_json,
    to_text,
)
from osmon.inventory import InventoryError, expand, load

__all__ = ["alarms"]

DEFAULT_SECRET_ENV = "OSMON_WEBHOOK_SECRET"


def _options(fn: Callable[..., None]) -> Callable[..., None]:
    decorators = [
        click.option(
            "-i", "--inventory", "inventory_path", required=True, metavar="INVENTORY",
            help="The service inventory (YAML).",
        ),
        click.option(
            "--aodh-url", envvar="OSMON_AODH_URL", metavar="URL",
            help="Aodh endpoint (default with Keystone: the catalog's 'alarming').",
        ),
        click.option(
            "--noauth", is_flag=True,
            help="Aodh runs with auth_mode=noauth: send --project-id/--user-id as headers.",
        ),
        click.option("--project-id", envvar="OSMON_AODH_PROJECT_ID", help="noauth: X-Project-Id."),
        click.option("--user-id", envvar="OSMON_AODH_USER_ID", help="noauth: X-User-Id."),
        click.option(
            "--webhook-url", envvar="OSMON_WEBHOOK_URL", metavar="BASE",
            help="The osmon daemon's base URL; actions go to BASE/v1/alarms/aodh/<secret>.",
        ),
        click.option(
            "--webhook-secret-env", metavar="NAME",
            help=f"Environment variable holding the webhook secret (default {DEFAULT_SECRET_ENV}).",
        ),
        click.option(
            "--webhook-secret-file", metavar="PATH",
            help="File whose first line is the webhook secret.",
        ),
        click.option(
            "--prune", is_flag=True,
            help="Delete osmon's alarms the inventory no longer has (else they are kept).",
        ),
        click.option(
            "--format", "output", type=click.Choice(["text", "json"]), default="text",
            show_default=True, help="Output format.",
        ),
    ]  # fmt: skip
    return functools.reduce(lambda f, d: d(f), reversed(decorators), fn)


@click.group()
def alarms() -> None:
    """Aodh alarms from the inventory: plan the changes, apply them."""


def _fail(message: str) -> None:
    click.echo(f"osmon alarms: {redact(message)}", err=True)
    raise SystemExit(1)


def _run(options: dict[str, Any], perform: bool) -> None:
    try:
        inventory = load(options["inventory_path"])
        expansion = expand(inventory)
    except InventoryError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    actions: list[str] = []
    secret_env, secret_file = options["webhook_secret_env"], options["webhook_secret_file"]
    try:
        if options["webhook_url"]:
            if secret_env is None and secret_file is None:
                secret_env = DEFAULT_SECRET_ENV
            actions = [action_url(options["webhook_url"], read_secret(secret_env, secret_file))]
        elif secret_env or secret_file:
            _fail("--webhook-secret-env/--webhook-secret-file need --webhook-url")
    except (SecretError, ValueError) as exc:
        _fail(str(exc))
    noauth = None
    if options["noauth"]:
        if not (options["aodh_url"] and options["project_id"] and options["user_id"]):
            _fail("--noauth needs --aodh-url, --project-id and --user-id")
        noauth = NoAuth(options["aodh_url"], options["project_id"], options["user_id"])
    prune: bool = options["prune"]
    output: Literal["text", "json"] = options["output"]
    try:
        api = connect(inventory.auth, noauth=noauth, url=options["aodh_url"])
        changes = plan(desired(expansion, actions), api.alarms(), expansion.cloud, prune=prune)
        outcomes = list(apply_plan(changes, api)) if perform else None
    except AodhError as exc:
        _fail(str(exc))
        return
    if output == "json":
        click.echo(to_json(changes, expansion.cloud, outcomes))
    else:
        click.echo(to_text(changes, expansion.cloud, outcomes))
    if not actions:
        click.echo("note: no --webhook-url: the alarms notify nobody", err=True)
    if outcomes and any(error for _change, error in outcomes):
        raise SystemExit(1)


@alarms.command("plan")
@_options
def plan_command(**options: Any) -> None:
    """Show what apply would change in Aodh (create / update with the fields / delete)."""
    _run(options, perform=False)


@alarms.command("apply")
@_options
def apply_command(**options: Any) -> None:
    """Make the Aodh alarms osmon owns equal to the inventory's."""
    _run(options, perform=True)
