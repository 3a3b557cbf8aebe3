"""The pure diff: create, update with exactly the changed keys, delete only what osmon owns."""

from __future__ import annotations

import copy
from typing import Any

from osmon.alarms import plan

MARK = " [osmon_owner=prod]"


def body(name: str, threshold: float = 1, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": f"osmon-prod-{name}",
        "description": f"d{MARK}",
        "type": "gnocchi_resources_threshold",
        "severity": "moderate",
        "enabled": True,
        "repeat_actions": False,
        "alarm_actions": [],
        "ok_actions": [],
        "insufficient_data_actions": [],
        "time_constraints": [],
        "gnocchi_resources_threshold_rule": {
            "metric": "m",
            "resource_id": "r",
            "resource_type": "generic",
            "aggregation_method": "mean",
            "granularity": 60,
            "evaluation_periods": 1,
            "threshold": threshold,
            "comparison_operator": "gt",
        },
    }
    out.update(extra)
    return out


def in_aodh(b: dict[str, Any], alarm_id: str) -> dict[str, Any]:
    """How Aodh answers: floats, extra keys of its own."""
    out = copy.deepcopy(b)
    out["gnocchi_resources_threshold_rule"]["threshold"] = float(
        b["gnocchi_resources_threshold_rule"]["threshold"]
    )
    out.update(alarm_id=alarm_id, state="ok", project_id="p", timestamp="t")
    return out


def test_from_empty_everything_is_created() -> None:
    want = {b["name"]: b for b in (body("a"), body("b"))}
    p = plan(want, [], "prod")
    assert [(c.action, c.name) for c in p.changes] == [
        ("create", "osmon-prod-a"),
        ("create", "osmon-prod-b"),
    ]


def test_equal_in_aodh_form_is_no_change() -> None:
    want = {"osmon-prod-a": body("a")}
    p = plan(want, [in_aodh(body("a"), "id-a")], "prod")
    assert p.empty and p.unchanged == ("osmon-prod-a",)


def test_update_lists_exactly_the_changed_keys() -> None:
    want = {"osmon-prod-a": body("a", threshold=2, severity="critical")}
    p = plan(want, [in_aodh(body("a"), "id-a")], "prod")
    (change,) = p.changes
    assert (change.action, change.alarm_id) == ("update", "id-a")
    assert [(f.key, f.old, f.new) for f in change.fields] == [
        ("severity", "moderate", "critical"),
        ("gnocchi_resources_threshold_rule.threshold", 1.0, 2),
    ]


def test_type_change_replaces_the_rule() -> None:
    event = body("a", type="event", event_rule={"event_type": "x", "query": []})
    del event["gnocchi_resources_threshold_rule"]
    (change,) = plan({"osmon-prod-a": event}, [in_aodh(body("a"), "id-a")], "prod").changes
    assert [f.key for f in change.fields] == ["type", "event_rule"]


def test_delete_only_with_prune_and_only_what_osmon_owns() -> None:
    hand_made = in_aodh(body("old", description="made by hand"), "id-h")
    other_cloud = in_aodh(body("old", description="d [osmon_owner=dev]"), "id-d")
    stale = in_aodh(body("old"), "id-old")
    actual = [hand_made, other_cloud, stale]
    kept = plan({}, actual, "prod")
    assert kept.empty and kept.kept == ("osmon-prod-old",)
    pruned = plan({}, actual, "prod", prune=True)
    assert [(c.action, c.alarm_id) for c in pruned.changes] == [("delete", "id-old")]


def test_a_duplicate_of_an_owned_alarm_is_deleted() -> None:
    actual = [in_aodh(body("a"), "id-2"), in_aodh(body("a"), "id-1")]
    p = plan({"osmon-prod-a": body("a")}, actual, "prod")
    assert [(c.action, c.alarm_id) for c in p.changes] == [("delete", "id-2")]
    assert p.unchanged == ("osmon-prod-a",)
