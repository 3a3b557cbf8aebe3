"""A plan (and what applying it did) for people and for tools, with every secret redacted.

Both forms pass every string through ``actions.redact``: the webhook token never appears. A
changed token is still visible as a change, marked ``(secret changed)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from osmon.alarms.actions import redact
from osmon.alarms.plan import Change, FieldChange, Plan

__all__ = ["Outcome", "to_json", "to_text"]

Outcome = tuple[Change, str | None]
"""A change and the error Aodh answered (None: done)."""

_SIGN = {"create": "+", "update": "~", "delete": "-"}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _field(change: FieldChange) -> dict[str, Any]:
    old, new = _clean(change.old), _clean(change.new)
    out = {"key": change.key, "old": old, "new": new}
    if old == new:
        out["note"] = "secret changed"
    return out


def _short(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def to_text(plan: Plan, cloud: str, outcomes: Sequence[Outcome] | None = None) -> str:
    """A readable diff: one line per alarm, then one line per changed key of an update."""
    counts = {a: sum(1 for c in plan.changes if c.action == a) for a in _SIGN}
    if outcomes is None:
        done = ("to create", "to update", "to delete")
    else:
        done = ("created", "updated", "deleted")
        failed = sum(1 for _c, error in outcomes if error)
        done = (*done[:2], f"{done[2]}, {failed} failed") if failed else done
    lines = [
        f"Aodh alarms of cloud {cloud!r} ({counts['create']} {done[0]}, "
        f"{counts['update']} {done[1]}, {counts['delete']} {done[2]}, "
        f"{len(plan.unchanged)} unchanged)"
    ]
    errors = dict((id(c), e) for c, e in outcomes or ())
    for change in plan.changes:
        extra = f" ({change.alarm_id})" if change.alarm_id else ""
        if change.body is not None and change.action == "create":
            extra = f" ({change.body.get('type')}, {change.body.get('severity')})"
        error = errors.get(id(change))
        status = f"  FAILED: {redact(error)}" if error else ""
        lines.append(f"{_SIGN[change.action]} {change.action} {change.name}{extra}{status}")
        for fc in change.fields:
            item = _field(fc)
            note = f"  ({item['note']})" if "note" in item else ""
            lines.append(f"    {fc.key}: {_short(item['old'])} -> {_short(item['new'])}{note}")
    for name in plan.kept:
        lines.append(f"  kept {name}: not in the inventory any more (--prune deletes it)")
    if plan.empty and outcomes is None:
        lines.append("No changes.")
    return "\n".join(lines)


def to_json(plan: Plan, cloud: str, outcomes: Sequence[Outcome] | None = None) -> str:
    """The plan as JSON: changes (action, name, alarm_id, fields, body), unchanged, kept."""
    errors = dict((id(c), e) for c, e in outcomes or ())
    changes = []
    for change in plan.changes:
        item: dict[str, Any] = {"action": change.action, "name": change.name}
        item["alarm_id"] = change.alarm_id
        item["fields"] = [_field(fc) for fc in change.fields]
        item["body"] = _clean(change.body) if change.body is not None else None
        if outcomes is not None:
            error = errors.get(id(change))
            item["result"] = "failed" if error else "done"
            item["error"] = redact(error) if error else None
        changes.append(item)
    doc = {
        "cloud": cloud,
        "changes": changes,
        "unchanged": list(plan.unchanged),
        "kept": list(plan.kept),
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)
