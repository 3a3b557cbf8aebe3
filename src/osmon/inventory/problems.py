"""What ``load`` reports: one ``Problem`` per mistake, each pointing at a file and line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["InventoryError", "Problem"]


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One mistake in an inventory; ``str()`` gives the editor-friendly ``FILE:LINE: message``."""

    file: str
    line: int
    message: str

    def __post_init__(self) -> None:
        """Keep each problem on one line whatever the input held (newlines, control chars)."""
        if not self.message.isprintable():
            printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in self.message)
            object.__setattr__(self, "message", printable)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class InventoryError(Exception):
    """The inventory cannot be used; ``problems`` lists every mistake found, in line order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(p) for p in self.problems))
