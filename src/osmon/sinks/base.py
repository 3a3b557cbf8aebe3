"""The sink contract the router relies on.

A sink writes a whole batch per call (never one request per record) and says, per record, what
failed and whether trying again could help. Raising ``TransientError`` (or any ``OSError``)
means "nothing was written, try the whole batch later"; ``PermanentError`` means "this batch can
never be written" and sends it to the dead-letter file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from osmon.records import Kind, Record


class SinkError(Exception):
    """Base class of errors a sink raises for a whole batch."""


class TransientError(SinkError):
    """The backend is unreachable, overloaded or timed out: retry, then spool."""


class PermanentError(SinkError):
    """The backend refused the batch for a reason retrying cannot fix: dead-letter it."""


@dataclass(slots=True)
class WriteResult:
    """Outcome of one ``Sink.write``: indices into the batch that was given.

    Indices in neither list were accepted. ``transient`` ones are retried (then spooled),
    ``permanent`` ones go to the dead-letter file with their reason.
    """

    transient: list[int] = field(default_factory=list)
    permanent: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.transient and not self.permanent


@runtime_checkable
class Sink(Protocol):
    name: str
    kinds: frozenset[Kind]

    async def start(self) -> None:
        """Prepare the backend (templates, archive policies); may raise TransientError."""

    async def write(self, records: Sequence[Record]) -> WriteResult:
        """Deliver ``records``; all of them are of a kind in ``self.kinds``."""

    async def close(self) -> None:
        """Flush and release connections."""

    def status(self) -> dict[str, Any]:
        """Sink-specific facts for /status (endpoint, series count ...)."""
