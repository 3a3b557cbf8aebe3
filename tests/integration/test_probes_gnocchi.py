"""Probe samples as the probes source hands them to the router, written by the Gnocchi sink
into the stack's real Gnocchi: the target is the resource, the series names are its metrics,
a labelled series gets a resource of its own."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from gnocchiclient import auth as g_auth
from gnocchiclient.v1 import client as g_client
from keystoneauth1 import session as ks_session

from osmon.checks.state import State
from osmon.probes import Metric, ProbeResult
from osmon.sinks.gnocchi import build
from osmon.sources.probes.publish import samples
from tests.unit.probes.targets import target

if TYPE_CHECKING:
    from conftest import Stack

pytestmark = pytest.mark.integration


async def test_probe_samples_land_in_gnocchi(stack: Stack) -> None:
    unique = uuid.uuid4().hex[:10]
    probe = target(f"it-{unique}/api@ctl1")
    labels = {
        "hostname": "cmp1",
        "service": "nova-compute",
        "adminState": "enabled",
        "zone": "nova",
        "id": "1",
    }
    checked_at = float(int(time.time()) - 5)
    result = ProbeResult(
        probe.id,
        "agent",
        State.OK,
        "ok",
        (
            Metric("agent_state", 1.0, series="openstack_nova_agent_state", labels=labels),
            Metric("success", 1.0, series="probe_success"),
            Metric("duration", 0.25, "s", series="probe_duration_seconds"),
        ),
        0.25,
        checked_at,
    )
    records = samples(result, probe)
    sink = build("gnocchi-it", {"endpoint": stack.gnocchi_url, "archive_policy": "high"}, None)  # type: ignore[arg-type]
    await sink.start()
    try:
        written = await sink.write(records)
    finally:
        await sink.close()
    assert written.ok, written
    plugin = g_auth.GnocchiBasicPlugin(user=stack.gnocchi_user, endpoint=stack.gnocchi_url)
    gnocchi: Any = g_client.Client(session=ks_session.Session(auth=plugin, timeout=30))
    for name, rid, value in (
        ("probe_success", probe.id.replace("/", "_"), 1.0),
        ("probe_duration_seconds", probe.id.replace("/", "_"), 0.25),
        ("openstack_nova_agent_state", records[0].resource_id, 1.0),
    ):
        measures = gnocchi.metric.get_measures(name, resource_id=rid, refresh=True)
        assert [m[2] for m in measures if m[1] == 1.0] == [value], (name, measures)
