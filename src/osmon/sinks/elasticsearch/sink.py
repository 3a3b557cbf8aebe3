"""Elasticsearch / OpenSearch sink: logs and notification events into data streams via ``_bulk``.

* Logs go to ``logs-openstack.<service>-<namespace>``, events to one events data stream
  (``events-openstack.notifications-<namespace>`` by default); both get an index template with
  ECS mappings, installed once per sink (at ``start``, or at the first ``write`` if the backend
  was down at start).
* Every document is sent with ``create`` and a deterministic ``_id`` (the log record's id, the
  notification's message id), so a replay from the spool yields 409s, counted as duplicates and
  reported as success.
* Delivery, retries and per-item outcomes live in ``bulk``; the choice of client
  (``elasticsearch`` for 8.x/9.x, ``opensearch-py`` for OpenSearch) in ``client``; documents
  and their ids in ``documents``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

from osmon.records import Event, Kind, LogRecord, Record
from osmon.redact import redact_url
from osmon.retry import RetryPolicy
from osmon.sinks.base import PermanentError, TransientError, WriteResult
from osmon.sinks.elasticsearch.bulk import Action, BulkReport, deliver
from osmon.sinks.elasticsearch.client import (
    Backend,
    BackendUnavailable,
    Settings,
    connect,
    describe_error,
)
from osmon.sinks.elasticsearch.config import ElasticsearchOptions, secret
from osmon.sinks.elasticsearch.documents import encode_action, event_document, log_document
from osmon.sinks.elasticsearch.templates import (
    EVENTS_TEMPLATE,
    LOGS_TEMPLATE,
    events_template,
    logs_template,
)

log = logging.getLogger(__name__)


def settings_from(opts: ElasticsearchOptions) -> Settings:
    return Settings(
        hosts=tuple(opts.hosts),
        api_key=secret(opts.api_key_env) if opts.api_key_env else None,
        basic_auth=(opts.username, secret(opts.password_env))
        if opts.username and opts.password_env
        else None,
        ca_certs=opts.ca_certs,
        verify_certs=opts.verify_certs,
        request_timeout=opts.request_timeout,
    )


class ElasticsearchSink:
    kinds = frozenset({Kind.LOG, Kind.EVENT})

    def __init__(self, name: str, opts: ElasticsearchOptions, settings: Settings) -> None:
        self.name = name
        self.opts = opts
        self._settings = settings
        self._policy = RetryPolicy(
            opts.max_retries + 1, opts.initial_backoff, opts.max_backoff, jitter=True
        )
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
