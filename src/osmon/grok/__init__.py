"""Logstash grok, compiled to Python ``re``.

The same pattern files serve the built-in log parser and the Logstash pipelines osmon generates,
so a pattern fixed once is fixed for both: they ship in the package (``osmon/data/patterns/``)
and ``logstash/patterns/`` in the repository is a copy that tests keep identical.
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
    PATTERN_FILES,
    Definition,
    PatternLibrary,
    default_library,
    load_pattern_dir,
    packaged_definitions,
    parse_pattern_text,
)

__all__ = [
    "PATTERN_FILES",
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
    "packaged_definitions",
    "parse_pattern_text",
]
