"""JSONPath expressions compiled once into getters.

Ceilometer's definitions use jsonpath-rw-ext syntax; jsonpath-ng's ``ext`` parser reads the same
syntax (filters, ``+`` concatenation, arithmetic, ``sub``/``split``). Its ``find`` builds a datum
object per step, which costs ~7 µs even for ``$.payload.memory_mb``; nearly every field in a meter
definition is such a plain chain of keys and list indices, so those are turned into a tuple of
steps walked with plain ``dict``/``list`` indexing (semantics checked against jsonpath-ng by a
property test). Anything else keeps the compiled jsonpath-ng expression.

Ceilometer's parser (jsonpath-rw) treats a value that is not a list as a one-item list under a
slice (``$.payload.measurements.[*].metric.[*].name`` reads Swift's ``metric`` mapping that
way); jsonpath-ng returns nothing there, so every slice of a parsed expression is replaced by one
that keeps jsonpath-rw's behaviour.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Final

from jsonpath_ng import jsonpath as jp
from jsonpath_ng.ext.parser import parse as _parse

_MISSING: Final = object()


class PathError(ValueError):
    """An expression that jsonpath-ng cannot parse."""


class PathEvalError(ValueError):
    """An extension (``sub``, arithmetic ...) met a value of the wrong type."""


def _plain_steps(node: Any) -> list[str | int] | None:
    """Steps of a ``$.a.b[0].c`` chain, or None when the expression is anything richer."""
    if isinstance(node, jp.Root):
        return []
    if isinstance(node, jp.Fields):
        fields = node.fields
        if len(fields) == 1 and fields[0] != "*":
            return [fields[0]]
        return None
    if isinstance(node, jp.Child):
        left = _plain_steps(node.left)
        right = _plain_steps(node.right)
        if left is None or right is None:
            return None
        return left + right
    if type(node) is jp.Index:
        indices = node.indices
        if len(indices) == 1 and isinstance(indices[0], int) and indices[0] >= 0:
            return [indices[0]]
    return None


class _LenientSlice(jp.Slice):
    """jsonpath-rw's slice: a mapping or a scalar is sliced as a one-item list."""

    def find(self, datum: Any) -> list[jp.DatumInContext]:
        datum = jp.DatumInContext.wrap(datum)
        if datum.value is not None and not isinstance(datum.value, (list, tuple)):
            whole = self.start is None and self.end is None and self.step is None
            return [datum] if whole or self.start in (0, None) else []
        return super().find(datum)


def _lenient(node: Any, seen: set[int] | None = None) -> Any:
    """``node`` with every ``Slice`` replaced by ``_LenientSlice`` (recursing into operands)."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return node
    seen.add(id(node))
    if type(node) is jp.Slice:
        return _LenientSlice(start=node.start, end=node.end, step=node.step)
    if hasattr(node, "__dict__"):
        for key, value in list(vars(node).items()):
            if isinstance(value, list):
                setattr(node, key, [_lenient(v, seen) for v in value])
            elif isinstance(value, jp.JSONPath) or hasattr(value, "find"):
                setattr(node, key, _lenient(value, seen))
    return node


class JsonPath:
    """A compiled expression: ``all(doc)`` gives every match, ``first(doc)`` the first or None."""

    __slots__ = ("_expr", "_steps", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            # jsonpath-ng reads ``[*]`` as a wildcard over a mapping's members; jsonpath-rw
            # reads it as a whole slice, which ``[0:]`` spells for jsonpath-ng.
            with warnings.catch_warnings():
                # Ceilometer's files use syntax jsonpath-ng deprecates (``|``, unquoted words)
                warnings.simplefilter("ignore", DeprecationWarning)
                expr = _parse(text.replace("[*]", "[0:]"))
        except Exception as exc:
            raise PathError(f"invalid JSONPath {text!r}: {exc}") from None
        expr = _lenient(expr)
        steps = _plain_steps(expr)
        self._steps: tuple[str | int, ...] | None = tuple(steps) if steps is not None else None
        self._expr = expr

    @property
    def is_plain(self) -> bool:
        return self._steps is not None

    def _walk(self, doc: Any, steps: Sequence[str | int]) -> Any:
        cur = doc
        for step in steps:
            if type(step) is str:
                if type(cur) is not dict:
                    return _MISSING
                cur = cur.get(step, _MISSING)
                if cur is _MISSING:
                    return _MISSING
            else:
                if type(cur) is not list or step >= len(cur):  # type: ignore[operator]
                    return _MISSING
                cur = cur[step]  # type: ignore[index]
        return cur

    def all(self, doc: Any) -> list[Any]:
        if self._steps is not None:
            value = self._walk(doc, self._steps)
            return [] if value is _MISSING else [value]
        return [d.value for d in self._find(doc)]

    def _find(self, doc: Any) -> list[Any]:
        try:
            return list(self._expr.find(doc))
        except (
            TypeError,
            ValueError,
            AttributeError,
            KeyError,
            IndexError,
            ArithmeticError,
        ) as exc:
            raise PathEvalError(f"{self.text}: {type(exc).__name__}: {exc}") from None

    def matches(self, doc: Any) -> list[tuple[str, Any]]:
        """(path, value) of every match: what Ceilometer's field plugins receive."""
        if self._steps is not None:
            value = self._walk(doc, self._steps)
            return [] if value is _MISSING else [(".".join(map(str, self._steps)), value)]
        return [(str(d.full_path), d.value) for d in self._find(doc)]

    def first(self, doc: Any) -> Any:
        if self._steps is not None:
            value = self._walk(doc, self._steps)
            return None if value is _MISSING else value
        found = self._find(doc)
        return found[0].value if found else None


def compile_path(text: str) -> JsonPath:
    return JsonPath(text)
