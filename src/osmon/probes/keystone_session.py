"""One Keystone session per cloud for the authenticated probes: token reuse, catalog endpoints.

The session lives in ``ProbeContext.resources`` and is built from the inventory's ``auth``
(``ProbeContext.auth``): a clouds.yaml entry, or ``auth_url``/``username``/``project_name`` with
the password in the environment variable ``password_env``. keystoneauth1 keeps the token and
authenticates again only when it is within two minutes of expiry, so N probes cost one token
request per token lifetime.

keystoneauth1 is synchronous. Only its own calls (token and catalog: network traffic only when a
new token is needed) run in a small dedicated thread pool; the API requests go through aiohttp
with the token header (``osmon.probes.openstack_api``), so the runner's timeout cancels them and
thousands of probes share the event loop instead of one thread each. A Keystone failure is
remembered for ``RETRY_AFTER`` seconds: while Keystone is down, the probes that need a token
are UNKNOWN with the reason, without each of them asking it again; the other probes go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from keystoneauth1 import exceptions as ksa_exc
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

from osmon.checks.state import State
from osmon.clouds import CloudConfigError, auth_plugin, load_cloud
from osmon.probes.base import Metric, ProbeContext, ProbeFailed

if TYPE_CHECKING:
    from osmon.inventory.model import Auth

__all__ = [
    "IDENTITY_UP",
    "RETRY_AFTER",
    "Access",
    "KeystoneSession",
    "keystone_session",
    "service_access",
]

RESOURCE = "keystone_session"

#: Seconds a failed authentication is remembered before Keystone is asked again.
RETRY_AFTER = 5.0

#: openstack-exporter's name for "Keystone answered" (its ``identity`` exporter).
IDENTITY_UP = "openstack_identity_up"

_THREADS = 2
_KEYSTONE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Access:
    """What an API request needs: the token header and the service's catalog endpoint."""

    headers: dict[str, str]
    endpoint: str


def _identity_up(value: float) -> Metric:
    return Metric("identity_up", value, series=IDENTITY_UP)


