"""One field of a meter definition, read the way Ceilometer's ``declarative.Definition`` reads it.

A number is a constant. A string is a JSONPath over the message, with or without a leading ``$``
(``payload.size`` is a path); a literal such as ``'image.size'`` is a path that finds nothing, and
the definition falls back to the literal where Ceilometer does (name, type, unit). A list of paths
is their union; ``{fields: ..., plugin: ...}`` passes every match through a plugin.
"""

from __future__ import annotations

from typing import Any

from osmon.notifications.paths import JsonPath, PathError
from osmon.notifications.plugins import Plugin, make_plugin


class Field:
    __slots__ = ("constant", "path", "plugin")

    def __init__(self, raw: Any, *, literal_ok: bool = False) -> None:
        self.constant: Any = None
        self.path: JsonPath | None = None
        self.plugin: Plugin | None = None
        fields = raw
        if isinstance(raw, dict):
            if "fields" not in raw:
                raise ValueError("the key 'fields' is required")
            if "plugin" in raw:
                self.plugin = make_plugin(raw["plugin"])
            fields = raw["fields"]
        if isinstance(fields, list):
            if not fields:
                raise ValueError("'fields' is empty")
            fields = fields[0] if len(fields) == 1 else "|".join(f"({p})" for p in fields)
        if isinstance(fields, bool) or not isinstance(fields, (str, int, float)):
            raise ValueError(f"expected a JSONPath or a number, got {type(fields).__name__}")
        if not isinstance(fields, str):
            self.constant = fields
            return
        try:
            self.path = JsonPath(fields)
        except PathError:
            if not literal_ok:
                raise
            self.constant = fields

    def parse(self, doc: Any, all_values: bool = False) -> Any:
        """The first non-null value (or None); with ``all_values`` every value, nulls kept."""
        if self.path is None:
            return [self.constant] if all_values else self.constant
        matches = self.path.matches(doc)
        if not all_values:
            matches = [m for m in matches if m[1] is not None]
        if self.plugin is not None:
            values = [v for v in self.plugin(matches) if v is not None]
        else:
            values = [v for _, v in matches]
        if all_values:
            return values
        return values[0] if values else None
