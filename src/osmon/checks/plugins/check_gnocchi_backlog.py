"""check_gnocchi_backlog: measures waiting for metricd, from Gnocchi's ``GET /v1/status``
(osmon's ``gnocchi`` probe kind).

``-w``/``-c`` judge measures waiting (defaults ``10000`` and ``100000``), ``--metrics-warning``
/``--metrics-critical`` the metrics with measures waiting; no metricd processor is CRITICAL.
Authentication (``--auth``): Keystone from ``--os-cloud``/``OS_CLOUD`` or
``OS_AUTH_URL``/``OS_USERNAME``/``OS_PASSWORD``… when set (``auto``, the default, or
``keystone``), else or with ``basic`` Gnocchi's ``basic`` mode as ``admin``.
"""

from __future__ import annotations

import argparse

from osmon.checks.context import Thresholds, range_argument
from osmon.checks.output import Result
from osmon.checks.range import parse
from osmon.checks.runtime import CheckError, PluginParser, run
from osmon.checks.state import State

SERVICE = "GNOCCHI"


def parser() -> PluginParser:
    p = PluginParser(SERVICE, "check_gnocchi_backlog", "Gnocchi measures waiting for metricd")
    p.add_argument("-H", "--hostname", default="127.0.0.1", help="Gnocchi API host")
    p.add_argument("-P", "--port", type=int, default=8041, help="port (8041)")
    p.add_argument("-S", "--ssl", action="store_true", help="use HTTPS")
    p.add_argument("--url", help="Gnocchi base URL instead of -H/-P/-S")
    p.add_argument("-w", "--warning", type=range_argument, default=parse("10000"))
    p.add_argument("-c", "--critical", type=range_argument, default=parse("100000"))
    p.add_argument("--metrics-warning", type=range_argument, metavar="RANGE")
    p.add_argument("--metrics-critical", type=range_argument, metavar="RANGE")
    p.add_argument(
        "--auth",
        choices=("auto", "keystone", "basic"),
        default="auto",
        help="auto (default): Keystone when OS_CLOUD/OS_AUTH_URL is set, else basic admin",
    )
    p.add_argument("--os-cloud", metavar="NAME", help="clouds.yaml entry (default: OS_CLOUD)")
    return p


def check(args: argparse.Namespace) -> Result:
    from osmon.checks.plugins.probing import auth_from_environment, probe_result

    scheme = "https" if args.ssl else "http"
    auth = None if args.auth == "basic" else auth_from_environment(args.os_cloud)
    if args.auth == "keystone" and auth is None:
        raise CheckError(State.UNKNOWN, "--auth keystone: set OS_CLOUD or OS_AUTH_URL…")
    return probe_result(
        args,
        "gnocchi",
        limits={
            "measures_waiting": Thresholds(args.warning, args.critical),
            "metrics_waiting": Thresholds(args.metrics_warning, args.metrics_critical),
            "metricd_processors": Thresholds(None, parse("1:")),
        },
        auth=auth,
        service_type="gnocchi",
        keystone_service_type="metric",
        address=args.hostname,
        port=args.port,
        url=args.url or f"{scheme}://{args.hostname}:{args.port}",
    )


def main(argv: list[str] | None = None) -> None:
    run(parser(), check, argv)


if __name__ == "__main__":
    main()
