"""Step two of compiling: Oniguruma (Ruby) regex text to Python ``re`` text.

Differences handled: named groups get Python-legal names (``g1``, ``g2`` ...) and their
semantics are returned beside the regex; plain ``(...)`` groups become non-capturing (Ruby does
not capture them once named groups exist); Ruby ``m`` (dot matches newline) is Python ``s``; an
isolated option ``(?m)`` applies to the rest of its group, so it becomes a scoped ``(?s:...)``
(Python only accepts global flags at the very start); ``\\h``, ``\\z``, ``\\Z``, ``\\x{...}``,
``\\k<name>``, ``\\p{...}``, bracket classes (``charclass``) and conditionals on a named group
are rewritten. Stacked quantifiers (``.?*``, ``a{2}+``) apply to the quantified atom as in Ruby,
so they are wrapped (``(?:.?)*``); Ruby's ``*+``, ``++``, ``?+`` are possessive as in Python 3.11.
Constructs with no Python equivalent (``\\g<name>`` calls, absent operator ``(?~...)``, scripts
in ``\\p{...}``, numbered conditionals) are refused with an error naming the construct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from osmon.grok.charclass import HEX, ClassParser, property_escape
from osmon.grok.errors import GrokSyntaxError
from osmon.grok.expand import MARK, Capture

_FLAGS = re.compile(r"\(\?([imx]*)(?:-([imx]*))?([:)])")
_INTERVAL = re.compile(r"\{(?:\d+(?:,\d*)?|,\d+)\}")
_RUBY_TO_PY = str.maketrans({"m": "s", "i": "i", "x": "x"})
_UNSUPPORTED_ESCAPES = {
    "g": "subexpression calls (\\g<name>)",
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
        self.classes = ClassParser(text, self.fail, self._hex_escape)
        self.atom: int | None = None
        """Index in ``out`` where the last quantifiable atom starts (None: nothing to repeat)."""
        self.quant = 0
        """What follows that atom: 0 nothing, 1 ``*+?``, 2 an interval, 3 a lazy/possessive mark."""

    def fail(self, why: str) -> GrokSyntaxError:
        return GrokSyntaxError(f"{why} in {self.text!r}")

    def run(self) -> Translated:
        text = self.text
        n = len(text)
        out = self.out
        closers: list[int] = [0]
        starts: list[int] = []
        i = 0
        while i < n:
            c = text[i]
            if c in "*+?" or (c == "{" and _INTERVAL.match(text, i)):
                i = self._quantifier(i)
                continue
            here = len(out)
            if c == "\\":
                i = self._escape(i)
            elif c == "[":
                cls, i = self.classes.parse(i)
                out.append(cls)
            elif c == "(":
                starts.append(here)
                i = self._open(i, closers)
                self.atom = None
                continue
            elif c == ")":
                if len(closers) == 1:
                    raise self.fail(f"unbalanced ')' at offset {i}")
                out.append(")" * (closers.pop() + 1))
                here = starts.pop()
                i += 1
            elif c == "|":
                out.append(c)
                self.atom = None
                i += 1
                continue
            else:
                out.append(c)
                i += 1
            self.atom, self.quant = here, 0
        if len(closers) != 1:
            raise self.fail("missing ')'")
        out.append(")" * closers[0])
        return Translated("".join(out), tuple(self.groups))

    def _quantifier(self, i: int) -> int:
        text = self.text
        m = _INTERVAL.match(text, i) if text[i] == "{" else None
        q = m.group() if m else text[i]
        end = m.end() if m else i + 1
        out = self.out
        modifier = (self.quant == 1 and q in "?+") or (
            self.quant == 2 and q == "?" and "," in out[-1]
        )
        if self.atom is not None and self.quant and not modifier:
            out[self.atom :] = ["(?:", *out[self.atom :], ")"]
        out.append(q)
        self.quant = 3 if modifier else 2 if m else 1
        return end

    def _hex_escape(self, text: str, i: int) -> tuple[str, int]:
        close = text.find("}", i + 3)
        code = text[i + 3 : close] if close > 0 else ""
        if not code or any(ch not in "0123456789abcdefABCDEF" for ch in code):
            raise self.fail("malformed \\x{...}")
        cp = int(code, 16)
        return (f"\\U{cp:08x}" if cp > 0xFFFF else f"\\u{cp:04x}"), close + 1

    def _escape(self, i: int) -> int:
        text = self.text
        if i + 1 >= len(text):
            raise self.fail("trailing backslash")
        e = text[i + 1]
        out = self.out
        if e == "h":
            out.append(f"[{HEX}]")
        elif e == "H":
            out.append(f"[^{HEX}]")
        elif e == "z":
            out.append(r"\Z")
        elif e == "Z":
            out.append(r"(?=\n?\Z)")
        elif e in "pP":
            ranges, negate, end = property_escape(text, i, self.fail)
            out.append(f"[{'^' if negate else ''}{ranges}]")
            return end
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
            hexed, end = self._hex_escape(text, i)
            out.append(hexed)
            return end
        elif e in _UNSUPPORTED_ESCAPES:
            raise self.fail(f"{_UNSUPPORTED_ESCAPES[e]} has no Python re equivalent")
        else:
            out.append(text[i : i + 2])
        return i + 2

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
        if nxt == "(":
            return self._conditional(i, closers)
        if nxt == "~":
            raise self.fail("the absent operator (?~...) has no Python re equivalent")
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

    def _conditional(self, i: int, closers: list[int]) -> int:
        """``(?(<name>)yes|no)`` / ``(?(name)...)`` on a named group; numbers are refused
        because Ruby's group numbers do not survive the translation."""
        text = self.text
        close = text.find(")", i + 3)
        if close < 0:
            raise self.fail("unterminated conditional (?(...)")
        cond = text[i + 3 : close]
        name = cond[1:-1] if cond[:1] in "<'" and len(cond) > 1 else cond
        if name not in self.by_name:
            raise self.fail(
                f"conditional (?({cond})...) must name an earlier named group"
                " (numbered conditionals have no equivalent after translation)"
            )
        self.out.append(f"(?(g{self.by_name[name]})")
        closers.append(0)
        return close + 1


def translate(text: str, captures: list[Capture]) -> Translated:
    """Translate expanded Oniguruma text; ``captures`` resolves the expander's markers."""
    return _Translator(text, captures).run()
