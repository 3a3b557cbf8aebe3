"""Loading inventories: every class of mistake is reported as FILE:LINE: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from osmon.inventory import Inventory, InventoryError, load, load_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inventory"
ROOT = Path(__file__).resolve().parents[3]

MINIMAL = """\
cloud: {name: c}
hosts:
  ctl1: {address: 10.0.0.1, roles: [controller]}
"""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InventoryError) as info:
        load(path)
    return [str(p) for p in info.value.problems]


def problems_in(text: str) -> list[str]:
    with pytest.raises(InventoryError) as info:
        load_text(text, "inv.yaml")
    return [str(p) for p in info.value.problems]


def fixture(name: str) -> tuple[Path, str]:
    path = FIXTURES / name
    return path, str(path)


def test_yaml_syntax_error_points_at_the_line() -> None:
    path, f = fixture("syntax_error.yaml")
    assert problems_of(path) == [
        f"{f}:5: YAML syntax error: while parsing a flow mapping (line 4), "
        "expected ',' or '}', but got '<scalar>'"
    ]


def test_unknown_key_suggests_the_right_one() -> None:
    path, f = fixture("unknown_key.yaml")
    assert problems_of(path) == [
        f"{f}:9: unknown key 'hostz' in services.nova-api (did you mean 'hosts'?)"
    ]


def test_duplicate_key_is_reported_at_the_second_occurrence() -> None:
    path, f = fixture("duplicate_key.yaml")
    assert problems_of(path) == [f"{f}:6: duplicate key 'ctl1' (first given at line 4)"]


def test_wrong_types_each_at_their_line() -> None:
    path, f = fixture("wrong_type.yaml")
    assert problems_of(path) == [
        f"{f}:4: defaults.interval: 'soon' is not a duration (e.g. 30, '30s', '5m', '1h')",
        f"{f}:9: services.nova-api.hosts: expected a list, got a string",
        f"{f}:11: services.nova-api.endpoint.port: "
        "Input should be a valid integer, unable to parse string as an integer",
    ]


def test_undefined_hosts_roles_and_contacts() -> None:
    path, f = fixture("undefined_refs.yaml")
    assert problems_of(path) == [
        f"{f}:6: undefined contact 'opz' (did you mean 'ops'?)",
        f"{f}:12: undefined host 'ctl9' (did you mean 'ctl1'?)",
        f"{f}:14: undefined role 'computes' (no host has it) (did you mean 'compute'?)",
    ]


def test_invalid_nagios_ranges() -> None:
    path, f = fixture("bad_range.yaml")
    assert problems_of(path) == [
        f"{f}:9: services.nova-api.thresholds.response_time.warning: "
        "invalid Nagios range '10:5': start 10 > end 5",
        f"{f}:10: services.nova-api.thresholds.response_time.critical: "
        "invalid Nagios range '@abc': 'abc' is not a number",
    ]


def test_duplicate_service_names_across_sections() -> None:
    path, f = fixture("duplicate_service.yaml")
    assert problems_of(path) == [f"{f}:10: duplicate service name 'nova-api' (first at line 7)"]


def test_a_password_in_the_inventory_is_refused_with_the_alternative() -> None:
    path, f = fixture("secret.yaml")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{f}:6: 'password' in auth is not allowed")
    assert "password_env" in problem and "hunter2" not in problem


def test_missing_required_key() -> None:
    assert problems_in("cloud: {region: R}\nhosts: {h: {address: 10.0.0.1}}\n") == [
        "inv.yaml:1: missing required key 'name' in cloud"
    ]
    assert problems_in("cloud: {name: c}\n") == [
        "inv.yaml:1: missing required key 'hosts' at the top level"
    ]


def test_unknown_service_type_suggests_a_catalog_name() -> None:
    text = MINIMAL + "services:\n  nova-apu: {}\n  api2: {type: glance-apii}\n"
    assert problems_in(text) == [
        "inv.yaml:5: unknown service type 'nova-apu' (did you mean 'nova-api'?); "
        "name the service after a catalog type or give 'type'",
        "inv.yaml:6: unknown service type 'glance-apii' (did you mean 'glance-api'?); "
        "name the service after a catalog type or give 'type'",
    ]


def test_service_in_the_wrong_section() -> None:
    text = MINIMAL + "services:\n  rabbitmq: {}\ninfrastructure:\n  keystone: {}\n"
    assert problems_in(text) == [
        "inv.yaml:5: 'rabbitmq' is infrastructure: declare it under 'infrastructure'",
        "inv.yaml:7: 'keystone' is openstack: declare it under 'services'",
    ]


def test_service_placed_nowhere() -> None:
    text = MINIMAL + "services:\n  nova-compute: {}\n"
    assert problems_in(text) == [
        "inv.yaml:5: service 'nova-compute' runs nowhere: no host has its default roles "
        "(compute); give 'hosts' or 'roles'"
    ]


def test_threshold_for_a_metric_no_probe_reports() -> None:
    text = MINIMAL + "services:\n  keystone:\n    thresholds:\n      response_tme: {warning: 1}\n"
    assert problems_in(text) == [
        "inv.yaml:7: threshold 'response_tme' matches no metric of 'keystone' "
        "(known: response_time, process_count) (did you mean 'response_time'?)"
    ]


def test_probe_override_of_a_probe_that_does_not_exist() -> None:
    text = (
        MINIMAL + "services:\n  keystone:\n    probes:\n      api: {interval: 5}\n      ap1: {}\n"
    )
    assert problems_in(text) == [
        "inv.yaml:8: probe 'ap1' is not a default probe of 'keystone' (defaults: api, process) "
        "(did you mean 'api'?); give 'type' to add a new probe"
    ]


def test_probe_fields_are_checked_at_their_line() -> None:
    text = MINIMAL + (
        "services:\n"
        "  keystone:\n"
        "    probes:\n"
        "      api: {body_pattern: '(unclosed'}\n"
        "      web: {type: http, tls: {client_key: /etc/k.pem}}\n"
    )
    assert problems_in(text) == [
        "inv.yaml:7: services.keystone.probes.api.body_pattern: '(unclosed' is not a regular "
        "expression: missing ), unterminated subpattern at position 0",
        "inv.yaml:8: services.keystone.probes.web.tls: 'client_key' needs 'client_cert'",
    ]


def test_process_probes_reject_what_cannot_apply() -> None:
    text = MINIMAL + (
        "services:\n"
        "  keystone:\n"
        "    probes:\n"
        "      process: {thresholds: {days_left: {critical: '7:'}}}\n"
        "infrastructure:\n"
        "  redis: {processes: [], probes: {procs: {type: process}}}\n"
        "  memcached: {probes: {process: {type: tcp}}}\n"
    )
    assert problems_in(text) == [
        "inv.yaml:7: threshold 'days_left' matches no metric of 'keystone/process' "
        "(known: process_count)",
        "inv.yaml:9: probe 'procs' counts processes: give 'redis' 'processes'",
        "inv.yaml:10: probe name 'process' is reserved; choose another",
    ]


def test_duplicate_alarm_names() -> None:
    alarm = "{name: a1, metric: m, comparison: gt, threshold: 1}"
    text = MINIMAL + f"services:\n  keystone:\n    alarms: [{alarm}]\nalarms:\n  - {alarm}\n"
    assert problems_in(text) == ["inv.yaml:8: duplicate alarm name 'a1' (first at line 6)"]


def test_bad_time_zone_address_and_name() -> None:
    text = (
        "cloud: {name: c, log_timezone: Mars/Olympus}\n"
        "hosts:\n"
        "  ctl1: {address: 'not an address'}\n"
        "  bad/name: {address: 10.0.0.2}\n"
    )
    assert problems_in(text) == [
        "inv.yaml:1: cloud.log_timezone: unknown time zone 'Mars/Olympus' "
        "(use an IANA name such as 'UTC')",
        "inv.yaml:3: hosts.ctl1.address: 'not an address' is neither an IP address nor a host name",
        "inv.yaml:4: hosts.bad/name: 'bad/name' is not a valid name "
        "(letters, digits, '.', '_', '-'; at most 63 characters)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "inv.yaml:1: the inventory is empty (it needs 'cloud' and 'hosts')"),
        ("- a\n- b\n", "inv.yaml:1: the top level must be a mapping (cloud, hosts, ...), not list"),
        ("a: &x [*x]\n", "inv.yaml:1: recursive alias: a node contains itself"),
        (
            "a: 1\n---\nb: 2\n",
            "inv.yaml:2: YAML syntax error: expected a single document in the stream (line 1), "
            "but found another document",
        ),
        (
            "a: !!python/object:os.system x\n",
            "inv.yaml:1: YAML syntax error: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object:os.system'",
        ),
        (
            "a: [1, 2\n",
            "inv.yaml:2: YAML syntax error: while parsing a flow sequence (line 1), "
            "expected ',' or ']', but got '<stream end>'",
        ),
        (
            "a:\n\tb: 1\n",
            "inv.yaml:2: YAML syntax error: while scanning for the next token, "
            "found character '\\t' that cannot start any token",
        ),
    ],
)
def test_document_level_problems(text: str, expected: str) -> None:
    assert problems_in(text) == [expected]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"cloud:\n  name: 'a\x01b'\n",
            "x:2: unacceptable character #x0001: special characters are not allowed",
        ),
        (b"cloud: \xc3\x28\n", "x:1: cannot decode the file as utf-8: invalid continuation byte"),
    ],
)
def test_unreadable_bytes(data: bytes, expected: str) -> None:
    with pytest.raises(InventoryError) as info:
        load_text(data, "x")
    assert [str(p) for p in info.value.problems] == [expected]


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert problems_of(missing) == [f"{missing}:1: cannot read: No such file or directory"]


def test_all_problems_are_reported_together_and_sorted_by_line() -> None:
    text = (
        "cloud: {name: c, regoin: R}\n"
        "hosts:\n"
        "  h: {address: 10.0.0.1}\n"
        "  h: {address: 10.0.0.2, rolez: []}\n"
    )
    assert problems_in(text) == [
        "inv.yaml:1: unknown key 'regoin' in cloud (did you mean 'region'?)",
        "inv.yaml:4: duplicate key 'h' (first given at line 3)",
        "inv.yaml:4: unknown key 'rolez' in hosts.h (did you mean 'roles'?)",
    ]


def test_anchors_and_merge_keys_are_supported_and_overrides_are_not_duplicates() -> None:
    text = MINIMAL + (
        "x-common: &api {probes: {api: {interval: 10}}}\n"
        "services:\n"
        "  keystone: {<<: *api, probes: {api: {interval: 20}}}\n"
        "  nova-api: *api\n"
    )
    # x-common is unknown at the top level: merge/alias handling must not hide that.
    assert problems_in(text) == [
        "inv.yaml:4: unknown key 'x-common' (expected one of: version, cloud, auth, defaults, "
        "contacts, hosts, services, infrastructure, alarms)"
    ]


def test_a_valid_inventory_loads_into_a_frozen_model() -> None:
    inv = load_text(MINIMAL + "services:\n  nova-api: {hosts: [ctl1]}\n")
    assert isinstance(inv, Inventory)
    assert inv.cloud.region == "RegionOne" and inv.cloud.log_timezone == "UTC"
    assert inv.services["nova-api"].hosts == ("ctl1",)
    with pytest.raises(ValueError):
        inv.cloud.name = "other"  # type: ignore[misc]


def test_scalar_keys_keep_the_text_written() -> None:
    text = MINIMAL + "services:\n  keystone:\n    thresholds: {response_time: {on: 1}}\n"
    assert problems_in(text) == [
        "inv.yaml:6: unknown key 'on' in services.keystone.thresholds.response_time "
        "(expected one of: warning, critical)"
    ]


def test_auth_needs_a_password_source_not_a_password() -> None:
    text = MINIMAL + "auth: {auth_url: 'http://127.0.0.1:5000/v3', username: admin}\n"
    assert problems_in(text) == [
        "inv.yaml:4: auth: 'username' needs 'password_env' (the password stays out of here)"
    ]


@pytest.mark.parametrize("name", ["inventory.yaml", "local.yaml"])
def test_examples_validate(name: str) -> None:
    assert isinstance(load(ROOT / "examples" / name), Inventory)


def test_examples_local_is_the_packaged_default() -> None:
    link = ROOT / "examples" / "local.yaml"
    assert link.is_symlink()
    assert link.resolve() == (ROOT / "src" / "osmon" / "data" / "local.yaml").resolve()


def test_merge_key_overrides_are_not_duplicates() -> None:
    text = (
        "cloud: {name: c}\n"
        "hosts:\n"
        "  ctl1: &ctl {address: 10.0.0.1, roles: [controller]}\n"
        "  ctl2: {<<: *ctl, address: 10.0.0.2}\n"
    )
    inv = load_text(text)
    assert inv.hosts["ctl2"].address == "10.0.0.2"
    assert inv.hosts["ctl2"].roles == ("controller",)


def test_alias_bombs_are_stopped() -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 8)]
    (problem,) = problems_in("\n".join(lines) + "\n")
    assert problem.endswith(": document too large (more than 200000 nodes)")


def test_openstack_probe_thresholds_apply_only_where_their_metrics_are() -> None:
    auth = "auth: {auth_url: 'http://ks:5000/v3', username: u, password_env: P}\n"
    ok = (
        MINIMAL.replace("hosts:", auth + "hosts:", 1)
        + "services:\n  nova-compute:\n    hosts: [ctl1]\n    thresholds:\n"
        + "      agents_down: {critical: 1}\n"
        + "  gnocchi-api:\n    probes:\n      backlog:\n        type: gnocchi\n"
        + "        thresholds: {measures_waiting: {warning: 50}}\n"
        + "  aodh-api:\n    probes:\n      alarms: {type: aodh, stuck_after: 5m}\n"
    )
    load_text(ok, "inv.yaml")
    bad = (
        MINIMAL + "services:\n  keystone:\n    thresholds:\n      measures_waiting: {warning: 1}\n"
    )
    assert problems_in(bad) == [
        "inv.yaml:7: threshold 'measures_waiting' matches no metric of 'keystone' "
        "(known: response_time, process_count)"
    ]
