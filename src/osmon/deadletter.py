"""Per-sink dead-letter files: records a backend refused for good, kept for an operator to read.

JSON Lines, one record per line with the reason, so ``jq`` is enough to inspect or re-inject them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from osmon.jsonlines import JsonlFile
from osmon.records import Record


class DeadLetters:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._files: dict[str, JsonlFile] = {}
        self.counts: dict[str, int] = {}

    def path(self, sink: str) -> Path:
        return self.directory / f"{sink}.jsonl"

    def _file(self, sink: str) -> JsonlFile:
        f = self._files.get(sink)
        if f is None:
            f = self._files.setdefault(sink, JsonlFile(self.path(sink)))
        return f

    def write(self, sink: str, items: Iterable[tuple[Record, str]]) -> int:
        now = time.time()
        n = self._file(sink).append(
            {
                "time": now,
                "sink": sink,
                "reason": reason,
                "kind": rec.kind.value,
                "record": rec.to_wire(),
            }
            for rec, reason in items
        )
        self.counts[sink] = self.counts.get(sink, 0) + n
        return n

    def read(self, sink: str) -> list[dict[str, Any]]:
        return self._file(sink).read()
