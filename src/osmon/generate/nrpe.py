"""NRPE command definitions for the checks that must run on the node itself.

One ``osmon.cfg`` per host, to drop into that host's ``/etc/nagios/nrpe.d/``; the Nagios side
calls each command by name with ``check_nrpe -c``. Commands take no arguments from Nagios
(``dont_blame_nrpe`` stays off): everything is fixed here, from the inventory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from osmon.inventory import NagiosService

__all__ = ["command_name", "nrpe_files", "process_pattern"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_ERE_SPECIAL = re.compile(r"([.\[\]()*+?{}|^$\\])")


def command_name(service: NagiosService) -> str:
    """The NRPE command for a node-local service: ``osmon_<check>_<service>``."""
    return _UNSAFE.sub("_", f"osmon_{service.check}_{service.service}")


def process_pattern(names: Iterable[str]) -> str:
    """An ERE matching a command line whose program (or script) is one of ``names``.

    The end is GNU's word end (``\\>``), not ``$``: Debian's NRPE 4.1 mangles a ``$`` in a
    command line (the pattern ``...( |$)`` reached check_procs as ``...( |$)$``).
    """
    alternatives = "|".join(_ERE_SPECIAL.sub(r"\\\1", name) for name in names)
    return f"(^|/)({alternatives})\\>"


def _line(service: NagiosService, plugins: str) -> str:
    pattern = process_pattern(service.processes)
    return (
        f"command[{command_name(service)}]={plugins}/check_procs -c 1: "
        f"--ereg-argument-array='{pattern}'"
    )


def nrpe_files(services: Iterable[NagiosService], head: str, plugins: str) -> Mapping[str, str]:
    """``{"nrpe.d/<host>/osmon.cfg": text}`` for every host with a node-local check.

    ``plugins`` is the Monitoring Plugins directory on the nodes (Debian:
    /usr/lib/nagios/plugins); NRPE has no ``$USER1$``.
    """
    by_host: dict[str, list[str]] = {}
    for service in services:
        if service.check == "process" and service.processes:
            by_host.setdefault(service.host, []).append(_line(service, plugins))
    return {
        f"nrpe.d/{host}/osmon.cfg": head
        + f"# NRPE commands for host {host}: copy to /etc/nagios/nrpe.d/osmon.cfg on it.\n"
        + "".join(f"{line}\n" for line in sorted(lines))
        for host, lines in sorted(by_host.items())
    }
