"""The Aodh webhook receiver on the daemon's listener: ``POST /v1/alarms/aodh/{token}``.

Aodh's ``http``/``https`` notifier calls the alarm's action URL. The secret is the last path
segment (``<base>/v1/alarms/aodh/<secret>``), or HTTP basic credentials on ``/v1/alarms/aodh``
(any user name, the secret as password: ``http://osmon:<secret>@host:9790/v1/alarms/aodh``;
Aodh's requests send them as an ``Authorization`` header). Both are compared in constant time.

The request handler only checks, parses and queues, so Aodh gets its answer (202) at once; a
task applies the transitions (``osmon.alarms.effects``) and hands their events to the router in
batches. Nothing is recorded for a refused request: 401 (secret), 413 (size), 400 (not JSON, not
Aodh's body), 503 (queue full or shutting down). The secret never reaches a log line, ``/status``
or an event.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import ValidationError

from osmon.alarms.effects import AlarmEffects, AlarmMetrics, AodhNotification, NagiosTarget
from osmon.batch import Batch
from osmon.selfmetrics import shared
from osmon.sources.base import Submit

if TYPE_CHECKING:
    from osmon.components import Context
    from osmon.config import AlarmsOptions

__all__ = ["PATH", "AlarmWebhook", "build"]

log = logging.getLogger(__name__)

PATH = "/v1/alarms/aodh"
"""The webhook's path; the action URL is ``<base>/v1/alarms/aodh/<secret>``."""

MIN_SECRET = 16
BATCH = 500
"""Transitions handed to the router in one batch at most."""

Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]


class AlarmWebhook:
    """The receiver; the daemon runs it like a source. Enabled by::

    alarms:
      webhook_secret_env: OSMON_WEBHOOK_SECRET   # at least 16 characters
      max_body_bytes: 65536
    """

    def __init__(self, name: str, opts: AlarmsOptions, secret: str, effects: AlarmEffects) -> None:
        self.name = name
        self.opts = opts
        self._secret = secret.encode()
        self.effects = effects
        self.metrics = effects.metrics
        self._queue: asyncio.Queue[tuple[AodhNotification, float, str]] = asyncio.Queue(opts.queue)
        self._stopping = False
        self._wake = asyncio.Event()
        self.counts: dict[str, int] = {}

    def routes(self) -> list[Route]:
        return [("POST", PATH + "/{token}", self._with_token), ("POST", PATH, self._with_basic)]

    def _count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        self.metrics.webhooks.labels(outcome).inc()

    def _matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self._secret)

    async def _with_token(self, request: web.Request) -> web.StreamResponse:
        return await self._receive(request, self._matches(request.match_info["token"]))

    async def _with_basic(self, request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        ok = False
        if scheme.lower() == "basic":
            try:
                _, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                password = ""
            ok = self._matches(password)
        return await self._receive(request, ok)

    async def _receive(self, request: web.Request, authorized: bool) -> web.StreamResponse:
        if not authorized:
            self._count("unauthorized")
            return _error(401, "unauthorized", {"WWW-Authenticate": 'Basic realm="osmon"'})
        limit = self.opts.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            self._count("too_large")
            return _error(413, f"body larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_any():  # chunked bodies have no length to trust
            size += len(chunk)
            if size > limit:
                self._count("too_large")
                return _error(413, f"body larger than {limit} bytes")
            chunks.append(chunk)
        try:
            note = AodhNotification.model_validate(json.loads(b"".join(chunks)))
        except (ValueError, UnicodeDecodeError) as exc:
            self._count("invalid")
            return _error(400, _why(exc))
        if self._stopping:
            self._count("unavailable")
            return _error(503, "shutting down", {"Retry-After": "5"})
        request_id = request.headers.get("X-Openstack-Request-Id", "")[:128]
        try:
            self._queue.put_nowait((note, time.time(), request_id))
        except asyncio.QueueFull:
            self._count("queue_full")
            return _error(503, "queue full", {"Retry-After": "1"})
        self._count("accepted")
        return web.json_response({"status": "accepted"}, status=202)

    async def run(self, submit: Submit) -> None:
        """Apply queued transitions and hand their events to the router, until stopped and
        drained."""
        while not (self._stopping and self._queue.empty()):
            if self._queue.empty():
                self._wake.clear()
                getter = asyncio.ensure_future(self._queue.get())
                waker = asyncio.ensure_future(self._wake.wait())
                done, _ = await asyncio.wait({getter, waker}, return_when="FIRST_COMPLETED")
                waker.cancel()
                if getter not in done:
                    getter.cancel()
                    continue
                items = [getter.result()]
            else:
                items = []
            while len(items) < BATCH and not self._queue.empty():
                items.append(self._queue.get_nowait())
            events = []
            for note, received_at, request_id in items:
                events.append(self.effects.apply(note, received_at, request_id))
                await self.effects.to_nagios(note)
            await submit(Batch(self.name, events))

    async def stop(self) -> None:
        """Refuse new webhooks (503); ``run`` returns once the queue is empty."""
        self._stopping = True
        self._wake.set()

    def reload(self, ctx: Context) -> None:
        self.effects.reload(ctx.inventory)

    def status(self) -> dict[str, Any]:
        return {
            "path": PATH + "/<secret>",
            "secret_env": self.opts.webhook_secret_env,
            "queued": self._queue.qsize(),
            "requests": dict(sorted(self.counts.items())),
            "inventory_alarms": len(self.effects.known),
        }


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return f"not an Aodh notification: {where}: {first['msg']}"
    return "body is not JSON"


def build(name: str, opts: AlarmsOptions, ctx: Context) -> AlarmWebhook:
    """The receiver; ``ValueError`` (one line) when the secret's variable is unset or short."""
    secret = os.environ.get(opts.webhook_secret_env, "").strip()  # as ``osmon alarms`` reads it
    if not secret:
        raise ValueError(f"alarms.webhook_secret_env: {opts.webhook_secret_env} is not set")
    if len(secret) < MIN_SECRET:
        raise ValueError(
            f"alarms.webhook_secret_env: {opts.webhook_secret_env} is shorter than "
            f"{MIN_SECRET} characters"
        )
    nagios = NagiosTarget(opts.nagios.host, opts.nagios.service, opts.nagios.enabled)
    effects = AlarmEffects(
        shared(ctx.registry, AlarmMetrics), ctx.inventory, opts.max_alarm_names, nagios, ctx.extra
    )
    return AlarmWebhook(name, opts, secret, effects)
