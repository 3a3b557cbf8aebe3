"""A compiled grok pattern: the Python regex, what each group means, and a document filler."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from osmon.grok.fields import Filler, Path, field_path, make_filler


@dataclass(frozen=True, slots=True)
class GrokField:
    group: int
    """Python group number (the group is named ``g<group>``)."""
    semantic: str
    path: Path
    conversion: str | None


class CompiledGrok:
    """Match text against a grok pattern and get a nested document.

    ``match`` anchors at the start of the text (the parser's fast path); ``search`` scans like
    Logstash's grok filter does. Both return ``None`` when the pattern does not match. Fields
    under ``[@metadata]`` are returned by ``fill`` separately and dropped by ``match``/``search``
    unless ``metadata=True``.
    """

    __slots__ = ("_fill", "_fill_new", "fields", "filler", "filler_new", "pattern", "regex")

    def __init__(self, pattern: str, regex: re.Pattern[str], fields: tuple[GrokField, ...]) -> None:
        self.pattern = pattern
        self.regex = regex
        self.fields = fields
        spec = [(f.group - 1, f.path, f.conversion) for f in fields]
        self._fill: Filler = make_filler(spec, groups=regex.groups)
        self._fill_new: Filler = make_filler(spec, merge=False, groups=regex.groups)
        self.filler = self._fill
        """``fill`` taking ``m.groups()``: one call less in a parser's hot loop."""
        self.filler_new = self._fill_new
        """``fill_new`` taking ``m.groups()``."""

    def __repr__(self) -> str:
        return f"CompiledGrok({self.pattern!r})"

    def fill(self, m: re.Match[str], doc: dict[str, Any]) -> dict[str, Any]:
        """Put the captures of ``m`` into ``doc``; return the ``@metadata`` captures."""
        return self._fill(m.groups(), doc)

    def fill_new(self, m: re.Match[str], doc: dict[str, Any]) -> dict[str, Any]:
        """``fill`` for a ``doc`` that holds none of the pattern's objects yet."""
        return self._fill_new(m.groups(), doc)

    def _result(self, m: re.Match[str] | None, metadata: bool) -> dict[str, Any] | None:
        if m is None:
            return None
        doc: dict[str, Any] = {}
        meta = self._fill_new(m.groups(), doc)
        if metadata and meta:
            doc["@metadata"] = meta
        return doc

    def match(self, text: str, *, metadata: bool = False) -> dict[str, Any] | None:
        return self._result(self.regex.match(text), metadata)

    def search(self, text: str, *, metadata: bool = False) -> dict[str, Any] | None:
        return self._result(self.regex.search(text), metadata)

    def groups_for(self, semantic: str) -> tuple[int, ...]:
        """Python group numbers capturing ``semantic`` (several when alternatives share it)."""
        path = field_path(semantic)
        return tuple(f.group for f in self.fields if f.path == path)
