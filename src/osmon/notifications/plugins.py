"""Ceilometer's field plugins (``split``, ``map``, ``bitfield``, ``timedelta``).

A plugin receives every (path, value) match of a field's JSONPaths and returns the values to use,
as Ceilometer's trait plugins do; meter definitions accept them on any field
(``{fields: [...], plugin: {name: ..., parameters: {...}}}``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from osmon.notifications.timestamps import BadTimestamp, to_epoch

Matches = Sequence[tuple[str, Any]]
Plugin = Callable[[Matches], list[Any]]


def _split(separator: str = ".", segment: int = 0, max_split: int | None = None) -> Plugin:
    def run(matches: Matches) -> list[Any]:
        out = []
        for _, value in matches:
            parts = str(value).split(separator, -1 if max_split is None else max_split)
            out.append(parts[segment] if -len(parts) <= segment < len(parts) else None)
        return out

    return run


def _map(
    values: Mapping[Any, Any] | None = None, default: Any = None, case_sensitive: bool = True
) -> Plugin:
    if not values or not isinstance(values, Mapping):
        raise ValueError("the map plugin needs a 'values' mapping")
    table = dict(values) if case_sensitive else {str(k).lower(): v for k, v in values.items()}

    def run(matches: Matches) -> list[Any]:
        out = []
        for _, value in matches:
            key = value if case_sensitive or not isinstance(value, str) else value.lower()
            out.append(table.get(key, default))
        return out

    return run


def _bitfield(
    initial_bitfield: int = 0, flags: Sequence[Mapping[str, Any]] | None = None
) -> Plugin:
    flags = list(flags or [])

    def run(matches: Matches) -> list[Any]:
        found = dict(matches)
        bits = initial_bitfield
        for flag in flags:
            path = str(flag["path"])
            if path in found and ("value" not in flag or found[path] == flag["value"]):
                bits |= 2 ** int(flag["bit"])
        return [bits]

    return run


def _timedelta() -> Plugin:
    def run(matches: Matches) -> list[Any]:
        if len(matches) != 2:
            return [None]
        try:
            return [abs(to_epoch(matches[1][1]) - to_epoch(matches[0][1]))]
        except BadTimestamp:
            return [None]

    return run


_PLUGINS: dict[str, Callable[..., Plugin]] = {
    "split": _split,
    "map": _map,
    "bitfield": _bitfield,
    "timedelta": _timedelta,
}


def make_plugin(spec: Any) -> Plugin:
    """The plugin a ``plugin:`` value names; ValueError for an unknown name or bad parameters."""
    params: Any
    if isinstance(spec, str):
        name, params = spec, {}
    elif isinstance(spec, Mapping) and "name" in spec:
        name, params = spec["name"], spec.get("parameters") or {}
    else:
        raise ValueError("plugin specified, but no plugin name supplied")
    factory = _PLUGINS.get(name)
    if factory is None:
        raise ValueError(f"no plugin named {name!r} (available: {', '.join(_PLUGINS)})")
    if not isinstance(params, Mapping):
        raise ValueError(f"plugin {name!r}: parameters must be a mapping")
    try:
        return factory(**params)
    except TypeError as exc:
        raise ValueError(f"plugin {name!r}: {exc}") from None
