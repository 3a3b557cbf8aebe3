"""check_galera: MariaDB/Galera's wsrep status (osmon's ``galera`` probe kind).

Cluster size (``-w``/``-c``, e.g. ``-c 2:``), ``wsrep_ready``, Primary component, local state
(Synced OK; Donor/Joined WARNING; else CRITICAL) and flow control paused
(``--flow-warning``/``--flow-critical``). Login: a MySQL option file (``--option-file``,
``[client] user=… password=…``), or ``-u`` with the password in ``OSMON_GALERA_PASSWORD``.
"""

from __future__ import annotations

import argparse

from osmon.checks.context import Thresholds, range_argument
from osmon.checks.output import Result
from osmon.checks.runtime import PluginParser, run

SERVICE = "GALERA"


def parser() -> PluginParser:
    p = PluginParser(SERVICE, "check_galera", "Galera cluster size, readiness and state")
    p.add_argument("-H", "--hostname", default="127.0.0.1", help="server address")
    p.add_argument("-P", "--port", type=int, default=3306, help="port (3306)")
    p.add_argument("-u", "--username", default=None, help="MySQL user")
    p.add_argument("--option-file", metavar="FILE", help="MySQL option file with the login")
    p.add_argument("-w", "--warning", type=range_argument, help="range for the cluster size")
    p.add_argument("-c", "--critical", type=range_argument, help="range for the cluster size")
    p.add_argument("--flow-warning", type=range_argument, metavar="RANGE")
    p.add_argument("--flow-critical", type=range_argument, metavar="RANGE")
    return p


def check(args: argparse.Namespace) -> Result:
    from osmon.checks.plugins.probing import credentials, probe_result

    login = credentials(args.username, "OSMON_GALERA_PASSWORD", None, args.option_file)
    return probe_result(
        args,
        "galera",
        limits={
            "cluster_size": Thresholds(args.warning, args.critical),
            "flow_control_paused": Thresholds(args.flow_warning, args.flow_critical),
        },
        host=args.hostname,
        address=args.hostname,
        port=args.port,
        credentials=login,
    )


def main(argv: list[str] | None = None) -> None:
    run(parser(), check, argv)


if __name__ == "__main__":
    main()
