"""Redis server logs: ``pid:role date level message`` (3+) and ``[pid] date level message`` (2)."""

from __future__ import annotations

from typing import Any, Final

from osmon.logs.formats.base import LineFormat, set_duration

LEVELS: Final = {".": "DEBUG", "-": "VERBOSE", "*": "NOTICE", "#": "WARNING"}
"""Redis's level characters, by the names of its ``loglevel`` setting."""
ROLES: Final = {"X": "sentinel", "C": "child", "S": "slave", "M": "master"}
"""Role characters, spelled as Filebeat's redis module spells them (dashboards share them)."""


class RedisFormat(LineFormat):
    name = "redis"
    pattern = "%{REDIS_LINE}"
    multiline = False

    def annotate(self, doc: dict[str, Any], meta: dict[str, Any]) -> None:
        log = doc["log"]
        log["level"] = LEVELS.get(log["level"], log["level"])
        redis = doc.get("redis")
        if redis is not None:
            role = redis["log"]["role"]
            redis["log"]["role"] = ROLES.get(role, role)
        set_duration(doc, meta)
