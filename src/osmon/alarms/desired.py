"""The Aodh alarms an inventory wants: ``Expansion.alarms`` → Aodh v2 alarm bodies.

Every alarm osmon creates is named ``osmon-<cloud>-<alarm id>`` and its description ends with
the ownership marker ``[osmon_owner=<cloud>]``; osmon reads, updates and deletes only alarms that
have both, so an alarm made by hand (even one with a similar name) is never touched. Bodies hold
exactly the keys osmon manages, in the form Aodh returns them (floats for thresholds, the resource
query as compact sorted JSON), so comparing a body with what Aodh holds shows real changes only.
``prometheus`` alarms have no Aodh body: they go to the Prometheus rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from osmon.inventory import Alarm, Expansion

__all__ = ["MANAGED_KEYS", "alarm_id", "aodh_name", "desired", "is_owned", "owner_marker"]

MANAGED_KEYS = (
    "name",
    "description",
    "type",
    "severity",
    "enabled",
    "repeat_actions",
    "alarm_actions",
    "ok_actions",
    "insufficient_data_actions",
    "time_constraints",
)
"""Top-level keys osmon sets (plus the one ``<type>_rule``); others Aodh owns (state, ids)."""

_GNOCCHI = {
    "threshold": "gnocchi_aggregation_by_resources_threshold",
    "gnocchi_aggregation_by_resources_threshold": "gnocchi_aggregation_by_resources_threshold",
    "gnocchi_resources_threshold": "gnocchi_resources_threshold",
    "gnocchi_aggregation_by_metrics_threshold": "gnocchi_aggregation_by_metrics_threshold",
}
_TRAIT_TYPES = {str: "string", int: "integer", float: "float"}


def aodh_name(cloud: str, alarm_id: str) -> str:
    return f"osmon-{cloud}-{alarm_id}"


def alarm_id(cloud: str, name: str) -> str | None:
    """The inventory alarm id an Aodh alarm name stands for (None: not an osmon name)."""
    prefix = aodh_name(cloud, "")
    if not name.startswith(prefix):
        return None
    return name[len(prefix) :] or None


def owner_marker(cloud: str) -> str:
    return f"[osmon_owner={cloud}]"


def is_owned(body: Mapping[str, Any], cloud: str) -> bool:
    """Whether osmon created this Aodh alarm for ``cloud`` (name prefix and marker both)."""
    name, description = body.get("name") or "", body.get("description") or ""
    return name.startswith(aodh_name(cloud, "")) and description.endswith(owner_marker(cloud))


def _threshold_rule(alarm: Alarm) -> tuple[str, dict[str, Any]]:
    kind = _GNOCCHI[alarm.type]
    rule: dict[str, Any] = {
        "aggregation_method": alarm.aggregation,
        "granularity": int(alarm.granularity),
        "evaluation_periods": alarm.evaluation_periods,
        "threshold": float(alarm.threshold or 0.0),
        "comparison_operator": alarm.comparison,
    }
    if kind == "gnocchi_aggregation_by_metrics_threshold":
        rule["metrics"] = list(alarm.metrics)
        return kind, rule
    rule["metric"] = alarm.metric
    rule["resource_type"] = alarm.resource_type
    if kind == "gnocchi_resources_threshold":
        rule["resource_id"] = alarm.resource_id
    else:
        query = alarm.resource_query or {}
        rule["query"] = json.dumps(query, sort_keys=True, separators=(",", ":"))
    return kind, rule


def _event_rule(alarm: Alarm) -> dict[str, Any]:
    query = [
        {
            "field": f"traits.{name}",
            "op": "eq",
            "type": _TRAIT_TYPES[type(value)],
            "value": str(value),
        }
        for name, value in sorted(alarm.traits.items())
    ]
    return {"event_type": alarm.event_type, "query": query}


def _composite_rule(node: Any, alarms: Mapping[str, Alarm]) -> Any:
    if isinstance(node, str):
        kind, rule = _threshold_rule(alarms[node])
        return {**rule, "type": kind}
    ((operator, members),) = node.items()
    return {operator: [_composite_rule(member, alarms) for member in members]}


def _constraints(alarm: Alarm) -> list[dict[str, Any]]:
    return [
        {
            "name": c["name"],
            "description": c.get("description") or f"osmon: {c['name']}",
            "start": c["start"],
            "duration": int(c["duration"]),
            "timezone": c.get("timezone", "UTC"),
        }
        for c in alarm.time_constraints
    ]


def _body(
    alarm: Alarm, cloud: str, actions: Sequence[str], alarms: Mapping[str, Alarm]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": aodh_name(cloud, alarm.id),
        "description": f"{alarm.description} {owner_marker(cloud)}",
        "severity": alarm.aodh_severity,
        "enabled": alarm.enabled,
        "repeat_actions": alarm.repeat_actions,
        "alarm_actions": list(actions),
        "ok_actions": list(actions),
        "insufficient_data_actions": list(actions),
        "time_constraints": _constraints(alarm),
    }
    if alarm.type == "event":
        body["type"] = "event"
        body["event_rule"] = _event_rule(alarm)
    elif alarm.type == "composite":
        body["type"] = "composite"
        body["composite_rule"] = _composite_rule(alarm.composite, alarms)
    else:
        body["type"], body[f"{_GNOCCHI[alarm.type]}_rule"] = _threshold_rule(alarm)
    return body


def desired(expansion: Expansion, actions: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Aodh name → body for every alarm of the inventory that Aodh evaluates.

    ``actions`` are the URLs Aodh posts every transition to (alarm, ok, insufficient data).
    """
    alarms = {alarm.id: alarm for alarm in expansion.alarms}
    return {
        aodh_name(expansion.cloud, alarm.id): _body(alarm, expansion.cloud, actions, alarms)
        for alarm in expansion.alarms
        if "aodh" in alarm.backends
    }
