"""Nagios's ``nagios.log``: ``[epoch] EVENT TYPE: fields;separated;by;semicolons``.

Alerts, states, notifications and external commands get their fields under ``nagios.log``
(the monitored host is ``nagios.log.host``: ``host.name`` stays the host that wrote the log).
"""

from __future__ import annotations

from typing import Any

from osmon.logs.formats.base import LineFormat
from osmon.logs.timestamps import epoch_iso


class NagiosFormat(LineFormat):
    name = "nagios"
    pattern = "%{NAGIOS_LINE}"
    multiline = False

    def timestamp(self, meta: dict[str, Any]) -> str | None:
        raw = meta.get("timestamp")
        return None if raw is None else epoch_iso(raw)
