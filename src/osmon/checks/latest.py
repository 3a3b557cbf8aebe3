"""Latest state per (check, target), beside the record stream.

Probes write here; Nagios plugins and passive-result submission read it. The file is one JSON
document replaced atomically, so a plugin reads it with the stdlib alone and never sees a torn
write. Only the stdlib is imported: the Nagios plugins import this module.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class CheckState:
    check: str
    target: str
    status: int
    output: str
    perfdata: str = ""
    timestamp: float = field(default_factory=time.time)

    @property
    def key(self) -> str:
        return f"{self.check}/{self.target}"


class LatestState:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._items: dict[str, CheckState] = {}
        if path is not None and path.exists():
            self._items = {s.key: s for s in read_states(path).values()}

    def put(self, state: CheckState) -> None:
        with self._lock:
            self._items[state.key] = state

    def get(self, check: str, target: str) -> CheckState | None:
        return self._items.get(f"{check}/{target}")

    def all(self) -> list[CheckState]:
        with self._lock:
            return sorted(self._items.values(), key=lambda s: s.key)

    def flush(self) -> None:
        """Write the whole state atomically (temp file + rename in the same directory)."""
        if self.path is None:
            return
        with self._lock:
            doc = {
                "version": 1,
                "written": time.time(),
                "states": [asdict(s) for s in self._items.values()],
            }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def read_states(path: Path) -> dict[str, CheckState]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for item in doc.get("states", []):
        s = CheckState(**item)
        out[s.key] = s
    return out