class KeystoneSession:
    """A keystoneauth1 ``Session`` for one cloud and the thread pool its calls run in."""

    def __init__(self, auth: Auth) -> None:
        self._auth = auth
        self._executor = ThreadPoolExecutor(_THREADS, thread_name_prefix="osmon-keystone")
        self._session: ksa_session.Session | None = None
        self._interface: str = auth.interface
        self._region: str | None = auth.region_name
        self._failed: tuple[float, str] | None = None
        self._lock = threading.Lock()

    def _build(self) -> ksa_session.Session:
        auth = self._auth
        verify: bool | str = auth.tls.ca_file or auth.tls.verify is not False
        if auth.cloud is not None:
            cloud = load_cloud(auth.cloud)
            plugin = auth_plugin(cloud)
            if "interface" not in auth.model_fields_set and cloud.interface:
                self._interface = cloud.interface
            self._region = auth.region_name or cloud.region_name
            if auth.tls.ca_file is None and auth.tls.verify is None:
                verify = cloud.cacert or cloud.verify
        else:
            if auth.auth_url is None or auth.username is None or auth.password_env is None:
                raise CloudConfigError("auth gives no auth_url/username/password_env (nor a cloud)")
            password = os.environ.get(auth.password_env)
            if password is None:
                raise CloudConfigError(f"environment variable {auth.password_env} is not set")
            plugin = v3.Password(
                auth_url=auth.auth_url,
                username=auth.username,
                password=password,
                project_name=auth.project_name,
                user_domain_name=auth.user_domain_name,
                project_domain_name=auth.project_domain_name,
            )
        return ksa_session.Session(auth=plugin, verify=verify, timeout=_KEYSTONE_TIMEOUT)

    def start(self, auth_state: str | None = None) -> ksa_session.Session:
        """Build the keystoneauth1 session now, from a saved token (``get_auth_state``) when
        one is given and still loads; a plugin's token cache (short-lived processes) uses it.
        Raises what a clouds.yaml or variable problem raises, as ``access`` would."""
        session = self._build()
        if auth_state:
            with contextlib.suppress(ValueError, TypeError, KeyError):
                cast(Any, session.auth).set_auth_state(auth_state)
        with self._lock:
            self._session = session
        return session

    def _access(self, service_type: str | None) -> Access:
        """Token and endpoint; runs in the pool (network only when a token is due)."""
        with self._lock:  # two pool threads must not build two sessions (two tokens)
            if self._session is None:
                self._session = self._build()
        headers = self._session.get_auth_headers() or {}
        if service_type is None:
            return Access(dict(headers), "")
        try:
            endpoint = self._session.get_endpoint(
                service_type=service_type, interface=self._interface, region_name=self._region
            )
        except ksa_exc.CatalogException:  # EndpointNotFound: Keystone itself did answer
            endpoint = None
        if not endpoint:
            where = f" in region {self._region}" if self._region else ""
            raise LookupError(f"no {self._interface} {service_type} endpoint{where} in the catalog")
        return Access(dict(headers), str(endpoint))

    async def access(self, service_type: str | None) -> Access:
        """The token header and the catalog endpoint of ``service_type`` (none asked: ``""``).

        Raises ``ProbeFailed``, UNKNOWN with the reason: Keystone gives no token
        (``openstack_identity_up 0``), or its catalog has no such endpoint (``… 1``).
        """
        failed = self._failed
        if failed is not None and time.monotonic() - failed[0] < RETRY_AFTER:
            raise ProbeFailed(State.UNKNOWN, failed[1], (_identity_up(0.0),))
        loop = asyncio.get_running_loop()
        try:
            access = await loop.run_in_executor(self._executor, self._access, service_type)
        except LookupError as exc:
            raise ProbeFailed(State.UNKNOWN, str(exc), (_identity_up(1.0),)) from None
        except (ksa_exc.ClientException, CloudConfigError, OSError) as exc:
            reason = f"Keystone: {describe(exc)}"
            self._failed = (time.monotonic(), reason)
            raise ProbeFailed(State.UNKNOWN, reason, (_identity_up(0.0),)) from None
        self._failed = None
        return access

    def invalidate(self) -> None:
        """Drop the token (an API refused it): the next probe authenticates again."""
        if self._session is not None and self._session.auth is not None:
            self._session.invalidate()

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def describe(exc: BaseException) -> str:
    """A one-line reason for a keystoneauth or configuration error."""
    if isinstance(exc, ksa_exc.ConnectTimeout):
        return f"timed out connecting ({exc})"
    if isinstance(exc, ksa_exc.ConnectFailure):
        return f"unreachable ({exc})"
    if isinstance(exc, ksa_exc.Unauthorized):
        return "the credentials were refused (401)"
    if isinstance(exc, ksa_exc.HttpError):
        return f"answered {exc.http_status} {exc.message}".strip()
    if isinstance(exc, ksa_exc.DiscoveryFailure):
        return f"version discovery failed ({exc})"
    if isinstance(exc, CloudConfigError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def keystone_session(ctx: ProbeContext) -> KeystoneSession:
    """The context's session, created on first use; UNKNOWN when the inventory has no ``auth``."""
    found: Any = ctx.resources.get(RESOURCE)
    if isinstance(found, KeystoneSession):
        return found
    if ctx.auth is None:
        raise ProbeFailed(State.UNKNOWN, "the inventory has no 'auth': no Keystone token")
    created = KeystoneSession(ctx.auth)
    ctx.resources[RESOURCE] = created
    ctx.closers.append(created.close)
    return created


async def service_access(
    ctx: ProbeContext, url: str | None, service_type: str, anonymous: dict[str, str]
) -> Access:
    """Headers and base URL for a probe of a service's own API (Gnocchi, Aodh).

    With the inventory's ``auth``: the Keystone token, and the target's URL or else the
    catalog's endpoint. Without: ``anonymous`` (Gnocchi basic, Aodh noauth headers) and the
    target's URL, which is then required.
    """
    base = None
    if url is not None:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
    if ctx.auth is None:
        if base is None:
            raise ProbeFailed(State.UNKNOWN, f"no URL for the {service_type} API and no 'auth'")
        return Access(dict(anonymous), base)
    access = await keystone_session(ctx).access(None if base else service_type)
    return access if base is None else Access(access.headers, base)
