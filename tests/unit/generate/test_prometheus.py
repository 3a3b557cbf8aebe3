"""``osmon generate prometheus``: rules, scrape config, inventory alarms, checked-in output."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from click.testing import CliRunner

from osmon.cli.generate import generate
from osmon.generate.output import MARKER
from osmon.generate.prometheus import alarm_rule, alert_name, generate_prometheus, osmon_hosts
from osmon.generate.prometheus_openstack import AGENT_APIS
from osmon.generate.prometheus_rules import Rule, duration
from osmon.inventory import Alarm, Expansion, expand, load, load_text

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "inventory.yaml"
CHECKED_IN = ROOT / "prometheus"
REFRESH = "osmon generate prometheus -i examples/inventory.yaml -o prometheus"
ALARMS = Path(__file__).resolve().parent / "promtool" / "alarms_inventory.yaml"


@pytest.fixture(scope="module")
def expansion() -> Expansion:
    return expand(load(EXAMPLE))


@pytest.fixture(scope="module")
def files(expansion: Expansion) -> dict[str, str]:
    return generate_prometheus(expansion)


def _rules(text: str) -> dict[str, list[dict[str, Any]]]:
    return {g["name"]: g["rules"] for g in yaml.safe_load(text)["groups"]}


def _small(extra: str = "", alarms: str = "") -> Expansion:
    text = (
        "version: 1\n"
        "cloud: {name: small}\n"
        "hosts:\n"
        "  ctl1: {address: 10.0.0.1, roles: [controller]}\n"
        "  mon1: {address: 10.0.9.1, roles: [monitoring]}\n"
        "  cmp1: {address: 10.0.1.1, roles: [compute]}\n"
        "services:\n"
        "  keystone: {}\n"
        f"{extra}"
        f"{alarms}"
    )
    return expand(load_text(text, "small.yaml"))


def test_files_headers_and_determinism(expansion: Expansion, files: dict[str, str]) -> None:
    assert sorted(files) == [
        "prometheus.yml",
        "rules/alarms.yml",
        "rules/osmon.yml",
        "targets/osmon.yml",
    ]
    for text in files.values():
        assert text.startswith(f"# {MARKER} (`osmon generate prometheus`)")
        yaml.safe_load(text)
    assert generate_prometheus(expansion) == files


def test_scrape_config_and_osmon_targets(files: dict[str, str]) -> None:
    config = yaml.safe_load(files["prometheus.yml"])
    assert config["rule_files"] == ["rules/*.yml"]
    [job] = config["scrape_configs"]
    assert job == {"job_name": "osmon", "file_sd_configs": [{"files": ["targets/osmon.yml"]}]}
    groups = yaml.safe_load(files["targets/osmon.yml"])
    hosts = {g["labels"]["osmon_host"]: g["targets"] for g in groups}
    assert hosts == {
        "cmp1": ["10.20.1.21:9790"],
        "cmp2": ["10.20.1.22:9790"],
        "ctl1": ["10.20.0.11:9790"],
        "ctl2": ["10.20.0.12:9790"],
        "ctl3": ["10.20.0.13:9790"],
    }
    # never a label osmon's own series carry: it would become exported_<name>
    for g in groups:
        assert not {"host", "service", "target", "job", "instance"} & set(g["labels"])


def test_osmon_runs_on_controllers_and_hosts_with_local_work() -> None:
    exp = _small()
    assert [h for h, _ in osmon_hosts(exp)] == ["ctl1"]
    exp = _small("  nova-compute: {}\n")  # logs on the compute node
    assert [h for h, _ in osmon_hosts(exp)] == ["cmp1", "ctl1"]


def test_exporters_the_inventory_places_are_scraped() -> None:
    exp = _small("infrastructure:\n  pushgateway: {}\n  prometheus: {}\n")
    jobs = yaml.safe_load(generate_prometheus(exp)["prometheus.yml"])["scrape_configs"]
    assert jobs[1:] == [
        {
            "job_name": "pushgateway",
            "honor_labels": True,
            "static_configs": [{"targets": ["10.0.9.1:9091"]}],
        },
        {"job_name": "prometheus", "static_configs": [{"targets": ["10.0.9.1:9090"]}]},
    ]


def test_builtin_groups(files: dict[str, str]) -> None:
    groups = _rules(files["rules/osmon.yml"])
    assert list(groups) == ["osmon.self", "osmon.probes", "osmon.agents", "osmon.logs"]
    for rules in groups.values():
        for rule in rules:
            if "alert" in rule:
                assert rule["labels"]["severity"] in ("warning", "critical")
                assert set(rule["annotations"]) == {"summary", "description"}
    agents = {r["alert"] for r in groups["osmon.agents"]}
    assert {
        "OpenstackNovaAgentDown",
        "OpenstackCinderAgentDisabled",
        "OpenstackNeutronAgentDown",
        "OpenstackHeatAgentDown",
        "OpenstackNovaApiDown",
    } <= agents
    assert "OpenstackHeatAgentDisabled" not in agents
    neutron = next(r for r in groups["osmon.agents"] if r["alert"] == "OpenstackNeutronAgentDown")
    assert neutron["expr"] == 'openstack_neutron_agent_state{adminState="up"} == 0'


def test_groups_follow_the_inventory() -> None:
    groups = _rules(generate_prometheus(_small())["rules/osmon.yml"])
    # keystone only: no agents; its logs give the log rules
    assert list(groups) == ["osmon.self", "osmon.probes", "osmon.logs"]
    bare = expand(load_text("version: 1\ncloud: {name: x}\nhosts: {h: {address: h}}\n", "b.yaml"))
    assert list(_rules(generate_prometheus(bare)["rules/osmon.yml"])) == ["osmon.self"]
    assert "rules/alarms.yml" not in generate_prometheus(bare)


def test_cert_rules_take_the_tls_probes_thresholds() -> None:
    extra = (
        "  nova-api:\n"
        "    endpoint: {url: 'https://a.example:8774/'}\n"
        "  glance-api:\n"
        "    endpoint: {url: 'https://a.example:9292/'}\n"
        "    probes: {endpoint-tls: {thresholds: {days_left: {warning: '60:', critical: '20:'}}}}\n"
    )
    rules = _rules(generate_prometheus(_small(extra))["rules/osmon.yml"])["osmon.probes"]
    certs = [
        (r["labels"]["severity"], r["expr"]) for r in rules if "Certificate" in r.get("alert", "")
    ]
    assert certs == [
        ("warning", '(probe_ssl_earliest_cert_expiry{target!~"glance\\-api/endpoint\\-tls"} '
         "- time()) / 86400 < 30"),
        ("critical", '(probe_ssl_earliest_cert_expiry{target!~"glance\\-api/endpoint\\-tls"} '
         "- time()) / 86400 < 7"),
        ("warning", '(probe_ssl_earliest_cert_expiry{target=~"glance\\-api/endpoint\\-tls"} '
         "- time()) / 86400 < 60"),
        ("critical", '(probe_ssl_earliest_cert_expiry{target=~"glance\\-api/endpoint\\-tls"} '
         "- time()) / 86400 < 20"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def alarms() -> Expansion:
    return expand(load(ALARMS))


def _alarm(files: dict[str, str], name: str) -> dict[str, Any]:
    rules = _rules(files["rules/alarms.yml"])["osmon.alarms"]
    return next(r for r in rules if r["labels"]["osmon_alarm"] == name)


def test_inventory_alarms(alarms: Expansion) -> None:
    files = generate_prometheus(alarms)
    names = [r["alert"] for r in _rules(files["rules/alarms.yml"])["osmon.alarms"]]
    assert names == ["CloudApiErrors", "GaleraClusterDegraded", "NovaApiSlow"]  # one disabled
    slow = _alarm(files, "nova-api-slow")
    assert slow["expr"] == 'avg_over_time(probe_duration_seconds{service="nova-api"}[1m]) > 2.5'
    assert slow["for"] == "10m"
    assert slow["labels"] == {
        "severity": "warning",
        "osmon_alarm": "nova-api-slow",
        "service": "nova-api",
    }
    on = "{{ with $labels.target }} on {{ . }}{{ else }}{{ with $labels.instance }} on {{ . }}"
    assert slow["annotations"]["summary"] == (
        f"nova-api answers its version document slowly{on}{{{{ end }}}}{{{{ end }}}}"
    )
    # a counter counts its increase per period
    errors = _alarm(files, "cloud-api-errors")
    assert errors["expr"] == 'increase(osmon_http_responses_total{code="5xx"}[1m]) > 10'
    assert "service" not in errors["labels"] and errors["labels"]["severity"] == "warning"
    galera = _alarm(files, "galera-cluster-degraded")
    assert galera["labels"]["severity"] == "critical" and galera["for"] == "2m"


def test_alarm_rule_mapping(alarms: Expansion) -> None:
    base = next(a for a in alarms.alarms if a.id == "nova-api-slow")
    assert alarm_rule(dataclasses.replace(base, enabled=False)) is None
    templated = alarm_rule(dataclasses.replace(base, description="a {{ b }}"))
    assert templated is not None
    assert templated["annotations"]["summary"].startswith('a {{ "{{" }} b }}')
    total = alarm_rule(dataclasses.replace(base, metric="x_total", aggregation="sum", labels={}))
    assert total is not None and total["expr"] == "sum(increase(x_total[1m])) > 2.5"
    for aggregation, fn in (("max", "max_over_time"), ("last", "last_over_time")):
        rule = alarm_rule(dataclasses.replace(base, aggregation=aggregation, comparison="le"))
        assert rule is not None and rule["expr"].startswith(f"{fn}(") and " <= 2.5" in rule["expr"]

    @dataclasses.dataclass(frozen=True)
    class Future:  # the alarm model grows types, PromQL and backends (issue 10, L1)
        type: str
        expr: str | None
        backends: tuple[str, ...]
        base: Alarm

        def __getattr__(self, name: str) -> Any:
            return getattr(self.base, name)

    def future(kind: str, expr: str | None, backends: tuple[str, ...]) -> Rule | None:
        return alarm_rule(cast(Alarm, Future(kind, expr, backends, base)))

    promql = future("prometheus", "sum(up) < 2", ("prometheus",))
    assert promql is not None and promql["expr"] == "sum(up) < 2"
    assert promql["labels"]["osmon_alarm"] == "nova-api-slow"
    assert future("prometheus", None, ("prometheus",)) is None
    threshold = future("threshold", None, ("aodh", "prometheus"))
    assert threshold is not None and threshold["expr"].startswith("avg_over_time(")
    assert future("threshold", None, ("aodh",)) is None
    for kind in ("gnocchi_resources_threshold", "event", "composite"):
        assert future(kind, None, ("aodh", "prometheus")) is None


def test_names_and_durations() -> None:
    assert alert_name("nova-api-slow") == "NovaApiSlow"
    assert alert_name("galera_cluster.size") == "GaleraClusterSize"
    assert [duration(s) for s in (0, 59, 90, 3600, 86400 + 61)] == [
        "0s",
        "59s",
        "1m30s",
        "1h",
        "1d1m1s",
    ]


def test_series_names_match_the_probes() -> None:
    from osmon.probes.agents import APIS
    from osmon.probes.runner import SUCCESS_SERIES

    assert SUCCESS_SERIES == "probe_success"
    assert {k: v.name for k, v in APIS.items()} == AGENT_APIS


def test_alert_name_clash_is_a_clear_error(tmp_path: Path) -> None:
    inv = tmp_path / "clash.yaml"
    inv.write_text(
        "version: 1\ncloud: {name: c}\nhosts: {h: {address: 10.0.0.1}}\nalarms:\n"
        "  - {name: a-b, metric: m, comparison: gt, threshold: 1}\n"
        "  - {name: a_b, metric: m, comparison: gt, threshold: 1}\n"
    )
    result = CliRunner().invoke(generate, ["prometheus", "-i", str(inv), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{inv}: alarms 'a-b' and 'a_b' both become the alert 'AB'; rename one\n"
    )
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_cli_bad_inventory_and_check(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = Path(__file__).resolve().parents[1] / "fixtures" / "inventory" / "unknown_key.yaml"
    out = tmp_path / "prom"
    result = runner.invoke(generate, ["prometheus", "-i", str(bad), "-o", str(out)])
    assert result.exit_code == 1 and result.stderr.startswith(f"{bad}:")
    assert "Traceback" not in result.output and not out.exists()
    args = ["prometheus", "-i", str(EXAMPLE), "-o", str(out)]
    assert runner.invoke(generate, [*args, "--check"]).exit_code == 1
    assert runner.invoke(generate, args).exit_code == 0
    assert runner.invoke(generate, [*args, "--check"]).exit_code == 0


def test_checked_in_output_is_current() -> None:
    result = CliRunner().invoke(
        generate, ["prometheus", "-i", str(EXAMPLE), "-o", str(CHECKED_IN), "--check"]
    )
    assert result.exit_code == 0, f"prometheus/ is stale; run: {REFRESH}\n{result.output}"


def test_kind_rules_follow_the_probe_kinds(files: dict[str, str]) -> None:
    example = {r.get("alert") for r in _rules(files["rules/osmon.yml"])["osmon.probes"]}
    assert "RabbitmqQueueWithoutConsumer" in example and "GnocchiBacklogGrowing" not in example
    exp = _small("  gnocchi-api: {probes: {backlog: {type: gnocchi}}}\n")
    rules = _rules(generate_prometheus(exp)["rules/osmon.yml"])["osmon.probes"]
    names = {r.get("alert") for r in rules}
    assert {"GnocchiBacklogGrowing", "GnocchiMetricdMissing"} <= names
    assert "RabbitmqQueueWithoutConsumer" not in names
