"""RabbitMQ logs: 3.7+ one line per record (3.9+ repeats the prefix on every line of a
multi-line message) and the older ``=INFO REPORT====`` blocks."""

from __future__ import annotations

import re
from typing import Any

from osmon.grok import PatternLibrary
from osmon.logs.formats.base import LineFormat, Pending, join_message, starts_with_date
from osmon.logs.timestamps import Clock

_REPORT = re.compile(r"=[A-Z]+ REPORT==== ")


class RabbitmqFormat(LineFormat):
    name = "rabbitmq"
    pattern = "%{RABBITMQ_LOG}"

    def __init__(self, clock: Clock, lib: PatternLibrary) -> None:
        super().__init__(clock, lib)
        self._msg = self.grok.groups_for("message")[0]

    def key(self, line: str, m: re.Match[str]) -> str:
        if line.startswith("="):
            return ""
        return line[: m.start(self._msg)]

    def absorb(self, p: Pending, line: str) -> bool:
        if p.key and line.startswith(p.key):
            p.add_more(line, line[len(p.key) :])
            return True
        if _REPORT.match(line) or starts_with_date(line):
            return False
        p.add_more(line, line)
        return True

    def complete(self, p: Pending) -> dict[str, Any]:
        doc = p.doc
        if not p.key:
            doc["message"] = join_message("", p.more or []).strip()
            p.more = None
        return super().complete(p)
