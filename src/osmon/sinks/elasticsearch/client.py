"""One small request interface over the two official clients, chosen by asking the server.

``elasticsearch-py`` 9.x refuses OpenSearch (no ``X-Elastic-Product`` header) and, left to its
defaults, sends ``compatible-with=9`` media types that an Elasticsearch 8.x server rejects with
``media_type_header_exception``. So the server is probed once with ``compatible-with=8``
(accepted by 8.x and 9.x), and every later request carries the media types of the server's own
major version. OpenSearch gets ``opensearch-py``. Both are used through their async, low-level
``perform_request`` so the sink sees raw statuses and bodies and does its own (single) retry
policy: the clients' built-in retries are switched off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import elastic_transport
from elasticsearch import ApiError, AsyncElasticsearch, UnsupportedProductError
from opensearchpy import AsyncOpenSearch
from opensearchpy import exceptions as os_exc

from osmon.sinks.base import PermanentError, TransientError

log = logging.getLogger(__name__)

Flavor = Literal["elasticsearch", "opensearch"]

_COMPAT = "application/vnd.elasticsearch+{kind}; compatible-with={major}"


class BackendUnavailable(Exception):
    """No HTTP answer at all: refused, reset, TLS failure or timeout."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any


@dataclass(frozen=True, slots=True)
class Settings:
    """Connection settings; secrets arrive here already read from the environment."""

    hosts: tuple[str, ...]
    api_key: str | None = field(repr=False)
    basic_auth: tuple[str, str] | None = field(repr=False)
    ca_certs: Path | None
    verify_certs: bool
    request_timeout: float

    @property
    def tls(self) -> bool:
        return any(h.startswith("https://") for h in self.hosts)


class Backend(Protocol):
    flavor: Flavor
    version: tuple[int, ...]

    async def request(
        self, method: str, path: str, body: bytes | None = None, *, ndjson: bool = False
    ) -> Reply:
        """Send one request; HTTP errors come back as a Reply, no answer raises."""

    async def close(self) -> None: ...


def parse_version(number: str) -> tuple[int, ...]:
    out = []
    for part in number.split("-")[0].split("."):
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out) or (0,)


class ElasticBackend:
    flavor: Flavor = "elasticsearch"

    def __init__(self, client: AsyncElasticsearch, version: tuple[int, ...]) -> None:
        self.client = client
        self.version = version
        major = version[0]
        self._accept = _COMPAT.format(kind="json", major=major)
        self._json = {"accept": self._accept, "content-type": self._accept}
        self._ndjson = {
            "accept": self._accept,
            "content-type": _COMPAT.format(kind="x-ndjson", major=major),
        }

    async def request(
        self, method: str, path: str, body: bytes | None = None, *, ndjson: bool = False
    ) -> Reply:
        if body is None:
            headers = {"accept": self._accept}
        else:
            headers = self._ndjson if ndjson else self._json
        try:
            resp = await self.client.perform_request(method, path, headers=headers, body=body)
        except ApiError as exc:
            return Reply(exc.meta.status, exc.body)
        except elastic_transport.TransportError as exc:
            raise BackendUnavailable(str(exc)) from None
        return Reply(resp.meta.status, resp.body)

    async def close(self) -> None:
        await self.client.close()


class OpenSearchBackend:
    flavor: Flavor = "opensearch"

    def __init__(self, client: AsyncOpenSearch, version: tuple[int, ...]) -> None:
        self.client = client
        self.version = version

    async def request(
        self, method: str, path: str, body: bytes | None = None, *, ndjson: bool = False
    ) -> Reply:
        headers = None
        if body is not None:
            headers = {"content-type": "application/x-ndjson" if ndjson else "application/json"}
        try:
            data = await self.client.transport.perform_request(
                method, path, body=body, headers=headers
            )
        except os_exc.ConnectionError as exc:
            raise BackendUnavailable(str(exc)) from None
        except os_exc.TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 0
            info = exc.info if isinstance(exc.info, dict) else {"error": str(exc.error)}
            return Reply(status, info)
        return Reply(200, data)

    async def close(self) -> None:
        await self.client.close()


