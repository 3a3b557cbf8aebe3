"""Elasticsearch / OpenSearch sink: logs and notification events into data streams via ``_bulk``.

* Logs go to ``logs-openstack.<service>-<namespace>``, events to one events data stream
  (``events-openstack.notifications-<namespace>`` by default); both get an index template with
  ECS mappings, installed once per sink (at ``start``, or at the first ``write`` if the backend
  was down at start).
* Every document is sent with ``create`` and a deterministic ``_id`` (the log record's id, the
  notification's message id), so a replay from the spool yields 409s, counted as duplicates and
  reported as success.
* Delivery, retries and per-item outcomes live in :mod:`osmon.sinks.es_bulk`; the choice of
  client (``elasticsearch`` for 8.x/9.x, ``opensearch-py`` for OpenSearch) in
  :mod:`osmon.sinks.es_client`.

Secrets are never in the configuration: it names environment variables (``api_key_env``,
``password_env``) and the values are read once, at build time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from osmon.components import Context
from osmon.records import Event, Kind, LogRecord, Record
from osmon.redact import redact_url
from osmon.sinks.base import PermanentError, TransientError, WriteResult
from osmon.sinks.es_bulk import Action, BulkReport, RetryPolicy, deliver
from osmon.sinks.es_client import Backend, BackendUnavailable, Settings, connect, describe_error
from osmon.sinks.es_templates import EVENTS_TEMPLATE, LOGS_TEMPLATE, events_template, logs_template

log = logging.getLogger(__name__)

MiB = 1024 * 1024
_ID_MAX_BYTES = 512
_NOT_NAME = re.compile(r"[^a-z0-9_]+")
_STREAM_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")
_LIFTED_TRAITS = {
    "project_id": ("openstack", "project_id"),
    "tenant_id": ("openstack", "project_id"),
    "user_id": ("openstack", "user_id"),
    "request_id": ("openstack", "request_id"),
    "global_request_id": ("openstack", "global_request_id"),
    "instance_id": ("openstack", "instance_id"),
    "host": ("host", "name"),
    "service": ("service", "name"),
}


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


def _secret(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        raise ValueError(f"environment variable {var} (named in the sink options) is not set")
    return value


def settings_from(opts: ElasticsearchOptions) -> Settings:
    return Settings(
        hosts=tuple(opts.hosts),
        api_key=_secret(opts.api_key_env) if opts.api_key_env else None,
        basic_auth=(opts.username, _secret(opts.password_env))
        if opts.username and opts.password_env
        else None,
        ca_certs=opts.ca_certs,
        verify_certs=opts.verify_certs,
        request_timeout=opts.request_timeout,
    )


def service_dataset(service: str) -> str:
    """``nova-api`` → ``nova_api``: data stream name parts allow no ``-`` and no upper case."""
    return _NOT_NAME.sub("_", service.lower()).strip("_")[:100] or "unknown"


def iso_timestamp(seconds: float) -> str:
    return (
        datetime.fromtimestamp(seconds, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def stable_id(raw: str, content: Any) -> str:
    """The given id when it fits ES's 512-byte limit; otherwise a digest (of the content if
    there is no id), so a replay still maps to the same document."""
    if raw and len(raw.encode()) <= _ID_MAX_BYTES:
        return raw
    basis = raw or json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(basis.encode()).hexdigest()


def _with_data_stream(doc: Mapping[str, Any], dstype: str, dataset: str, ns: str) -> dict[str, Any]:
    out = dict(doc)
    out["data_stream"] = {"type": dstype, "dataset": dataset, "namespace": ns}
    return out


def log_document(rec: LogRecord, namespace: str) -> tuple[str, str, dict[str, Any]]:
    """(data stream, _id, source) of one log record."""
    dataset = f"openstack.{service_dataset(rec.service)}"
    doc = _with_data_stream(rec.doc, "logs", dataset, namespace)
    return f"logs-{dataset}-{namespace}", stable_id(rec.doc_id, rec.doc), doc


def event_document(ev: Event, stream: str, namespace: str) -> tuple[str, str, dict[str, Any]]:
    """(data stream, _id, source) of one notification event.

    Traits go under ``openstack.notification.traits`` (a flattened field: trait sets differ per
    event type, so they must not fight over mappings); the usual correlation traits are also
    lifted to their ECS/``openstack.*`` homes so logs and events join on the same fields.
    """
    doc: dict[str, Any] = {
        "@timestamp": iso_timestamp(ev.timestamp),
        "event": {
            "kind": "event",
            "action": ev.event_type,
            "id": ev.message_id,
            "dataset": "openstack.notifications",
        },
        "openstack": {"notification": {"event_type": ev.event_type, "traits": dict(ev.traits)}},
    }
    for trait, (group, name) in _LIFTED_TRAITS.items():
        value = ev.traits.get(trait)
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            doc.setdefault(group, {}).setdefault(name, str(value))
    for key in ("publisher_id", "priority"):
        if isinstance(ev.raw.get(key), str):
            doc["openstack"]["notification"][key] = ev.raw[key]
    if ev.raw:
        doc["event"]["original"] = json.dumps(ev.raw, sort_keys=True, default=str)
    doc = _with_data_stream(doc, "events", "openstack.notifications", namespace)
    return stream, stable_id(ev.message_id, ev.to_wire()), doc


def encode_action(stream: str, doc_id: str, doc: Mapping[str, Any]) -> bytes:
    meta = json.dumps({"create": {"_index": stream, "_id": doc_id}}, ensure_ascii=False)
    source = json.dumps(
        doc, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False
    )
    return f"{meta}\n{source}\n".encode()


class ElasticsearchSink:
    kinds = frozenset({Kind.LOG, Kind.EVENT})

    def __init__(self, name: str, opts: ElasticsearchOptions, settings: Settings) -> None:
        self.name = name
        self.opts = opts
        self._settings = settings
        self._policy = RetryPolicy(opts.max_retries, opts.initial_backoff, opts.max_backoff)
        self._backend: Backend | None = None
        self._start_lock = asyncio.Lock()
        self.templates_installed = 0
        self.counts = {
            "created": 0,
            "duplicates": 0,
            "transient": 0,
            "permanent": 0,
            "requests": 0,
            "retries": 0,
            "splits": 0,
            "bytes": 0,
        }
        self.last_error = ""

    async def start(self) -> None:
        async with self._start_lock:
            if self._backend is not None:
                return
            backend = await connect(self._settings, self.opts.flavor)
            try:
                if self.opts.manage_templates:
                    await self._install_templates(backend)
            except BaseException:
                await backend.close()
                raise
            self._backend = backend

    async def _install_templates(self, backend: Backend) -> None:
        prio = self.opts.template_priority
        stream = self.opts.events_stream
        templates = {
            LOGS_TEMPLATE: logs_template(backend.flavor, backend.version, prio),
            f"{EVENTS_TEMPLATE}-{self.opts.namespace}"
            if stream == f"events-openstack.notifications-{self.opts.namespace}"
            else f"osmon-{stream}": events_template(
                backend.flavor, backend.version, prio + 1, stream
            ),
        }
        for name, body in templates.items():
            try:
                reply = await backend.request(
                    "PUT", f"/_index_template/{name}", json.dumps(body).encode()
                )
            except BackendUnavailable as exc:
                raise TransientError(f"installing index template {name}: {exc}") from None
            if reply.status == 200:
                self.templates_installed += 1
                continue
            reason = describe_error(reply.body)
            if reply.status == 429 or reply.status >= 500:
                raise TransientError(f"installing index template {name}: {reason}")
            hint = ""
            if reply.status in (401, 403):
                hint = " (grant manage_index_templates, or set manage_templates: false)"
            raise PermanentError(
                f"index template {name} refused: HTTP {reply.status}: {reason}{hint}"
            )

    async def write(self, records: Sequence[Record]) -> WriteResult:
        if self._backend is None:
            await self.start()
        assert self._backend is not None
        result = WriteResult()
        actions: list[Action] = []
        for i, rec in enumerate(records):
            try:
                actions.append(Action(i, self._encode(rec)))
            except (TypeError, ValueError) as exc:
                result.permanent.append((i, f"cannot encode as JSON: {exc}"))
        report = await deliver(self._backend, actions, self.opts.max_chunk_bytes, self._policy)
        self._account(report)
        if report.transient and report.answered == 0 and not report.created:
            raise TransientError(f"{self.name}: bulk failed: {report.last_error}")
        result.transient.extend(report.transient)
        result.permanent.extend(report.permanent)
        for pos, reason in report.permanent:
            log.warning("%s: record %d refused for good: %s", self.name, pos, reason)
        return result

    def _encode(self, rec: Record) -> bytes:
        ns = self.opts.namespace
        if isinstance(rec, LogRecord):
            return encode_action(*log_document(rec, ns))
        if isinstance(rec, Event):
            return encode_action(*event_document(rec, self.opts.events_stream, ns))
        raise TypeError(f"{rec.kind.value} records do not go to Elasticsearch")

    def _account(self, report: BulkReport) -> None:
        c = self.counts
        c["created"] += report.created
        c["duplicates"] += report.duplicates
        c["transient"] += len(report.transient)
        c["permanent"] += len(report.permanent)
        c["requests"] += report.requests
        c["retries"] += report.retries
        c["splits"] += report.splits
        c["bytes"] += report.bytes_sent
        if report.last_error:
            self.last_error = report.last_error

    async def close(self) -> None:
        if self._backend is not None:
            await self._backend.close()
            self._backend = None

    def status(self) -> dict[str, Any]:
        backend = self._backend
        return {
            "hosts": [redact_url(h) for h in self.opts.hosts],
            "flavor": backend.flavor if backend else self.opts.flavor,
            "server_version": ".".join(map(str, backend.version)) if backend else None,
            "connected": backend is not None,
            "namespace": self.opts.namespace,
            "events_data_stream": self.opts.events_stream,
            "templates_installed": self.templates_installed,
            "last_error": self.last_error,
            **self.counts,
        }


def build(name: str, options: Mapping[str, Any], ctx: Context) -> ElasticsearchSink:
    opts = ElasticsearchOptions.model_validate(dict(options))
    return ElasticsearchSink(name, opts, settings_from(opts))
