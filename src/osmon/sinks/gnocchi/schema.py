"""What must exist in Gnocchi before the sink writes, and the attribute types read back.

Archive policies, archive policy rules and resource types (:mod:`.catalog` plus the operator's)
are created once, on start or on the first write after a failed start; an existing type only gets
its missing attributes added. The attribute types of every resource type are kept so the sink can
tell which sample attributes a resource accepts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from osmon.sinks.base import PermanentError
from osmon.sinks.gnocchi.api import GnocchiAPI, GnocchiRefused
from osmon.sinks.gnocchi.attributes import attribute_types
from osmon.sinks.gnocchi.config import GnocchiOptions

log = logging.getLogger(__name__)

TYPE_REFRESH_INTERVAL = 60.0
"""Seconds between re-reads of Gnocchi's resource types when a sample names an unknown one."""


class Schema:
    """Archive policies, rules and resource types of one sink, ensured once."""

    def __init__(self, sink_name: str, options: GnocchiOptions, api: GnocchiAPI) -> None:
        self._name = sink_name
        self._options = options
        self._api = api
        self._types: dict[str, dict[str, str]] = {}
        self._types_read_at = 0.0
        self._lock = asyncio.Lock()
        self.ready = False

    async def ensure(self) -> None:
        if self.ready:
            return
        async with self._lock:
            if self.ready:
                return
            await self.ensure_archive_policies()
            await self._ensure_archive_policy_rules()
            await self._ensure_resource_types()
            self.ready = True

    async def ensure_archive_policies(self) -> None:
        present = {p["name"] for p in await self._api.list_archive_policies()}
        for policy in self._options.archive_policies:
            if policy.name in present:
                continue
            try:
                await self._api.create_archive_policy(policy.model_dump(exclude_none=True))
            except GnocchiRefused as e:
                if e.status != 409:
                    raise PermanentError(f"archive policy {policy.name!r}: {e.text}") from e
            log.info("gnocchi sink %s: created archive policy %s", self._name, policy.name)

    async def _ensure_archive_policy_rules(self) -> None:
        if not self._options.archive_policy_rules:
            return
        present = {r["name"] for r in await self._api.list_archive_policy_rules()}
        for rule in self._options.archive_policy_rules:
            if rule.name in present:
                continue
            try:
                await self._api.create_archive_policy_rule(rule.model_dump())
            except GnocchiRefused as e:
                if e.status != 409:
                    raise PermanentError(f"archive policy rule {rule.name!r}: {e.text}") from e

    async def _ensure_resource_types(self) -> None:
        present = {t["name"]: t for t in await self._api.list_resource_types()}
        changed = False
        for name, attrs in self._options.wanted_resource_types().items():
            try:
                if name not in present:
                    await self._api.create_resource_type(name, attrs)
                    log.info("gnocchi sink %s: created resource type %s", self._name, name)
                    changed = True
                    continue
                have = present[name].get("attributes") or {}
                missing = {a: spec for a, spec in attrs.items() if a not in have}
                if missing:
                    await self._api.add_resource_type_attributes(name, missing)
                    log.info(
                        "gnocchi sink %s: added %s to resource type %s",
                        self._name,
                        ", ".join(sorted(missing)),
                        name,
                    )
                    changed = True
            except GnocchiRefused as e:
                if e.status != 409:
                    raise PermanentError(f"resource type {name!r}: {e.text}") from e
                changed = True
        if changed:
            await self._read_types()
        else:
            self._set_types(present.values())

    async def _read_types(self) -> None:
        self._set_types(await self._api.list_resource_types())

    def _set_types(self, types: Any) -> None:
        self._types = {t["name"]: attribute_types(t) for t in types}
        self._types_read_at = time.monotonic()

    def types(self, resource_type: str) -> dict[str, str] | None:
        """Attribute name → type of ``resource_type`` as last read, or None when unknown."""
        return self._types.get(resource_type)

    async def types_of(self, resource_type: str) -> dict[str, str] | None:
        """Like :meth:`types`, re-reading Gnocchi's types (at most once a minute) when unknown."""
        types = self._types.get(resource_type)
        if types is None and time.monotonic() - self._types_read_at > TYPE_REFRESH_INTERVAL:
            await self._read_types()
            types = self._types.get(resource_type)
        return types
