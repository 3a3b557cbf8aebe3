"""Options of the ``logs`` source (validated before the source is built)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from osmon.logs.tail import MAX_LINE_BYTES, ReadFrom


class FileOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="Glob of the files (``**`` allowed).")
    format: str = Field("oslo", description="Parser format of these files.")
    service: str = Field("", description="service.name of their records.")

    @field_validator("format")
    @classmethod
    def _known(cls, v: str) -> str:
        if not known_format(v):
            raise ValueError(f"unknown log format {v!r} (known: {', '.join(known_formats())})")
        return v


def known_formats() -> list[str]:
    from osmon.logs.formats import ALIASES, FORMATS

    return ["auto", *FORMATS, *ALIASES]


def known_format(name: str) -> bool:
    return name in known_formats()


class LogsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: list[FileOptions] | None = Field(
        None, description="Files to tail (default: the log files of the inventory's services)."
    )
    poll_interval: float = Field(0.25, gt=0, description="Seconds between polls of idle files.")
    scan_interval: float = Field(2.0, gt=0, description="Seconds between globs for new files.")
    batch_max_records: int = Field(1000, ge=1, description="Records per batch at most.")
    batch_max_wait: float = Field(0.5, ge=0, description="Seconds a record waits for a batch.")
    read_from: ReadFrom = Field(
        ReadFrom.BEGINNING, description="Start of files found at first start without checkpoint."
    )
    rotate_wait: float = Field(
        5.0,
        ge=0,
        description="Seconds a rotated or deleted file is kept open after its last write.",
    )
    flush_after: float = Field(
        5.0, gt=0, description="Seconds after which an idle multi-line entry is emitted."
    )
    partial_line_after: float = Field(
        30.0, gt=0, description="Seconds after which a line without its newline is emitted."
    )
    max_line_bytes: int = Field(MAX_LINE_BYTES, ge=64, description="Longer lines are cut.")
    host: str | None = Field(None, description="host.name of the records (default: hostname).")
    timezone: str | None = Field(None, description="Zone of naive timestamps (default: inventory).")
    checkpoints: Path | None = Field(
        None, description="Registry (default: state_dir/checkpoints.db)."
    )
    forget_after: float = Field(
        7 * 86400.0,
        gt=0,
        description="Seconds after which a checkpoint of an unseen file is dropped.",
    )
