"""Probe kind ``gnocchi``: how far metricd is behind, from Gnocchi's ``GET /v1/status``.

``storage.summary.measures`` (measures waiting) and ``storage.summary.metrics`` (metrics with
measures waiting) are what thresholds judge as ``measures_waiting`` and ``metrics_waiting``;
``metricd_processors`` counts the metricd workers Gnocchi knows (0: nobody processes). Exported
under openstack-exporter's gnocchi names (``openstack_gnocchi_status_measures_to_process``,
``openstack_gnocchi_status_metric_having_measures_to_process``,
``openstack_gnocchi_status_metricd_processors``, ``openstack_gnocchi_up``).

``details=false`` keeps the answer small however large the backlog. Authentication follows the
inventory: its ``auth`` → the Keystone token; none → Gnocchi's ``basic`` mode as user ``admin``
(the ``get status`` policy wants the admin role).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from osmon.checks.state import State
from osmon.probes.base import Metric, Observation, ProbeContext, ProbeFailed
from osmon.probes.keystone_session import keystone_session, service_access
from osmon.probes.openstack_api import get_json, tls_context

if TYPE_CHECKING:
    from osmon.inventory import Probe

__all__ = ["probe"]

_BASIC_ADMIN = {"Authorization": "Basic " + base64.b64encode(b"admin:").decode()}
_UP = "openstack_gnocchi_up"


def _count(doc: Any, *keys: str) -> float:
    for key in keys:
        doc = doc.get(key) if isinstance(doc, dict) else None
    if isinstance(doc, bool) or not isinstance(doc, int | float):
        raise ValueError(f"no number at {'.'.join(keys)}")
    return float(doc)


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    access = await service_access(ctx, target.url, "metric", _BASIC_ADMIN)
    failed = (Metric("api_up", 0.0, series=_UP),)
    body = await get_json(
        ctx,
        access.endpoint.rstrip("/") + "/v1/status?details=false",
        what="gnocchi API",
        headers=access.headers,
        ssl_context=tls_context(target.tls_verify, target.ca_file),
        server_name=target.server_name,
        failed=failed,
        on_refused=keystone_session(ctx).invalidate if ctx.auth is not None else None,
    )
    try:
        measures = _count(body, "storage", "summary", "measures")
        metrics = _count(body, "storage", "summary", "metrics")
    except ValueError as exc:
        raise ProbeFailed(State.CRITICAL, f"gnocchi API: unexpected body ({exc})", failed) from None
    found = [
        Metric("measures_waiting", measures, series="openstack_gnocchi_status_measures_to_process"),
        Metric(
            "metrics_waiting",
            metrics,
            series="openstack_gnocchi_status_metric_having_measures_to_process",
        ),
        Metric("api_up", 1.0, series=_UP),
    ]
    summary = f"{measures:g} measures waiting in {metrics:g} metrics"
    processors = body.get("metricd", {}).get("processors") if isinstance(body, dict) else None
    if isinstance(processors, list):
        found.append(
            Metric(
                "metricd_processors",
                float(len(processors)),
                series="openstack_gnocchi_status_metricd_processors",
            )
        )
        summary += f", {len(processors)} metricd processors"
    return Observation(tuple(found), summary=summary)
