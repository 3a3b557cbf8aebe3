"""Notifications end to end through the real Nova: boot, stop and delete a server through Nova's
API while ``osmon run`` consumes Nova's notifications, then read what osmon wrote to Gnocchi.

The stack's Nova (fake virt driver, deploy/stack/nova.sh) publishes with ``driver =
messagingv2`` and ``notification_format = both`` on exchange ``nova`` of its RabbitMQ vhost;
osmon listens there on both topics with a listener pool (queue) of its own, deleted afterwards.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.daemon_proc import DaemonProc
from tests.integration.conftest import Stack, rabbit_mgmt
from tests.integration.openstack import Nova, nova_from_stack
from tests.integration.pipeline import daemon_config

COMPUTE = {"service_type": "compute", "interface": "public"}
IMAGE = {"service_type": "image", "interface": "public"}
MICROVERSION = {"OpenStack-API-Version": "compute 2.53"}  # networks: "none" needs >= 2.37


def wait_until(cond: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def nova(stack: Stack) -> Nova:
    found = nova_from_stack()
    if isinstance(found, str):
        pytest.fail(found, pytrace=False)
    return found


def server_status(ks: Any, sid: str) -> str:
    resp = ks.get(f"/servers/{sid}", endpoint_filter=COMPUTE, headers=MICROVERSION, raise_exc=False)
    if resp.status_code == 404:
        return "GONE"
    resp.raise_for_status()
    return str(resp.json()["server"]["status"])


def gnocchi_instance(gc: Any, sid: str) -> dict[str, Any] | None:
    from gnocchiclient import exceptions

    try:
        found: dict[str, Any] = gc.resource.get("instance", sid)
    except exceptions.NotFound:
        return None
    return found


def test_boot_stop_delete_lands_in_gnocchi(
    stack: Stack, nova: Nova, keystone_session: Any, gnocchi_client: Any, tmp_path: Path
) -> None:
    ks, gc = keystone_session, gnocchi_client
    pool = f"osmon-nova-test-{uuid.uuid4().hex[:8]}"
    cfg_path = daemon_config(
        tmp_path, transport_url=nova.transport_url, gnocchi_url=stack.gnocchi_url, port=0
    )
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["sources"]["notifications"].update(
        {"pool": pool, "topics": ["notifications", "versioned_notifications"]}
    )
    cfg_path.write_text(yaml.safe_dump(cfg))
    daemon = DaemonProc(["-c", str(cfg_path), "--port", "0"], log=tmp_path / "osmon.log")
    sid = None
    try:
        base = daemon.wait_listening()
        daemon.wait_http(base + "/healthz", timeout=30)
        wait_until(
            lambda: daemon.status(base)["sources"]["notifications"]["listeners"] > 0,
            60,
            "osmon's notification listener",
        )
        images = ks.get(f"/v2/images?name={nova.image}", endpoint_filter=IMAGE).json()["images"]
        server = {
            "name": f"osmon-{pool}",
            "imageRef": images[0]["id"],
            "flavorRef": nova.flavor,
            "networks": "none",
        }
        resp = ks.post(
            "/servers", endpoint_filter=COMPUTE, headers=MICROVERSION, json={"server": server}
        )
        sid = str(resp.json()["server"]["id"])
        wait_until(lambda: server_status(ks, sid) == "ACTIVE", 120, "the server ACTIVE")
        ks.post(
            f"/servers/{sid}/action",
            endpoint_filter=COMPUTE,
            headers=MICROVERSION,
            json={"os-stop": None},
        )
        wait_until(lambda: server_status(ks, sid) == "SHUTOFF", 120, "the server SHUTOFF")

        resource = wait_until(lambda: gnocchi_instance(gc, sid), 60, "the instance in Gnocchi")
        assert resource["ended_at"] is None
        assert resource["project_id"] == ks.get_project_id()
        assert {"memory", "vcpus"} <= set(resource["metrics"])

        def memory() -> list[Any]:
            return list(gc.metric.get_measures("memory", resource_id=sid, refresh=True))

        measures = wait_until(memory, 60, "memory measures")
        assert measures[-1][2] == 64.0  # flavor fake.tiny: 64 MB

        ks.delete(f"/servers/{sid}", endpoint_filter=COMPUTE, headers=MICROVERSION)
        wait_until(lambda: server_status(ks, sid) == "GONE", 120, "the server deleted")
        sid_deleted, sid = sid, None

        def ended() -> str | None:
            found = gnocchi_instance(gc, sid_deleted)
            return None if found is None else found["ended_at"]

        ended_at = wait_until(ended, 60, "ended_at on the instance")
        gc.metric.get_measures("memory", resource_id=sid_deleted, refresh=True)  # metricd done
        assert gnocchi_instance(gc, sid_deleted)["ended_at"] == ended_at  # type: ignore[index]
        status = daemon.status(base)
        assert status["sinks"]["gnocchi"]["dead_lettered"] == 0
    finally:
        if sid is not None:
            ks.delete(f"/servers/{sid}", endpoint_filter=COMPUTE, raise_exc=False)
        code = daemon.terminate()
        vhost = urllib.parse.quote(nova.transport_url.rsplit("/", 1)[1], safe="")
        for queue in rabbit_mgmt(stack, "GET", f"/api/queues/{vhost}"):
            if queue["name"].startswith(pool):
                name = urllib.parse.quote(queue["name"], safe="")
                rabbit_mgmt(stack, "DELETE", f"/api/queues/{vhost}/{name}")
    assert code == 0, daemon.log()
