"""The ``journald`` source: ``journalctl -o json --follow`` → LogRecord batches.

The journal cursor of the last entry of an acked batch is stored in the checkpoint registry, and
journalctl is started again ``--after-cursor`` it, after a nack as after a restart: at least once,
and the ids (host + cursor) make a repeat a no-op at the backend. Where there is no journalctl or
no journal (a container whose PID 1 is not systemd), the source says so in its status and waits,
checking again now and then, instead of failing the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from osmon.batch import Batch
from osmon.logs.checkpoint import CheckpointRegistry
from osmon.logs.journald import journal_record
from osmon.records import LogRecord
from osmon.sources.base import Submit

if TYPE_CHECKING:
    from osmon.components import Context

log = logging.getLogger(__name__)

STREAM_LIMIT = 16 << 20
_EOF = None


class JournaldOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: dict[str, str] = Field(
        default_factory=dict,
        description="Units to read (unit → service.name, '' derives it); empty: all units.",
    )
    journalctl: str = Field("journalctl", description="journalctl executable (name or path).")
    directory: Path | None = Field(
        None,
        description="Read the journal files in this directory (journalctl --directory), e.g. a "
        "container's or a private journald's; default: the machine's journal.",
    )
    read_from: Literal["end", "boot", "beginning"] = Field(
        "boot", description="Where to start when no cursor is stored yet."
    )
    batch_max_records: int = Field(1000, ge=1)
    batch_max_wait: float = Field(0.5, ge=0)
    retry_interval: float = Field(30.0, gt=0, description="Seconds between attempts to start.")
    host: str | None = Field(None, description="host.name of the records (default: hostname).")
    checkpoints: Path | None = Field(None, description="Registry (default: state_dir).")

    @field_validator("units", mode="before")
    @classmethod
    def _units(cls, v: Any) -> Any:
        if isinstance(v, list):
            return {str(u): "" for u in v}
        return v


class JournaldSource:
    def __init__(self, name: str, opts: JournaldOptions, registry_path: Path, host: str) -> None:
        self.name = name
        self.opts = opts
        self.registry_path = registry_path
        self.host = host
        self.state = "starting"
        self.reason: str | None = None
        self.last_error: str | None = None
        self.cursor: str | None = None
        self.entries = 0
        self.acked = 0
        self.invalid = 0
        self.starts = 0
        self._registry: CheckpointRegistry | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._stopping = False
        self._wake = asyncio.Event()

    def _journal(self) -> list[str]:
        """The journalctl arguments that choose which journal is read."""
        return [f"--directory={self.opts.directory}"] if self.opts.directory else []

    def argv(self, exe: str, cursor: str | None) -> list[str]:
        args = [exe, *self._journal(), "-o", "json", "--follow", "--all", "--no-pager"]
        if cursor:
            args += [f"--after-cursor={cursor}", "--no-tail"]
        elif self.opts.read_from == "end":
            args.append("--lines=0")
        elif self.opts.read_from == "boot":
            args += ["--boot", "--no-tail"]
        else:
            args.append("--no-tail")
        args += [f"--unit={u}" for u in self.opts.units]
        return args

    async def run(self, submit: Submit) -> None:
        self._stopping = False
        self._registry = await asyncio.to_thread(CheckpointRegistry, self.registry_path)
        try:
            while not self._stopping:
                exe = shutil.which(self.opts.journalctl)
                if exe is None:
                    self._unavailable(f"{self.opts.journalctl} not found on PATH")
                elif (problem := await self._preflight(exe)) is not None:
                    self._unavailable(problem)
                else:
                    await self._follow(exe, submit)
                    if self._stopping:
                        break
                await self._sleep(self.opts.retry_interval)
        finally:
            await self._kill()
            await asyncio.to_thread(self._registry.close)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        await self._kill()

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _unavailable(self, reason: str) -> None:
        if self.reason != reason:
            log.warning("%s: journald unavailable: %s", self.name, reason)
        self.state, self.reason = "unavailable", reason

    async def _preflight(self, exe: str) -> str | None:
        """Why no journal can be read here, or None (journalctl follows silently otherwise)."""
        try:
            proc = await asyncio.create_subprocess_exec(
                exe,
                *self._journal(),
                "--lines=0",
                "--no-pager",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        except (OSError, TimeoutError) as exc:
            return f"cannot run {exe}: {exc}"
        text = err.decode("utf-8", "replace").strip()
        if "No journal files were found" in text:
            if self.opts.directory:
                return f"no journal files were found in {self.opts.directory}"
            return "no journal files were found (systemd-journald is not running here)"
        if proc.returncode:
            return f"{exe} exited with {proc.returncode}: {text.splitlines()[0] if text else ''}"
        return None

    async def _follow(self, exe: str, submit: Submit) -> None:
        assert self._registry is not None
        cursor = await asyncio.to_thread(self._registry.cursor, self.name)
        self.cursor = cursor
        argv = self.argv(exe, cursor)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=STREAM_LIMIT,
            )
        except OSError as exc:
            self._unavailable(f"cannot run {exe}: {exc}")
            return
        self.starts += 1
        self.state, self.reason = "following", None
        queue: asyncio.Queue[tuple[LogRecord, str] | None] = asyncio.Queue(
            2 * self.opts.batch_max_records
        )
        reader = asyncio.create_task(self._read(self._proc, queue))
        try:
            while await self._batch(queue, submit):
                pass
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await self._kill()

    async def _read(
        self, proc: asyncio.subprocess.Process, queue: asyncio.Queue[tuple[LogRecord, str] | None]
    ) -> None:
        assert proc.stdout is not None
        units = self.opts.units
        while True:
            try:
                raw = await proc.stdout.readline()
            except ValueError:
                self.invalid += 1
                log.warning(
                    "%s: journal entry longer than %d bytes skipped", self.name, STREAM_LIMIT
                )
                continue
            if not raw:
                break
            try:
                obj = json.loads(raw)
            except ValueError:
                self.invalid += 1
                log.warning("%s: not a JSON journal entry: %.200r", self.name, raw)
                continue
            if not isinstance(obj, Mapping):
                self.invalid += 1
                continue
            await queue.put(journal_record(obj, self.host, units))
        await queue.put(_EOF)

    async def _batch(
        self, queue: asyncio.Queue[tuple[LogRecord, str] | None], submit: Submit
    ) -> bool:
        """Collect and submit one batch; False when journalctl ended or the batch was nacked."""
        item = await queue.get()
        ended = item is _EOF
        items: list[tuple[LogRecord, str]] = [] if item is None else [item]
        deadline = time.monotonic() + self.opts.batch_max_wait
        while not ended and len(items) < self.opts.batch_max_records:
            try:
                item = await asyncio.wait_for(queue.get(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                break
            if item is None:
                ended = True
            else:
                items.append(item)
        if ended:
            await self._ended()
        if not items:
            return not ended
        self.entries += len(items)
        outcome: list[bool] = []
        batch = Batch(
            self.name,
            [r for r, _ in items],
            on_ack=lambda: outcome.append(True),
            on_nack=lambda: outcome.append(False),
        )
        await submit(batch)
        if not (outcome and outcome[0]):
            self.reason = "batch not accepted; reading again from the stored cursor"
            return False
        assert self._registry is not None
        self.cursor = items[-1][1]
        await asyncio.to_thread(self._registry.set_cursor, self.name, self.cursor)
        self.acked += len(items)
        return not ended

    async def _ended(self) -> None:
        proc = self._proc
        if proc is None or self._stopping:
            return
        err = b""
        if proc.stderr is not None:
            with contextlib.suppress(Exception):
                err = await asyncio.wait_for(proc.stderr.read(), 5)
        rc = await proc.wait()
        text = err.decode("utf-8", "replace").strip()
        self.state = "error"
        last = text.splitlines()[-1] if text else ""
        self.reason = f"journalctl exited with {rc}" + (f": {last}" if last else "")
        self.last_error = self.reason
        log.warning("%s: %s", self.name, self.reason)

    async def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    def reload(self, ctx: Context) -> None:
        """SIGHUP: nothing to follow; the units come from this source's options, not the
        inventory, and the cursor keeps the position."""

    def status(self) -> dict[str, Any]:
        return {
            "type": "journald",
            "state": self.state,
            "reason": self.reason,
            "last_error": self.last_error,
            "units": sorted(self.opts.units),
            "cursor": self.cursor,
            "entries": self.entries,
            "acked": self.acked,
            "invalid": self.invalid,
            "starts": self.starts,
        }


def build(name: str, options: Mapping[str, Any], ctx: Context) -> JournaldSource:
    opts = JournaldOptions.model_validate(dict(options))
    host = opts.host or str(ctx.extra.get("hostname") or socket.gethostname())
    return JournaldSource(name, opts, opts.checkpoints or ctx.state_dir / "checkpoints.db", host)
