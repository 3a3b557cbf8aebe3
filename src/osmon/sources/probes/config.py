"""Options of the ``probes`` source (the scheduler's bounds and the hand-off to the router)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ProbesOptions"]


class ProbesOptions(BaseModel):
    """``sources: {probes: {type: probes}}``; every key below is optional."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(
        256, ge=1, description="Probes running at once, at most; beyond, runs wait for a slot."
    )
    queue_results: int = Field(
        10_000,
        ge=1,
        description="Results waiting for the router; beyond, the oldest are dropped (counted): "
        "the latest state already has them.",
    )
    batch_results: int = Field(500, ge=1, description="Results per batch handed to the router.")
    flush_interval: float = Field(
        5.0, gt=0, description="Seconds between writes of the latest state to disk."
    )
    partition_retry: float = Field(
        10.0,
        gt=0,
        description="Seconds between attempts to start the coordination partition when it "
        "failed to; meanwhile this daemon probes every target.",
    )
