"""The OpenStack probe kinds against the local stack's real services.

Agent states come from the real Nova's ``os-services`` (the stack's Nova: fake virt driver,
report_interval 2 s, service_down_time 10 s) through the real Keystone's token and catalog.
Cinder and Neutron cannot run here: their lists come from the stack's ``openstack-stub``, which
serves the documented response bodies (Block Storage v3 "List All Cinder Services", Networking
v2.0 "List all agents"; the files are deploy/stack/nova/stubs/), registered in the real
Keystone catalog. Gnocchi (auth_mode basic) and Aodh (auth_mode noauth) are the stack's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from osmon.checks.state import State
from osmon.inventory import Probe
from osmon.probes import Observation, ProbeContext
from osmon.probes import keystone_session as ks
from osmon.probes.openstack_api import get_json
from osmon.probes.runner import run_probe
from tests.integration.conftest import Stack
from tests.integration.openstack import (
    PASSWORD_ENV,
    CountingProxy,
    Nova,
    inventory,
    nova_from_stack,
    probes,
    restore_stack,
    run_all,
    series,
    values,
)
from tests.integration.pipeline import free_port

NOVA_AGENTS = """\
  nova-compute: {hosts: [osmon-nova, ghost]}
  nova-conductor: {hosts: [osmon-nova]}
  nova-scheduler: {hosts: [osmon-nova]}
