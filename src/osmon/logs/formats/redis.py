"""Redis server logs: ``pid:role date level message`` (3+) and ``[pid] date level message`` (2)."""

from __future__ import annotations

from typing import Any

from osmon.logs.formats.base import LineFormat, set_duration
from osmon.logs.vocabulary import REDIS_LEVELS as LEVELS
from osmon.logs.vocabulary import REDIS_ROLES as ROLES


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