def _elastic_client(s: Settings) -> AsyncElasticsearch:
    kwargs: dict[str, Any] = {
        "request_timeout": s.request_timeout,
        "max_retries": 0,
        "retry_on_status": (),
        "retry_on_timeout": False,
    }
    if s.api_key:
        kwargs["api_key"] = s.api_key
    elif s.basic_auth:
        kwargs["basic_auth"] = s.basic_auth
    if s.tls:
        kwargs["verify_certs"] = s.verify_certs
        if s.ca_certs:
            kwargs["ca_certs"] = str(s.ca_certs)
    return AsyncElasticsearch(list(s.hosts), **kwargs)


def _opensearch_client(s: Settings) -> AsyncOpenSearch:
    if s.api_key:
        raise PermanentError(
            "OpenSearch has no Elasticsearch API keys: use username + password_env instead"
        )
    kwargs: dict[str, Any] = {
        "timeout": s.request_timeout,
        "max_retries": 0,
        "retry_on_status": (),
        "retry_on_timeout": False,
    }
    if s.basic_auth:
        kwargs["http_auth"] = s.basic_auth
    if s.tls:
        kwargs["verify_certs"] = s.verify_certs
        if s.ca_certs:
            kwargs["ca_certs"] = str(s.ca_certs)
    return AsyncOpenSearch(list(s.hosts), **kwargs)


def _http_failure(status: int, body: Any, where: str) -> Exception:
    reason = describe_error(body)
    if status in (401, 403):
        return TransientError(f"{where}: authentication/authorisation failed ({status}: {reason})")
    return TransientError(f"{where}: HTTP {status}: {reason}")


async def connect(s: Settings, flavor: Flavor | Literal["auto"]) -> Backend:
    """Probe ``GET /`` and return the backend for the product and version found."""
    if flavor == "opensearch":
        return await _connect_opensearch(s)
    client = _elastic_client(s)
    try:
        resp = await client.perform_request(
            "GET", "/", headers={"accept": _COMPAT.format(kind="json", major=8)}
        )
    except UnsupportedProductError as exc:
        await client.close()
        info = exc.body if isinstance(exc.body, dict) else {}
        distribution = (info.get("version") or {}).get("distribution")
        if distribution == "opensearch" and flavor == "auto":
            return await _connect_opensearch(s)
        raise PermanentError(
            f"the server at {', '.join(s.hosts)} is not Elasticsearch "
            f"(distribution {distribution!r}); set flavor: opensearch or auto"
        ) from None
    except ApiError as exc:
        await client.close()
        raise _http_failure(exc.meta.status, exc.body, "probing the server") from None
    except elastic_transport.TransportError as exc:
        await client.close()
        raise TransientError(f"cannot reach {', '.join(s.hosts)}: {exc}") from None
    version = parse_version(str(resp.body.get("version", {}).get("number", "0")))
    if version[0] < 8:
        await client.close()
        raise PermanentError(f"Elasticsearch {version} is not supported (8.x or 9.x needed)")
    log.info("connected to Elasticsearch %s", ".".join(map(str, version)))
    return ElasticBackend(client, version)


async def _connect_opensearch(s: Settings) -> Backend:
    client = _opensearch_client(s)
    try:
        info = await client.info()
    except os_exc.ConnectionError as exc:
        await client.close()
        raise TransientError(f"cannot reach {', '.join(s.hosts)}: {exc}") from None
    except os_exc.TransportError as exc:
        await client.close()
        status = exc.status_code if isinstance(exc.status_code, int) else 0
        raise _http_failure(status, exc.info, "probing the server") from None
    version = parse_version(str(info.get("version", {}).get("number", "0")))
    log.info("connected to OpenSearch %s", ".".join(map(str, version)))
    return OpenSearchBackend(client, version)


def describe_error(body: Any) -> str:
    """``type: reason (caused by type: reason)`` from an ES/OpenSearch error object or body."""
    if isinstance(body, dict) and "error" in body:
        body = body["error"]
    if not isinstance(body, dict):
        return str(body)[:500] if body else "no details"
    text = f"{body.get('type', 'error')}: {body.get('reason', '')}"
    cause = body.get("caused_by")
    if isinstance(cause, dict):
        text += f" (caused by {cause.get('type')}: {cause.get('reason')})"
    return text[:1000]
