"""A JSON Lines file sink: an archive an operator can grep, and a backend-free sink for tests.

Each batch is appended and fsynced before ``write`` returns, so "accepted" means "on disk".
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from osmon.components import Context
from osmon.records import Kind, Record
from osmon.sinks.base import WriteResult


class JsonlOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: Path = Field(description="File to append to (relative: under the state directory).")
    fsync: bool = Field(True, description="fsync after every batch.")
    kinds: list[Kind] = Field(default_factory=lambda: list(Kind), description="Kinds accepted.")


class JsonlSink:
    def __init__(self, name: str, opts: JsonlOptions, state_dir: Path) -> None:
        self.name = name
        self.opts = opts
        self.kinds = frozenset(opts.kinds)
        self.path = opts.path if opts.path.is_absolute() else state_dir / opts.path
        self.written = 0

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self._drop_torn_tail)

    def _drop_torn_tail(self) -> None:
        """A crash mid-append leaves a partial last line; that batch was never acknowledged
        and will be written again, so cut the fragment rather than glue the next line to it."""
        if not self.path.exists():
            return
        with self.path.open("r+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return
            pos = size
            while pos > 0:
                step = min(65536, pos)
                fh.seek(pos - step)
                chunk = fh.read(step)
                nl = chunk.rfind(b"\n")
                if nl >= 0:
                    keep = pos - step + nl + 1
                    break
                pos -= step
            else:
                keep = 0
            if keep != size:
                fh.truncate(keep)
                fh.flush()
                os.fsync(fh.fileno())

    def _append(self, lines: str) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(lines)
            fh.flush()
            if self.opts.fsync:
                os.fsync(fh.fileno())

    async def write(self, records: Sequence[Record]) -> WriteResult:
        lines = "".join(
            json.dumps({"kind": r.kind.value, "record": r.to_wire()}, default=str) + "\n"
            for r in records
        )
        await asyncio.to_thread(self._append, lines)
        self.written += len(records)
        return WriteResult()

    async def close(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {"path": str(self.path), "written": self.written}


def build(name: str, options: Mapping[str, Any], ctx: Context) -> JsonlSink:
    return JsonlSink(name, JsonlOptions.model_validate(dict(options)), ctx.state_dir)
