"""Nagios object definitions as text: one ``define`` block per object, byte-stable.

Values never span lines and a ``;`` (which starts a comment in Nagios object files) is escaped,
so whatever the inventory holds cannot end a definition early or hide part of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["Definition", "render"]


@dataclass(frozen=True)
class Definition:
    """``define <kind> { ... }``, directives in the order given; None values are left out."""

    kind: str
    directives: Mapping[str, object] = field(default_factory=dict)
    comment: str | None = None


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, int | str):
        text = str(value)
    elif isinstance(value, Iterable):
        text = ",".join(str(item) for item in value)
    else:
        raise TypeError(f"not a Nagios directive value: {value!r}")
    if "\n" in text or "\r" in text:
        raise ValueError(f"a Nagios directive value cannot span lines: {text!r}")
    return text.replace(";", "\\;")


def _block(item: Definition) -> str:
    pairs = [(key, _text(value)) for key, value in item.directives.items() if value is not None]
    pairs = [(key, text) for key, text in pairs if text != ""]
    width = max((len(key) for key, _ in pairs), default=0)
    lines = [f"# {item.comment}"] if item.comment else []
    lines.append(f"define {item.kind} {{")
    lines += [f"    {key.ljust(width)}  {text}".rstrip() for key, text in pairs]
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(head: str, items: Iterable[Definition]) -> str:
    """A whole object file: the generated-by header, then the definitions, a blank line apart."""
    return head + "".join("\n" + _block(item) for item in items)
