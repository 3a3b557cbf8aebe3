"""``osmon alarms plan|apply`` against the local stack's real aodh-api (auth_mode=noauth).

Each test uses a project of its own (noauth takes it from the X-Project-Id header) and a cloud
name of its own, so tests never see each other's alarms, and deletes everything at the end.
"""

from __future__ import annotations

import contextlib
import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from osmon.cli.alarms import alarms
from tests.integration.conftest import Stack

SECRET = "osmon-test-webhook-secret-" + uuid.uuid4().hex[:12]
WEBHOOK = "http://127.0.0.1:9790"

INVENTORY = """\
cloud: {{name: {cloud}}}
hosts:
  ctl1: {{address: 127.0.0.1, roles: [controller]}}
services:
  keystone: {{}}
alarms:
  - name: slow
    metric: probe_duration_seconds
    comparison: gt
    threshold: {threshold}
    severity: {severity}
    granularity: 5m
    for: 15m
    aggregation: max
    time_constraints: [{{name: office, start: "0 8 * * 1-5", duration: 10h,
                        timezone: Europe/Paris}}]
  - {{name: one, type: gnocchi_resources_threshold, metric: m, comparison: lt, threshold: 0,
     resource_id: {resource}}}
  - {{name: by-metrics, type: gnocchi_aggregation_by_metrics_threshold, metrics: [{resource}],
     comparison: eq, threshold: 3}}
  - {{name: build-failed, type: event, event_type: compute.instance.create.error,
     traits: {{state: error}}}}
{extra}  - {{name: both, type: composite, composite: {{or: [slow, keystone-down]}}}}
  - {{name: promql, type: prometheus, expr: "up == 0"}}
"""
DOWN_QUERY = {
    "and": [
        {"like": {"original_resource_id": "keystone\\_%"}},
        {"not": {"like": {"original_resource_id": "keystone\\_process@%"}}},
    ]
}
VOLUME = "  - {name: volume-failed, type: event, event_type: volume.create.error}\n"
IN_AODH = ["slow", "one", "by-metrics", "build-failed", "volume-failed", "both", "keystone-down"]


@dataclass
class Cloud:
    name: str
    project: str
    path: Path
    aodh_url: str
    resource: str

    def write(self, threshold: float = 2, severity: str = "warning", volume: bool = True) -> None:
        self.path.write_text(
            INVENTORY.format(
                cloud=self.name,
                threshold=threshold,
                severity=severity,
                resource=self.resource,
                extra=VOLUME if volume else "",
            )
        )

    def run(self, *args: str, secret: str = SECRET, url: str | None = None) -> Result:
        argv = [*args, "-i", str(self.path), "--noauth", "--aodh-url", url or self.aodh_url]
        argv += ["--project-id", self.project, "--user-id", "osmon-test"]
        argv += ["--webhook-url", WEBHOOK, "--webhook-secret-env", "OSMON_TEST_HOOK"]
        result = CliRunner().invoke(alarms, argv, env={"OSMON_TEST_HOOK": secret})
        for out in (result.stdout, result.stderr):
            assert secret not in out
        return result

    def plan(self, *args: str, secret: str = SECRET) -> dict[str, Any]:
        result = self.run("plan", "--format", "json", *args, secret=secret)
        assert result.exit_code == 0, result.stderr
        doc: dict[str, Any] = json.loads(result.stdout)
        return doc


def _client(url: str, project: str) -> Any:
    from aodhclient import client as aodh
    from aodhclient import noauth
    from keystoneauth1 import session as ks_session

    plugin = noauth.AodhNoAuthPlugin(
        user_id="osmon-test", project_id=project, roles="admin", endpoint=url
    )
    return aodh.Client("2", session=ks_session.Session(auth=plugin, timeout=30))


@pytest.fixture
def cloud(stack: Stack, tmp_path: Path) -> Iterator[Cloud]:
    tag = uuid.uuid4().hex[:8]
    c = Cloud(f"t{tag}", uuid.uuid4().hex, tmp_path / "inventory.yaml", stack.aodh_url, "")
    c.resource = str(uuid.uuid4())
    c.write()
    yield c
    client = _client(stack.aodh_url, c.project)
    for alarm in client.alarm.list(limit=1000):
        client.alarm.delete(alarm["alarm_id"])


def by_name(cloud: Cloud) -> dict[str, dict[str, Any]]:
    listed = _client(cloud.aodh_url, cloud.project).alarm.list(limit=1000)
    return {a["name"]: a for a in listed}


