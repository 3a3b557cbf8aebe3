"""Per-sink dead-letter files: records a backend refused for good, kept for an operator to read.

JSON Lines, one record per line with the reason, so ``jq`` is enough to inspect or re-inject them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from osmon.records import Record


class DeadLetters:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def path(self, sink: str) -> Path:
        return self.directory / f"{sink}.jsonl"

    def write(self, sink: str, items: Iterable[tuple[Record, str]]) -> int:
        now = time.time()
        lines = [
            json.dumps(
                {
                    "time": now,
                    "sink": sink,
                    "reason": reason,
                    "kind": rec.kind.value,
                    "record": rec.to_wire(),
                },
                default=str,
            )
            for rec, reason in items
        ]
        if not lines:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path(sink).open("a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
            fh.flush()
        self.counts[sink] = self.counts.get(sink, 0) + len(lines)
        return len(lines)

    def read(self, sink: str) -> list[dict[str, Any]]:
        p = self.path(sink)
        if not p.exists():
            return []
        return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line]
