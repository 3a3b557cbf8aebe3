"""PostgreSQL server logs with Debian's ``log_line_prefix = '%m [%p] %q%u@%d '``.

A message's DETAIL/HINT/CONTEXT/QUERY/STATEMENT/LOCATION lines are separate log lines with the
same prefix (same millisecond and pid); they join the entry, prefix removed. Lines that do not
start with a date (the tab-indented rest of a multi-line statement) join it too.
"""

from __future__ import annotations

import re
from typing import Any

from osmon.grok import PatternLibrary
from osmon.logs.formats.base import LineFormat, Pending, starts_with_date
from osmon.logs.timestamps import Clock

_UTC_NAMES = frozenset({"UTC", "GMT", "Z", "UCT"})
_ZONES_MAX = 64


class PostgresqlFormat(LineFormat):
    name = "postgresql"
    pattern = "%{POSTGRESQL_LINE}"

    def __init__(self, clock: Clock, lib: PatternLibrary) -> None:
        super().__init__(clock, lib)
        self._level = self.grok.groups_for("[log][level]")[0]
        self._detail = lib.compile("%{POSTGRESQL_DETAIL}:").regex.match
        self._zones: dict[str, Clock] = {}

    def key(self, line: str, m: re.Match[str]) -> str:
        return line[: m.start(self._level)]

    def timestamp(self, meta: dict[str, Any]) -> str | None:
        """The zone written in the line wins: an offset, or a zone name Python knows.

        An abbreviation that is no zone name (``CEST``) is taken to be the inventory's zone,
        which is what PostgreSQL's ``log_timezone`` defaults to (the server's local zone).
        """
        raw = meta.get("timestamp")
        if raw is None:
            return None
        tz = meta.get("timezone")
        if tz is None:
            return self.clock.parse(raw)
        if tz[0] in "+-":
            return self.clock.parse(raw + tz)
        return self._zone_clock(tz).parse(raw)

    def _zone_clock(self, tz: str) -> Clock:
        clock = self._zones.get(tz)
        if clock is None:
            if len(self._zones) >= _ZONES_MAX:
                self._zones.clear()
            try:
                clock = Clock("UTC" if tz.upper() in _UTC_NAMES else tz)
            except (ValueError, OSError):
                clock = self.clock
            self._zones[tz] = clock
        return clock

    def absorb(self, p: Pending, line: str) -> bool:
        key = p.key
        if key and line.startswith(key) and self._detail(line, len(key)):
            p.add_more(line, line[len(key) :])
            return True
        if starts_with_date(line):
            return False
        p.add_more(line, line)
        return True
