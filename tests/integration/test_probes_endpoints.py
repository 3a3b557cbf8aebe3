"""The http, tcp and process probes against the real services of the local stack.

The inventory names the stack's URLs; its expansion gives the probes with the catalog's
expected statuses and body patterns (keystone's ``/v3`` version document, Gnocchi's and Aodh's
``/``, Prometheus' ``/-/healthy``), run as the daemon runs them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from osmon.checks.state import State
from osmon.components import probe_function
from osmon.inventory import Probe, expand, load_text
from osmon.probes import ProbeContext, ProbeResult
from osmon.probes.runner import run_probe
from tests.integration.conftest import Stack


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None, url
    return port


def _inventory(stack: Stack) -> str:
    return f"""\
cloud: {{name: stack}}
hosts:
  here: {{address: 127.0.0.1, roles: [controller, monitoring]}}
services:
  keystone:
    endpoint: {{url: "{stack.keystone_url}"}}
    probes: {{api: {{enabled: false}}}}
  gnocchi-api:
    endpoint: {{url: "{stack.gnocchi_url}/"}}
    probes: {{api: {{enabled: false}}}}
    processes: [gnocchi]          # gunicorn: worker [gnocchi_wsgi:application]
  aodh-api:
    endpoint: {{url: "{stack.aodh_url}/"}}
    probes: {{api: {{enabled: false}}, process: {{enabled: false}}}}
infrastructure:
  prometheus:
    endpoint: {{url: "{stack.prometheus_url}/-/healthy"}}
    probes: {{api: {{enabled: false}}}}
  redis: {{probes: {{redis: {{port: {_port(stack.redis_url)}}}}}}}
  postgresql: {{probes: {{postgresql: {{port: {_port(stack.postgres_url)}}}}}}}
  rabbitmq:
    probes: {{amqp: {{type: tcp, port: {_port(stack.rabbit_url)}}}}}
  nagios: {{}}
"""


@pytest.fixture
async def ctx() -> AsyncIterator[ProbeContext]:
    context = ProbeContext(hostname="here")
    yield context
    await context.close()


async def _run(probe: Probe, ctx: ProbeContext) -> ProbeResult:
    return await run_probe(probe, probe_function(probe.type), ctx)


async def test_every_probe_of_the_stack_is_ok(stack: Stack, ctx: ProbeContext) -> None:
    probes = expand(load_text(_inventory(stack), "stack.yaml")).probes
    by_id = {p.id: p for p in probes}
    assert sorted(by_id) == [
        "aodh-api/endpoint",
        "gnocchi-api/endpoint",
        "gnocchi-api/process@here",
        "keystone/endpoint",
        "keystone/process@here",
        "nagios/process@here",
        "postgresql/postgresql@here",
        "postgresql/process@here",
        "prometheus/endpoint",
        "prometheus/process@here",
        "rabbitmq/amqp@here",
        "rabbitmq/process@here",
        "redis/process@here",
        "redis/redis@here",
    ]
    assert by_id["keystone/endpoint"].body_pattern == r'"versions?"\s*:'
    assert by_id["prometheus/endpoint"].body_pattern == "Healthy"
    results = {p.id: await _run(p, ctx) for p in probes}
    bad = {i: (r.state.name, r.summary) for i, r in results.items() if r.state != State.OK}
    assert bad == {}
    assert results["keystone/endpoint"].summary.startswith("HTTP 200 in ")
    # other engineers' private RabbitMQ nodes may run beside the stack's
    assert results["rabbitmq/process@here"].summary.endswith(" (beam.smp)")
    workers = {m.name: m.value for m in results["gnocchi-api/process@here"].metrics}
    assert workers["process_count"] >= 2  # the gunicorn master and its workers


async def test_a_wrong_expectation_of_a_real_service(stack: Stack, ctx: ProbeContext) -> None:
    """Keystone's root answers 300 (multiple choices): a probe expecting 200 is CRITICAL, one
    whose body pattern does not match too, each saying why."""
    root = stack.keystone_url.rsplit("/v3", 1)[0] + "/"
    inventory = f"""\
cloud: {{name: stack}}
hosts:
  here: {{address: 127.0.0.1, roles: [controller]}}
services:
  keystone:
    hosts: [here]
    probes:
      api: {{enabled: false}}
      process: {{enabled: false}}
      root: {{type: http, url: "{root}"}}
      root-300: {{type: http, url: "{root}", expected_status: [300], body_pattern: "v2\\\\.0"}}
"""
    probes = {p.name: p for p in expand(load_text(inventory, "stack.yaml")).probes}
    wrong_status = await _run(probes["root"], ctx)
    assert (wrong_status.state, wrong_status.summary) == (
        State.CRITICAL,
        f"HTTP 300, expected 200 (redirect to {stack.keystone_url}/ not followed)",
    )
    wrong_body = await _run(probes["root-300"], ctx)
    assert (wrong_body.state, wrong_body.summary) == (
        State.CRITICAL,
        r"body does not match /v2\.0/",
    )
