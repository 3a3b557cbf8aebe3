"""Step one of compiling: replace ``%{SYNTAX[:semantic[:type]][=definition]}`` references.

The result is still Oniguruma-flavoured regex text. A reference with a semantic becomes a named
group whose name is a private marker indexing ``captures``, so that semantics such as
``[log][level]`` survive until the translation step gives every group a Python-legal name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from osmon.grok.errors import GrokSyntaxError, RecursivePatternError, UndefinedPatternError

MARK = "\ue000"
"""Prefix of the group names that stand for a ``%{X:semantic}`` capture (a private-use char)."""

CONVERSIONS = frozenset({"int", "float"})
"""The types grok converts to; like Logstash, any other type after the field is ignored."""
_SUBNAME = frozenset("@[]_:.-")
"""Characters of a field reference besides ASCII letters and digits (Logstash's set); text
after it up to ``}`` (``%{INT:pid?}``, ``%{WORD note}``) is ignored, as Logstash does."""


@dataclass(frozen=True, slots=True)
class Capture:
    semantic: str
    conversion: str | None
    key: str = ""
    """The group name Logstash gives it (``SYNTAX:semantic[:type]``): captures are set in the
    order of these names' first appearance, then by position (this orders repeated fields)."""


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    semantic: str | None
    conversion: str | None
    definition: str | None
    end: int
    key: str = ""


def _name_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and (text[i].isascii() and (text[i].isalnum() or text[i] == "_")):
        i += 1
    return i


def _definition_end(text: str, i: int, pattern: str) -> int:
    """Index of the ``}`` that closes an inline definition starting at ``i``."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise GrokSyntaxError(f"unterminated %{{...=definition}} in {pattern!r}")


def parse_reference(text: str, start: int) -> Reference:
    """Parse the reference whose ``%{`` is at ``start``."""
    i = start + 2
    j = _name_end(text, i)
    name = text[i:j]
    if not name:
        raise GrokSyntaxError(f"missing pattern name after %{{ at offset {start} in {text!r}")
    semantic: str | None = None
    conversion: str | None = None
    definition: str | None = None
    key = name
    n = len(text)
    if j < n and text[j] == ":":
        k = j + 1
        while k < n and (text[k] in _SUBNAME or (text[k].isascii() and text[k].isalnum())):
            k += 1
        key = text[i:k]
        sem, _, rest = text[j + 1 : k].partition(":")
        conv = rest.split(":", 1)[0]
        conversion = conv if conv in CONVERSIONS else None
        if not sem:
            raise GrokSyntaxError(f"%{{{name}:}}: empty field name in {text!r}")
        semantic = sem
        j = k
    if j < n and text[j] == "=":
        k = _definition_end(text, j + 1, text)
        definition = text[j + 1 : k]
        j = k
    close = text.find("}", j)
    if close < 0:
        raise GrokSyntaxError(f"unterminated reference at offset {start} in {text!r}")
    j = close
    return Reference(name, semantic, conversion, definition, j + 1, key)


Lookup = Callable[[str], str | None]


class Expander:
    """Expands references recursively, detecting cycles and undefined names."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._inline: dict[str, str] = {}
        self.captures: list[Capture] = []

    def expand(self, pattern: str) -> str:
        return self._expand(pattern, ())

    def _body(self, name: str, stack: tuple[str, ...]) -> str:
        if name in stack:
            chain = " -> ".join((*stack[stack.index(name) :], name))
            raise RecursivePatternError(f"pattern %{{{name}}} refers to itself: {chain}")
        body = self._inline.get(name)
        if body is None:
            body = self._lookup(name)
        if body is None:
            where = f"in %{{{stack[-1]}}}" if stack else "in the pattern"
            raise UndefinedPatternError(f"pattern %{{{name}}} is not defined (referenced {where})")
        return self._expand(body, (*stack, name))

    def _expand(self, text: str, stack: tuple[str, ...]) -> str:
        out: list[str] = []
        i = 0
        n = len(text)
        plain = 0
        while i < n:
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == "%" and i + 1 < n and text[i + 1] == "{":
                out.append(text[plain:i])
                ref = parse_reference(text, i)
                if ref.definition is not None:
                    self._inline[ref.name] = ref.definition
                body = self._body(ref.name, stack)
                if ref.semantic is None:
                    out.append(f"(?:{body})")
                else:
                    self.captures.append(Capture(ref.semantic, ref.conversion, ref.key))
                    out.append(f"(?<{MARK}{len(self.captures) - 1}>{body})")
                i = plain = ref.end
                continue
            i += 1
        out.append(text[plain:])
        return "".join(out)
