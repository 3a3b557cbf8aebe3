"""Inventory alarms → Aodh bodies: names, ownership marker, actions and each rule type."""

from __future__ import annotations

import json

from osmon.alarms import alarm_id, desired, is_owned
from osmon.inventory import expand, load_text
from osmon.inventory.default_alarms import probe_query

INVENTORY = """\
cloud: {name: prod}
hosts:
  ctl1: {address: 10.0.0.1, roles: [controller]}
services:
  keystone: {}
alarms:
  - {name: t, metric: m, comparison: gt, threshold: 1, granularity: 5m, for: 15m,
     aggregation: max, severity: info, repeat_actions: true,
     time_constraints: [{name: office, start: '0 8 * * 1-5', duration: 10h}]}
  - {name: r, type: gnocchi_resources_threshold, metric: m, comparison: lt, threshold: 0,
     resource_id: abc, resource_type: instance}
  - {name: ms, type: gnocchi_aggregation_by_metrics_threshold, metrics: [id1], comparison: eq,
     threshold: 3}
  - {name: e, type: event, event_type: volume.create.error, traits: {state: error, code: 3}}
  - {name: k, type: composite, composite: {or: [t, {and: [r, keystone-down]}]}}
  - {name: p, type: prometheus, expr: 'up == 0'}
"""
URL = "http://osmon:9790/v1/alarms/aodh/TOKEN"


def bodies() -> dict[str, dict[str, object]]:
    return desired(expand(load_text(INVENTORY, "inv.yaml")), [URL])


def test_names_marker_and_actions() -> None:
    got = bodies()
    assert sorted(got) == [
        "osmon-prod-e",
        "osmon-prod-k",
        "osmon-prod-keystone-down",
        "osmon-prod-ms",
        "osmon-prod-r",
        "osmon-prod-t",
    ]  # the prometheus alarm 'p' goes to the Prometheus rules only
    t = got["osmon-prod-t"]
    assert t["description"] == "prod: t [osmon_owner=prod]"
    assert t["alarm_actions"] == t["ok_actions"] == t["insufficient_data_actions"] == [URL]
    assert (t["severity"], t["enabled"], t["repeat_actions"]) == ("low", True, True)
    assert t["time_constraints"] == [
        {
            "name": "office",
            "description": "osmon: office",
            "start": "0 8 * * 1-5",
            "duration": 36000,
            "timezone": "UTC",
        }
    ]
    assert all(is_owned(b, "prod") for b in got.values())
    assert not is_owned({**t, "description": "prod: t"}, "prod")
    assert not is_owned(t, "other")


def test_threshold_rules() -> None:
    got = bodies()
    t = got["osmon-prod-t"]
    assert t["type"] == "gnocchi_aggregation_by_resources_threshold"
    assert t["gnocchi_aggregation_by_resources_threshold_rule"] == {
        "metric": "m",
        "resource_type": "generic",
        "query": "{}",
        "aggregation_method": "max",
        "granularity": 300,
        "evaluation_periods": 3,
        "threshold": 1.0,
        "comparison_operator": "gt",
    }
    down = got["osmon-prod-keystone-down"]["gnocchi_aggregation_by_resources_threshold_rule"]
    assert isinstance(down, dict)
    assert json.loads(down["query"]) == probe_query("keystone")
    r = got["osmon-prod-r"]["gnocchi_resources_threshold_rule"]
    assert isinstance(r, dict)
    assert (r["resource_id"], r["resource_type"], "query" in r) == ("abc", "instance", False)
    ms = got["osmon-prod-ms"]["gnocchi_aggregation_by_metrics_threshold_rule"]
    assert isinstance(ms, dict)
    assert (ms["metrics"], "metric" in ms) == (["id1"], False)


def test_event_and_composite_rules() -> None:
    got = bodies()
    assert got["osmon-prod-e"]["event_rule"] == {
        "event_type": "volume.create.error",
        "query": [
            {"field": "traits.code", "op": "eq", "type": "integer", "value": "3"},
            {"field": "traits.state", "op": "eq", "type": "string", "value": "error"},
        ],
    }
    rule = got["osmon-prod-k"]["composite_rule"]
    assert isinstance(rule, dict)
    t, inner = rule["or"]
    assert t["type"] == "gnocchi_aggregation_by_resources_threshold" and t["metric"] == "m"
    r, down = inner["and"]
    assert (r["type"], r["resource_id"]) == ("gnocchi_resources_threshold", "abc")
    assert (down["metric"], down["comparison_operator"]) == ("probe_success", "lt")


def test_no_actions_without_a_webhook() -> None:
    body = desired(expand(load_text(INVENTORY, "inv.yaml")))["osmon-prod-t"]
    assert body["alarm_actions"] == body["ok_actions"] == []


def test_alarm_id_maps_an_aodh_name_back() -> None:
    assert alarm_id("prod", "osmon-prod-nova-api-down") == "nova-api-down"
    assert alarm_id("prod", "osmon-dev-nova-api-down") is None
    assert alarm_id("prod", "osmon-prod-") is None
