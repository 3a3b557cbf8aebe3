"""A sink that POSTs alarm transitions to an HTTP hook: ``alarms.forward`` in the daemon config.

Being a sink is what makes forwarding durable: the router retries a hook that fails, spools
what it still refuses, and replays the spool in order when the hook answers again, so a hook
that is down loses no transition. Each transition is POSTed on its own, with Aodh's own body
(``Event.raw``), because hooks written for Aodh expect exactly that. The daemon puts the
``alarms.forward`` hooks behind a router only the webhook feeds; configured as an ordinary sink
routed for ``event``, it accepts and ignores the events of other types (``event_types``).
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from osmon.components import Context
from osmon.records import Event, Kind, Record
from osmon.redact import redact_url
from osmon.sinks.base import TransientError, WriteResult

__all__ = ["WebhookOptions", "WebhookSink", "build"]

_RETRYABLE = {408, 425, 429}


class WebhookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, description="URL each event is POSTed to.")
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="Header name → environment variable with its value."
    )
    event_types: list[str] = Field(
        default_factory=lambda: ["alarm.transition"],
        description="Event types forwarded (shell patterns); others are accepted and ignored.",
    )
    timeout: float = Field(10.0, gt=0, description="Seconds one POST may take.")


class WebhookSink:
    """Forward alarm transitions to a hook. Enabled by::

    alarms:
      webhook_secret_env: OSMON_WEBHOOK_SECRET
      forward:
        - {url: "https://hooks.example.org/aodh", headers_env: {X-Token: HOOK_TOKEN}}

    or as a sink of its own (``type: webhook``) routed for ``event``.
    """

    kinds = frozenset({Kind.EVENT})

    def __init__(self, name: str, opts: WebhookOptions, headers: Mapping[str, str]) -> None:
        self.name = name
        self.opts = opts
        self._headers = {"Content-Type": "application/json", **headers}
        self._session: aiohttp.ClientSession | None = None
        self.forwarded = 0
        self.ignored = 0

    def _wanted(self, rec: Record) -> bool:
        return isinstance(rec, Event) and any(
            fnmatch.fnmatchcase(rec.event_type, p) for p in self.opts.event_types
        )

    async def start(self) -> None:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=self.opts.timeout)
            self._session = aiohttp.ClientSession(timeout=timeout, headers=self._headers)

    async def write(self, records: Sequence[Record]) -> WriteResult:
        await self.start()
        assert self._session is not None
        result = WriteResult()
        for i, rec in enumerate(records):
            if not self._wanted(rec):
                self.ignored += 1
                continue
            assert isinstance(rec, Event)
            body = json.dumps(dict(rec.raw) or dict(rec.traits)).encode()
            try:
                async with self._session.post(self.opts.url, data=body) as resp:
                    status = resp.status
                    await resp.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                if i == 0:
                    raise TransientError(f"{type(exc).__name__}: {exc}") from None
                # keep the order: this one and every later one are tried again
                result.transient.extend(range(i, len(records)))
                return result
            if status < 300:
                self.forwarded += 1
            elif status >= 500 or status in _RETRYABLE:
                result.transient.extend(range(i, len(records)))
                return result
            else:
                result.permanent.append((i, f"hook answered {status}"))
        return result

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def status(self) -> dict[str, Any]:
        return {
            "url": redact_url(self.opts.url),
            "headers": sorted(self.opts.headers_env),
            "forwarded": self.forwarded,
            "ignored": self.ignored,
        }


def build(name: str, options: Mapping[str, Any], ctx: Context) -> WebhookSink:
    opts = WebhookOptions.model_validate(dict(options))
    headers = {}
    for header, env in opts.headers_env.items():
        value = os.environ.get(env)
        if not value:
            raise ValueError(f"sink {name}: environment variable {env} (header {header}) is unset")
        headers[header] = value
    return WebhookSink(name, opts, headers)
