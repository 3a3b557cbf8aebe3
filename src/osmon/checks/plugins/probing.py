"""Run one osmon probe kind from a plugin, so a plugin and the daemon's probe never disagree.

The plugin builds an inventory ``Probe`` from its arguments; the probe kind measures and
``osmon.probes.runner.run_probe`` applies the thresholds, exactly as in the daemon. osmon's
probes, the inventory types and their dependencies (aiohttp, pydantic …) are imported here, in
functions only, after the arguments were parsed: ``--help``, ``--version`` and usage errors
never pay for them. The probe's own limit is set past ``-t``, so the plugin's timeout (and its
``--timeout-state``) is the one that ends a silent target.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, cast

from osmon.checks.context import Thresholds
from osmon.checks.output import Result
from osmon.checks.perfdata import perf_label
from osmon.checks.range import NagiosRange
from osmon.checks.runtime import CheckError
from osmon.checks.state import State

__all__ = [
    "auth_from_environment",
    "credentials",
    "probe_result",
    "thresholds",
    "without_profiler",
]


def without_profiler() -> None:
    """Keep osprofiler off a plugin's import path: keystoneauth1 imports it when installed (and
    with it oslo.config, oslo.utils, webob: ~100 ms) to add trace headers only a profiled
    service sends. A plugin never does; ``None`` in ``sys.modules`` makes that import fail
    as if osprofiler were absent."""
    sys.modules.setdefault("osprofiler.web", cast(Any, None))


def thresholds(**pairs: tuple[NagiosRange | None, NagiosRange | None]) -> dict[str, Any]:
    """Inventory thresholds by metric name from (warning, critical) argument pairs."""
    from osmon.inventory import Threshold

    out: dict[str, Any] = {}
    for name, (warning, critical) in pairs.items():
        if warning is not None or critical is not None:
            out[name] = Threshold(
                warning.text if warning else None, critical.text if critical else None
            )
    return out


def credentials(
    username: str | None,
    password_env: str | None = None,
    password_file: str | None = None,
    option_file: str | None = None,
) -> Any:
    """An inventory ``Credentials`` (names of a variable or a file, never the password); None
    when there is nothing to log in with."""
    from osmon.inventory.expansion import Credentials

    if password_env is not None and password_env not in os.environ:
        password_env = None  # unset: no password rather than UNKNOWN "variable not set"
    if username is None and password_env is None and not (password_file or option_file):
        return None
    return Credentials(username, password_env, password_file, option_file)


def auth_from_environment(cloud: str | None = None) -> Any:
    """Keystone access from ``cloud`` or ``OS_CLOUD`` (a clouds.yaml entry), else
    ``OS_AUTH_URL``, ``OS_USERNAME``, ``OS_PROJECT_NAME``, ``OS_USER_DOMAIN_NAME``,
    ``OS_PROJECT_DOMAIN_NAME`` and the password in ``OS_PASSWORD``; None when neither is set."""
    without_profiler()
    from osmon.inventory.model import Auth

    env = os.environ
    if cloud or env.get("OS_CLOUD"):
        return Auth(cloud=cloud or env["OS_CLOUD"])
    if not env.get("OS_AUTH_URL"):
        return None
    return Auth(
        auth_url=env["OS_AUTH_URL"],
        username=env.get("OS_USERNAME"),
        project_name=env.get("OS_PROJECT_NAME"),
        user_domain_name=env.get("OS_USER_DOMAIN_NAME", "Default"),
        project_domain_name=env.get("OS_PROJECT_DOMAIN_NAME", "Default"),
        password_env="OS_PASSWORD",
        interface=env.get("OS_INTERFACE", "public"),
        region_name=env.get("OS_REGION_NAME"),
    )


def probe_result(
    args: argparse.Namespace,
    kind: str,
    *,
    limits: Mapping[str, Thresholds] | None = None,
    auth: Any = None,
    setup: Callable[[Any, Any], Callable[[], None]] | None = None,
    **fields: Any,
) -> Result:
    """Run probe ``kind`` once on a target built from ``fields``; its result as the plugin's.

    ``setup(ctx, target)`` runs in the event loop before the probe (a Keystone session from a cache,
    a header) and returns what to run after it."""
    without_profiler()
    from osmon.components import probe_function
    from osmon.inventory import Probe
    from osmon.probes.base import ProbeContext
    from osmon.probes.runner import run_probe

    ranges = {name: (t.warning, t.critical) for name, t in (limits or {}).items() if t is not None}
    values: dict[str, Any] = {
        "id": f"{kind}@{fields.get('host') or fields.get('address') or fields.get('url')}",
        "service": kind,
        "service_type": kind,
        "name": kind,
        "type": kind,
        "host": None,
        "address": None,
        "port": None,
        "url": None,
        "interval": 60.0,
        "timeout": args.timeout + 5,  # -t ends first
        "expected_status": (),
        "tls_verify": True,
        "ca_file": None,
        "server_name": None,
        "thresholds": thresholds(**ranges),
        "contacts": (),
    }
    values.update(fields)
    missing = sorted(set(values) - set(Probe.__dataclass_fields__))
    if missing:
        raise CheckError(State.UNKNOWN, f"this osmon's probes take no {', '.join(missing)}")
    target = Probe(**values)
    try:
        fn = probe_function(kind)
    except (ImportError, ValueError):
        raise CheckError(State.UNKNOWN, f"no probe for type {kind}") from None

    async def once() -> Any:
        ctx = ProbeContext(hostname=os.uname().nodename, auth=auth)
        after = setup(ctx, target) if setup is not None else None
        try:
            return await run_probe(target, fn, ctx)
        finally:
            if after is not None:
                after()
            await ctx.close()

    result = asyncio.run(once())
    perf = []
    for m in result.metrics:
        if m.series in ("probe_success",) or m.name == "duration":
            continue
        limit = (limits or {}).get(m.name) or Thresholds()
        perf.append(limit.perf(perf_label(m.name, m.labels), m.value, m.unit))
    long: tuple[str, ...] = ()
    if args.verbose:
        long = tuple(f"{m.series_name} {dict(m.labels)} = {m.value:g}" for m in result.metrics)
    return Result(State(int(result.state)), result.summary, tuple(perf), long)
