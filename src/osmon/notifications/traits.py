"""Trait types as Ceilometer's event model has them: text, int, float, datetime.

Conversion follows Ceilometer's ``Trait.convert_value``: ``int()``/``float()`` on the value,
datetimes parsed as ISO 8601 (a missing zone is UTC) and kept as naive UTC, text cut at 255
characters; an empty string for a non-text trait means "no value". osmon stores a datetime as its
ISO 8601 text (UTC, no zone suffix, what Ceilometer's JSON gives) so events stay plain, msgpack-
and JSON-friendly values; the trait's type travels beside it in ``Event.trait_types``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeAlias

import iso8601

TraitType: TypeAlias = Literal["text", "int", "float", "datetime"]
TRAIT_TYPES: Final[tuple[TraitType, ...]] = ("text", "int", "float", "datetime")
MAX_TEXT: Final = 255


def parse_datetime(value: Any) -> datetime:
    """ISO 8601 text → naive UTC datetime; ValueError otherwise (as oslo's ``parse_isotime``)."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r:.64} is not a date string")
    try:
        parsed = iso8601.parse_date(value)
    except iso8601.ParseError as exc:
        raise ValueError(str(exc)) from None
    return parsed.astimezone(UTC).replace(tzinfo=None)


def convert(trait_type: TraitType, value: Any) -> Any:
    """The typed value, None for an empty non-text value; ValueError when it does not convert."""
    if trait_type != "text" and value == "":
        return None
    try:
        if trait_type == "int":
            return int(value)
        if trait_type == "float":
            return float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{value!r:.64} is not {trait_type}: {exc}") from None
    if trait_type == "datetime":
        return parse_datetime(value).isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")[:MAX_TEXT]
    return str(value)[:MAX_TEXT]
