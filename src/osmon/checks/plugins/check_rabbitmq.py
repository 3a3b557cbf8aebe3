"""check_rabbitmq: RabbitMQ through its management API (osmon's ``rabbitmq`` probe kind).

Queues whose name matches ``--queues`` (a regex) in ``--vhost``: depth (``-w``/``-c``),
consumers and unacknowledged messages (their own ranges); node alarms and partitions are
CRITICAL. Login: ``-u`` (or ``OSMON_RABBITMQ_USER``, default guest) with the password in
``OSMON_RABBITMQ_PASSWORD`` or the first line of ``--password-file``.
"""

from __future__ import annotations

import argparse
import os

from osmon.checks.context import Thresholds, range_argument
from osmon.checks.output import Result
from osmon.checks.runtime import PluginParser, run

SERVICE = "RABBITMQ"


def parser() -> PluginParser:
    p = PluginParser(SERVICE, "check_rabbitmq", "RabbitMQ queues, alarms and partitions")
    p.add_argument("-H", "--hostname", default="127.0.0.1", help="management API host")
    p.add_argument("-P", "--port", type=int, default=15672, help="management port (15672)")
    p.add_argument("-S", "--ssl", action="store_true", help="use HTTPS")
    p.add_argument("--vhost", default=None, help="vhost of the queues (default: all)")
    p.add_argument("--queues", default=None, metavar="REGEX", help="queue names to watch")
    p.add_argument("-u", "--username", default=os.environ.get("OSMON_RABBITMQ_USER", "guest"))
    p.add_argument("--password-file", metavar="FILE", help="file holding the password")
    p.add_argument("-w", "--warning", type=range_argument, help="range for queue messages")
    p.add_argument("-c", "--critical", type=range_argument, help="range for queue messages")
    p.add_argument("--consumers-warning", type=range_argument, metavar="RANGE")
    p.add_argument("--consumers-critical", type=range_argument, metavar="RANGE")
    p.add_argument("--unacked-warning", type=range_argument, metavar="RANGE")
    p.add_argument("--unacked-critical", type=range_argument, metavar="RANGE")
    return p


def check(args: argparse.Namespace) -> Result:
    from osmon.checks.plugins.probing import credentials, probe_result

    scheme = "https" if args.ssl else "http"
    login = credentials(args.username, "OSMON_RABBITMQ_PASSWORD", args.password_file)
    return probe_result(
        args,
        "rabbitmq",
        limits={
            "queue_messages": Thresholds(args.warning, args.critical),
            "queue_consumers": Thresholds(args.consumers_warning, args.consumers_critical),
            "queue_messages_unacked": Thresholds(args.unacked_warning, args.unacked_critical),
        },
        address=args.hostname,
        port=args.port,
        url=f"{scheme}://{args.hostname}:{args.port}/",
        credentials=login,
        queue_vhost=args.vhost,
        queue_match=args.queues,
    )


def main(argv: list[str] | None = None) -> None:
    run(parser(), check, argv)


if __name__ == "__main__":
    main()
