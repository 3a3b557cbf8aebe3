"""Probe kind ``agent``: is this host's nova/cinder/neutron agent up, as its API reports it?

One target is one agent binary on one inventory host (``nova-compute/agent@cmp1``). The list
comes from the API of the target's Keystone service type, found in the catalog, with the
context's Keystone token: nova ``GET /os-services`` (microversion 2.53), cinder
``GET /os-services``, neutron ``GET /v2.0/agents``. Probes of the same API within
``LIST_TTL`` seconds share one request.

Exported as openstack-exporter does, so its alert rules work unchanged:
``openstack_{nova,cinder,neutron}_agent_state`` (1 up, 0 down) with its label names and values
(nova: ``id, hostname, service, adminState, zone, disabledReason``; cinder: the same but
``id``, and no ``uuid`` either: openstack-exporter fills it with a random UUID per scrape unless
``--disable-cinder-agent-uuid``; neutron: ``id, hostname, service, adminState`` = up/down,
``availability_zone``), ``openstack_<name>_up`` (1 when the API answered) and
``openstack_identity_up``. heat-engine (``GET /services``, which openstack-exporter does not
read) is exported the same way as ``openstack_heat_agent_state{id,hostname,service,adminState}``.
Only the inventory's agents are exported: one series per target.
``agents_down`` (enabled and down) and ``agents_disabled`` are what thresholds judge
(catalog defaults: CRITICAL when one is down, WARNING when one is disabled).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from osmon.checks.state import State
from osmon.probes.base import Metric, Observation, ProbeContext, ProbeFailed
from osmon.probes.keystone_session import IDENTITY_UP, keystone_session
from osmon.probes.openstack_api import get_json, tls_context

if TYPE_CHECKING:
    from osmon.inventory import Probe

__all__ = ["APIS", "LIST_TTL", "Agent", "AgentApi", "parse", "probe"]

#: Seconds one service list answers every probe of the same API.
LIST_TTL = 2.0

_RESOURCE = "agent_lists"


@dataclass(frozen=True, slots=True)
class AgentApi:
    """Where an OpenStack service lists its agents, and openstack-exporter's name for it."""

    name: str
    path: str
    key: str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def what(self) -> str:
        return f"{self.name} API"


#: By Keystone service type (and the aliases operators register).
APIS: dict[str, AgentApi] = {
    "compute": AgentApi(
        "nova", "/os-services", "services", (("OpenStack-API-Version", "compute 2.53"),)
    ),
    "block-storage": AgentApi("cinder", "/os-services", "services"),
    "network": AgentApi("neutron", "/v2.0/agents", "agents"),
    "orchestration": AgentApi("heat", "/services", "services"),
}
APIS["volumev3"] = APIS["volume"] = APIS["block-storage"]


@dataclass(frozen=True, slots=True)
class Agent:
    """One entry of a service list, in openstack-exporter's terms."""

    host: str
    binary: str
    up: bool
    enabled: bool
    labels: dict[str, str]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def parse(api: AgentApi, body: Any) -> list[Agent]:
    """The agents of a service-list body; ``ValueError`` when it is not one."""
    entries = body.get(api.key) if isinstance(body, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"no '{api.key}' list")
    agents = []
    for e in entries:
        host, binary = _text(e.get("host")), _text(e.get("binary"))
        if api.name == "neutron":
            enabled = bool(e.get("admin_state_up"))
            labels = {
                "id": _text(e.get("id")),
                "hostname": host,
                "service": binary,
                "adminState": "up" if enabled else "down",
                "availability_zone": _text(e.get("availability_zone")),
            }
            up = e.get("alive") is True
        elif api.name == "heat":  # no admin state; "status" is up/down
            enabled, up = True, e.get("status") == "up"
            labels = {"id": _text(e.get("id")), "hostname": host, "service": binary}
            labels["adminState"] = "enabled"
        else:
            enabled = e.get("status") == "enabled"
            labels = {
                "hostname": host,
                "service": binary,
                "adminState": _text(e.get("status")),
                "zone": _text(e.get("zone")),
                "disabledReason": _text(e.get("disabled_reason")),
            }
            if api.name == "nova":
                labels = {"id": _text(e.get("id")), **labels}
            up = e.get("state") == "up"
        agents.append(Agent(host, binary, up, enabled, labels))
    return agents


