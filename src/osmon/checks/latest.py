"""Latest state per probe target, beside the record stream.

The daemon's probes write here; ``/v1/probes``, the Nagios plugins and passive-result submission
read it. Writes go to memory; ``flush`` (every few seconds and at shutdown, by the daemon)
replaces one JSON document atomically (temp file, fsync, rename), so a reader never sees a torn
write and a restarted daemon starts from what it last flushed. A file that cannot be read (a
format from before probes, garbage) is reported and replaced, never fatal.
Only the standard library is imported: the Nagios plugins import this module.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osmon.checks.state import State

__all__ = ["FORMAT_VERSION", "CheckState", "LatestState", "read_states"]

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
"""Version of the file; files of another version are ignored (and replaced at the next flush)."""


@dataclass(frozen=True, slots=True)
class CheckState:
    """The last result of one probe target.

    ``metrics`` are JSON objects (``name``, ``series``, ``value``, ``unit``, ``labels``);
    ``perfdata`` is the same values as Nagios performance data, with the inventory's ranges;
    ``owner`` names the daemon that probed it (its coordination member id or host name).
    """

    target: str
    kind: str
    state: State
    summary: str
    checked_at: float = field(default_factory=time.time)
    duration: float = 0.0
    metrics: tuple[Mapping[str, Any], ...] = ()
    perfdata: str = ""
    owner: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "state": self.state.name,
            "summary": self.summary,
            "checked_at": self.checked_at,
            "duration_seconds": self.duration,
            "metrics": [dict(m) for m in self.metrics],
            "perfdata": self.perfdata,
            "owner": self.owner,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> CheckState:
        return cls(
            target=str(doc["target"]),
            kind=str(doc["kind"]),
            state=State[str(doc["state"])],
            summary=str(doc["summary"]),
            checked_at=float(doc["checked_at"]),
            duration=float(doc.get("duration_seconds", 0.0)),
            metrics=tuple(dict(m) for m in doc.get("metrics", ())),
            perfdata=str(doc.get("perfdata", "")),
            owner=str(doc.get("owner", "")),
        )


class LatestState:
    """The store: thread-safe (a flush may run in a worker thread while the loop writes)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._items: dict[str, CheckState] = {}
        self._dirty = False
        if path is not None and path.exists():
            try:
                self._items = read_states(path)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("%s: ignoring unreadable latest state: %s", path, exc)

    @property
    def dirty(self) -> bool:
        """True when something changed since the last flush."""
        return self._dirty

    def put(self, state: CheckState) -> None:
        with self._lock:
            self._items[state.target] = state
            self._dirty = True

    def get(self, target: str) -> CheckState | None:
        with self._lock:
            return self._items.get(target)

    def all(self) -> list[CheckState]:
        with self._lock:
            return sorted(self._items.values(), key=lambda s: s.target)

    def retain(self, targets: Iterable[str]) -> int:
        """Forget targets not in ``targets`` (gone from the inventory); how many were dropped."""
        keep = set(targets)
        with self._lock:
            gone = [t for t in self._items if t not in keep]
            for t in gone:
                del self._items[t]
            if gone:
                self._dirty = True
        return len(gone)

    def counts(self) -> dict[str, int]:
        """Targets per state name (every state present, zeros included)."""
        out = {s.name: 0 for s in State}
        with self._lock:
            for item in self._items.values():
                out[item.state.name] += 1
        return out

    def flush(self) -> None:
        """Write the whole state atomically (temp file + fsync + rename in the same directory)."""
        if self.path is None:
            return
        with self._lock:
            items = list(self._items.values())
            self._dirty = False
        doc = {
            "version": FORMAT_VERSION,
            "written": time.time(),
            "states": [s.to_json() for s in items],
        }
        try:
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
        except BaseException:
            self._dirty = True  # try again at the next flush
            raise


def read_states(path: Path) -> dict[str, CheckState]:
    """The states of a flushed file, by target; empty for a file of another format version."""
    doc: Any = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION:
        return {}
    return {s.target: s for s in (CheckState.from_json(item) for item in doc.get("states", []))}
