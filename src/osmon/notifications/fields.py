"""One field of a meter definition, read the way Ceilometer's ``declarative.Definition`` reads it.

A number is a constant. A string is a JSONPath over the message, with or without a leading ``$``
(``payload.size`` is a path); a literal such as ``'image.size'`` is a path that finds nothing, and
the definition falls back to the literal where Ceilometer does (name, type, unit). A list of paths
is their union (Ceilometer joins them with ``|``: the matches of each in order); they are kept as
separate compiled paths so that plain ones stay a key walk. ``{fields: ..., plugin: ...}`` passes
every match through a plugin (``trait_plugins``: Ceilometer uses its trait plugins for both).
"""

from __future__ import annotations

from typing import Any

from osmon.notifications.paths import JsonPath, PathError
from osmon.notifications.trait_plugins import TraitPlugin, make_plugin


class Field:
    __slots__ = ("constant", "paths", "plugin")

    def __init__(self, raw: Any, *, literal_ok: bool = False) -> None:
        self.constant: Any = None
        self.paths: tuple[JsonPath, ...] = ()
        self.plugin: TraitPlugin | None = None
        fields = raw
        if isinstance(raw, dict):
            if "fields" not in raw:
                raise ValueError("the key 'fields' is required")
            if "plugin" in raw:
                self.plugin = make_plugin(raw["plugin"])
            fields = raw["fields"]
        items = fields if isinstance(fields, list) else [fields]
        if not items:
            raise ValueError("'fields' is empty")
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise ValueError(f"expected a JSONPath or a number, got {type(item).__name__}")
        if len(items) == 1 and not isinstance(items[0], str):
            self.constant = items[0]
            return
        try:
            self.paths = tuple(JsonPath(str(item)) for item in items)
        except PathError:
            if not literal_ok or len(items) > 1:
                raise
            self.constant = items[0]

    def parse(self, doc: Any, all_values: bool = False) -> Any:
        """The first non-null value (or None); with ``all_values`` every value, nulls kept (a
        plugin's None results are dropped)."""
        if not self.paths:
            return [self.constant] if all_values else self.constant
        if self.plugin is None:
            if all_values:
                return [v for p in self.paths for v in p.all(doc)]
            for path in self.paths:
                if path.is_plain:  # the common case: one key walk, no match objects
                    value = path.first(doc)
                else:
                    value = next((v for v in path.all(doc) if v is not None), None)
                if value is not None:
                    return value
            return None
        matches = [m for p in self.paths for m in p.matches(doc)]
        if not all_values:
            matches = [m for m in matches if m[1] is not None]
        values = [v for v in self.plugin.values(matches) if v is not None]
        if all_values:
            return values
        return values[0] if values else None
