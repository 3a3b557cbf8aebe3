"""Gnocchi sink: few large batch-measures POSTs, resources created and kept up to date.

Ceilometer's Gnocchi publisher makes a request per notification and acks a notification even when
Gnocchi refused it. This sink instead:

* sends the whole router batch (samples of many notifications) as one
  ``POST /v1/batch/resources/metrics/measures?create_metrics=true`` (split only when huge),
  merged with the batches that arrived while the previous request was in flight
  (:mod:`osmon.sinks.gnocchi.coalesce`);
* on ``400 Unknown resources`` creates exactly the resources Gnocchi named, from the samples'
  ``resource_attributes``, and posts again;
* PATCHes a resource only when the attributes it was last given changed (hash cache), which is
  also how ``ended_at`` of a deleted resource reaches Gnocchi (put after the last measure written
  with it, or gnocchi-metricd would clear it: :mod:`osmon.sinks.gnocchi.plan`);
* reports what Gnocchi can never accept per record (permanent, with Gnocchi's reason) and raises
  :class:`TransientError` when Gnocchi is unreachable, so the router retries and spools: nothing is
  acknowledged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from osmon.records import Kind, Record, Sample
from osmon.sinks.base import PermanentError, TransientError, WriteResult
from osmon.sinks.gnocchi.api import GnocchiAPI, GnocchiRefused
from osmon.sinks.gnocchi.attributes import (
    AttributeCache,
    creation_attributes,
    differs,
    fingerprints,
    normalized,
    patch_attributes,
)
from osmon.sinks.gnocchi.coalesce import WriteCoalescer
from osmon.sinks.gnocchi.config import GnocchiOptions
from osmon.sinks.gnocchi.plan import (
    ResourceGroup,
    batch_body,
    canonical_uuid,
    chunked,
    invalid_input_culprit,
    plan_samples,
    unknown_ids,
)
from osmon.sinks.gnocchi.schema import Schema

log = logging.getLogger(__name__)

SEARCH_CHUNK = 500
"""Resource ids per search request (Gnocchi's default ``max_limit`` is 1000)."""


@dataclass(slots=True)
class _Delivery:
    delivered: list[ResourceGroup] = field(default_factory=list)
    permanent: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Stats:
    posts: int = 0
    measures: int = 0
    unknown_resource_retries: int = 0
    resources_created: int = 0
    resources_patched: int = 0
    searches: int = 0
    permanent: int = 0
    transient: int = 0
    last_error: str = ""


class GnocchiSink:
    """Writes Sample records to Gnocchi (see the module docstring)."""

    kinds = frozenset({Kind.SAMPLE})

    def __init__(self, name: str, options: GnocchiOptions, api: GnocchiAPI) -> None:
        self.name = name
        self._options = options
        self._api = api
        self._schema = Schema(name, options, api)
        self._cache = AttributeCache(options.resource_cache_size)
        self._stats = _Stats()
        self._coalescer = WriteCoalescer(self._write_now)

    async def start(self) -> None:
        await self._schema.ensure()

    async def close(self) -> None:
        await self._api.close()

    def status(self) -> dict[str, Any]:
        s = self._stats
        return {
            "endpoint": str(self._options.endpoint) if self._options.endpoint else None,
            "auth": self._options.auth,
            "cloud": self._options.cloud,
            "ready": self._schema.ready,
            "posts": s.posts,
            "merged_writes": self._coalescer.merged,
            "measures": s.measures,
            "unknown_resource_retries": s.unknown_resource_retries,
            "resources_created": s.resources_created,
            "resources_patched": s.resources_patched,
            "searches": s.searches,
            "cached_resources": len(self._cache),
            "permanent_failures": s.permanent,
            "transient_failures": s.transient,
            "last_error": s.last_error,
        }

    # -- write -------------------------------------------------------------------------------

    def _policy_for(self, sample: Sample) -> str | None:
        if sample.type == "counter" and self._options.counter_archive_policy:
            return self._options.counter_archive_policy
        return self._options.archive_policy

    async def write(self, records: Sequence[Record]) -> WriteResult:
        if not records:
            return WriteResult()
        return await self._coalescer.write(records)

    async def _write_now(self, records: Sequence[Record]) -> WriteResult:
        result = WriteResult()
        try:
            await self._schema.ensure()
        except TransientError as e:
            self._stats.last_error = str(e)
            raise
        except PermanentError as e:
            # A bad policy/type definition is the operator's to fix; the samples themselves are
            # fine, so keep them (spool) rather than dead-letter every batch until then.
            self._stats.last_error = str(e)
            raise TransientError(f"gnocchi sink not ready: {e}") from e
        plan = plan_samples(records, self._policy_for)
        result.permanent.extend(plan.rejected)
        chunks = chunked(plan.groups.values(), self._options.max_batch_measures)
        outcomes = await asyncio.gather(
            *(self._deliver(chunk) for chunk in chunks), return_exceptions=True
        )
        delivered: list[ResourceGroup] = []
        transient_error: TransientError | None = None
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            if isinstance(outcome, TransientError):
                transient_error = outcome
                result.transient.extend(i for g in chunk for i in g.indices)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                delivered.extend(outcome.delivered)
                result.permanent.extend(outcome.permanent)
        if transient_error is not None:
            self._stats.last_error = str(transient_error)
            if not delivered:
                self._stats.transient += len(records)
                raise transient_error
        if delivered:
            await self._sync_attributes(delivered, result)
        self._stats.permanent += len(result.permanent)
        self._stats.transient += len(result.transient)
        for index, reason in result.permanent[:5]:
            log.warning("gnocchi sink %s: record %d refused: %s", self.name, index, reason)
        return result

    async def _deliver(self, groups: list[ResourceGroup]) -> _Delivery:
        """POST ``groups``, creating unknown resources; what cannot be stored becomes permanent."""
        pending = {g.resource_id: g for g in groups}
        out = _Delivery()
        unknown_rounds = 0
        policies_rechecked = False
        while pending:
            try:
                await self._api.post_measures(batch_body(pending.values()))
            except GnocchiRefused as e:
                if e.status == 400 and e.cause == "Unknown resources":
                    missing = unknown_ids(e.detail, pending)
                    if missing:
                        unknown_rounds += 1
                        self._stats.unknown_resource_retries += 1
                        if unknown_rounds > 2:
                            reasons = dict.fromkeys(
                                missing, "resource still unknown after creation"
                            )
                        else:
                            reasons = await self._create_resources([pending[r] for r in missing])
                        for rid, reason in reasons.items():
                            out.permanent.extend((i, reason) for i in pending.pop(rid).indices)
                        continue
                if e.status == 400 and e.cause == "Invalid input":
                    culprit = invalid_input_culprit(e.detail, pending)
                    if culprit is not None:
                        rid, metric = culprit
                        reason = f"refused by gnocchi: {e.text}"
                        group = pending.pop(rid)
                        dropped = (
                            group.metrics if metric is None else {metric: group.metrics[metric]}
                        )
                        out.permanent.extend(
                            (i, reason) for m in dropped.values() for i in m.indices
                        )
                        kept = {k: m for k, m in group.metrics.items() if k not in dropped}
                        if kept:
                            pending[rid] = replace(group, metrics=kept)
                        continue
                if e.status == 400 and "Archive policy" in e.text and not policies_rechecked:
                    policies_rechecked = True
                    await self._schema.ensure_archive_policies()
                    continue
                if len(pending) > 1:
                    return await self._bisect(list(pending.values()), out)
                reason = f"refused by gnocchi: {e.text}"
                out.permanent.extend((i, reason) for g in pending.values() for i in g.indices)
                return out
            self._stats.posts += 1
            self._stats.measures += sum(g.measure_count for g in pending.values())
            out.delivered.extend(pending.values())
            return out
        return out

    async def _bisect(self, groups: list[ResourceGroup], out: _Delivery) -> _Delivery:
        """Isolate the resource(s) behind a 400 that names none, by halving the request."""
        half = len(groups) // 2
        first, second = await asyncio.gather(
            self._deliver(groups[:half]), self._deliver(groups[half:])
        )
        for part in (first, second):
            out.delivered.extend(part.delivered)
            out.permanent.extend(part.permanent)
        return out

    async def _create_resources(self, groups: list[ResourceGroup]) -> dict[str, str]:
        """Create ``groups``' resources; resource id → reason for those Gnocchi refused."""
        outcomes = await asyncio.gather(*(self._create_one(g) for g in groups))
        return {g.resource_id: reason for g, reason in zip(groups, outcomes, strict=True) if reason}

    async def _create_one(self, group: ResourceGroup) -> str | None:
        types = await self._schema.types_of(group.resource_type)
        if types is None:
            return f"resource type {group.resource_type!r} does not exist in gnocchi"
        attrs = creation_attributes(types, group.attributes)
        attrs["id"] = group.resource_id
        if "started_at" not in attrs:
            started = group.first_timestamp
            ended = normalized({}, {"ended_at": attrs.get("ended_at")})["ended_at"]
            if isinstance(ended, float):
                started = min(started, ended)
            attrs["started_at"] = started
        try:
            await self._api.create_resource(group.resource_type, attrs)
        except GnocchiRefused as e:
            if e.status == 409:
                return None
            return f"cannot create {group.resource_type} resource {group.resource_id}: {e.text}"
        self._stats.resources_created += 1
        wanted = patch_attributes(types, group.attributes)
        self._cache.put(group.resource_id, fingerprints(types, wanted), group.resource_type)
        return None

    # -- attribute updates -------------------------------------------------------------------

    async def _sync_attributes(self, groups: list[ResourceGroup], result: WriteResult) -> None:
        """PATCH the resources whose attributes changed since osmon last wrote or read them."""
        patches: list[tuple[ResourceGroup, str, dict[str, Any], dict[str, int]]] = []
        unseen: list[ResourceGroup] = []
        for group in groups:
            types = self._schema.types(group.resource_type)
            if types is None:
                continue
            wanted = patch_attributes(types, group.attributes)
            if not wanted:
                continue
            prints = fingerprints(types, wanted)
            cached = self._cache.get(group.resource_id)
            if cached is None:
                unseen.append(group)
            elif cached.changed(prints):
                patches.append((group, cached.resource_type, wanted, prints))
        if unseen:
            try:
                found = await self._find([g.resource_id for g in unseen])
            except TransientError as e:
                self._stats.last_error = str(e)
                result.transient.extend(i for g in unseen for i in g.indices)
                found = {}
                unseen = []
            for group in unseen:
                current = found.get(group.resource_id)
                if current is None:
                    continue
                rtype = str(current.get("type", group.resource_type))
                types = self._schema.types(rtype) or {}
                wanted = patch_attributes(types, group.attributes)
                prints = fingerprints(types, wanted)
                if differs(types, wanted, current):
                    patches.append((group, rtype, wanted, prints))
                else:
                    self._cache.put(group.resource_id, prints, rtype)
        if patches:
            await asyncio.gather(*(self._patch_one(*p, result) for p in patches))

    async def _find(self, resource_ids: list[str]) -> dict[str, dict[str, Any]]:
        parts = [
            resource_ids[i : i + SEARCH_CHUNK] for i in range(0, len(resource_ids), SEARCH_CHUNK)
        ]
        pages = await asyncio.gather(*(self._api.find_resources(p) for p in parts))
        self._stats.searches += len(parts)
        wanted = set(resource_ids)
        found: dict[str, dict[str, Any]] = {}
        for page in pages:
            for resource in page:
                for key in (resource.get("original_resource_id"), resource.get("id")):
                    if key in wanted:
                        found[key] = resource
        for rid in wanted - found.keys():
            canonical = canonical_uuid(rid)
            if canonical is not None:
                match = next((r for p in pages for r in p if r.get("id") == canonical), None)
                if match is not None:
                    found[rid] = match
        return found

    async def _patch_one(
        self,
        group: ResourceGroup,
        rtype: str,
        wanted: dict[str, Any],
        prints: dict[str, int],
        result: WriteResult,
    ) -> None:
        try:
            await self._api.update_resource(rtype, group.resource_id, wanted)
        except TransientError as e:
            self._stats.last_error = str(e)
            result.transient.extend(group.indices)
            return
        except GnocchiRefused as e:
            if e.status == 404:
                self._cache.forget(group.resource_id)
                return
            reason = f"attributes of {rtype} resource {group.resource_id} refused: {e.text}"
            result.permanent.extend((i, reason) for i in group.indices)
            self._cache.put(group.resource_id, prints, rtype)
            return
        self._stats.resources_patched += 1
        self._cache.put(group.resource_id, prints, rtype)
