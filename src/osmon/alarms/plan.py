"""What ``osmon alarms apply`` would do: a pure diff of desired bodies against Aodh's alarms.

Only the alarms osmon owns (``desired.is_owned``) take part; anything else in Aodh is invisible
here. An alarm is updated when a key osmon manages differs, and the change lists exactly those
keys (rule keys as ``<type>_rule.<key>``). Owned alarms the inventory no longer has are deleted
only with ``prune``; otherwise they are reported as left alone. Applying a plan and planning
again gives an empty plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from osmon.alarms.desired import MANAGED_KEYS, is_owned

__all__ = ["Change", "FieldChange", "Plan", "plan"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One managed key whose value differs: ``old`` (Aodh) → ``new`` (inventory)."""

    key: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Change:
    """Create, update or delete one Aodh alarm; ``body`` is the desired body (not for delete)."""

    action: Literal["create", "update", "delete"]
    name: str
    alarm_id: str | None = None
    body: Mapping[str, Any] | None = None
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """The changes in order (creates, updates, deletes; by name) and what stays as it is."""

    changes: tuple[Change, ...]
    unchanged: tuple[str, ...] = ()
    kept: tuple[str, ...] = field(default=())
    """Owned alarms the inventory no longer has, left in Aodh because ``prune`` was off."""

    @property
    def empty(self) -> bool:
        return not self.changes


def _rule_key(body: Mapping[str, Any]) -> str:
    return f"{body.get('type')}_rule"


def _differences(want: Mapping[str, Any], have: Mapping[str, Any]) -> list[FieldChange]:
    out = [
        FieldChange(key, have.get(key), want[key])
        for key in MANAGED_KEYS
        if key in want and _normal(have.get(key)) != _normal(want[key])
    ]
    if want.get("type") != have.get("type"):
        out.append(FieldChange(_rule_key(want), None, want.get(_rule_key(want))))
        return out
    rule_key = _rule_key(want)
    new_rule, old_rule = want.get(rule_key) or {}, have.get(rule_key) or {}
    if rule_key == "composite_rule" or not isinstance(old_rule, Mapping):
        if _normal(old_rule) != _normal(new_rule):
            out.append(FieldChange(rule_key, old_rule, new_rule))
        return out
    for key in sorted(set(new_rule) | set(old_rule)):
        if _normal(old_rule.get(key)) != _normal(new_rule.get(key)):
            out.append(FieldChange(f"{rule_key}.{key}", old_rule.get(key), new_rule.get(key)))
    return out


def _normal(value: Any) -> Any:
    """Numbers compare by value (Aodh returns 1.0 for 1); lists and maps recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def plan(
    desired: Mapping[str, Mapping[str, Any]],
    actual: Iterable[Mapping[str, Any]],
    cloud: str,
    *,
    prune: bool = False,
) -> Plan:
    """The changes that make the owned alarms of ``actual`` (Aodh's list) equal ``desired``."""
    owned: dict[str, list[Mapping[str, Any]]] = {}
    for body in actual:
        if is_owned(body, cloud):
            owned.setdefault(str(body["name"]), []).append(body)
    creates: list[Change] = []
    updates: list[Change] = []
    deletes: list[Change] = []
    unchanged: list[str] = []
    kept: list[str] = []
    for name in sorted(desired):
        want = desired[name]
        have = sorted(owned.pop(name, []), key=lambda b: str(b.get("alarm_id")))
        if not have:
            creates.append(Change("create", name, body=want))
            continue
        # Two owned alarms of one name (an apply interrupted and run again): keep the first.
        first, extra = have[0], have[1:]
        deletes += [Change("delete", name, alarm_id=str(b["alarm_id"])) for b in extra]
        diff = _differences(want, first)
        if diff:
            alarm_id = str(first["alarm_id"])
            updates.append(Change("update", name, alarm_id=alarm_id, body=want, fields=tuple(diff)))
        else:
            unchanged.append(name)
    for name in sorted(owned):
        for body in owned[name]:
            if prune:
                deletes.append(Change("delete", name, alarm_id=str(body["alarm_id"])))
            else:
                kept.append(name)
    return Plan((*creates, *updates, *deletes), tuple(unchanged), tuple(kept))
