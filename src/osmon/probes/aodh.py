"""Probe kind ``aodh``: alarms that stay in ``insufficient data``, from Aodh's ``GET /v2/alarms``.

An alarm that cannot be evaluated (its metric has no measures, the evaluator is down, a query is
wrong) sits in ``insufficient data`` and will never fire: ``alarms_stuck`` counts the enabled
ones whose state has not changed for longer than the probe's ``stuck_after`` (default
``STUCK_AFTER`` seconds), and is what thresholds judge (catalog default: WARNING from one).
``alarms_insufficient_data`` counts all enabled ones; ``alarms`` gives the count per state
(label ``state``) for dashboards. Every project's alarms are read (``all_projects``).

Authentication follows the inventory: its ``auth`` → the Keystone token; none → Aodh's
``noauth`` mode with admin headers (``X-Roles: admin``), as the local stack runs it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from osmon.checks.state import State
from osmon.probes.base import Metric, Observation, ProbeContext, ProbeFailed
from osmon.probes.keystone_session import keystone_session, service_access
from osmon.probes.openstack_api import get_json, tls_context

if TYPE_CHECKING:
    from osmon.inventory import Probe

__all__ = ["STUCK_AFTER", "probe"]

#: Seconds in ``insufficient data`` after which an alarm counts as stuck, unless the probe says.
STUCK_AFTER = 600.0

INSUFFICIENT = "insufficient data"
_STATES = ("ok", "alarm", INSUFFICIENT)
_NOAUTH = {
    "X-User-Id": "osmon",
    "X-Project-Id": "osmon",
    "X-Roles": "admin",
}
_QUERY = "/v2/alarms?q.field=all_projects&q.op=eq&q.value=true"
_UP = "osmon_probe_aodh_api_up"


def _since(alarm: dict[str, Any]) -> float:
    """Epoch seconds of the alarm's last state change (Aodh: naive UTC ISO 8601)."""
    stamp = datetime.fromisoformat(str(alarm.get("state_timestamp")))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    access = await service_access(ctx, target.url, "alarming", _NOAUTH)
    failed = (Metric("api_up", 0.0, series=_UP),)
    body = await get_json(
        ctx,
        access.endpoint.rstrip("/") + _QUERY,
        what="aodh API",
        headers=access.headers,
        ssl_context=tls_context(target.tls_verify, target.ca_file),
        server_name=target.server_name,
        failed=failed,
        on_refused=keystone_session(ctx).invalidate if ctx.auth is not None else None,
    )
    stuck_after = target.stuck_after or STUCK_AFTER
    now = time.time()
    counts = dict.fromkeys(_STATES, 0)
    waiting = stuck = 0
    oldest = ""
    try:
        if not isinstance(body, list):
            raise ValueError("not a list of alarms")
        for alarm in body:
            state = str(alarm["state"])
            counts[state] = counts.get(state, 0) + 1
            if state != INSUFFICIENT or alarm.get("enabled") is False:
                continue
            waiting += 1
            if now - _since(alarm) > stuck_after:
                stuck += 1
                oldest = oldest or str(alarm.get("name") or alarm.get("alarm_id"))
    except (ValueError, KeyError, TypeError) as exc:
        raise ProbeFailed(State.CRITICAL, f"aodh API: unexpected body ({exc})", failed) from None
    metrics = [
        Metric("alarms", float(n), series="osmon_probe_aodh_alarms", labels={"state": s})
        for s, n in sorted(counts.items())
    ]
    metrics += [
        Metric("alarms_insufficient_data", float(waiting)),
        Metric("alarms_stuck", float(stuck)),
        Metric("api_up", 1.0, series=_UP),
    ]
    summary = f"{len(body)} alarms, {waiting} in insufficient data"
    if stuck:
        summary += f", {stuck} for more than {stuck_after:g}s (e.g. {oldest})"
    return Observation(tuple(metrics), summary=summary)
