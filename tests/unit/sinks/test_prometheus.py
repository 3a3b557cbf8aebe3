from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as om_latest
from prometheus_client.parser import text_string_to_metric_families

from osmon.records import Sample
from osmon.sinks.prometheus import LatestValueCollector, PrometheusOptions, PrometheusSink


def sink(**kw: Any) -> tuple[PrometheusSink, CollectorRegistry]:
    reg = CollectorRegistry()
    return PrometheusSink("prom", PrometheusOptions(**kw), reg), reg


def exposed(reg: CollectorRegistry) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for fam in text_string_to_metric_families(generate_latest(reg).decode()):
        for s in fam.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


async def test_latest_value_wins_and_labels_kept() -> None:
    s, reg = sink()
    await s.write(
        [
            Sample("openstack_nova_up", 1.0, 1.0, labels={"host": "ctl1"}),
            Sample("openstack_nova_up", 0.0, 2.0, labels={"host": "ctl1"}),
            Sample("openstack_nova_up", 1.0, 2.0, labels={"host": "ctl2"}),
        ]
    )
    got = exposed(reg)["openstack_nova_up"]
    assert got == {(("host", "ctl1"),): 0.0, (("host", "ctl2"),): 1.0}


async def test_names_are_sanitised_and_counters_get_total() -> None:
    s, reg = sink(namespace="openstack")
    await s.write(
        [
            Sample("disk.root.size", 20.0, 1.0, unit="GB"),
            Sample("identity.authenticate.success", 5.0, 1.0, type="counter"),
        ]
    )
    text = generate_latest(reg).decode()
    assert "openstack_disk_root_size 20.0" in text
    assert "openstack_identity_authenticate_success_total 5.0" in text
    assert "# TYPE openstack_identity_authenticate_success counter" in om_latest(reg).decode()


async def test_delta_samples_accumulate() -> None:
    s, reg = sink()
    await s.write(
        [Sample("api_errors", 2.0, 1.0, type="delta"), Sample("api_errors", 3.0, 2.0, type="delta")]
    )
    assert exposed(reg)["api_errors_total"][()] == 5.0


async def test_labels_outside_allowlist_dropped_and_counted() -> None:
    s, reg = sink(label_allowlist=["host"])
    await s.write(
        [Sample("x", 1.0, 1.0, resource_id="abc", labels={"host": "h", "instance_id": "i"})]
    )
    assert exposed(reg)["x"] == {(("host", "h"),): 1.0}
    assert (
        reg.get_sample_value("osmon_prometheus_labels_dropped_total", {"label": "instance_id"})
        == 1.0
    )


async def test_resource_id_only_when_allowlisted() -> None:
    s, reg = sink(label_allowlist=["resource_id"])
    await s.write([Sample("x", 1.0, 1.0, resource_id="abc")])
    assert exposed(reg)["x"] == {(("resource_id", "abc"),): 1.0}


async def test_series_cap_rejects_new_series_and_counts() -> None:
    s, reg = sink(max_series=3)
    await s.write([Sample("x", 1.0, 1.0, labels={"host": f"h{i}"}) for i in range(10)])
    assert len(exposed(reg)["x"]) == 3
    assert (
        reg.get_sample_value("osmon_prometheus_series_rejected_total", {"reason": "series_cap"})
        == 7.0
    )
    await s.write([Sample("x", 9.0, 1.0, labels={"host": "h0"})])
    assert exposed(reg)["x"][(("host", "h0"),)] == 9.0


async def test_stale_series_evicted() -> None:
    reg = CollectorRegistry()
    c = LatestValueCollector(PrometheusOptions(staleness_seconds=10), reg)
    c.update(Sample("x", 1.0, 0.0, labels={"host": "a"}), now=100.0)
    c.update(Sample("x", 1.0, 0.0, labels={"host": "b"}), now=105.0)
    c.evict(now=112.0)
    assert c.series_count == 1
    c.evict(now=200.0)
    assert c.series_count == 0
    assert reg.get_sample_value("osmon_prometheus_series_evicted_total") == 2.0


async def test_type_clash_rejected() -> None:
    s, reg = sink()
    await s.write([Sample("x", 1.0, 1.0), Sample("x", 1.0, 1.0, type="counter")])
    assert (
        reg.get_sample_value("osmon_prometheus_series_rejected_total", {"reason": "type_clash"})
        == 1.0
    )


async def test_inconsistent_label_sets_are_normalised(tmp_path: Path) -> None:
    s, reg = sink()
    await s.write(
        [
            Sample("x", 1.0, 1.0, labels={"host": "a"}),
            Sample("x", 2.0, 1.0, labels={"host": "b", "service": "nova"}),
        ]
    )
    assert exposed(reg)["x"] == {(("host", "a"),): 1.0, (("host", "b"),): 2.0}


async def test_openstack_exporter_agent_labels_pass_the_default_allowlist() -> None:
    nova = {"id": "6f9", "hostname": "cmp1", "service": "nova-compute", "adminState": "enabled"}
    nova |= {"zone": "nova", "disabledReason": ""}
    neutron = {"id": "2d2", "hostname": "net1", "service": "neutron-l3-agent"}
    neutron |= {"adminState": "down", "availability_zone": "nova"}
    s, reg = sink()
    await s.write(
        [
            Sample("openstack_nova_agent_state", 1.0, 1.0, labels=nova),
            Sample("openstack_neutron_agent_state", 0.0, 1.0, labels=neutron),
            Sample("osmon_probe_aodh_alarms", 3.0, 1.0, labels={"state": "insufficient data"}),
        ]
    )
    got = exposed(reg)
    assert got["openstack_nova_agent_state"] == {tuple(sorted(nova.items())): 1.0}
    assert got["openstack_neutron_agent_state"] == {tuple(sorted(neutron.items())): 0.0}
    assert got["osmon_probe_aodh_alarms"] == {(("state", "insufficient data"),): 3.0}
