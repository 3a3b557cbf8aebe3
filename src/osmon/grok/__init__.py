"""Logstash grok, compiled to Python ``re``.

The same pattern files (``logstash/patterns/``) serve the built-in log parser and the Logstash
pipelines osmon generates, so a pattern fixed once is fixed for both.
"""

from __future__ import annotations

from osmon.grok.compiled import CompiledGrok, GrokField
from osmon.grok.errors import (
    GrokError,
    GrokSyntaxError,
    PatternFileError,
    RecursivePatternError,
    UndefinedPatternError,
)
from osmon.grok.library import (
    Definition,
    PatternLibrary,
    default_library,
    load_pattern_dir,
    parse_pattern_text,
    patterns_dir,
)

__all__ = [
    "CompiledGrok",
    "Definition",
    "GrokError",
    "GrokField",
    "GrokSyntaxError",
    "PatternFileError",
    "PatternLibrary",
    "RecursivePatternError",
    "UndefinedPatternError",
    "default_library",
    "load_pattern_dir",
    "parse_pattern_text",
    "patterns_dir",
]
