"""In-memory sinks with scripted failures, for router and daemon tests (no backend involved)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from osmon.records import Kind, Record
from osmon.sinks.base import PermanentError, TransientError, WriteResult


class ScriptedSink:
    """Each ``write`` pops the next outcome from ``script`` (default: accept everything).

    Outcomes: "ok", "down" (TransientError), "perm" (PermanentError), or a callable
    ``f(records) -> WriteResult`` for per-record results.
    """

    def __init__(self, name: str = "s", kinds: frozenset[Kind] = frozenset(Kind)) -> None:
        self.name = name
        self.kinds = kinds
        self.script: list[Any] = []
        self.down = False
        self.received: list[Record] = []
        self.calls = 0
        self.started = 0
        self.fail_start = False

    async def start(self) -> None:
        if self.fail_start:
            raise TransientError("backend unreachable")
        self.started += 1

    async def write(self, records: Sequence[Record]) -> WriteResult:
        self.calls += 1
        outcome = self.script.pop(0) if self.script else ("down" if self.down else "ok")
        if outcome == "down":
            raise TransientError("connection refused")
        if outcome == "perm":
            raise PermanentError("mapping error")
        if callable(outcome):
            res: WriteResult = outcome(records)
            bad = {i for i, _ in res.permanent} | set(res.transient)
            self.received.extend(r for i, r in enumerate(records) if i not in bad)
            return res
        self.received.extend(records)
        return WriteResult()

    async def close(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {"calls": self.calls}
