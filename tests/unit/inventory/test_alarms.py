"""Inventory alarms: every type, the checks against the Gnocchi sink's archive policies, composite
references, and the catalog's default alarms (with the README table generated from them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from osmon.inventory import InventoryError, expand, load_text
from osmon.inventory.default_alarms import probe_query, table
from osmon.inventory.readme import ALARMS_END, ALARMS_START

README = Path(__file__).resolve().parents[3] / "README.md"

HEAD = """\
cloud: {name: c}
hosts:
  ctl1: {address: 10.0.0.1, roles: [controller]}
services:
  keystone: {}
alarms:
"""


def problems_in(alarms: str) -> list[str]:
    with pytest.raises(InventoryError) as info:
        load_text(HEAD + alarms, "inv.yaml")
    return [str(p) for p in info.value.problems]


def alarms_of(alarms: str) -> dict[str, object]:
    return {a.id: a for a in expand(load_text(HEAD + alarms, "inv.yaml")).alarms}


def test_every_type_expands_with_its_keys() -> None:
    got = alarms_of(
        "  - {name: t, metric: m, comparison: gt, threshold: 1, granularity: 5m, for: 15m,\n"
        "     aggregation: max, repeat_actions: true,\n"
        "     time_constraints: [{name: office, start: '0 8 * * 1-5', duration: 10h,\n"
        "                         timezone: Europe/Paris}]}\n"
        "  - {name: r, type: gnocchi_resources_threshold, metric: m, comparison: lt,\n"
        "     threshold: 0, resource_id: abc, resource_type: instance}\n"
        "  - {name: q, type: gnocchi_aggregation_by_resources_threshold, metric: m,\n"
        "     comparison: ge, threshold: 2, resource_query: {'=': {host: cmp1}}}\n"
        "  - {name: ms, type: gnocchi_aggregation_by_metrics_threshold, metrics: [id1, id2],\n"
        "     comparison: eq, threshold: 3}\n"
        "  - {name: e, type: event, event_type: volume.create.error, traits: {state: error}}\n"
        "  - {name: k, type: composite, composite: {or: [t, {and: [r, keystone-down]}]}}\n"
        "  - {name: p, type: prometheus, expr: 'up == 0'}\n"
    )
    t, r, q, ms, e, k, p = (got[n] for n in ("t", "r", "q", "ms", "e", "k", "p"))
    assert (t.type, t.granularity, t.evaluation_periods, t.aggregation) == (
        "threshold",
        300.0,
        3,
        "max",
    )
    assert t.backends == ("aodh", "prometheus") and t.repeat_actions
    assert t.time_constraints == (
        {"name": "office", "start": "0 8 * * 1-5", "duration": 36000.0, "timezone": "Europe/Paris"},
    )
    assert t.resource_query is None  # cloud-wide: every resource
    assert (r.resource_id, r.resource_type, r.backends) == ("abc", "instance", ("aodh",))
    assert q.resource_query == {"=": {"host": "cmp1"}}
    assert (ms.metrics, ms.metric) == (("id1", "id2"), None)
    assert (e.event_type, dict(e.traits), e.threshold) == (
        "volume.create.error",
        {"state": "error"},
        None,
    )
    assert k.composite == {"or": ["t", {"and": ["r", "keystone-down"]}]}
    assert (p.expr, p.backends) == ("up == 0", ("prometheus",))


def test_a_service_threshold_watches_its_probe_targets_by_default() -> None:
    text = HEAD.replace(
        "  keystone: {}\n",
        "  keystone:\n    alarms: [{name: slow, metric: probe_duration_seconds,"
        " comparison: gt, threshold: 2}]\n",
    )
    alarms = {a.id: a for a in expand(load_text(text + "  []\n", "inv.yaml")).alarms}
    assert alarms["slow"].resource_query == probe_query("keystone")
    assert dict(alarms["slow"].labels) == {"service": "keystone"}


@pytest.mark.parametrize(
    ("alarm", "problem"),
    [
        (
            "{name: a, metric: m, comparison: gt, threshold: 1,\n     granularity: 30s}",
            "inv.yaml:8: alarms[0].granularity: granularity 30s is kept by no archive policy of "
            "the Gnocchi sink (kept: 60s (osmon/osmon-rate), 300s (osmon/osmon-rate), "
            "3600s (osmon/osmon-rate))",
        ),
        (
            "{name: a, metric: m, comparison: gt, threshold: 1,\n     aggregation: sum}",
            "inv.yaml:8: alarms[0].aggregation: aggregation 'sum' is kept by no archive policy "
            "of the Gnocchi sink (kept: mean, min, max, last)",
        ),
        (
            "{name: a, metric: m, comparison: above, threshold: 1}",
            "inv.yaml:7: alarms[0].comparison: Input should be 'gt', 'ge', 'lt', 'le', 'eq' or "
            "'ne'",
        ),
        (
            "{name: a, type: composite,\n     composite: {and: [keystone-down, nova-dwon]}}",
            "inv.yaml:8: composite refers to undefined alarm 'nova-dwon'",
        ),
        (
            "{name: a, type: composite, composite: {or: [keystone-down, b]}}\n"
            "  - {name: b, type: event, event_type: x}",
            "inv.yaml:7: composite refers to 'b', an event alarm: only threshold and gnocchi_* "
            "alarms can be combined",
        ),
        (
            "{name: a, type: composite, composite: {or: [a, keystone-down]}}",
            "inv.yaml:7: composite alarm 'a' refers to itself",
        ),
        (
            "{name: a, type: event}",
            "inv.yaml:7: alarms[0]: an event alarm needs 'event_type'",
        ),
        (
            "{name: a, type: prometheus, expr: up, repeat_actions: true}",
            "inv.yaml:7: alarms[0]: 'repeat_actions' does not apply to a prometheus alarm",
        ),
        (
            "{name: a, type: prometheus, expr: up, metric: m}",
            "inv.yaml:7: alarms[0]: 'metric' does not apply to a prometheus alarm",
        ),
        (
            "{name: a, type: event, event_type: x,\n"
            "     time_constraints: [{name: w, start: '8 * *', duration: 1h}]}",
            "inv.yaml:8: alarms[0].time_constraints[0].start: '8 * *' is not a cron expression "
            "(5 fields: 'M H DoM Mon DoW')",
        ),
    ],
)
def test_bad_alarms_are_file_line_problems(alarm: str, problem: str) -> None:
    problems = problems_in(f"  - {alarm}\n")
    assert len(problems) == 1
    assert problems[0].startswith(problem), problems


def test_prometheus_alarms_are_not_held_to_the_archive_policies() -> None:
    got = alarms_of("  - {name: p, type: prometheus, expr: up, granularity: 30s}\n")
    assert got["p"].granularity == 30.0


def test_default_alarms_per_service() -> None:
    exp = expand(
        load_text(
            "cloud: {name: c}\n"
            "hosts:\n  ctl1: {address: 10.0.0.1, roles: [controller, compute]}\n"
            "auth: {cloud: admin}\n"
            "services:\n"
            "  nova-api: {endpoint: {url: 'https://vip:8774/'},"
            " probes: {cert: {type: tls, url: 'https://vip:8774/'}}}\n"
            "  nova-compute: {}\n"
            "  gnocchi-api: {probes: {backlog: {type: gnocchi}}}\n"
            "infrastructure:\n  rabbitmq: {}\n",
            "inv.yaml",
        )
    )
    by_id = {a.id: a for a in exp.alarms}
    assert sorted(by_id) == [
        "gnocchi-api-backlog-growing",
        "gnocchi-api-down",
        "nova-api-certificate-expiring",
        "nova-api-down",
        "nova-compute-agents-down",
        "nova-compute-down",
        "rabbitmq-down",
    ]  # the 5xx rate and the queue without consumer are Prometheus rules only
    down = by_id["nova-api-down"]
    assert (down.type, down.backends) == ("gnocchi_aggregation_by_resources_threshold", ("aodh",))
    assert (down.metric, down.aggregation, down.comparison, down.threshold) == (
        "probe_success",
        "min",
        "lt",
        1.0,
    )
    assert (down.severity, down.evaluation_periods) == ("critical", 5)
    assert down.resource_query == probe_query("nova-api")
    assert by_id["nova-compute-agents-down"].resource_query == {
        "like": {"original_resource_id": "nova-compute\\_agent%"}
    }
    backlog = by_id["gnocchi-api-backlog-growing"]
    assert (backlog.metric, backlog.granularity, backlog.evaluation_periods) == (
        "openstack_gnocchi_status_measures_to_process",
        300.0,
        3,
    )
    cert = by_id["nova-api-certificate-expiring"]
    assert (cert.metric, cert.threshold, cert.severity) == (
        "osmon_probe_days_left",
        14.0,
        "warning",
    )
    assert all(a.backends == ("aodh",) for a in exp.alarms)


def test_a_service_alarm_of_the_same_name_replaces_the_default() -> None:
    text = HEAD.replace(
        "  keystone: {}\n",
        "  keystone:\n    alarms: [{name: keystone-down, type: event, event_type: x}]\n",
    )
    alarms = {a.id: a for a in expand(load_text(text + "  []\n", "inv.yaml")).alarms}
    assert alarms["keystone-down"].type == "event"


def test_readme_default_alarms_table_is_current() -> None:
    text = README.read_text()
    block = text.split(ALARMS_START, 1)[1].split(ALARMS_END, 1)[0].strip("\n")
    assert block == table(), "run: python -m osmon.inventory.readme --write README.md"


def test_an_aodh_aggregation_under_a_service_also_watches_its_probe_targets() -> None:
    text = HEAD.replace(
        "  keystone: {}\n",
        "  keystone:\n    alarms: [{name: agg, type: gnocchi_aggregation_by_resources_threshold,"
        " metric: probe_success, comparison: lt, threshold: 1}]\n",
    )
    alarms = {a.id: a for a in expand(load_text(text + "  []\n", "inv.yaml")).alarms}
    assert alarms["agg"].resource_query == probe_query("keystone")
    assert alarms["agg"].backends == ("aodh",)


def test_probe_query_shape() -> None:
    assert probe_query("nova_api") == {
        "and": [
            {"like": {"original_resource_id": "nova\\_api\\_%"}},
            {"not": {"like": {"original_resource_id": "nova\\_api\\_process@%"}}},
        ]
    }
    assert probe_query("nova-compute", "agent") == {
        "like": {"original_resource_id": "nova-compute\\_agent%"}
    }


def test_a_composite_cannot_name_a_default_alarm_a_process_probe_does_not_get() -> None:
    """nova-scheduler has only a process probe, which alarms in Nagios: it gets no default
    Aodh alarm, so validation (not ``osmon alarms plan``) refuses a composite naming one."""
    text = HEAD.replace("  keystone: {}\n", "  keystone: {}\n  nova-scheduler: {}\n")
    with pytest.raises(InventoryError) as info:
        load_text(
            text + "  - {name: a, composite: {or: [keystone-down, nova-scheduler-down]},"
            " type: composite}\n",
            "inv.yaml",
        )
    assert [str(p) for p in info.value.problems] == [
        "inv.yaml:8: composite refers to undefined alarm 'nova-scheduler-down'"
    ]
