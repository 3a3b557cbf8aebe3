"""Code → name tables that the built-in parser and the generated Logstash pipelines both apply.

A leaf module (no parser import), so generators can use the same tables cheaply.
"""

from __future__ import annotations

from typing import Final

REDIS_LEVELS: Final = {".": "DEBUG", "-": "VERBOSE", "*": "NOTICE", "#": "WARNING"}
"""Redis's level characters, by the names of its ``loglevel`` setting."""
REDIS_ROLES: Final = {"X": "sentinel", "C": "child", "S": "slave", "M": "master"}
"""Role characters, spelled as Filebeat's redis module spells them (dashboards share them)."""
