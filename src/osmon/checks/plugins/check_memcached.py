"""check_memcached: memcached's ``stats`` (osmon's ``memcached`` probe kind).

Current connections (``-w``/``-c``), evictions and hit ratio (their own ranges); a reply that is
not a stats listing, refused or reset connections are CRITICAL.
"""

from __future__ import annotations

import argparse

from osmon.checks.context import Thresholds, range_argument
from osmon.checks.output import Result
from osmon.checks.runtime import PluginParser, run

SERVICE = "MEMCACHED"


def parser() -> PluginParser:
    p = PluginParser(SERVICE, "check_memcached", "memcached stats")
    p.add_argument("-H", "--hostname", default="127.0.0.1", help="server address")
    p.add_argument("-P", "--port", type=int, default=11211, help="port (11211)")
    p.add_argument("-w", "--warning", type=range_argument, help="range for connections")
    p.add_argument("-c", "--critical", type=range_argument, help="range for connections")
    p.add_argument("--evictions-warning", type=range_argument, metavar="RANGE")
    p.add_argument("--evictions-critical", type=range_argument, metavar="RANGE")
    p.add_argument("--hit-ratio-warning", type=range_argument, metavar="RANGE")
    p.add_argument("--hit-ratio-critical", type=range_argument, metavar="RANGE")
    return p


def check(args: argparse.Namespace) -> Result:
    from osmon.checks.plugins.probing import probe_result

    return probe_result(
        args,
        "memcached",
        limits={
            "connections": Thresholds(args.warning, args.critical),
            "evictions": Thresholds(args.evictions_warning, args.evictions_critical),
            "hit_ratio": Thresholds(args.hit_ratio_warning, args.hit_ratio_critical),
        },
        host=args.hostname,
        address=args.hostname,
        port=args.port,
    )


def main(argv: list[str] | None = None) -> None:
    run(parser(), check, argv)


if __name__ == "__main__":
    main()
