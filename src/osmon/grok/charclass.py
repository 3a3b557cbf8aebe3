"""Oniguruma bracket classes to Python ``re``: nesting, intersection, POSIX classes, ``\\p{...}``.

Onigmo lets a class hold classes (``[a[:alpha:][^0-9]]`` is a union) and intersect them
(``[a-z&&[^aeiou]]``); Python's ``[...]`` does neither. A class whose parts are all plain ranges
(POSIX classes and properties included, computed as ranges) stays one ``[...]``; otherwise it
becomes the equivalent one-character expression: a union is an alternation, an intersection
lookaheads, a negated compound ``(?!...)[\\s\\S]``. Every literal that Python could read as
an operator (``[``, ``-``, ``&&``, ``||``, ``~~``) is escaped, so no FutureWarning either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from osmon.grok.unicode import posix_class, property_class

HEX = "0-9A-Fa-f"
_SPECIAL = frozenset("[]\\^-&~|")
_ANY = r"[\s\S]"

Fail = Callable[[str], Exception]


@dataclass(slots=True)
class _Class:
    negated: bool = False
    ranges: list[str] = field(default_factory=list)
    compound: list[str] = field(default_factory=list)
    """One-character expressions that cannot be folded into ``ranges``."""
    intersect: list[_Class] = field(default_factory=list)
    """The operands before each ``&&`` (this class is the last operand)."""


def _lit(c: str) -> str:
    return "\\" + c if c in _SPECIAL else c


def property_escape(text: str, i: int, fail: Fail) -> tuple[str, bool, int]:
    """Parse ``\\p{Name}``/``\\P{Name}``/``\\p{^Name}`` at ``i``: (ranges, negated, end)."""
    if not text.startswith("{", i + 2):
        raise fail(f"malformed {text[i : i + 3]!r} (expected \\p{{Name}})")
    close = text.find("}", i + 3)
    if close < 0:
        raise fail("unterminated \\p{...}")
    name = text[i + 3 : close]
    negate = text[i + 1] == "P"
    if name.startswith("^"):
        negate, name = not negate, name[1:]
    ranges = property_class(name, False)
    if ranges is None:
        raise fail(
            f"Unicode property \\p{{{name}}} has no Python re equivalent"
            " (general categories and POSIX names are translated; scripts are not)"
        )
    return ranges, negate, close + 1


class ClassParser:
    """Parses one bracket class starting at ``[``; ``parse`` returns (python text, end)."""

    def __init__(self, text: str, fail: Fail, escape: Callable[[str, int], tuple[str, int]]):
        self.text = text
        self.fail = fail
        self.escape = escape
        """Translates a non-class escape (``\\x{..}``...) to Python text: (text, end)."""

    def parse(self, i: int) -> tuple[str, int]:
        cls, end = self._class(i)
        return _emit(cls), end

    def _atom(self, i: int) -> tuple[str | None, int]:
        """A single literal character at ``i`` as Python class text, or None if not one."""
        text = self.text
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text):
                raise self.fail("trailing backslash")
            e = text[i + 1]
            if e in "wWdDsShHpP":
                return None, i
            if e == "x" and text.startswith("{", i + 2):
                return self.escape(text, i)
            return text[i : i + 2], i + 2
        if c == "[":
            return None, i
        return _lit(c), i + 1

    def _class(self, i: int) -> tuple[_Class, int]:
        text = self.text
        n = len(text)
        cls = _Class()
        i += 1
        if i < n and text[i] == "^":
            cls.negated = True
            i += 1
        first = True
        while i < n:
            c = text[i]
            if c == "]" and not first:
                return cls, i + 1
            first = False
            if text.startswith("&&", i):
                cls.intersect.append(_Class(False, cls.ranges, cls.compound))
                cls.ranges, cls.compound = [], []
                i += 2
                continue
            if text.startswith("[:", i) and text.find(":]", i + 2) > 0:
                close = text.find(":]", i + 2)
                name = text[i + 2 : close]
                neg = name.startswith("^")
                ranges = posix_class(name.lstrip("^"), neg)
                if ranges is None:
                    raise self.fail(f"unknown POSIX class [:{name}:]")
                cls.ranges.append(ranges)
                i = close + 2
                continue
            if c == "[":
                sub, i = self._class(i)
                if sub.negated or sub.compound or sub.intersect:
                    cls.compound.append(_emit(sub))
                else:
                    cls.ranges.extend(sub.ranges)
                continue
            if c == "\\" and i + 1 < n and text[i + 1] in "hHpP":
                e = text[i + 1]
                if e in "hH":
                    ranges, neg, i = HEX, e == "H", i + 2
                else:
                    ranges, neg, i = property_escape(text, i, self.fail)
                if neg:
                    cls.compound.append(f"[^{ranges}]")
                else:
                    cls.ranges.append(ranges)
                continue
            if c == "\\" and i + 1 < n and text[i + 1] in "wWdDsS":
                cls.ranges.append(text[i : i + 2])
                i += 2
                continue
            lo, j = self._atom(i)
            assert lo is not None
            if j + 1 < n and text[j] == "-" and text[j + 1] != "]":
                hi, k = self._atom(j + 1)
                if hi is None:
                    raise self.fail(f"bad character range at offset {i}")
                cls.ranges.append(f"{lo}-{hi}")
                i = k
                continue
            cls.ranges.append(lo)
            i = j
        raise self.fail("unterminated character class")


def _emit(cls: _Class) -> str:
    """Python text matching one character of ``cls``."""
    last = _Class(False, cls.ranges, cls.compound)
    if not cls.intersect and not cls.compound:
        body = "".join(cls.ranges)
        if not body:
            return _ANY if cls.negated else "(?!)"
        return f"[{'^' if cls.negated else ''}{body}]"
    parts = [f"[{''.join(last.ranges)}]"] if last.ranges else []
    parts += last.compound
    union = parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})" if parts else "(?!)"
    expr = "".join(f"(?={_emit(op)})" for op in cls.intersect) + union
    return f"(?!{expr}){_ANY}" if cls.negated else expr
