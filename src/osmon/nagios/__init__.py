"""Nagios side of the daemon: passive results to the command file, and reading ``status.dat``.

``PassiveFeed`` writes probe (and alarm) results as passive check results; ``ProbeForwarder``
maps a probe target to its passive service. The ``status.dat`` reader is ``osmon.nagios.status``
(imported on its own: it loads pynag).
"""

from __future__ import annotations

from osmon.nagios.commands import InvalidResult, host_check_result, service_check_result
from osmon.nagios.forward import ProbeForwarder
from osmon.nagios.passive import PassiveFeed

__all__ = [
    "InvalidResult",
    "PassiveFeed",
    "ProbeForwarder",
    "host_check_result",
    "service_check_result",
]