def test_plan_apply_and_a_second_apply_changes_nothing(cloud: Cloud) -> None:
    first = cloud.plan()
    names = sorted(f"osmon-{cloud.name}-{n}" for n in IN_AODH)
    assert [c["action"] for c in first["changes"]] == ["create"] * len(IN_AODH)
    assert sorted(c["name"] for c in first["changes"]) == names
    assert by_name(cloud) == {}  # plan changed nothing

    applied = cloud.run("apply")
    assert applied.exit_code == 0, applied.stderr
    assert applied.stdout.splitlines()[0] == (
        f"Aodh alarms of cloud '{cloud.name}' (7 created, 0 updated, 0 deleted, 0 unchanged)"
    )
    aodh = by_name(cloud)
    assert sorted(aodh) == names
    url = f"{WEBHOOK}/v1/alarms/aodh/{SECRET}"
    for alarm in aodh.values():
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [url]
        assert alarm["insufficient_data_actions"] == [url]
        assert alarm["description"].endswith(f"[osmon_owner={cloud.name}]")
        assert SECRET not in alarm["description"]
    slow = aodh[f"osmon-{cloud.name}-slow"]
    assert (slow["type"], slow["severity"], slow["enabled"]) == (
        "gnocchi_aggregation_by_resources_threshold",
        "moderate",
        True,
    )
    rule = slow["gnocchi_aggregation_by_resources_threshold_rule"]
    assert (rule["metric"], rule["aggregation_method"], rule["granularity"]) == (
        "probe_duration_seconds",
        "max",
        300,
    )
    assert (rule["evaluation_periods"], rule["threshold"], rule["comparison_operator"]) == (
        3,
        2.0,
        "gt",
    )
    assert json.loads(rule["query"]) == {}  # a cloud-wide alarm: every resource
    down = aodh[f"osmon-{cloud.name}-keystone-down"]
    down_rule = down["gnocchi_aggregation_by_resources_threshold_rule"]
    assert json.loads(down_rule["query"]) == DOWN_QUERY
    assert (down["severity"], down_rule["metric"], down_rule["aggregation_method"]) == (
        "critical",
        "probe_success",
        "min",
    )
    assert [
        (t["name"], t["start"], t["duration"], t["timezone"]) for t in slow["time_constraints"]
    ] == [("office", "0 8 * * 1-5", 36000, "Europe/Paris")]
    event = aodh[f"osmon-{cloud.name}-build-failed"]
    assert event["event_rule"]["event_type"] == "compute.instance.create.error"
    assert event["event_rule"]["query"] == [
        {"field": "traits.state", "op": "eq", "type": "string", "value": "error"}
    ]
    one = aodh[f"osmon-{cloud.name}-one"]["gnocchi_resources_threshold_rule"]
    assert (one["resource_id"], one["metric"]) == (cloud.resource, "m")
    metrics = aodh[f"osmon-{cloud.name}-by-metrics"][
        "gnocchi_aggregation_by_metrics_threshold_rule"
    ]
    assert metrics["metrics"] == [cloud.resource]
    composite = aodh[f"osmon-{cloud.name}-both"]["composite_rule"]
    assert [leaf["metric"] for leaf in composite["or"]] == [
        "probe_duration_seconds",
        "probe_success",
    ]
    assert f"osmon-{cloud.name}-promql" not in aodh  # Prometheus only

    second = cloud.plan()
    assert second["changes"] == [] and sorted(second["unchanged"]) == names
    again = cloud.run("apply")
    assert again.exit_code == 0
    assert "(0 created, 0 updated, 0 deleted, 7 unchanged)" in again.stdout
    assert {a["alarm_id"] for a in by_name(cloud).values()} == {
        a["alarm_id"] for a in aodh.values()
    }


def test_an_inventory_edit_updates_exactly_the_changed_fields(cloud: Cloud) -> None:
    assert cloud.run("apply").exit_code == 0
    before = by_name(cloud)
    cloud.write(threshold=3.5, severity="critical")
    doc = cloud.plan()
    assert [(c["action"], c["name"]) for c in doc["changes"]] == [
        ("update", f"osmon-{cloud.name}-both"),  # its rule inlines 'slow'
        ("update", f"osmon-{cloud.name}-slow"),
    ]
    both, slow = doc["changes"]
    assert [(f["key"], f["old"], f["new"]) for f in slow["fields"]] == [
        ("severity", "moderate", "critical"),
        ("gnocchi_aggregation_by_resources_threshold_rule.threshold", 2.0, 3.5),
    ]
    assert [f["key"] for f in both["fields"]] == ["composite_rule"]
    text = cloud.run("plan")
    assert (
        "    gnocchi_aggregation_by_resources_threshold_rule.threshold: 2.0 -> 3.5"
        in text.stdout.splitlines()
    )
    assert cloud.run("apply").exit_code == 0
    after = by_name(cloud)
    name = f"osmon-{cloud.name}-slow"
    assert after[name]["alarm_id"] == before[name]["alarm_id"]
    assert after[name]["severity"] == "critical"
    assert after[name]["gnocchi_aggregation_by_resources_threshold_rule"]["threshold"] == 3.5
    assert cloud.plan()["changes"] == []


