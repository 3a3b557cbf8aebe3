"""Why a grok pattern could not be compiled; every message names the pattern at fault."""

from __future__ import annotations


class GrokError(ValueError):
    """A grok pattern, or a pattern file, cannot be compiled."""


class UndefinedPatternError(GrokError):
    """``%{NAME}`` refers to a pattern that no file or inline definition provides."""


class RecursivePatternError(GrokError):
    """A pattern refers back to itself; the message shows the chain."""


class GrokSyntaxError(GrokError):
    """The pattern text is not valid grok, or its regex has no Python ``re`` equivalent."""


class PatternFileError(GrokError):
    """A pattern file line is malformed; the message carries ``file:line``."""
