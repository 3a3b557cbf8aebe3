"""Options of the ``notifications`` source.

Transport URLs carry RabbitMQ credentials, so they can come from the environment
(``transport_url_env``: the variable's name is in the config, its value never is).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class NotificationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transport_urls: list[str] = Field(
        default_factory=list, description="oslo.messaging transport URLs (no password here)."
    )
    transport_url_env: str | None = Field(
        None, description="Environment variable holding one more transport URL (with password)."
    )
    topics: list[str] = Field(
        default_factory=lambda: ["notifications", "versioned_notifications"], min_length=1
    )
    exchanges: list[str] | None = Field(
        None, description="Control exchanges; default: those of the inventory's services."
    )
    pool: str = Field("osmon", min_length=1, description="Listener pool = queue name.")
    batch_size: int = Field(500, gt=0)
    batch_timeout: float = Field(1.0, gt=0)
    prefetch: int | None = Field(
        None, ge=0, description="AMQP prefetch; default executor_threads x batch_size."
    )
    executor_threads: int = Field(
        8, gt=0, description="Batches handled at once; the sinks merge those in flight."
    )
    max_attempts: int = Field(3, gt=0, description="Conversion attempts before dead-lettering.")
    requeue_delay: float = Field(1.0, ge=0, description="Pause before handing back a requeue.")
    dead_letter: Path | None = Field(None, description="Default: <state_dir>/deadletter/.")
    meter_definitions: list[Path] = Field(
        default_factory=list, description="meters.yaml files replacing the shipped ones."
    )
    event_definitions: list[Path] = Field(
        default_factory=list,
        description="event_definitions.yaml files (Ceilometer syntax) replacing the shipped ones.",
    )
    max_payload_bytes: int = Field(1024 * 1024, ge=0, description="0 disables the limit.")
    unknown_exchange: Literal["dead_letter", "accept"] = "dead_letter"
    raw_priorities: list[str] = Field(default_factory=lambda: ["error", "critical"])

    @field_validator("transport_urls", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _some_url(self) -> NotificationOptions:
        if self.transport_url_env is not None and not os.environ.get(self.transport_url_env):
            raise ValueError(f"environment variable {self.transport_url_env} is not set or empty")
        if not self.transport_urls and self.transport_url_env is None:
            raise ValueError("give transport_urls or transport_url_env")
        return self

    def urls(self) -> list[str]:
        """Every transport URL, the one from the environment last."""
        env = os.environ.get(self.transport_url_env, "") if self.transport_url_env else ""
        return [*self.transport_urls, *([env] if env else [])]