def test_prune_deletes_only_what_osmon_owns(cloud: Cloud) -> None:
    assert cloud.run("apply").exit_code == 0
    client = _client(cloud.aodh_url, cloud.project)
    hand = {"type": "event", "event_rule": {"event_type": "x"}}
    client.alarm.create({**hand, "name": f"osmon-{cloud.name}-hand-made", "description": "mine"})
    client.alarm.create({**hand, "name": f"osmon-{cloud.name}-volume-failed-2"})
    cloud.write(volume=False)

    kept = cloud.plan()
    assert kept["changes"] == [] and kept["kept"] == [f"osmon-{cloud.name}-volume-failed"]
    assert "--prune deletes it" in cloud.run("plan").stdout
    pruned = cloud.plan("--prune")
    assert [(c["action"], c["name"]) for c in pruned["changes"]] == [
        ("delete", f"osmon-{cloud.name}-volume-failed")
    ]
    assert cloud.run("apply", "--prune").exit_code == 0
    left = by_name(cloud)
    assert f"osmon-{cloud.name}-volume-failed" not in left
    assert f"osmon-{cloud.name}-hand-made" in left  # similar name, no marker: not osmon's
    assert f"osmon-{cloud.name}-volume-failed-2" in left
    assert len(left) == len(IN_AODH) - 1 + 2
    assert cloud.plan("--prune")["changes"] == []


def test_a_new_secret_is_an_update_and_never_shown(cloud: Cloud) -> None:
    assert cloud.run("apply").exit_code == 0
    rotated = "rotated-secret-" + uuid.uuid4().hex
    doc = cloud.plan(secret=rotated)
    assert len(doc["changes"]) == len(IN_AODH)
    fields = doc["changes"][0]["fields"]
    assert [f["key"] for f in fields] == [
        "alarm_actions",
        "ok_actions",
        "insufficient_data_actions",
    ]
    assert all(f["note"] == "secret changed" for f in fields)
    assert fields[0]["new"] == [f"{WEBHOOK}/v1/alarms/aodh/***"]
    result = cloud.run("apply", secret=rotated)
    assert result.exit_code == 0 and "(secret changed)" in result.stdout
    assert SECRET not in result.stdout
    assert all(
        a["alarm_actions"] == [f"{WEBHOOK}/v1/alarms/aodh/{rotated}"]
        for a in by_name(cloud).values()
    )


def test_an_unreachable_aodh_is_one_line_and_exit_1(cloud: Cloud) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = cloud.run("plan", url=f"http://127.0.0.1:{port}")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("osmon alarms: Aodh: list alarms: ConnectFailure")


@pytest.mark.parametrize("case", ["right password", "wrong password", "no endpoint"])
def test_keystone_auth_from_the_inventory(stack: Stack, tmp_path: Path, case: str) -> None:
    """The Keystone path: a token from the inventory's ``auth`` (password in the environment).

    The stack's Aodh runs noauth and is not in Keystone's catalog: with the right password
    the request reaches Aodh (which refuses a token without noauth headers: 403); a wrong
    password stops at Keystone (401); without ``--aodh-url`` the catalog has no 'alarming'.
    """
    path = tmp_path / "inventory.yaml"
    path.write_text(
        "cloud: {name: ks}\n"
        f"auth: {{auth_url: '{stack.keystone_url}', username: {stack.keystone_admin_user},"
        f" project_name: {stack.keystone_admin_project}, password_env: OSMON_TEST_KS,"
        " interface: public}\n"
        "hosts:\n  ctl1: {address: 127.0.0.1, roles: [controller]}\n"
    )
    password = stack.keystone_password if case != "wrong password" else "wrong-" + SECRET
    argv = ["plan", "-i", str(path)]
    if case != "no endpoint":
        argv += ["--aodh-url", stack.aodh_url]
    result = CliRunner().invoke(alarms, argv, env={"OSMON_TEST_KS": password})
    assert result.exit_code == 1
    assert password not in result.stderr and password not in result.stdout
    (line,) = result.stderr.strip().splitlines()
    expected = {
        "right password": "osmon alarms: Aodh: list alarms: Forbidden",
        "wrong password": "osmon alarms: Aodh: list alarms: Unauthorized",
        "no endpoint": "osmon alarms: Aodh: list alarms: EndpointNotFound",
    }[case]
    assert line.startswith(expected), line


