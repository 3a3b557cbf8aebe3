"""Options of the Elasticsearch / OpenSearch sink.

Secrets are never in the configuration: it names environment variables (``api_key_env``,
``password_env``) and the values are read once, when the sink is built.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MiB = 1024 * 1024
_STREAM_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")


class ElasticsearchOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    hosts: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:9200"], min_length=1)
    flavor: Literal["elasticsearch", "opensearch", "auto"] = "auto"
    api_key_env: str | None = None
    username: str | None = None
    password_env: str | None = None
    ca_certs: Path | None = None
    verify_certs: bool = True
    namespace: str = Field("default", pattern=r"^[a-z0-9_]{1,100}$")
    max_chunk_bytes: int = Field(5 * MiB, ge=4096, le=100 * MiB)
    max_retries: int = Field(3, ge=0, le=20)
    initial_backoff: float = Field(0.5, ge=0)
    max_backoff: float = Field(30.0, ge=0)
    request_timeout: float = Field(30.0, gt=0)
    events_data_stream: str | None = None
    manage_templates: bool = True
    template_priority: int = Field(200, ge=0)

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        for h in hosts:
            parts = urlsplit(h)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"host {h!r} must be an http:// or https:// URL")
            if parts.username or parts.password:
                raise ValueError(
                    f"host {parts.hostname!r} carries credentials in its URL; use username + "
                    "password_env or api_key_env instead"
                )
        return hosts

    @field_validator("events_data_stream")
    @classmethod
    def _stream(cls, name: str | None) -> str | None:
        if name is not None and not _STREAM_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid data stream name (lowercase, [a-z0-9._-])")
        return name

    @model_validator(mode="after")
    def _auth(self) -> ElasticsearchOptions:
        if self.api_key_env and (self.username or self.password_env):
            raise ValueError("choose either api_key_env or username + password_env, not both")
        if bool(self.username) != bool(self.password_env):
            raise ValueError("username and password_env go together")
        return self

    @property
    def events_stream(self) -> str:
        return self.events_data_stream or f"events-openstack.notifications-{self.namespace}"


def secret(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        raise ValueError(f"environment variable {var} (named in the sink options) is not set")
    return value
