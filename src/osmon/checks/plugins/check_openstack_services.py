"""check_openstack_services: nova/cinder services or neutron agents, up/down/disabled counts.

The list is the one osmon's ``agent`` probe reads (nova ``GET /os-services``, cinder
``GET /os-services``, neutron ``GET /v2.0/agents``, parsed by ``osmon.probes.agents``), through
the same Keystone session: ``OS_CLOUD`` (clouds.yaml) or ``OS_AUTH_URL``, ``OS_USERNAME``,
``OS_PASSWORD``, ``OS_PROJECT_NAME``, ``OS_*_DOMAIN_NAME``, ``OS_INTERFACE`` (default public),
``OS_REGION_NAME``. ``--critical-down`` (default ``0``: any enabled service down is CRITICAL) and
``--warn-disabled`` (default ``0``) judge the counts, after the ``--host``/``--binary`` filters.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from osmon.checks.context import Thresholds, range_argument
from osmon.checks.output import Result
from osmon.checks.range import parse
from osmon.checks.runtime import CheckError, PluginParser, run
from osmon.checks.state import State, worst

SERVICE = "OPENSTACK_SERVICES"
_TYPES = {"nova": "compute", "cinder": "block-storage", "neutron": "network"}


def parser() -> PluginParser:
    p = PluginParser(SERVICE, "check_openstack_services", "nova/cinder services, neutron agents")
    p.add_argument("-s", "--service", choices=sorted(_TYPES), default="nova")
    p.add_argument("--host", help="only the services of this host")
    p.add_argument("--binary", help="only this binary (nova-compute, neutron-l3-agent …)")
    p.add_argument("-w", "--warn-disabled", type=range_argument, default=parse("0"))
    p.add_argument("-c", "--critical-down", type=range_argument, default=parse("0"))
    p.add_argument("--token-cache", type=Path, metavar="DIR", help="Keystone token cache dir")
    p.add_argument("--os-cloud", metavar="NAME", help="clouds.yaml entry (default: OS_CLOUD)")
    return p


def _matches(agent: Any, args: argparse.Namespace) -> bool:
    host = agent.host.partition("@")[0].lower()
    if args.host and host != args.host.lower() and host.split(".")[0] != args.host.lower():
        return False
    return not args.binary or agent.binary == args.binary


def check(args: argparse.Namespace) -> Result:
    import asyncio  # here, not at import: --help and usage errors stay fast

    from osmon.checks.plugins.probing import auth_from_environment, without_profiler

    without_profiler()
    from osmon.checks.plugins import keystone_token
    from osmon.probes import agents
    from osmon.probes.base import ProbeContext, ProbeFailed

    auth = auth_from_environment(args.os_cloud)
    if auth is None:
        raise CheckError(State.UNKNOWN, "no Keystone credentials: set OS_CLOUD or OS_AUTH_URL…")
    stype = _TYPES[args.service]
    cache = keystone_token.cache_file(args.token_cache or keystone_token.DEFAULT_CACHE, auth)

    async def listed() -> list[Any]:
        ctx = ProbeContext(hostname="", auth=auth)
        ksa = keystone_token.load(ctx, cache)
        try:
            return await agents.list_agents(ctx, stype, args.timeout + 5)
        finally:
            keystone_token.save(ksa, cache)
            await ctx.close()

    try:
        found = [a for a in asyncio.run(listed()) if _matches(a, args)]
    except ProbeFailed as exc:
        raise CheckError(exc.state, exc.summary) from None
    if not found:
        what = " ".join(x for x in (args.binary, args.host and f"on {args.host}") if x)
        raise CheckError(State.CRITICAL, f"no {args.service} service {what}".strip() + " listed")
    up = sum(1 for a in found if a.up and a.enabled)
    down = [a for a in found if a.enabled and not a.up]
    disabled = [a for a in found if not a.enabled]
    down_limits = Thresholds(critical=args.critical_down)
    disabled_limits = Thresholds(warning=args.warn_disabled)
    state = worst([down_limits.evaluate(len(down)), disabled_limits.evaluate(len(disabled))])
    summary = f"{args.service}: {up} up, {len(down)} down, {len(disabled)} disabled"
    if down:
        summary += "; down: " + ", ".join(f"{a.binary}@{a.host}" for a in down)
    if disabled and state == State.WARNING:
        summary += "; disabled: " + ", ".join(f"{a.binary}@{a.host}" for a in disabled)
    perf = (
        Thresholds().perf("up", up, minimum=0),
        down_limits.perf("down", len(down), minimum=0),
        disabled_limits.perf("disabled", len(disabled), minimum=0),
    )
    long = tuple(
        f"{a.binary} on {a.host}: {'up' if a.up else 'down'}, "
        f"{'enabled' if a.enabled else 'disabled'}"
        for a in found
    )
    return Result(state, summary, perf, long if args.verbose else ())


def main(argv: list[str] | None = None) -> None:
    run(parser(), check, argv)


if __name__ == "__main__":
    main()
