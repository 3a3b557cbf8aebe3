"""Nagios threshold ranges (``[@]start:end``), as the Monitoring Plugins guidelines define them.

The Nagios plugins import this module on every run, so it imports nothing but the standard
library. Semantics: ``10`` alerts outside 0..10, ``10:`` below 10, ``~:10`` above 10, ``10:20``
outside 10..20 and ``@10:20`` inside 10..20 (inclusive).
"""

from __future__ import annotations

import math
import re

__all__ = ["NagiosRange", "NagiosRangeError", "parse"]

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class NagiosRangeError(ValueError):
    """The text is not a valid ``[@]start:end`` range."""


class NagiosRange:
    """A parsed range; ``alert(value)`` says whether ``value`` breaches it.

    A plain slotted class rather than a dataclass: every plugin run imports it, and
    ``dataclasses`` alone costs about as much as starting Python."""

    __slots__ = ("end", "inside", "start", "text")

    def __init__(self, start: float, end: float, inside: bool, text: str) -> None:
        self.start = start
        self.end = end
        self.inside = inside
        self.text = text

    def _key(self) -> tuple[float, float, bool, str]:
        return (self.start, self.end, self.inside, self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NagiosRange) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"NagiosRange({self.text!r})"

    def alert(self, value: float) -> bool:
        within = self.start <= value <= self.end
        return within if self.inside else not within

    def __str__(self) -> str:
        return self.text


def _number(text: str, whole: str) -> float:
    if not _NUMBER.fullmatch(text):
        raise NagiosRangeError(f"invalid Nagios range {whole!r}: {text!r} is not a number")
    return float(text)


def parse(text: str) -> NagiosRange:
    """Parse ``[@]start:end``; ``~`` as start means minus infinity, an empty end infinity."""
    if not isinstance(text, str):
        raise NagiosRangeError(f"invalid Nagios range {text!r}: expected a string")
    body = text.strip()
    inside = body.startswith("@")
    if inside:
        body = body[1:]
    if not body:
        raise NagiosRangeError(f"invalid Nagios range {text!r}: empty")
    if ":" in body:
        start_text, _, end_text = body.partition(":")
        if start_text == "~":
            start = -math.inf
        elif start_text == "":
            start = 0.0
        else:
            start = _number(start_text, text)
        end = math.inf if end_text == "" else _number(end_text, text)
    else:
        start, end = 0.0, _number(body, text)
    if start > end:
        raise NagiosRangeError(f"invalid Nagios range {text!r}: start {start:g} > end {end:g}")
    return NagiosRange(start=start, end=end, inside=inside, text=text.strip())