"""


@pytest.fixture(scope="module")
def nova(stack: Stack) -> Nova:
    found = nova_from_stack()
    if isinstance(found, str):
        pytest.fail(found, pytrace=False)
    return found


@pytest.fixture
def password(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSWORD_ENV, stack.keystone_password)
    return stack.keystone_password


@pytest.fixture
async def ctx(stack: Stack, password: str) -> AsyncIterator[ProbeContext]:
    context = ProbeContext("osmon-test")
    yield context
    await context.close()


async def test_nova_agents_from_the_real_os_services(
    stack: Stack, nova: Nova, ctx: ProbeContext
) -> None:
    inv = inventory(stack, NOVA_AGENTS)
    ctx.auth = inv.auth
    results = await run_all(probes(inv).values(), ctx)
    for binary, zone in [
        ("nova-compute", "nova"),
        ("nova-conductor", "internal"),
        ("nova-scheduler", "internal"),
    ]:
        result = results[f"{binary}/agent@osmon-nova"]
        assert result.state == State.OK, result.summary
        assert result.summary == f"{binary} on {nova.host} up"
        ((value, labels),) = series(result, "openstack_nova_agent_state")
        assert value == 1.0
        assert set(labels) == {"id", "hostname", "service", "adminState", "zone", "disabledReason"}
        assert labels["hostname"] == nova.host and labels["service"] == binary
        assert (labels["adminState"], labels["zone"], labels["disabledReason"]) == (
            "enabled",
            zone,
            "",
        )
        assert len(labels["id"]) == 36  # microversion 2.53: service ids are UUIDs
        assert values(result)["agents_down"] == 0.0
        assert series(result, "openstack_nova_up") == [(1.0, {})]
        assert series(result, "openstack_identity_up") == [(1.0, {})]
        assert series(result, "probe_success") == [(1.0, {})]
    ghost = results["nova-compute/agent@ghost"]
    assert ghost.state == State.CRITICAL
    assert ghost.summary == (
        "nova-compute on ghost: not in the nova service list "
        f"(hosts with nova-compute: {nova.host})"
    )


def _kill_nova_compute(nova: Nova) -> None:
    pid_file = nova.pid_dir / "nova-compute.pid"
    pid = int(pid_file.read_text().strip())
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    assert b"bin/nova-compute" in cmdline, f"{pid_file} names {cmdline!r}, not nova-compute"
    os.kill(pid, signal.SIGKILL)


async def _until(probe: Probe, ctx: ProbeContext, state: State, deadline_s: float) -> Any:
    from osmon.components import probe_function

    deadline = time.monotonic() + deadline_s
    seen = []
    while time.monotonic() < deadline:
        result = await run_probe(probe, probe_function(probe.type), ctx)
        seen.append((result.state.name, result.summary))
        if result.state == state:
            return result
        await asyncio.sleep(1.0)
    raise AssertionError(f"{probe.id} never {state.name} in {deadline_s}s: {seen[-3:]}")


async def test_a_killed_nova_compute_turns_down_and_back_up(
    stack: Stack, nova: Nova, ctx: ProbeContext
) -> None:
    inv = inventory(stack, NOVA_AGENTS)
    ctx.auth = inv.auth
    target = probes(inv)["nova-compute/agent@osmon-nova"]
    assert (await _until(target, ctx, State.OK, 60)).state == State.OK
    _kill_nova_compute(nova)
    try:
        down = await _until(target, ctx, State.CRITICAL, 90)
    finally:
        await asyncio.to_thread(restore_stack)
    assert down.summary == (f"nova-compute on {nova.host} DOWN; agents_down 1 outside 0 (CRITICAL)")
    ((value, labels),) = series(down, "openstack_nova_agent_state")
    assert (value, labels["adminState"]) == (0.0, "enabled")
    assert series(down, "openstack_nova_up") == [(1.0, {})]  # the API answered
    assert (await _until(target, ctx, State.OK, 120)).state == State.OK


async def test_cinder_and_neutron_agents_from_the_documented_bodies(
    stack: Stack, nova: Nova, ctx: ProbeContext
) -> None:
    inv = inventory(
        stack,
        "  cinder-scheduler: {hosts: [osmon-nova]}\n"
        "  cinder-volume: {hosts: [osmon-nova]}\n"
        "  cinder-backup: {hosts: [osmon-net2]}\n"
        "  neutron-openvswitch-agent: {hosts: [osmon-nova]}\n"
        "  neutron-dhcp-agent: {hosts: [osmon-net2]}\n"
        "  neutron-l3-agent: {hosts: [osmon-net2]}\n",
    )
    ctx.auth = inv.auth
    results = await run_all(probes(inv).values(), ctx)
    states = {target: r.state for target, r in results.items()}
    assert states == {
        "cinder-scheduler/agent@osmon-nova": State.OK,
        "cinder-volume/agent@osmon-nova": State.CRITICAL,
        "cinder-backup/agent@osmon-net2": State.WARNING,
        "neutron-openvswitch-agent/agent@osmon-nova": State.OK,
        "neutron-dhcp-agent/agent@osmon-net2": State.CRITICAL,
        "neutron-l3-agent/agent@osmon-net2": State.WARNING,
    }
    volume = results["cinder-volume/agent@osmon-nova"]
    assert series(volume, "openstack_cinder_agent_state") == [
        (
            0.0,
            {
                "hostname": "osmon-nova@lvmdriver-1",
                "service": "cinder-volume",
                "adminState": "enabled",
                "zone": "nova",
                "disabledReason": "",
            },
        )
    ]
    assert volume.summary.startswith("cinder-volume on osmon-nova@lvmdriver-1 DOWN")
    backup = results["cinder-backup/agent@osmon-net2"]
    assert backup.summary == (
        "cinder-backup on osmon-net2 up, disabled (maintenance); "
        "agents_disabled 1 outside 0 (WARNING)"
    )
    l3 = results["neutron-l3-agent/agent@osmon-net2"]
    assert series(l3, "openstack_neutron_agent_state") == [
        (
            1.0,
            {
                "id": "c4a6e8d0-1f2b-4c5d-9e7f-0a1b2c3d4e03",
                "hostname": "osmon-net2",
                "service": "neutron-l3-agent",
                "adminState": "down",
                "availability_zone": "nova",
            },
        )
    ]
    dhcp = results["neutron-dhcp-agent/agent@osmon-net2"]
    assert series(dhcp, "openstack_neutron_agent_state")[0][0] == 0.0
    for result in results.values():
        up = "openstack_cinder_up" if result.target.startswith("cinder") else "openstack_neutron_up"
        assert series(result, up) == [(1.0, {})]


async def test_one_token_for_many_probes(stack: Stack, nova: Nova, ctx: ProbeContext) -> None:
    proxy = CountingProxy(stack.keystone_url)
    await proxy.start()
    try:
        inv = inventory(
            stack,
            NOVA_AGENTS + "  cinder-volume: {hosts: [osmon-nova]}\n"
            "  neutron-openvswitch-agent: {hosts: [osmon-nova]}\n",
            auth_url=proxy.url,
        )
        ctx.auth = inv.auth
        targets = list(probes(inv).values())
        for _ in range(5):  # 5 rounds x 6 targets, concurrent within a round
            results = await run_all(targets, ctx)
            assert all(r.state != State.UNKNOWN for r in results.values()), results
    finally:
        await proxy.stop()
    assert (len(targets), proxy.token_requests) == (6, 1)


async def test_keystone_down_makes_token_probes_unknown_and_others_go_on(
    stack: Stack, nova: Nova, ctx: ProbeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ks, "RETRY_AFTER", 1.0)
    proxy = CountingProxy(stack.keystone_url)
    await proxy.start()
    proxy.down = True
    basic = {"Authorization": "Basic YWRtaW46"}  # admin: (Gnocchi auth_mode=basic)

    async def no_token(target: Probe, context: ProbeContext) -> Observation:
        body = await get_json(
            context, f"{stack.gnocchi_url}/v1/status?details=false", what="gnocchi", headers=basic
        )
        return Observation(summary=f"gnocchi answered {sorted(body)}")

    try:
        inv = inventory(stack, NOVA_AGENTS, auth_url=proxy.url)
        ctx.auth = inv.auth
        target = probes(inv)["nova-compute/agent@osmon-nova"]
        results = await asyncio.gather(
            *(run_all([target], ctx) for _ in range(5)), run_probe(target, no_token, ctx)
        )
        for (result,) in (r.values() for r in results[:5]):
            assert result.state == State.UNKNOWN
            assert result.summary.startswith("Keystone: answered 503"), result.summary
            assert series(result, "openstack_identity_up") == [(0.0, {})]
        assert results[5].state == State.OK, results[5].summary
        assert proxy.token_requests == 1  # the failure is remembered, not asked five times
        proxy.down = False
        await asyncio.sleep(1.2)
        (back,) = (await run_all([target], ctx)).values()
        assert back.state == State.OK, back.summary
    finally:
        await proxy.stop()


async def test_keystone_unreachable_and_wrong_password_are_distinct(
    stack: Stack, nova: Nova, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v3"
    for auth_url, password, expected in [
        (closed, stack.keystone_password, "Keystone: unreachable"),
        (stack.keystone_url, "wrong-" + uuid.uuid4().hex, "Keystone: the credentials were refused"),
    ]:
        monkeypatch.setenv(PASSWORD_ENV, password)
        inv = inventory(stack, NOVA_AGENTS, auth_url=auth_url)
        context = ProbeContext("osmon-test", auth=inv.auth)
        try:
            (result,) = (
                await run_all([probes(inv)["nova-compute/agent@osmon-nova"]], context)
            ).values()
        finally:
            await context.close()
        assert result.state == State.UNKNOWN
        assert result.summary.startswith(expected), result.summary
    monkeypatch.delenv(PASSWORD_ENV)
    inv = inventory(stack, NOVA_AGENTS)
    context = ProbeContext("osmon-test", auth=inv.auth)
    (result,) = (await run_all([probes(inv)["nova-compute/agent@osmon-nova"]], context)).values()
    await context.close()
    assert (result.state, result.summary) == (
        State.UNKNOWN,
        f"Keystone: environment variable {PASSWORD_ENV} is not set",
    )


def _no_auth_inventory(stack: Stack, services: str) -> Any:
    from osmon.inventory import load_text

    return load_text(
        "cloud: {name: osmon-test}\n"
        "hosts:\n  localhost: {address: 127.0.0.1, roles: [controller]}\n"
        f"services:\n{services}",
        "telemetry-test.yaml",
    )


async def test_gnocchi_backlog(stack: Stack, gnocchi_client: Any) -> None:
    inv = _no_auth_inventory(
        stack,
        "  gnocchi-api:\n    probes:\n      backlog:\n        type: gnocchi\n"
        "        thresholds: {measures_waiting: {warning: 0}}\n",
    )
    target = probes(inv)["gnocchi-api/backlog@localhost"]
    context = ProbeContext("osmon-test")
    rid = str(uuid.uuid4())
    gnocchi_client.resource.create("generic", {"id": rid})
    now = time.time()
    try:
        for attempt in range(30):  # metricd drains every 2 s: post, then probe at once
            stamps = [now - 3600 + attempt * 0.001 + i for i in range(2000)]
            gnocchi_client.metric.batch_resources_metrics_measures(
                {
                    rid: {
                        "probe-backlog": {
                            "archive_policy_name": "low",
                            "measures": [{"timestamp": ts, "value": 1.0} for ts in stamps],
                        }
                    }
                },
                create_metrics=True,
            )
            (result,) = (await run_all([target], context)).values()
            if values(result)["measures_waiting"] > 0:
                break
        else:
            raise AssertionError(f"the probe never saw a backlog: {result.summary}")
    finally:
        await context.close()
    assert result.state == State.WARNING
    assert "measures waiting in" in result.summary and "outside 0 (WARNING)" in result.summary
    got = values(result)
    assert got["metrics_waiting"] >= 1 and got["metricd_processors"] >= 1
    names = {m.series_name for m in result.metrics}
    assert {
        "openstack_gnocchi_status_measures_to_process",
        "openstack_gnocchi_status_metric_having_measures_to_process",
        "openstack_gnocchi_status_metricd_processors",
        "openstack_gnocchi_up",
    } <= names


async def test_aodh_alarms_stuck_in_insufficient_data(stack: Stack, aodh_client: Any) -> None:
    inv = _no_auth_inventory(
        stack,
        "  aodh-api:\n    probes:\n"
        "      stuck: {type: aodh, stuck_after: 1}\n"
        "      patient: {type: aodh, stuck_after: 1h}\n",
    )
    found = probes(inv, ["aodh-api/stuck@localhost", "aodh-api/patient@localhost"])
    context = ProbeContext("osmon-test")
    alarm = aodh_client.alarm.create(
        {
            "name": f"osmon-probe-test-{uuid.uuid4().hex[:8]}",
            "type": "event",
            "event_rule": {"event_type": "osmon.never"},
        }
    )
    try:
        assert alarm["state"] == "insufficient data"
        await asyncio.sleep(1.5)
        results = await run_all(found.values(), context)
    finally:
        aodh_client.alarm.delete(alarm["alarm_id"])
        await context.close()
    stuck, patient = results["aodh-api/stuck@localhost"], results["aodh-api/patient@localhost"]
    assert stuck.state == State.WARNING, stuck.summary
    assert values(stuck)["alarms_stuck"] >= 1
    assert values(stuck)["alarms_stuck"] - values(patient)["alarms_stuck"] >= 1
    assert "in insufficient data" in stuck.summary and "for more than 1s" in stuck.summary
    by_state = dict((labels["state"], v) for v, labels in series(stuck, "osmon_probe_aodh_alarms"))
    assert by_state["insufficient data"] >= 1
    assert series(stuck, "osmon_probe_aodh_api_up") == [(1.0, {})]


async def test_a_clouds_yaml_entry_authenticates(
    stack: Stack, nova: Nova, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from osmon.inventory import load_text

    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  osmon-test:\n"
        f"    auth: {{auth_url: '{stack.keystone_url}', username: {stack.keystone_admin_user},"
        f" password: '{stack.keystone_password}', project_name: {stack.keystone_admin_project},"
        " user_domain_id: default, project_domain_id: default}\n"
        "    region_name: RegionOne\n    interface: public\n"
    )
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    inv = load_text(
        "cloud: {name: osmon-test}\nauth: {cloud: osmon-test}\n"
        "hosts:\n  osmon-nova: {address: 127.0.0.1, roles: [compute]}\n"
        "services:\n  nova-compute: {}\n",
        "clouds-test.yaml",
    )
    context = ProbeContext("osmon-test", auth=inv.auth)
    try:
        (result,) = (await run_all(probes(inv).values(), context)).values()
    finally:
        await context.close()
    assert (result.state, result.summary) == (State.OK, f"nova-compute on {nova.host} up")


async def test_no_endpoint_in_the_catalog_is_unknown(
    stack: Stack, nova: Nova, password: str
) -> None:
    inv = inventory(stack, NOVA_AGENTS)
    assert inv.auth is not None
    context = ProbeContext(
        "osmon-test", auth=inv.auth.model_copy(update={"region_name": "Nowhere"})
    )
    try:
        (result,) = (
            await run_all([probes(inv)["nova-compute/agent@osmon-nova"]], context)
        ).values()
    finally:
        await context.close()
    assert (result.state, result.summary) == (
        State.UNKNOWN,
        "no public compute endpoint in region Nowhere in the catalog",
    )
    assert series(result, "openstack_identity_up") == [(1.0, {})]
