"""A small writer for Logstash's pipeline configuration language.

Only what the generator needs: nested ``name { ... }`` blocks, ``if``/``else if``/``else``,
settings whose values are strings, numbers, booleans, arrays and hashes, and comments. Strings
are quoted the way Logstash reads them without ``config.support_escapes``: backslashes are kept
as written (so regexes need no doubling), and a value holding both quote characters is refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

Value: TypeAlias = "str | int | bool | Sequence[str] | Mapping[str, str | Sequence[str]]"

_INDENT = "  "
_INLINE_MAX = 90


def quote(text: str) -> str:
    """A Logstash string literal for ``text`` (double quotes unless it holds one)."""
    if text.endswith("\\"):
        raise ValueError(f"a Logstash string cannot end with a backslash: {text!r}")
    for q in ('"', "'"):
        if q not in text:
            return f"{q}{text}{q}"
    raise ValueError(f"a Logstash string cannot hold both quote characters: {text!r}")


class ConfWriter:
    """Accumulates indented lines; ``text()`` returns them with a final newline."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._depth = 0

    def line(self, text: str = "") -> None:
        self._lines.append(f"{_INDENT * self._depth}{text}" if text else "")

    def comment(self, *lines: str) -> None:
        for text in lines:
            self.line(f"# {text}".rstrip())

    def open(self, head: str) -> None:
        self.line(f"{head} {{")
        self._depth += 1

    def close(self) -> None:
        if self._depth == 0:
            raise ValueError("close() without open()")
        self._depth -= 1
        self.line("}")

    def else_if(self, condition: str) -> None:
        self._reopen(f"}} else if {condition} {{")

    def otherwise(self) -> None:
        self._reopen("} else {")

    def _reopen(self, text: str) -> None:
        self._depth -= 1
        self.line(text)
        self._depth += 1

    def setting(self, key: str, value: Value) -> None:
        if isinstance(value, bool):
            self.line(f"{key} => {'true' if value else 'false'}")
        elif isinstance(value, int):
            self.line(f"{key} => {value}")
        elif isinstance(value, str):
            self.line(f"{key} => {quote(value)}")
        elif isinstance(value, Mapping):
            self.open(f"{key} =>")
            for k, v in value.items():
                self.setting(quote(k), v)
            self.close()
        else:
            self._array(key, list(value))

    def _array(self, key: str, items: list[str]) -> None:
        inline = f"{key} => [{', '.join(quote(i) for i in items)}]"
        if len(inline) + len(_INDENT) * self._depth <= _INLINE_MAX or len(items) < 2:
            self.line(inline)
            return
        self.line(f"{key} => [")
        self._depth += 1
        for n, item in enumerate(items):
            self.line(quote(item) + ("," if n < len(items) - 1 else ""))
        self._depth -= 1
        self.line("]")

    def plugin(self, name: str, settings: Iterable[tuple[str, Value]]) -> None:
        """``name { key => value ... }``."""
        self.open(name)
        for key, value in settings:
            self.setting(key, value)
        self.close()

    def text(self) -> str:
        if self._depth:
            raise ValueError(f"{self._depth} block(s) left open")
        return "\n".join(self._lines) + "\n"


_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-") or "x"


def plugin_id(kind: str, source_id: str, label: str) -> str:
    """A readable, unique Logstash plugin id (label plus a digest of the source id)."""
    digest = hashlib.sha256(source_id.encode()).hexdigest()[:8]
    return f"osmon-{kind}-{_slug(label)}-{digest}"
