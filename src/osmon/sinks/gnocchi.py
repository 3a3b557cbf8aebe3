"""Gnocchi sink: few large batch-measures POSTs, resources created and kept up to date.

Ceilometer's Gnocchi publisher makes a request per notification and acks a notification even when
Gnocchi refused it. This sink instead:

* sends the whole router batch (samples of many notifications) as one
  ``POST /v1/batch/resources/metrics/measures?create_metrics=true`` (split only when huge),
  merged with the batches that arrived while the previous request was in flight
  (:mod:`osmon.sinks.gnocchi_coalesce`);
* on ``400 Unknown resources`` creates exactly the resources Gnocchi named, from the samples'
  ``resource_attributes``, and posts again;
* PATCHes a resource only when the attributes it was last given changed (hash cache), which is
  also how ``ended_at`` of a deleted resource reaches Gnocchi;
* reports what Gnocchi can never accept per record (permanent, with Gnocchi's reason) and raises
  :class:`TransientError` when Gnocchi is unreachable, so the router retries and spools: nothing is
  acknowledged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from osmon.records import Kind, Record, Sample
from osmon.sinks.base import PermanentError, TransientError, WriteResult
from osmon.sinks.gnocchi_api import GnocchiAPI, GnocchiRefused
from osmon.sinks.gnocchi_attributes import (
    AttributeCache,
    attribute_types,
    creation_attributes,
    differs,
    fingerprints,
    normalized,
    patch_attributes,
)
from osmon.sinks.gnocchi_catalog import (
    ARCHIVE_POLICIES,
    DEFAULT_ARCHIVE_POLICY,
    DEFAULT_COUNTER_ARCHIVE_POLICY,
    RESOURCE_TYPES,
)
from osmon.sinks.gnocchi_coalesce import WriteCoalescer
from osmon.sinks.gnocchi_plan import ResourceGroup, batch_body, chunked, plan_samples

if TYPE_CHECKING:
    from osmon.components import Context

log = logging.getLogger(__name__)

SEARCH_CHUNK = 500
"""Resource ids per search request (Gnocchi's default ``max_limit`` is 1000)."""

TYPE_REFRESH_INTERVAL = 60.0
"""Seconds between re-reads of Gnocchi's resource types when a sample names an unknown one."""


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


def connect(options: GnocchiOptions) -> GnocchiAPI:
    """A gnocchiclient on a keystoneauth1 session, per ``options`` (no request is made yet)."""
    from gnocchiclient import auth as g_auth
    from gnocchiclient.v1 import client as g_client
    from keystoneauth1 import session as ks_session

    verify: bool | str = str(options.ca_file) if options.ca_file else options.verify
    adapter: dict[str, Any] = {
        "connect_retries": options.max_retries,
        "status_code_retries": options.max_retries,
        "retriable_status_codes": [502, 503, 504],
        "connect_retry_delay": options.retry_delay,
        "status_code_retry_delay": options.retry_delay,
    }
    if options.auth == "basic":
        endpoint = str(options.endpoint).rstrip("/")
        plugin: Any = g_auth.GnocchiBasicPlugin(user=options.user, endpoint=endpoint)
    else:
        from osmon.sinks.gnocchi_clouds import auth_plugin, load_cloud

        assert options.cloud is not None
        cloud = load_cloud(options.cloud, [options.clouds_file] if options.clouds_file else None)
        plugin = auth_plugin(cloud)
        if not options.ca_file and options.verify:
            verify = cloud.cacert or cloud.verify
        adapter["region_name"] = options.region or cloud.region_name
        adapter["interface"] = options.interface or cloud.interface or "public"
        if options.endpoint is not None:
            adapter["endpoint_override"] = str(options.endpoint).rstrip("/")
    session = ks_session.Session(auth=plugin, verify=verify, timeout=options.timeout)
    client = g_client.Client(session=session, adapter_options=adapter)
    return GnocchiAPI(client, options.max_parallel_requests)


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
        self._types: dict[str, dict[str, str]] = {}
        self._types_read_at = 0.0
        self._ready = False
        self._ready_lock = asyncio.Lock()
        self._cache = AttributeCache(options.resource_cache_size)
        self._stats = _Stats()
        self._coalescer = WriteCoalescer(self._write_now)

    async def start(self) -> None:
        await self._ensure_ready()

    async def close(self) -> None:
        await self._api.close()

    def status(self) -> dict[str, Any]:
        s = self._stats
        return {
            "endpoint": str(self._options.endpoint) if self._options.endpoint else None,
            "auth": self._options.auth,
            "cloud": self._options.cloud,
            "ready": self._ready,
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

    # -- start-up: archive policies and resource types -------------------------------------------

    async def _ensure_ready(self) -> None:
        if self._ready:
            return
        async with self._ready_lock:
            if self._ready:
                return
            await self._ensure_archive_policies()
            await self._ensure_archive_policy_rules()
            await self._ensure_resource_types()
            self._ready = True

    async def _ensure_archive_policies(self) -> None:
        present = {p["name"] for p in await self._api.list_archive_policies()}
        for policy in self._options.archive_policies:
            if policy.name in present:
                continue
            try:
                await self._api.create_archive_policy(policy.model_dump(exclude_none=True))
            except GnocchiRefused as e:
                if e.status != 409:
                    raise PermanentError(f"archive policy {policy.name!r}: {e.text}") from e
            log.info("gnocchi sink %s: created archive policy %s", self.name, policy.name)

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
                    log.info("gnocchi sink %s: created resource type %s", self.name, name)
                    changed = True
                    continue
                have = present[name].get("attributes") or {}
                missing = {a: spec for a, spec in attrs.items() if a not in have}
                if missing:
                    await self._api.add_resource_type_attributes(name, missing)
                    log.info(
                        "gnocchi sink %s: added %s to resource type %s",
                        self.name,
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

    async def _types_of(self, resource_type: str) -> dict[str, str] | None:
        types = self._types.get(resource_type)
        if types is None and time.monotonic() - self._types_read_at > TYPE_REFRESH_INTERVAL:
            await self._read_types()
            types = self._types.get(resource_type)
        return types

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
            await self._ensure_ready()
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
                    missing = _unknown_ids(e.detail, pending)
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
                    culprit = _invalid_input_culprit(e.detail, pending)
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
                    await self._ensure_archive_policies()
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
        types = await self._types_of(group.resource_type)
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
            types = self._types.get(group.resource_type)
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
                types = self._types.get(rtype, {})
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
            canonical = _canonical_uuid(rid)
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


def _canonical_uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _unknown_ids(detail: Any, pending: Mapping[str, ResourceGroup]) -> list[str]:
    """The keys of ``pending`` that a ``400 Unknown resources`` detail names."""
    if not isinstance(detail, list):
        return []
    by_uuid = {c: rid for rid in pending if (c := _canonical_uuid(rid)) is not None}
    out: list[str] = []
    for item in detail:
        if not isinstance(item, Mapping):
            continue
        original = item.get("original_resource_id")
        resolved = item.get("resource_id")
        if original in pending:
            out.append(str(original))
        elif resolved in pending:
            out.append(str(resolved))
        elif isinstance(resolved, str) and resolved in by_uuid:
            out.append(by_uuid[resolved])
    return list(dict.fromkeys(out))


def _invalid_input_culprit(
    detail: Any, pending: Mapping[str, ResourceGroup]
) -> tuple[str, str | None] | None:
    """(resource id, metric or None) that an ``Invalid input`` detail path points at."""
    if not isinstance(detail, list) or not detail or detail[0] not in pending:
        return None
    rid = str(detail[0])
    metric = detail[1] if len(detail) > 1 and detail[1] in pending[rid].metrics else None
    return rid, metric


def build(name: str, options: Mapping[str, Any], ctx: Context) -> GnocchiSink:
    """Factory registered as sink type ``gnocchi``."""
    opts = GnocchiOptions.model_validate(dict(options))
    return GnocchiSink(name, opts, connect(opts))
