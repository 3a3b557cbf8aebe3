"""POSIX bracket classes and ``\\p{...}`` properties as Python character-class ranges.

Ruby's Onigmo makes ``[[:alpha:]]`` and ``\\p{Alpha}`` Unicode-aware while ``\\w``/``\\d``/``\\s``
stay ASCII; Python has no such classes, so each one is computed once from ``unicodedata`` (the
Onigmo definitions by general category) and cached as ``\\uXXXX`` ranges that fit in ``[...]``.
Scripts and binary properties other than these are not translated (the caller refuses them).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from functools import lru_cache

_ASCII_PUNCT_SYMBOLS = frozenset("$+<=>^`|~")
"""ASCII symbols Onigmo counts as ``[[:punct:]]`` although their category is S*."""


def _cat(c: str) -> str:
    return unicodedata.category(c)


def _graph(c: str) -> bool:
    return not c.isspace() and _cat(c) not in ("Cc", "Cn", "Cs")


_POSIX: dict[str, Callable[[str], bool]] = {
    "alpha": lambda c: c.isalpha() or _cat(c) == "Nl",
    "digit": lambda c: _cat(c) == "Nd",
    "alnum": lambda c: c.isalpha() or _cat(c) in ("Nd", "Nl"),
    "upper": lambda c: _cat(c) == "Lu",
    "lower": lambda c: _cat(c) == "Ll",
    "space": lambda c: c.isspace(),
    "blank": lambda c: c == "\t" or _cat(c) == "Zs",
    "cntrl": lambda c: _cat(c) in ("Cc", "Cf", "Cn", "Co", "Cs"),
    "graph": _graph,
    "print": lambda c: _graph(c) or _cat(c) == "Zs",
    "punct": lambda c: _cat(c).startswith("P") or c in _ASCII_PUNCT_SYMBOLS,
    "xdigit": lambda c: c in "0123456789abcdefABCDEF",
    "word": lambda c: _cat(c)[0] in "LM" or _cat(c) in ("Nd", "Pc"),
    "ascii": lambda c: ord(c) < 128,
    "any": lambda c: True,
}
POSIX_NAMES = frozenset(_POSIX) - {"any"}

_CATEGORIES = frozenset(
    {"L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No"}
    | {"P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So"}
    | {"Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn"}
)


def _esc(cp: int) -> str:
    return f"\\U{cp:08x}" if cp > 0xFFFF else f"\\u{cp:04x}"


@lru_cache(maxsize=64)
def _ranges(key: str, negate: bool) -> str:
    pred = _predicate(key)
    out: list[str] = []
    start = -1
    for cp in range(sys.maxunicode + 2):
        hit = cp <= sys.maxunicode and pred(chr(cp)) != negate
        if hit and start < 0:
            start = cp
        elif not hit and start >= 0:
            out.append(_esc(start) if cp - 1 == start else f"{_esc(start)}-{_esc(cp - 1)}")
            start = -1
    return "".join(out)


def _predicate(key: str) -> Callable[[str], bool]:
    if key in _POSIX:
        return _POSIX[key]
    if len(key) == 1:
        return lambda c: _cat(c)[0] == key
    return lambda c: _cat(c) == key


def posix_class(name: str, negate: bool = False) -> str | None:
    """Ranges for ``[:name:]`` (``None`` when Onigmo has no such class)."""
    if name not in POSIX_NAMES:
        return None
    return _ranges(name, negate)


def property_class(name: str, negate: bool = False) -> str | None:
    """Ranges for ``\\p{name}``: a POSIX name or a general category, spelled loosely as Onigmo
    allows (case, spaces, ``_`` and ``-`` ignored); ``None`` for anything else (scripts...)."""
    loose = "".join(ch for ch in name if ch not in " _-").lower()
    if loose in _POSIX:
        return _ranges(loose, negate)
    for cat in _CATEGORIES:
        if cat.lower() == loose:
            return _ranges(cat, negate)
    return None
