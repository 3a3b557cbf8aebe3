"""Append-only JSON Lines files: the one writer behind dead letters, poison notifications and the
``jsonl`` sink.

Each append writes whole lines under a lock (one ``write`` call), optionally fsynced. A crash
mid-append can leave a partial last line; it is cut before the first append of this process,
so the next line is never glued to a fragment and every line of the file stays parseable.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


class JsonlFile:
    def __init__(
        self,
        path: Path,
        *,
        fsync: bool = False,
        default: Callable[[Any], Any] = str,
        ensure_ascii: bool = True,
    ) -> None:
        self.path = path
        self.fsync = fsync
        self._encode = json.JSONEncoder(default=default, ensure_ascii=ensure_ascii).encode
        self._lock = threading.Lock()
        self._repaired = False

    def append(self, objects: Iterable[Any]) -> int:
        """Append one line per object; returns how many were written."""
        lines = [self._encode(obj) for obj in objects]
        if not lines:
            return 0
        data = ("\n".join(lines) + "\n").encode("utf-8")
        with self._lock:
            if not self._repaired:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.cut_torn_tail()
                self._repaired = True
            with self.path.open("ab") as fh:
                fh.write(data)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
        return len(lines)

    def read(self) -> list[Any]:
        """Every line, decoded (for tests and operators' tools; the file may be large)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def cut_torn_tail(self) -> None:
        """Drop a last line that lacks its newline (the append a crash interrupted)."""
        if not self.path.exists():
            return
        with self.path.open("r+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            pos, keep = size, 0
            while pos > 0:
                step = min(65536, pos)
                fh.seek(pos - step)
                nl = fh.read(step).rfind(b"\n")
                if nl >= 0:
                    keep = pos - step + nl + 1
                    break
                pos -= step
            if keep != size:
                fh.truncate(keep)
                fh.flush()
                os.fsync(fh.fileno())
