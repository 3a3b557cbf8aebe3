"""Async facade over gnocchiclient: the handful of calls the sink makes, with errors sorted.

gnocchiclient (on a keystoneauth1 session) is synchronous. Each call runs in a small dedicated
thread pool rather than the loop's default executor, so Gnocchi's concurrency is bounded by
``max_parallel_requests`` and a slow Gnocchi cannot starve other sinks' threads. One call carries
a whole batch of samples, so the thread hop costs nothing measurable; in exchange osmon gets
keystoneauth's token handling, catalog lookup and connect/5xx retries with exponential backoff.

Every failure comes out as one of two things: :class:`osmon.sinks.base.TransientError`
(unreachable, timeout, 5xx, auth trouble: retry later, the data is kept) or
:class:`GnocchiRefused` (a 4xx about the request itself, for the sink to attribute to records).
"""

from __future__ import annotations

import asyncio
import functools
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from gnocchiclient import exceptions as g_exc
from keystoneauth1 import exceptions as ksa_exc

from osmon.sinks.base import TransientError

if TYPE_CHECKING:
    from osmon.sinks.gnocchi.config import GnocchiOptions

T = TypeVar("T")

_TRANSIENT_CODES = frozenset({401, 403, 408, 429})
"""4xx that a later retry can fix (token expiry, policy being fixed, throttling)."""


class GnocchiRefused(Exception):
    """Gnocchi rejected a request with a 4xx; ``description`` is its JSON description."""

    def __init__(self, status: int, description: Any) -> None:
        self.status = status
        self.description = description
        super().__init__(f"HTTP {status}: {description}")

    @property
    def cause(self) -> str | None:
        if isinstance(self.description, Mapping):
            cause = self.description.get("cause")
            return str(cause) if cause is not None else None
        return None

    @property
    def detail(self) -> Any:
        if isinstance(self.description, Mapping):
            return self.description.get("detail")
        return None

    @property
    def text(self) -> str:
        d = self.description
        if isinstance(d, Mapping):
            return f"{d.get('cause', '')}: {d.get('reason', d.get('detail', ''))}"
        return str(d)


def _sorted_error(e: Exception) -> Exception:
    if isinstance(e, g_exc.ClientException):
        code = e.code
        if isinstance(code, int) and 400 <= code < 500 and code not in _TRANSIENT_CODES:
            return GnocchiRefused(code, e.message)
        return TransientError(f"gnocchi: {e}")
    return TransientError(f"gnocchi: {type(e).__name__}: {e}")


class GnocchiAPI:
    """The Gnocchi calls the sink needs, awaitable."""

    def __init__(self, client: Any, max_parallel_requests: int) -> None:
        self._client = client
        self._pool = ThreadPoolExecutor(
            max_workers=max_parallel_requests, thread_name_prefix="osmon-gnocchi"
        )

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))
        except (g_exc.ClientException, ksa_exc.ClientException, OSError) as e:
            raise _sorted_error(e) from e

    async def list_archive_policies(self) -> list[dict[str, Any]]:
        return await self._call(self._client.archive_policy.list)

    async def create_archive_policy(self, policy: Mapping[str, Any]) -> None:
        await self._call(self._client.archive_policy.create, dict(policy))

    async def list_archive_policy_rules(self) -> list[dict[str, Any]]:
        return await self._call(self._client.archive_policy_rule.list)

    async def create_archive_policy_rule(self, rule: Mapping[str, Any]) -> None:
        await self._call(self._client.archive_policy_rule.create, dict(rule))

    async def list_resource_types(self) -> list[dict[str, Any]]:
        return await self._call(self._client.resource_type.list)

    async def create_resource_type(self, name: str, attributes: Mapping[str, Any]) -> None:
        body = {"name": name, "attributes": dict(attributes)}
        await self._call(self._client.resource_type.create, body)

    async def add_resource_type_attributes(self, name: str, attributes: Mapping[str, Any]) -> None:
        ops = [
            {"op": "add", "path": f"/attributes/{attr}", "value": dict(spec)}
            for attr, spec in attributes.items()
        ]
        await self._call(self._client.resource_type.update, name, ops)

    async def post_measures(self, body: Mapping[str, Any]) -> None:
        await self._call(
            self._client.metric.batch_resources_metrics_measures, body, create_metrics=True
        )

    async def create_resource(self, resource_type: str, attrs: Mapping[str, Any]) -> None:
        await self._call(self._client.resource.create, resource_type, dict(attrs))

    async def update_resource(
        self, resource_type: str, resource_id: str, attrs: Mapping[str, Any]
    ) -> None:
        quoted = urllib.parse.quote(resource_id, safe="")
        await self._call(self._client.resource.update, resource_type, quoted, dict(attrs))

    async def find_resources(self, resource_ids: Sequence[str]) -> list[dict[str, Any]]:
        """All attributes of those of ``resource_ids`` that exist, whatever their type."""
        query = {"in": {"id": list(resource_ids)}}
        return await self._call(
            self._client.resource.search,
            resource_type="generic",
            query=query,
            details=True,
            limit=len(resource_ids),
        )

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


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
        from osmon.clouds import auth_plugin, load_cloud

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
