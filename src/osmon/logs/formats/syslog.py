"""syslog/journalctl text, with oslo.log bodies understood (devstack under systemd).

``May  1 10:00:00 host nova-compute[123]: ERROR nova.compute.manager [None req-...] ...``.
journald stores each line of a traceback as its own entry, with its own timestamp; they are
joined when they come from the same host, process and logger and carry no context bracket,
also when other processes' lines come between them (the writer is ``host name[pid]``, and a
record lingers as in the oslo format). Lines whose body is not oslo.log are plain syslog
records.
"""

from __future__ import annotations

from typing import Any

from osmon.grok import PatternLibrary
from osmon.logs.formats.base import LineFormat, Pending
from osmon.logs.formats.oslo import LINGERING, OsloMessage
from osmon.logs.timestamps import Clock


class SyslogOsloFormat(LineFormat):
    name = "syslog_oslo"
    pattern = "%{SYSLOG_OSLO_LINE}"
    upper_level = False

    def __init__(self, clock: Clock, lib: PatternLibrary) -> None:
        super().__init__(clock, lib)
        self._plain = lib.compile("%{SYSLOG_LINE}")
        self._ctx = self.grok.groups_for("[@metadata][context]")[0]
        self._origin = self.grok.groups_for("[@metadata][origin]")[0]
        self._msg = self.grok.groups_for("message")[0]
        self._logger = self.grok.groups_for("[log][logger]")[0]
        self._message = OsloMessage(lib)

    def begin(self, line: str) -> Pending | None:
        oslo = True
        grok = self.grok
        m = self._match(line)
        if m is None:
            oslo = False
            grok = self._plain
            m = grok.regex.match(line)
            if m is None:
                return None
        doc: dict[str, Any] = {"@timestamp": None}
        meta = grok.fill_new(m, doc)
        doc["@timestamp"] = self.clock.parse(meta["timestamp"])
        host = meta.get("host")
        if host:
            doc["host"] = {"name": host}
        if not oslo:
            return Pending(self, doc, line)
        p = Pending(self, doc, line, meta["origin"])
        if doc["log"]["level"] in LINGERING:
            p.linger = True
        return p

    def absorb(self, p: Pending, line: str) -> bool:
        if not p.key:
            return False
        m = self._match(line)
        if m is not None:
            if (
                m.group(self._origin) != p.key
                or m.group(self._ctx) is not None
                or m.group(self._logger) != p.doc["log"]["logger"]
            ):
                return False
            p.add_stack(line, m.group(self._msg))
            p.linger = True
            return True
        if self._plain.regex.match(line):
            return False
        p.add_more(line, line)
        return True

    def writer(self, p: Pending) -> str | None:
        return p.key or None

    def complete(self, p: Pending) -> dict[str, Any]:
        if not p.key:
            return super().complete(p)
        return self._message.complete(p)
