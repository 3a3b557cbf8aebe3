"""check_haproxy: backend servers down, from HAProxy's stats CSV (osmon's ``haproxy`` probe).

``-w``/``-c`` judge the number of backend servers DOWN (default: WARNING above 0); a backend
with no server UP is CRITICAL. The stats page is ``http://HOST:PORT/;csv`` or ``--url`` (also
``unix:///path/to/admin.sock``). Login: ``-u`` with the password in
``OSMON_HAPROXY_STATS_PASSWORD`` or ``--password-file``.
"""

from __future__ import annotations

import argparse

from osmon.checks.context import Thresholds, range_argument
from osmon.checks.output import Result
from osmon.checks.range import parse
from osmon.checks.runtime import PluginParser, run

SERVICE = "HAPROXY"


def parser() -> PluginParser:
    p = PluginParser(SERVICE, "check_haproxy", "HAProxy backend servers down")
    p.add_argument("-H", "--hostname", default="127.0.0.1", help="stats address")
    p.add_argument("-P", "--port", type=int, default=1936, help="stats port (1936)")
    p.add_argument("--url", help="stats URL (…;csv) or unix:///…/admin.sock")
    p.add_argument("-u", "--username", default=None, help="stats user")
    p.add_argument("--password-file", metavar="FILE", help="file holding the password")
    p.add_argument("-w", "--warning", type=range_argument, default=parse("0"))
    p.add_argument("-c", "--critical", type=range_argument, help="range for servers down")
    return p


def check(args: argparse.Namespace) -> Result:
    from osmon.checks.plugins.probing import credentials, probe_result

    url = args.url or f"http://{args.hostname}:{args.port}/;csv"
    login = credentials(args.username, "OSMON_HAPROXY_STATS_PASSWORD", args.password_file)
    return probe_result(
        args,
        "haproxy",
        limits={"backends_down": Thresholds(args.warning, args.critical)},
        address=args.hostname,
        port=args.port,
        url=url,
        credentials=login,
    )


def main(argv: list[str] | None = None) -> None:
    run(parser(), check, argv)


if __name__ == "__main__":
    main()
