"""Ceilometer's trait plugins: ``split``, ``bitfield``, ``timedelta``, ``map``, for the traits of
event definitions and, as in Ceilometer, for any field of a meter definition.

A plugin receives every non-null match of a trait's ``fields`` as ``(path, value)`` pairs, in
``fields`` order, and returns candidate values; the trait takes the first that is not None (none:
the trait is left out), as Ceilometer's ``trait_plugins`` do. Parameters are given as
``plugin: {name: ..., parameters: {...}}``; like Ceilometer, unknown parameters are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from osmon.notifications.traits import parse_datetime

log = logging.getLogger(__name__)

Match = tuple[str, Any]


class TraitPlugin(Protocol):
    def values(self, matches: Sequence[Match]) -> list[Any]: ...


class Split:
    """Of each match, segment ``segment`` of its text split on ``separator`` (at most
    ``max_split`` splits); None where there is no such segment."""

    def __init__(
        self, separator: str = ".", segment: int = 0, max_split: int | None = None, **_: Any
    ) -> None:
        self.separator = str(separator)
        self.segment = int(segment)
        self.max_split = None if max_split is None else int(max_split)

    def values(self, matches: Sequence[Match]) -> list[Any]:
        out: list[Any] = []
        for _, value in matches:
            text = str(value)
            parts = (
                text.split(self.separator)
                if self.max_split is None
                else text.split(self.separator, self.max_split)
            )
            out.append(parts[self.segment] if -len(parts) <= self.segment < len(parts) else None)
        return out


class Bitfield:
    """``initial_bitfield`` with bit ``bit`` set for each flag whose ``path`` matched (and, when
    the flag gives a ``value``, matched that value)."""

    def __init__(
        self,
        initial_bitfield: int = 0,
        flags: Sequence[Mapping[str, Any]] | None = None,
        **_: Any,
    ) -> None:
        self.initial = int(initial_bitfield)
        self.flags: list[tuple[str, int, bool, Any]] = []
        for flag in flags or []:
            if not isinstance(flag, Mapping) or "path" not in flag or "bit" not in flag:
                raise ValueError("each bitfield flag needs 'path' and 'bit'")
            self.flags.append(
                (str(flag["path"]), 1 << int(flag["bit"]), "value" in flag, flag.get("value"))
            )

    def values(self, matches: Sequence[Match]) -> list[Any]:
        found = dict(matches)
        bits = self.initial
        for path, bit, has_value, wanted in self.flags:
            if path in found and (not has_value or found[path] == wanted):
                bits |= bit
        return [bits]


class Timedelta:
    """Seconds between exactly two datetime matches (absolute value)."""

    def __init__(self, **_: Any) -> None:
        pass

    def values(self, matches: Sequence[Match]) -> list[Any]:
        if len(matches) != 2:
            log.warning("timedelta plugin: needs two timestamp fields, got %d", len(matches))
            return []
        (start_path, start), (end_path, end) = matches
        try:
            delta = parse_datetime(end) - parse_datetime(start)
        except ValueError as exc:
            log.warning(
                "timedelta plugin: %s and %s must both be datetimes: %s", start_path, end_path, exc
            )
            return []
        return [abs(delta.total_seconds())]


class Map:
    """Each match's value looked up in ``values`` (``default`` when absent, with a warning)."""

    def __init__(
        self,
        values: Mapping[Any, Any] | None = None,
        default: Any = None,
        case_sensitive: bool = True,
        **_: Any,
    ) -> None:
        if not values or not isinstance(values, Mapping):
            raise ValueError("the map plugin needs a non-empty 'values' mapping")
        self.case_sensitive = bool(case_sensitive)
        self.table = {self._fold(k): v for k, v in values.items()}
        self.default = default

    def _fold(self, key: Any) -> Any:
        return key if self.case_sensitive or not isinstance(key, str) else key.casefold()

    def values(self, matches: Sequence[Match]) -> list[Any]:
        out = []
        for path, value in matches:
            try:
                out.append(self.table[self._fold(value)])
            except (KeyError, TypeError):
                log.warning(
                    "map plugin: unknown value %r at %s, using %r", value, path, self.default
                )
                out.append(self.default)
        return out


PLUGINS: dict[str, type[Split] | type[Bitfield] | type[Timedelta] | type[Map]] = {
    "split": Split,
    "bitfield": Bitfield,
    "timedelta": Timedelta,
    "map": Map,
}


def make_plugin(spec: Any) -> TraitPlugin:
    """A plugin from its YAML form (a name, or ``{name, parameters}``); ValueError when unusable."""
    params: Any
    if isinstance(spec, str):
        name, params = spec, {}
    elif isinstance(spec, Mapping):
        if "name" not in spec:
            raise ValueError("plugin specified, but no plugin name supplied")
        name, params = spec["name"], spec.get("parameters") or {}
    else:
        raise ValueError("plugin must be a name or a mapping with 'name'")
    cls = PLUGINS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"no plugin named {name!r} (available: {', '.join(PLUGINS)})")
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise ValueError(f"plugin {name}: parameters must be a mapping of names")
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"plugin {name}: bad parameters: {exc}") from None
