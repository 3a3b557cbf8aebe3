"""Inventory settings of the infrastructure probes: logins and RabbitMQ queue selection."""

from __future__ import annotations

import re

import pytest

from osmon.inventory import InventoryError, expand, load_text
from osmon.inventory.infra import DEFAULT_QUEUES

HEAD = """\
cloud: {name: c}
hosts:
  ctl1: {address: 10.0.0.1, roles: [controller]}
infrastructure:
"""


def problems_in(text: str) -> list[str]:
    with pytest.raises(InventoryError) as info:
        load_text(text, "inv.yaml")
    return [str(p) for p in info.value.problems]


def test_credentials_reach_the_expanded_probes() -> None:
    inv = load_text(
        HEAD
        + "  rabbitmq:\n"
        + "    credentials: {username: osmon, password_env: OSMON_RABBIT}\n"
        + "    probes: {amqp: {queues: {vhost: /}}}\n"
        + "  galera: {credentials: {option_file: /etc/osmon/galera.cnf}}\n"
    )
    probes = {p.id: p for p in expand(inv).probes}
    rabbit = probes["rabbitmq/amqp@ctl1"]
    assert rabbit.url == "http://10.0.0.1:15672/" and rabbit.port == 15672
    assert rabbit.credentials is not None and rabbit.credentials.password_env == "OSMON_RABBIT"
    assert (rabbit.queue_vhost, rabbit.queue_match) == ("/", DEFAULT_QUEUES)
    galera = probes["galera/galera@ctl1"]
    assert galera.credentials is not None
    assert galera.credentials.option_file == "/etc/osmon/galera.cnf"
    assert galera.queue_match is None and galera.url is None and galera.port == 3306


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        (
            "{username: u, password_env: A, password_file: /p}",
            "give one of password_env, password_file",
        ),
        (
            "{password_env: A}",
            "give 'username' (with password_env or password_file) or 'option_file'",
        ),
        ("{username: u, password: secret}", "password"),
        ("{username: u, password_env: 'not a name'}", "is not an environment variable name"),
        ("{username: u, password_file: relative.txt}", "must be an absolute path"),
    ],
)
def test_bad_credentials_point_at_their_line(credentials: str, message: str) -> None:
    problems = problems_in(HEAD + f"  rabbitmq:\n    credentials: {credentials}\n")
    assert len(problems) == 1 and problems[0].startswith("inv.yaml:6:"), problems
    assert message in problems[0]


def test_queues_only_on_rabbitmq_probes_and_a_valid_regex() -> None:
    problems = problems_in(HEAD + "  memcached:\n    probes: {memcached: {queues: {vhost: /}}}\n")
    assert problems == ["inv.yaml:6: 'queues' applies to rabbitmq probes, not to 'memcached'"]
    problems = problems_in(HEAD + "  rabbitmq:\n    probes: {amqp: {queues: {match: '(x'}}}\n")
    assert len(problems) == 1 and problems[0].startswith("inv.yaml:6:")
    assert "is not a regular expression" in problems[0]


@pytest.mark.parametrize(
    ("service", "metric"),
    [
        ("galera", "flow_control_paused"),
        ("memcached", "hit_ratio"),
        ("memcached", "evictions"),
        ("rabbitmq", "queue_messages"),
        ("haproxy", "backends_down"),
    ],
)
def test_probe_metrics_accept_their_thresholds(service: str, metric: str) -> None:
    inv = load_text(HEAD + f"  {service}:\n    thresholds: {{{metric}: {{warning: '0:10'}}}}\n")
    (probe,) = (p for p in expand(inv).probes if p.service == service and p.type != "process")
    assert probe.thresholds[metric].warning == "0:10"


def test_a_threshold_no_metric_of_the_probe_has_is_rejected_with_its_line() -> None:
    problems = problems_in(
        HEAD + "  memcached:\n    thresholds: {cluster_size: {critical: '3:'}}\n"
    )
    assert len(problems) == 1
    assert re.match(r"inv\.yaml:6: threshold 'cluster_size' matches no metric", problems[0])


def test_default_queue_pattern() -> None:
    matches = [
        name
        for name in ("notifications.info", "versioned_notifications.error", "osmon", "osmon2",
                     "notifications", "nova.compute")
        if re.fullmatch(DEFAULT_QUEUES, name)
    ]  # fmt: skip
    assert matches == ["notifications.info", "versioned_notifications.error", "osmon"]
