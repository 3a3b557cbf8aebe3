"""Options of a ``type: gnocchi`` sink, validated before anything connects."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from osmon.sinks.gnocchi.catalog import (
    ARCHIVE_POLICIES,
    DEFAULT_ARCHIVE_POLICY,
    DEFAULT_COUNTER_ARCHIVE_POLICY,
    RESOURCE_TYPES,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArchivePolicyDefinition(_Strict):
    granularity: str | float
    timespan: str | float | None = None
    points: int | None = Field(default=None, ge=1)


class ArchivePolicy(_Strict):
    name: str = Field(min_length=1)
    back_window: int = Field(default=0, ge=0)
    aggregation_methods: list[str] = Field(default_factory=lambda: ["mean", "min", "max", "last"])
    definition: list[ArchivePolicyDefinition] = Field(min_length=1)


class ArchivePolicyRule(_Strict):
    name: str = Field(min_length=1)
    metric_pattern: str = Field(min_length=1)
    archive_policy_name: str = Field(min_length=1)


class ResourceAttribute(_Strict):
    type: Literal["string", "uuid", "number", "bool", "datetime"]
    required: bool = False
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    min: float | None = None
    max: float | None = None
    options: dict[str, Any] | None = None


class GnocchiOptions(_Strict):
    """Options of a ``type: gnocchi`` sink."""

    auth: Literal["basic", "keystone"] = "basic"
    endpoint: AnyHttpUrl | None = None
    user: str = "admin"
    cloud: str | None = None
    clouds_file: Path | None = None
    region: str | None = None
    interface: str | None = None
    verify: bool = True
    ca_file: Path | None = None
    timeout: float = Field(default=30.0, gt=0)
    archive_policy: str | None = DEFAULT_ARCHIVE_POLICY
    counter_archive_policy: str | None = DEFAULT_COUNTER_ARCHIVE_POLICY
    archive_policies: list[ArchivePolicy] = Field(
        default_factory=lambda: [ArchivePolicy.model_validate(p) for p in ARCHIVE_POLICIES]
    )
    archive_policy_rules: list[ArchivePolicyRule] = Field(default_factory=list)
    resource_types: dict[str, dict[str, ResourceAttribute]] = Field(default_factory=dict)
    max_batch_measures: int = Field(default=10_000, ge=1)
    max_parallel_requests: int = Field(default=4, ge=1, le=64)
    max_retries: int = Field(default=2, ge=0, le=10)
    retry_delay: float | None = Field(default=None, gt=0)
    resource_cache_size: int = Field(default=100_000, ge=1)

    @model_validator(mode="after")
    def _auth_needs(self) -> GnocchiOptions:
        if self.auth == "basic" and self.endpoint is None:
            raise ValueError("auth: basic needs 'endpoint' (e.g. http://127.0.0.1:8041)")
        if self.auth == "keystone" and not self.cloud:
            raise ValueError("auth: keystone needs 'cloud' (a clouds.yaml entry)")
        return self

    def wanted_resource_types(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The catalogue, with the operator's types added or replacing same-named ones."""
        out = {name: dict(attrs) for name, attrs in RESOURCE_TYPES.items()}
        for name, attrs in self.resource_types.items():
            out[name] = {a: spec.model_dump(exclude_none=True) for a, spec in attrs.items()}
        return out
