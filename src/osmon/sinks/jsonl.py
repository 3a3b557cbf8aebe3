"""A JSON Lines file sink: an archive an operator can grep, and a backend-free sink for tests.

Each batch is appended and fsynced before ``write`` returns, so "accepted" means "on disk";
a torn last line left by a crash is cut at start (that batch was never acknowledged).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from osmon.components import Context
from osmon.jsonlines import JsonlFile
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
        self._file = JsonlFile(self.path, fsync=opts.fsync)
        self.written = 0

    async def start(self) -> None:
        await asyncio.to_thread(self._file.cut_torn_tail)

    async def write(self, records: Sequence[Record]) -> WriteResult:
        lines = [{"kind": r.kind.value, "record": r.to_wire()} for r in records]
        await asyncio.to_thread(self._file.append, lines)
        self.written += len(records)
        return WriteResult()

    async def close(self) -> None:
        return None

    def status(self) -> dict[str, Any]:
        return {"path": str(self.path), "written": self.written}


def build(name: str, options: Mapping[str, Any], ctx: Context) -> JsonlSink:
    return JsonlSink(name, JsonlOptions.model_validate(dict(options)), ctx.state_dir)
