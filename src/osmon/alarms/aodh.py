"""Aodh through aodhclient: list the project's alarms, create, update, delete.

Two ways in. With Keystone, a keystoneauth session from the inventory's ``auth`` (a clouds.yaml
entry, or ``auth_url``/``username``/``project_name`` with the password in ``password_env``) and
the ``alarming`` endpoint of the catalog unless a URL is given. Without Keystone, Aodh's
``noauth`` mode (``[api] auth_mode = noauth``, how the local stack runs it): the identity is the
``X-User-Id``/``X-Project-Id``/``X-Roles: admin`` headers. aodhclient and keystoneauth are
imported here only, when a command talks to Aodh.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from osmon.alarms.actions import redact
from osmon.alarms.plan import Change, Plan

if TYPE_CHECKING:
    from osmon.inventory.model import Auth

__all__ = ["AodhAPI", "AodhError", "NoAuth", "apply", "connect"]

PAGE = 100
"""Alarms per list request (Aodh's default page size)."""


class AodhError(RuntimeError):
    """Aodh could not be reached or refused a request; the message is safe to print."""


@dataclass(frozen=True, slots=True)
class NoAuth:
    """Aodh ``noauth`` identity: the project and user the alarms belong to."""

    url: str
    project_id: str
    user_id: str


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact(f"{type(exc).__name__}: {text}")


def _keystone_session(auth: Auth, timeout: float) -> Any:
    from keystoneauth1 import session as ksa_session
    from keystoneauth1.identity import v3

    from osmon.clouds import auth_plugin, load_cloud

    verify: bool | str = auth.tls.ca_file or auth.tls.verify is not False
    if auth.cloud is not None:
        cloud = load_cloud(auth.cloud)
        plugin = auth_plugin(cloud)
        if auth.tls.ca_file is None and auth.tls.verify is None:
            verify = cloud.cacert or cloud.verify
    else:
        if auth.auth_url is None or auth.username is None or auth.password_env is None:
            raise AodhError("auth gives no auth_url/username/password_env (nor a cloud)")
        if auth.password_env not in os.environ:
            raise AodhError(f"environment variable {auth.password_env} (the password) is not set")
        plugin = v3.Password(
            auth_url=auth.auth_url,
            username=auth.username,
            password=os.environ[auth.password_env],
            user_domain_name=auth.user_domain_name,
            project_name=auth.project_name,
            project_domain_name=auth.project_domain_name,
        )
    return ksa_session.Session(auth=plugin, verify=verify, timeout=timeout)


class AodhAPI:
    """The few Aodh calls plan/apply need, errors turned into ``AodhError``."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # aodhclient/keystoneauth raise many unrelated classes
            raise AodhError(f"Aodh: {what}: {_describe(exc)}") from None

    def alarms(self) -> list[dict[str, Any]]:
        """Every alarm of the project, page by page."""
        out: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            page = self._call(
                "list alarms",
                self._client.alarm.list,
                limit=PAGE,
                marker=marker,
                sorts=["name:asc"],
            )
            out += page
            if len(page) < PAGE:
                return out
            marker = page[-1]["alarm_id"]

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("create", self._client.alarm.create, dict(body))
        return result

    def update(self, alarm_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        # PUT of the whole body: aodhclient merges it into the alarm it reads first.
        result: dict[str, Any] = self._call(
            "update", self._client.alarm.update, alarm_id, dict(body)
        )
        return result

    def delete(self, alarm_id: str) -> None:
        self._call("delete", self._client.alarm.delete, alarm_id)


def connect(
    auth: Auth | None,
    *,
    noauth: NoAuth | None = None,
    url: str | None = None,
    region: str | None = None,
    timeout: float = 30.0,
) -> AodhAPI:
    """An ``AodhAPI`` through Keystone (``auth``) or Aodh's noauth mode (``noauth``)."""
    from aodhclient import client as aodh_client
    from aodhclient import noauth as aodh_noauth
    from keystoneauth1 import session as ksa_session

    from osmon.clouds import CloudConfigError

    try:
        if noauth is not None:
            plugin = aodh_noauth.AodhNoAuthPlugin(
                user_id=noauth.user_id,
                project_id=noauth.project_id,
                roles="admin",
                endpoint=noauth.url,
            )
            session = ksa_session.Session(auth=plugin, timeout=timeout)
            return AodhAPI(aodh_client.Client("2", session=session))
        if auth is None:
            raise AodhError("the inventory has no 'auth': give it one, or use --noauth")
        session = _keystone_session(auth, timeout)
        options: dict[str, Any] = {"interface": auth.interface}
        if region or auth.region_name:
            options["region_name"] = region or auth.region_name
        if url:
            options["endpoint_override"] = url
        return AodhAPI(aodh_client.Client("2", session=session, **options))
    except CloudConfigError as exc:
        raise AodhError(str(exc)) from None


def apply(plan: Plan, api: AodhAPI) -> Iterator[tuple[Change, str | None]]:
    """Perform every change in order; each with None or the error Aodh answered (redacted).

    A failed change does not stop the others: the next plan shows what is left.
    """
    for change in plan.changes:
        try:
            if change.action == "create" and change.body is not None:
                api.create(change.body)
            elif change.action == "update" and change.body is not None and change.alarm_id:
                api.update(change.alarm_id, change.body)
            elif change.action == "delete" and change.alarm_id:
                api.delete(change.alarm_id)
        except AodhError as exc:
            yield change, str(exc)
            continue
        yield change, None
