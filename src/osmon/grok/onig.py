"""Step two of compiling: Oniguruma (Ruby) regex text to Python ``re`` text.

Differences handled: named groups get Python-legal names (``g1``, ``g2`` ...) and their
semantics are returned beside the regex; plain ``(...)`` groups become non-capturing (Ruby does
not capture them once named groups exist); Ruby ``m`` (dot matches newline) is Python ``s``; an
isolated option ``(?m)`` applies to the rest of its group, so it becomes a scoped ``(?s:...)``
(Python only accepts global flags at the very start); ``\\h``, ``\\z``, ``\\Z``, ``\\x{...}``,
``\\k<name>`` and POSIX bracket classes are rewritten. Constructs with no Python equivalent
(nested character classes, ``\\g<name>`` calls, ``\\p{...}``) are refused with a clear error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from osmon.grok.errors import GrokSyntaxError
from osmon.grok.expand import MARK, Capture

_POSIX = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r"\s",
    "blank": r" \t",
    "xdigit": "0-9A-Fa-f",
    "word": r"\w",
    "punct": r"!-/:-@\[-`{-~",
    "cntrl": r"\x00-\x1f\x7f",
    "print": r"\x20-\x7e",
    "graph": r"\x21-\x7e",
}
_FLAGS = re.compile(r"\(\?([imx]*)(?:-([imx]*))?([:)])")
_RUBY_TO_PY = str.maketrans({"m": "s", "i": "i", "x": "x"})
_UNSUPPORTED_ESCAPES = {
    "g": "subexpression calls (\\g<name>)",
    "p": "Unicode properties (\\p{...})",
    "P": "Unicode properties (\\P{...})",
    "K": "\\K",
    "G": "\\G",
    "R": "\\R",
    "X": "\\X",
}


@dataclass(frozen=True, slots=True)
class Translated:
    regex: str
    groups: tuple[Capture, ...]
    """``groups[k]`` is the semantic of Python group ``k + 1`` (named ``g{k+1}``)."""


class _Translator:
    def __init__(self, text: str, captures: list[Capture]) -> None:
        self.text = text
        self.captures = captures
        self.out: list[str] = []
        self.groups: list[Capture] = []
        self.by_name: dict[str, int] = {}

    def fail(self, why: str) -> GrokSyntaxError:
        return GrokSyntaxError(f"{why} in {self.text!r}")

    def run(self) -> Translated:
        text = self.text
        n = len(text)
        out = self.out
        closers: list[int] = [0]
        i = 0
        while i < n:
            c = text[i]
            if c == "\\":
                i = self._escape(i)
            elif c == "[":
                i = self._char_class(i)
            elif c == "(":
                i = self._open(i, closers)
            elif c == ")":
                if len(closers) == 1:
                    raise self.fail(f"unbalanced ')' at offset {i}")
                out.append(")" * (closers.pop() + 1))
                i += 1
            else:
                out.append(c)
                i += 1
        if len(closers) != 1:
            raise self.fail("missing ')'")
        out.append(")" * closers[0])
        return Translated("".join(out), tuple(self.groups))

    def _escape(self, i: int) -> int:
        text = self.text
        if i + 1 >= len(text):
            raise self.fail("trailing backslash")
        e = text[i + 1]
        out = self.out
        if e == "h":
            out.append("[0-9A-Fa-f]")
        elif e == "H":
            out.append("[^0-9A-Fa-f]")
        elif e == "z":
            out.append(r"\Z")
        elif e == "Z":
            out.append(r"(?=\n?\Z)")
        elif e == "k" and text.startswith("<", i + 2):
            close = text.find(">", i + 3)
            if close < 0:
                raise self.fail("unterminated \\k<name>")
            name = text[i + 3 : close]
            if name not in self.by_name:
                raise self.fail(f"backreference to unknown group {name!r}")
            out.append(f"(?P=g{self.by_name[name]})")
            return close + 1
        elif e == "x" and text.startswith("{", i + 2):
            close = text.find("}", i + 3)
            code = text[i + 3 : close] if close > 0 else ""
            if not code or any(ch not in "0123456789abcdefABCDEF" for ch in code):
                raise self.fail("malformed \\x{...}")
            out.append(f"\\U{int(code, 16):08x}" if len(code) > 4 else f"\\u{int(code, 16):04x}")
            return close + 1
        elif e in _UNSUPPORTED_ESCAPES:
            raise self.fail(f"{_UNSUPPORTED_ESCAPES[e]} has no Python re equivalent")
        else:
            out.append(text[i : i + 2])
        return i + 2

    def _char_class(self, i: int) -> int:
        text = self.text
        n = len(text)
        parts = ["["]
        i += 1
        if i < n and text[i] == "^":
            parts.append("^")
            i += 1
        if i < n and text[i] == "]":
            parts.append(r"\]")
            i += 1
        while i < n:
            c = text[i]
            if c == "]":
                parts.append("]")
                self.out.append("".join(parts))
                return i + 1
            if c == "\\":
                if i + 1 >= n:
                    break
                e = text[i + 1]
                if e == "h":
                    parts.append("0-9A-Fa-f")
                elif e in _UNSUPPORTED_ESCAPES:
                    raise self.fail(f"{_UNSUPPORTED_ESCAPES[e]} has no Python re equivalent")
                else:
                    parts.append(text[i : i + 2])
                i += 2
                continue
            if c == "[":
                if text.startswith("[:", i):
                    close = text.find(":]", i + 2)
                    name = text[i + 2 : close] if close > 0 else ""
                    negate = name.startswith("^")
                    body = _POSIX.get(name.lstrip("^"))
                    if body is None or negate:
                        raise self.fail(f"unsupported POSIX class [:{name}:]")
                    parts.append(body)
                    i = close + 2
                    continue
                raise self.fail("nested character classes have no Python re equivalent")
            if c in "&~|" and i + 1 < n and text[i + 1] == c:
                if c == "&":
                    raise self.fail("character class intersection (&&) is not supported")
                parts.append("\\" + c)
                i += 1
                continue
            parts.append(c)
            i += 1
        raise self.fail("unterminated character class")

    def _named(self, name: str) -> str:
        if name.startswith(MARK):
            cap = self.captures[int(name[1:])]
        else:
            if not name:
                raise self.fail("empty group name")
            cap = Capture(name, None)
        self.groups.append(cap)
        k = len(self.groups)
        self.by_name[cap.semantic] = k
        return f"(?P<g{k}>"

    def _open(self, i: int, closers: list[int]) -> int:
        text = self.text
        out = self.out
        if not text.startswith("(?", i):
            out.append("(?:")
            closers.append(0)
            return i + 1
        nxt = text[i + 2 : i + 3]
        if nxt == "<" and text[i + 3 : i + 4] not in ("=", "!"):
            close = text.find(">", i + 3)
            if close < 0:
                raise self.fail("unterminated group name")
            out.append(self._named(text[i + 3 : close]))
            closers.append(0)
            return close + 1
        if nxt == "'":
            close = text.find("'", i + 3)
            if close < 0:
                raise self.fail("unterminated group name")
            out.append(self._named(text[i + 3 : close]))
            closers.append(0)
            return close + 1
        if nxt == "#":
            close = text.find(")", i)
            if close < 0:
                raise self.fail("unterminated comment group")
            return close + 1
        if nxt in (":", "=", "!", ">"):
            out.append(text[i : i + 3])
            closers.append(0)
            return i + 3
        m = _FLAGS.match(text, i)
        if m is not None:
            on = m.group(1).translate(_RUBY_TO_PY)
            off = (m.group(2) or "").translate(_RUBY_TO_PY)
            if not on and not off:
                raise self.fail("empty option group (?)")
            out.append(f"(?{on}{'-' + off if off else ''}:")
            if m.group(3) == ")":
                closers[-1] += 1
            else:
                closers.append(0)
            return m.end()
        if text.startswith("(?<=", i) or text.startswith("(?<!", i):
            out.append(text[i : i + 4])
            closers.append(0)
            return i + 4
        raise self.fail(f"unsupported group construct {text[i : i + 4]!r}")


def translate(text: str, captures: list[Capture]) -> Translated:
    """Translate expanded Oniguruma text; ``captures`` resolves the expander's markers."""
    return _Translator(text, captures).run()
