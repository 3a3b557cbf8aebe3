"""Pattern files and the library that compiles grok patterns against them (cached)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from osmon.grok.compiled import CompiledGrok, GrokField
from osmon.grok.errors import GrokError, GrokSyntaxError, PatternFileError
from osmon.grok.expand import Expander
from osmon.grok.fields import field_path
from osmon.grok.onig import translate
from osmon.packaged import read_text

PATTERN_FILES: Final = ("osmon-base", "osmon-httpd", "osmon-infra", "osmon-openstack")
"""The shipped pattern files (``osmon/data/patterns/``), in load order. Named rather than
listed from the folder so that a file missing from an installation is an error naming it."""

_NAME = re.compile(r"[A-Za-z0-9_]+")
_FLAGS = re.ASCII | re.MULTILINE | re.DOTALL
"""Ruby semantics: ``^``/``$`` match at line breaks, ``\\d``/``\\w``/``\\s`` are ASCII, and
``.`` matches a newline because Logstash's grok compiles with ``Regexp::MULTILINE`` (a
multiline event is one text)."""


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    regex: str
    source: str
    """Where it was defined (``file:line``), for error messages."""


def parse_pattern_text(text: str, source: str = "<patterns>") -> dict[str, Definition]:
    """Parse a pattern file: ``NAME regex`` per line, ``#`` comments, blank lines."""
    defs: dict[str, Definition] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _NAME.match(stripped)
        rest = stripped[m.end() :] if m else ""
        if m is None or not rest[:1].isspace() or not rest.strip():
            raise PatternFileError(f"{source}:{lineno}: expected 'NAME regex', got {line!r}")
        name = m.group()
        defs[name] = Definition(name, rest.lstrip(" \t"), f"{source}:{lineno}")
    return defs


def load_pattern_dir(path: Path) -> dict[str, Definition]:
    """Load every pattern file of a directory, in name order (later definitions win)."""
    if not path.is_dir():
        raise PatternFileError(f"{path}: not a patterns directory")
    defs: dict[str, Definition] = {}
    for f in sorted(path.iterdir()):
        if f.name.startswith(".") or f.name.endswith("~") or not f.is_file():
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PatternFileError(f"{f}: cannot read pattern file: {exc}") from exc
        defs.update(parse_pattern_text(text, str(f)))
    return defs


def packaged_definitions() -> dict[str, Definition]:
    """The definitions of the shipped pattern files (later files win, as in a directory)."""
    defs: dict[str, Definition] = {}
    for name in PATTERN_FILES:
        relative = f"patterns/{name}"
        defs.update(parse_pattern_text(read_text(relative), f"osmon/data/{relative}"))
    return defs


class PatternLibrary:
    """Named grok definitions plus a cache of compiled patterns (thread-safe)."""

    def __init__(self, definitions: Mapping[str, Definition | str]) -> None:
        self._defs = {
            k: v if isinstance(v, Definition) else Definition(k, v, "<inline>")
            for k, v in definitions.items()
        }
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], CompiledGrok] = {}
        self._lock = threading.Lock()

    def __contains__(self, name: object) -> bool:
        return name in self._defs

    def names(self) -> Iterable[str]:
        return self._defs.keys()

    def definition(self, name: str) -> Definition:
        return self._defs[name]

    def compile(self, pattern: str, definitions: Mapping[str, str] | None = None) -> CompiledGrok:
        """Compile ``pattern``; ``definitions`` add or override names for this pattern only."""
        key = (pattern, tuple(sorted((definitions or {}).items())))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        compiled = self._compile(pattern, dict(definitions or {}))
        with self._lock:
            return self._cache.setdefault(key, compiled)

    def _lookup(self, extra: Mapping[str, str], name: str) -> str | None:
        if name in extra:
            return extra[name]
        d = self._defs.get(name)
        return None if d is None else d.regex

    def _compile(self, pattern: str, extra: Mapping[str, str]) -> CompiledGrok:
        expander = Expander(lambda name: self._lookup(extra, name))
        text = expander.expand(pattern)
        tr = translate(text, expander.captures)
        first: dict[str, int] = {}
        for i, c in enumerate(tr.groups):
            first.setdefault(c.key or c.semantic, i)
        order = sorted(
            range(len(tr.groups)), key=lambda i: first[tr.groups[i].key or tr.groups[i].semantic]
        )
        fields = tuple(
            GrokField(
                i + 1,
                tr.groups[i].semantic,
                field_path(tr.groups[i].semantic),
                tr.groups[i].conversion,
            )
            for i in order
        )
        try:
            regex = re.compile(tr.regex, _FLAGS)
        except re.error as exc:
            raise GrokSyntaxError(f"{pattern!r} does not compile: {exc}") from exc
        except (OverflowError, RecursionError) as exc:
            raise GrokSyntaxError(f"{pattern!r} is too large to compile: {exc}") from exc
        return CompiledGrok(pattern, regex, fields)


@lru_cache(maxsize=1)
def default_library() -> PatternLibrary:
    """The library of the shipped pattern files (loaded once per process)."""
    return PatternLibrary(packaged_definitions())


__all__ = [
    "PATTERN_FILES",
    "Definition",
    "GrokError",
    "PatternLibrary",
    "default_library",
    "load_pattern_dir",
    "packaged_definitions",
    "parse_pattern_text",
]
