"""The log formats osmon parses, by name, and ``auto`` detection."""

from __future__ import annotations

from osmon.grok import PatternLibrary
from osmon.logs.formats.base import LineFormat, Pending
from osmon.logs.formats.httpd import ApacheAccessFormat, ApacheErrorFormat, UwsgiFormat
from osmon.logs.formats.mariadb import MariadbFormat
from osmon.logs.formats.nagios import NagiosFormat
from osmon.logs.formats.ndjson import JsonFormat
from osmon.logs.formats.oslo import OsloFormat
from osmon.logs.formats.plain import PlainFormat
from osmon.logs.formats.postgresql import PostgresqlFormat
from osmon.logs.formats.rabbitmq import RabbitmqFormat
from osmon.logs.formats.redis import RedisFormat
from osmon.logs.formats.syslog import SyslogOsloFormat
from osmon.logs.timestamps import Clock

FORMATS: dict[str, type[LineFormat]] = {
    f.name: f
    for f in (
        OsloFormat,
        RabbitmqFormat,
        ApacheErrorFormat,
        UwsgiFormat,
        ApacheAccessFormat,
        SyslogOsloFormat,
        PostgresqlFormat,
        MariadbFormat,
        RedisFormat,
        NagiosFormat,
        JsonFormat,
        PlainFormat,
    )
}
"""In ``auto`` detection order: the strict formats before the permissive ones (``json`` and
``plain`` are never guessed: ``plain`` accepts any line, and a JSON line is asked for)."""

ALIASES = {"syslog": "syslog_oslo", "journald_text": "syslog_oslo", "galera": "mariadb"}


class AutoFormat:
    """Tries every format; the one that matched last is tried first from then on."""

    name = "auto"
    multiline = True

    def __init__(self, formats: list[LineFormat]) -> None:
        self._formats = formats
        self.current: LineFormat | None = None

    def begin(self, line: str) -> Pending | None:
        cur = self.current
        if cur is not None:
            p = cur.begin(line)
            if p is not None:
                return p
        for f in self._formats:
            if f is not cur:
                p = f.begin(line)
                if p is not None:
                    self.current = f
                    return p
        return None


def make_format(name: str, clock: Clock, lib: PatternLibrary) -> LineFormat | AutoFormat:
    """The format called ``name`` (or ``auto``); ValueError naming the known ones otherwise."""
    if name == "auto":
        return AutoFormat([cls(clock, lib) for cls in FORMATS.values() if cls.auto])
    cls = FORMATS.get(ALIASES.get(name, name))
    if cls is None:
        known = ", ".join(["auto", *FORMATS, *ALIASES])
        raise ValueError(f"unknown log format {name!r} (known: {known})")
    return cls(clock, lib)


__all__ = ["ALIASES", "FORMATS", "AutoFormat", "LineFormat", "Pending", "make_format"]
