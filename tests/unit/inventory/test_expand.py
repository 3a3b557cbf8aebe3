"""Expansion: a short inventory becomes every probe, log source, alarm and Nagios service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osmon.inventory import Expansion, InventoryError, Threshold, expand, load, load_text
from osmon.inventory.model import Inventory

ROOT = Path(__file__).resolve().parents[3]

BASE = """\
cloud: {name: c, log_timezone: Europe/Paris}
hosts:
  ctl1: {address: 10.0.0.1, roles: [controller]}
  ctl2: {address: 10.0.0.2, roles: [controller]}
  cmp1: {address: 'fd00::21', roles: [compute]}
"""


def expand_text(text: str) -> Expansion:
    return expand(load_text(BASE + text))


def ids(items: tuple[object, ...]) -> list[str]:
    return [item.id for item in items]


def test_one_line_service_gets_sensible_checks() -> None:
    exp = expand_text("services:\n  nova-api: {hosts: [ctl1, ctl2]}\n")
    assert ids(exp.probes) == [
        "nova-api/api@ctl1",
        "nova-api/api@ctl2",
        "nova-api/process@ctl1",
        "nova-api/process@ctl2",
    ]
    probe = exp.probes[0]
    assert (probe.type, probe.url, probe.expected_status) == (
        "http",
        "http://10.0.0.1:8774/",
        (200,),
    )
    assert (probe.body_pattern, probe.follow_redirects) == (r'"versions?"\s*:', False)
    assert (probe.interval, probe.timeout, probe.tls_verify) == (60.0, 10.0, True)
    assert probe.keystone_service_type == "compute"
    assert {m: (t.warning, t.critical) for m, t in probe.thresholds.items()} == {
        "response_time": ("2", "10")
    }
    assert ids(exp.log_sources) == [
        "nova-api@ctl1:/var/log/nova/nova-api.log",
        "nova-api@ctl2:/var/log/nova/nova-api.log",
    ]
    log = exp.log_sources[0]
    assert (log.format, log.multiline, log.timezone, log.service_name) == (
        "oslo",
        True,
        "Europe/Paris",
        "nova-api",
    )
    assert ids(exp.alarms) == ["nova-api-down"]
    assert ids(exp.nagios_services) == [
        "ctl1;nova-api api",
        "ctl1;nova-api process",
        "ctl2;nova-api api",
        "ctl2;nova-api process",
    ]
    assert exp.nagios_services[0].probe_id == "nova-api/api@ctl1"
    assert exp.nagios_services[1].processes == ("nova-api",)
    (exchange,) = exp.notification_exchanges
    assert (exchange.id, exchange.topics, exchange.services) == (
        "nova",
        ("notifications", "versioned_notifications"),
        ("nova-api",),
    )


def test_default_roles_place_services() -> None:
    exp = expand_text("services:\n  nova-compute: {}\n  keystone: {}\n")
    assert [(s.service, s.host) for s in exp.log_sources] == [
        ("keystone", "ctl1"),
        ("keystone", "ctl2"),
        ("nova-compute", "cmp1"),
    ]
    assert [p.id for p in exp.probes if p.type != "process"] == [
        "keystone/api@ctl1",
        "keystone/api@ctl2",
    ]


def test_agent_probes_need_keystone_auth() -> None:
    assert ids(expand_text("services:\n  nova-compute: {}\n").probes) == [
        "nova-compute/process@cmp1"
    ]
    exp = expand_text("auth: {cloud: prod}\nservices:\n  nova-compute: {}\n")
    probe, _process = exp.probes
    assert (probe.id, probe.type, probe.agent_binary, probe.keystone_service_type) == (
        "nova-compute/agent@cmp1",
        "agent",
        "nova-compute",
        "compute",
    )
    assert (probe.url, probe.port) == (None, None)


def test_https_endpoint_adds_tls_and_public_url_probes() -> None:
    exp = expand_text(
        "defaults:\n  tls: {ca_file: /etc/ca.pem}\n"
        "services:\n"
        "  keystone:\n"
        "    hosts: [ctl1]\n"
        "    endpoint:\n"
        "      scheme: https\n"
        "      url: https://cloud.example.com/identity/v3\n"
        "      tls: {verify: false}\n"
        "    probes:\n"
        "      tls: {thresholds: {days_left: {critical: '3:'}}}\n"
    )
    probes = {p.id: p for p in exp.probes if p.type != "process"}
    assert sorted(probes) == [
        "keystone/api@ctl1",
        "keystone/endpoint",
        "keystone/endpoint-tls",
        "keystone/tls@ctl1",
    ]
    assert probes["keystone/api@ctl1"].url == "https://10.0.0.1:5000/v3"
    public = probes["keystone/endpoint"]
    assert (public.host, public.url, public.address, public.port) == (
        None,
        "https://cloud.example.com/identity/v3",
        "cloud.example.com",
        443,
    )
    assert (public.tls_verify, public.ca_file) == (False, "/etc/ca.pem")
    tls = probes["keystone/tls@ctl1"]
    assert {m: (t.warning, t.critical) for m, t in tls.thresholds.items()} == {
        "days_left": ("30:", "3:")
    }
    assert "c;keystone endpoint" in ids(exp.nagios_services)
    assert [(h.id, h.address) for h in exp.nagios_hosts] == [
        ("c", "cloud.example.com"),
        ("cmp1", "fd00::21"),
        ("ctl1", "10.0.0.1"),
        ("ctl2", "10.0.0.2"),
    ]


def test_ipv6_addresses_are_bracketed_in_urls() -> None:
    exp = expand_text("infrastructure:\n  prometheus: {hosts: [cmp1]}\n")
    assert exp.probes[0].url == "http://[fd00::21]:9090/-/healthy"


def test_overrides_disable_and_add_probes() -> None:
    exp = expand_text(
        "services:\n"
        "  glance-api:\n"
        "    hosts: [ctl1]\n"
        "    endpoint: {port: 19292, expected_status: [200]}\n"
        "    probes:\n"
        "      api: {enabled: false}\n"
        "      images: {type: http, path: /v2/images, interval: 5m, expected_status: [401]}\n"
        "      raw: {type: tcp, timeout: 500ms}\n"
    )
    probes = {p.id: p for p in exp.probes if p.type != "process"}
    assert sorted(probes) == ["glance-api/images@ctl1", "glance-api/raw@ctl1"]
    assert probes["glance-api/images@ctl1"].body_pattern is None  # a path of its own
    images = probes["glance-api/images@ctl1"]
    assert (images.url, images.interval, images.expected_status) == (
        "http://10.0.0.1:19292/v2/images",
        300.0,
        (401,),
    )
    raw = probes["glance-api/raw@ctl1"]
    assert (raw.address, raw.port, raw.timeout, raw.url) == ("10.0.0.1", 19292, 0.5, None)


def test_process_probes_one_per_host_with_the_catalog_names() -> None:
    exp = expand_text(
        "services:\n"
        "  nova-api: {hosts: [ctl1], processes: [nova-api, uwsgi]}\n"
        "  horizon:\n"
        "    hosts: [ctl2]\n"
        "    probes: {process: {thresholds: {process_count: {warning: '2:'}}}}\n"
        "  nova-scheduler: {probes: {process: {enabled: false}}}\n"
    )
    probes = {p.id: p for p in exp.probes if p.type == "process"}
    assert sorted(probes) == ["horizon/process@ctl2", "nova-api/process@ctl1"]
    nova = probes["nova-api/process@ctl1"]
    assert (nova.processes, nova.host, nova.address, nova.port, nova.url) == (
        ("nova-api", "uwsgi"),
        "ctl1",
        "10.0.0.1",
        None,
        None,
    )
    assert {m: (t.warning, t.critical) for m, t in nova.thresholds.items()} == {
        "process_count": (None, "1:")
    }
    horizon = probes["horizon/process@ctl2"]
    assert horizon.processes == ("apache2", "httpd")
    assert horizon.thresholds["process_count"] == Threshold("2:", "1:")
    # Nagios keeps one (active) process check per host; no passive twin with the same id
    assert [n.id for n in exp.nagios_services if n.check == "process"] == [
        "ctl1;nova-api process",
        "ctl1;nova-scheduler process",
        "ctl2;horizon process",
        "ctl2;nova-scheduler process",
    ]
    assert len({n.id for n in exp.nagios_services}) == len(exp.nagios_services)
    assert "nova-scheduler-down" not in ids(exp.alarms)  # process probes alone add no alarm


def test_http_probe_options_reach_the_probe() -> None:
    exp = expand_text(
        "defaults:\n  tls: {client_cert: /etc/osmon/client.pem, client_key: /etc/osmon/key.pem}\n"
        "services:\n"
        "  keystone:\n"
        "    hosts: [ctl1]\n"
        "    endpoint: {tls: {client_cert: /etc/osmon/ks.pem}}\n"
        "    probes:\n"
        "      api: {follow_redirects: true, body_pattern: 'v3\\.\\d+'}\n"
        "      root: {type: http, path: /}\n"
        "infrastructure:\n"
        "  prometheus: {hosts: [ctl1]}\n"
    )
    probes = {p.id: p for p in exp.probes}
    api = probes["keystone/api@ctl1"]
    assert (api.follow_redirects, api.body_pattern) == (True, r"v3\.\d+")
    # the key goes with the certificate of the same layer
    assert (api.client_cert, api.client_key) == ("/etc/osmon/ks.pem", None)
    root = probes["keystone/root@ctl1"]
    assert (root.follow_redirects, root.body_pattern, root.url) == (
        False,
        None,
        "http://10.0.0.1:5000/",
    )
    prometheus = probes["prometheus/api@ctl1"]
    assert (prometheus.body_pattern, prometheus.client_cert, prometheus.client_key) == (
        "Healthy",
        "/etc/osmon/client.pem",
        "/etc/osmon/key.pem",
    )


def test_galera_cluster_size_thresholds_follow_the_host_count() -> None:
    exp = expand_text("infrastructure:\n  galera: {hosts: [ctl1, ctl2, cmp1]}\n")
    size = exp.probes[0].thresholds["cluster_size"]
    assert (size.warning, size.critical) == ("3:", "2:")


def test_logs_replace_the_catalog_list() -> None:
    exp = expand_text(
        "services:\n  horizon:\n    hosts: [ctl1]\n    logs:\n"
        "      - {path: /var/log/httpd/horizon.log, format: apache_access, service_name: web}\n"
        "      - {path: /srv/h/*.log, format: oslo, multiline: false}\n"
    )
    assert [(s.path, s.format, s.multiline, s.service_name) for s in exp.log_sources] == [
        ("/srv/h/*.log", "oslo", False, "horizon"),
        ("/var/log/httpd/horizon.log", "apache_access", False, "web"),
    ]


def test_alarms_defaults_and_overrides() -> None:
    exp = expand_text(
        "contacts:\n  ops: {email: ops@example.com, contact_groups: [admins]}\n"
        "defaults: {contacts: [ops]}\n"
        "services:\n"
        "  keystone:\n"
        "    alarms:\n"
        "      - {name: keystone-down, metric: up, comparison: eq, threshold: 0, for: 1m}\n"
        "      - {name: slow, metric: lat, comparison: ge, threshold: 2, severity: info,\n"
        "         granularity: 30, for: 100, labels: {service: id}}\n"
        "alarms:\n"
        "  - {name: global, metric: errors_total, comparison: gt, threshold: 5,"
        " evaluation_periods: 7}\n"
    )
    alarms = {a.id: a for a in exp.alarms}
    assert sorted(alarms) == ["global", "keystone-down", "slow"]
    down = alarms["keystone-down"]
    assert (down.metric, down.comparison, down.for_seconds, down.evaluation_periods) == (
        "up",
        "eq",
        60.0,
        1,
    )
    slow = alarms["slow"]
    assert (slow.aodh_severity, slow.evaluation_periods, dict(slow.labels)) == (
        "low",
        4,
        {"service": "id"},
    )
    glob = alarms["global"]
    assert (glob.service, glob.evaluation_periods, glob.contacts, dict(glob.labels)) == (
        None,
        7,
        ("ops",),
        {},
    )
    assert {n.contact_groups for n in exp.nagios_services} == {("admins",)}


def test_default_alarms_can_be_turned_off() -> None:
    exp = expand_text("defaults: {default_alarms: false}\nservices:\n  keystone: {}\n")
    assert exp.alarms == ()


def test_notification_overrides() -> None:
    exp = expand_text(
        "services:\n"
        "  nova-api: {}\n"
        "  nova-scheduler: {notifications: {enabled: false}}\n"
        "  cinder-api: {notifications: {exchange: openstack, topics: [notifications, extra]}}\n"
        "  placement-api: {}\n"
    )
    assert [(x.id, x.topics, x.services) for x in exp.notification_exchanges] == [
        ("nova", ("notifications", "versioned_notifications"), ("nova-api",)),
        ("openstack", ("extra", "notifications"), ("cinder-api",)),
    ]


def test_expansion_is_deterministic_and_json_ready() -> None:
    inv = load(ROOT / "examples" / "inventory.yaml")
    first, second = expand(inv), expand(inv)
    assert first == second
    for items in (first.probes, first.log_sources, first.alarms, first.nagios_services):
        assert ids(items) == sorted(ids(items))
        assert len(set(ids(items))) == len(items)
    text = json.dumps(first.to_dict(), sort_keys=True)
    assert json.loads(text)["probes"][0]["id"] == "aodh-api/api@ctl1"


def test_example_inventory_counts() -> None:
    exp = expand(load(ROOT / "examples" / "inventory.yaml"))
    # per host on 3 controllers: 11 API services (keystone, nova-api, placement-api,
    # neutron-server, glance-api, cinder-api, heat-api, horizon, octavia, gnocchi-api, aodh-api)
    # and 4 infrastructure ones (rabbitmq, galera, memcached, haproxy); 9 public URLs, each
    # probed over http and tls; agents: 8 controller services x 3, nova-compute x 2, ovs x 5;
    # one process probe per host of each service (the 76 active Nagios process checks).
    assert len(exp.probes) == (11 + 4) * 3 + 9 * 2 + (8 * 3 + 2 + 5) + 76
    assert exp.counts == {
        "probes": 170,
        "log_sources": 82,
        "alarms": 28,
        "nagios_hosts": 6,
        "nagios_services": 170,
        "notification_exchanges": 8,
    }
    assert [x.id for x in exp.notification_exchanges] == [
        "aodh",
        "cinder",
        "glance",
        "heat",
        "keystone",
        "neutron",
        "nova",
        "octavia",
    ]


def test_local_inventory_counts() -> None:
    exp = expand(load(ROOT / "src" / "osmon" / "data" / "local.yaml"))
    assert exp.counts == {
        "probes": 19,
        "log_sources": 8,
        "alarms": 9,
        "nagios_hosts": 1,
        "nagios_services": 19,
        "notification_exchanges": 2,
    }
    targets = {p.service: (p.address, p.port) for p in exp.probes if p.type != "process"}
    assert targets == {
        "rabbitmq": ("127.0.0.1", 15672),  # the management API
        "postgresql": ("127.0.0.1", 5432),
        "mariadb": ("127.0.0.1", 3306),
        "redis": ("127.0.0.1", 6379),
        "gnocchi-api": ("127.0.0.1", 8041),
        "aodh-api": ("127.0.0.1", 8042),
        "keystone": ("127.0.0.1", 5000),
        "prometheus": ("127.0.0.1", 9090),
        "pushgateway": ("127.0.0.1", 9091),
    }
    assert [n.id for n in exp.nagios_services if n.service == "nagios"] == [
        "localhost;nagios process"
    ]


def test_expand_checks_an_inventory_built_in_code() -> None:
    inv = Inventory.model_validate(
        {
            "cloud": {"name": "c"},
            "hosts": {"h": {"address": "10.0.0.1"}},
            "services": {"nova-api": {"hosts": ["nope"]}},
        }
    )
    with pytest.raises(InventoryError) as info:
        expand(inv)
    assert [str(p) for p in info.value.problems] == [
        "<inventory>:0: services.nova-api.hosts.0: undefined host 'nope'"
    ]


def test_openstack_probes_expand_with_their_service_type_binary_and_defaults() -> None:
    from osmon.inventory import expand, load_text

    inv = load_text(
        "cloud: {name: c}\n"
        "auth: {auth_url: 'http://ks:5000/v3', username: u, password_env: P}\n"
        "hosts:\n  ctl1: {address: 10.0.0.1, roles: [controller, compute]}\n"
        "services:\n  nova-compute: {}\n  cinder-volume: {}\n"
        "  gnocchi-api: {probes: {backlog: {type: gnocchi}}}\n"
        "  aodh-api: {probes: {alarms: {type: aodh, stuck_after: 5m}}}\n",
        "inv.yaml",
    )
    probes = {p.id: p for p in expand(inv).probes}
    agent = probes["nova-compute/agent@ctl1"]
    assert (agent.keystone_service_type, agent.agent_binary, agent.url) == (
        "compute",
        "nova-compute",
        None,
    )
    assert {k: (t.warning, t.critical) for k, t in agent.thresholds.items()} == {
        "agents_down": (None, "0"),
        "agents_disabled": ("0", None),
    }
    assert probes["cinder-volume/agent@ctl1"].keystone_service_type == "block-storage"
    assert probes["gnocchi-api/backlog@ctl1"].url == "http://10.0.0.1:8041/"
    assert probes["aodh-api/alarms@ctl1"].stuck_after == 300.0