def _same_host(agent_host: str, host: str, address: str | None) -> bool:
    """Nova and neutron name hosts by CONF.host, cinder-volume as ``host@backend``."""
    name = agent_host.partition("@")[0].lower()
    wanted = host.lower()
    return (
        name == wanted
        or name.split(".")[0] == wanted.split(".")[0]
        or (address is not None and name == address.lower())
    )


async def list_agents(ctx: ProbeContext, stype: str, timeout: float) -> list[Agent]:
    """The agents or services a service type's API lists (``APIS``), shared as ``_agents``."""
    return await _agents(ctx, APIS[stype], stype, timeout)


async def _agents(ctx: ProbeContext, api: AgentApi, stype: str, timeout: float) -> list[Agent]:
    """The service list, shared by the probes of the same API within ``LIST_TTL``."""
    cache: dict[str, tuple[float, asyncio.Future[list[Agent]]]] = ctx.resources.setdefault(
        _RESOURCE, {}
    )
    now = time.monotonic()
    hit = cache.get(api.name)
    if hit is not None and now - hit[0] < LIST_TTL and _usable(hit[1]):
        return await asyncio.shield(hit[1])
    # bounded on its own: it outlives a probe cancelled by the runner, for the others
    future = asyncio.ensure_future(asyncio.wait_for(_fetch(ctx, api, stype), timeout))
    future.add_done_callback(_retrieve)  # its waiters may all have been cancelled
    cache[api.name] = (now, future)
    return await asyncio.shield(future)


def _retrieve(future: asyncio.Future[list[Agent]]) -> None:
    if not future.cancelled():
        future.exception()


def _usable(future: asyncio.Future[list[Agent]]) -> bool:
    """Pending, or done with a list: a failed fetch is not shared beyond its own run."""
    return not future.done() or (not future.cancelled() and future.exception() is None)


async def _fetch(ctx: ProbeContext, api: AgentApi, stype: str) -> list[Agent]:
    session = keystone_session(ctx)
    access = await session.access(stype)
    down = (Metric("api_up", 0.0, series=f"openstack_{api.name}_up"), _identity(1.0))
    tls = ctx.auth.tls if ctx.auth is not None else None
    verify = tls is None or tls.verify is not False
    body = await get_json(
        ctx,
        access.endpoint.rstrip("/") + api.path,
        what=api.what,
        headers={**access.headers, **dict(api.headers)},
        ssl_context=tls_context(verify, tls.ca_file if tls is not None else None),
        failed=down,
        on_refused=session.invalidate,
    )
    try:
        return parse(api, body)
    except ValueError as exc:
        raise ProbeFailed(State.CRITICAL, f"{api.what}: unexpected body ({exc})", down) from None


def _identity(value: float) -> Metric:
    return Metric("identity_up", value, series=IDENTITY_UP)


def _describe(agent: Agent) -> str:
    state = "up" if agent.up else "DOWN"
    if not agent.enabled:
        reason = agent.labels.get("disabledReason")
        state += f", disabled ({reason})" if reason else ", disabled"
    return f"{agent.binary} on {agent.host} {state}"


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    stype = target.keystone_service_type or ""
    api = APIS.get(stype)
    if api is None or target.agent_binary is None or target.host is None:
        known = ", ".join(sorted(APIS))
        raise ProbeFailed(
            State.UNKNOWN, f"no agent list for service type {stype!r} (known: {known})"
        )
    agents = await _agents(ctx, api, stype, target.timeout)
    mine = [
        a
        for a in agents
        if a.binary == target.agent_binary and _same_host(a.host, target.host, target.address)
    ]
    up = (Metric("api_up", 1.0, series=f"openstack_{api.name}_up"), _identity(1.0))
    if not mine:
        hosts = sorted({a.host for a in agents if a.binary == target.agent_binary})
        listed = ", ".join(hosts) if hosts else "none"
        raise ProbeFailed(
            State.CRITICAL,
            f"{target.agent_binary} on {target.host}: not in the {api.name} service list "
            f"(hosts with {target.agent_binary}: {listed})",
            up,
        )
    series = f"openstack_{api.name}_agent_state"
    metrics = [
        Metric("agent_state", 1.0 if a.up else 0.0, series=series, labels=a.labels) for a in mine
    ]
    down = sum(1 for a in mine if a.enabled and not a.up)
    disabled = sum(1 for a in mine if not a.enabled)
    metrics += [Metric("agents_down", float(down)), Metric("agents_disabled", float(disabled))]
    return Observation((*metrics, *up), summary="; ".join(_describe(a) for a in mine))