def test_a_default_alarm_query_selects_its_service_probe_targets_in_gnocchi(
    gnocchi_client: Any,
) -> None:
    """The query of ``<service>-down``, run as Aodh's evaluator runs it (``aggregates.fetch``
    with ``search=json.loads(query)``) on resources stored as the Gnocchi sink stores probe
    targets: it selects that service's targets, not its process checks' nor a service whose
    name extends it."""
    import datetime

    from gnocchiclient import exceptions as gexc

    from osmon.alarms import desired
    from osmon.archive_policies import ARCHIVE_POLICIES, DEFAULT_ARCHIVE_POLICY
    from osmon.inventory import expand, load_text

    for policy in ARCHIVE_POLICIES:
        with contextlib.suppress(gexc.Conflict):
            gnocchi_client.archive_policy.create(policy)
    service = "svc" + uuid.uuid4().hex[:8]
    inv = load_text(
        "cloud: {name: q}\nhosts:\n  ctl1: {address: 127.0.0.1, roles: [controller]}\n"
        f"services:\n  {service}: {{type: keystone}}\n",
        "inv.yaml",
    )
    body = desired(expand(inv))[f"osmon-q-{service}-down"]
    rule = body["gnocchi_aggregation_by_resources_threshold_rule"]
    stamp = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
    stamp -= datetime.timedelta(minutes=1)
    values = {
        f"{service}_api@ctl1": 1.0,
        f"{service}_api@ctl2": 0.0,
        f"{service}x_api@h": 7.0,  # another service whose name extends it
        f"{service}_process@ctl1": -1.0,  # a process check: Nagios alarms on it, not Aodh
    }
    for rid in values:
        gnocchi_client.resource.create("generic", {"id": rid})
    gnocchi_client.metric.batch_resources_metrics_measures(
        {
            rid: {
                "probe_success": {
                    "archive_policy_name": DEFAULT_ARCHIVE_POLICY,
                    "measures": [{"timestamp": stamp.isoformat(), "value": v}],
                }
            }
            for rid, v in values.items()
        },
        create_metrics=True,
    )
    for rid in values:
        gnocchi_client.metric.get_measures("probe_success", resource_id=rid, refresh=True)

    def aggregate(method: str) -> float:
        got = gnocchi_client.aggregates.fetch(
            f"(aggregate {method} (metric {rule['metric']} {method}))",
            resource_type=rule["resource_type"],
            search=json.loads(rule["query"]),
            granularity=rule["granularity"],
            needed_overlap=0,
        )
        value: float = got["measures"]["aggregated"][-1][2]
        return value

    assert (aggregate("min"), aggregate("max")) == (0.0, 1.0)


def test_a_type_change_is_an_update_aodh_accepts(cloud: Cloud) -> None:
    head = (
        f"cloud: {{name: {cloud.name}}}\ndefaults: {{default_alarms: false}}\n"
        "hosts:\n  ctl1: {address: 127.0.0.1, roles: [controller]}\nalarms:\n"
    )
    cloud.path.write_text(
        head + "  - {name: one, type: gnocchi_resources_threshold, metric: m, comparison: lt,"
        " threshold: 0, resource_id: abc}\n  - {name: two, type: event, event_type: x}\n"
    )
    assert cloud.run("apply").exit_code == 0
    ids = {name: a["alarm_id"] for name, a in by_name(cloud).items()}
    cloud.path.write_text(
        head + "  - {name: one, type: event, event_type: y}\n"
        "  - {name: two, type: composite, composite: {or: [t1, t2]}}\n"
        "  - {name: t1, metric: m, comparison: gt, threshold: 1}\n"
        "  - {name: t2, metric: m, comparison: gt, threshold: 2}\n"
    )
    doc = cloud.plan()
    assert [(c["action"], c["name"].rsplit("-", 1)[1]) for c in doc["changes"]] == [
        ("create", "t1"),
        ("create", "t2"),
        ("update", "one"),
        ("update", "two"),
    ]
    assert [f["key"] for f in doc["changes"][2]["fields"]] == ["type", "event_rule"]
    assert cloud.run("apply").exit_code == 0
    after = by_name(cloud)
    one, two = after[f"osmon-{cloud.name}-one"], after[f"osmon-{cloud.name}-two"]
    assert (one["alarm_id"], one["type"], one["event_rule"]["event_type"]) == (
        ids[f"osmon-{cloud.name}-one"],
        "event",
        "y",
    )
    assert (two["type"], [r["threshold"] for r in two["composite_rule"]["or"]]) == (
        "composite",
        [1.0, 2.0],
    )
    assert cloud.plan()["changes"] == []
