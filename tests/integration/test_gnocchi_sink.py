"""GnocchiSink against the real Gnocchi of the local stack (HTTP basic auth, user ``admin``).

The Gnocchi URL comes from the ``stack`` fixture when tests/integration/conftest.py provides
one, else from ``OSMON_GNOCCHI_URL`` (default http://127.0.0.1:8041). An unreachable Gnocchi
fails these tests: start it with ``deploy/local-stack``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import requests
from gnocchiclient import auth as g_auth
from gnocchiclient.v1 import client as g_client
from keystoneauth1 import session as ks_session

from osmon.records import Sample
from osmon.sinks.base import TransientError
from osmon.sinks.gnocchi import GnocchiSink, build

pytestmark = pytest.mark.integration


def _url_from_stack(stack: Any) -> str | None:
    for name in ("gnocchi_url", "gnocchi"):
        value = stack.get(name) if isinstance(stack, dict) else getattr(stack, name, None)
        if isinstance(value, str):
            return value
    return None


@pytest.fixture
def gnocchi_url(request: pytest.FixtureRequest) -> str:
    url = None
    with contextlib.suppress(pytest.FixtureLookupError):
        url = _url_from_stack(request.getfixturevalue("stack"))
    url = (url or os.environ.get("OSMON_GNOCCHI_URL") or "http://127.0.0.1:8041").rstrip("/")
    try:
        requests.get(url + "/", timeout=5).raise_for_status()
    except requests.RequestException as e:
        pytest.fail(f"Gnocchi is not reachable at {url} ({e}); start it with deploy/local-stack")
    return url


@pytest.fixture
def gnocchi(gnocchi_url: str) -> Any:
    """A plain gnocchiclient, to look at what the sink wrote."""
    plugin = g_auth.GnocchiBasicPlugin(user="admin", endpoint=gnocchi_url)
    return g_client.Client(session=ks_session.Session(auth=plugin, timeout=30))


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def sink_factory(gnocchi_url: str) -> Iterator[Callable[..., GnocchiSink]]:
    made: list[GnocchiSink] = []

    def make(**options: Any) -> GnocchiSink:
        sink = build("gnocchi-it", {"endpoint": gnocchi_url, **options}, None)  # type: ignore[arg-type]
        made.append(sink)
        return sink

    yield make


@pytest.fixture
async def closing(sink_factory: Callable[..., GnocchiSink]) -> AsyncIterator[list[GnocchiSink]]:
    sinks: list[GnocchiSink] = []
    yield sinks
    for sink in sinks:
        await sink.close()


def count_calls(sink: GnocchiSink) -> Counter[str]:
    """Count the Gnocchi requests ``sink`` makes, by API call name."""
    counts: Counter[str] = Counter()
    api = sink._api
    for name in dir(type(api)):
        if name.startswith("_") or name == "close":
            continue
        original = getattr(api, name)

        def wrap(fn: Any = original, call: str = name) -> Any:
            async def counted(*args: Any, **kwargs: Any) -> Any:
                counts[call] += 1
                return await fn(*args, **kwargs)

            return counted

        setattr(api, name, wrap())
    return counts


def now() -> float:
    return float(int(time.time()))


async def test_ensure_is_idempotent(
    sink_factory: Callable[..., GnocchiSink], closing: list[GnocchiSink], gnocchi: Any, unique: str
) -> None:
    options = {
        "archive_policies": [
            {"name": f"osmon-it-{unique}", "definition": [{"granularity": "1s", "timespan": "1h"}]}
        ],
        "archive_policy": f"osmon-it-{unique}",
        "resource_types": {f"osmon_it_{unique}": {"rack": {"type": "string", "max_length": 32}}},
    }
    first = sink_factory(**options)
    closing.append(first)
    await first.start()
    assert gnocchi.archive_policy.get(f"osmon-it-{unique}")["definition"][0]["granularity"] == (
        "0:00:01"
    )
    rtype = gnocchi.resource_type.get(f"osmon_it_{unique}")
    assert rtype["attributes"]["rack"]["required"] is False
    for name in ("instance", "volume", "image", "network", "port", "router", "floatingip"):
        assert gnocchi.resource_type.get(name)["name"] == name
    assert "host_name" in gnocchi.resource_type.get("osmon_host")["attributes"]
    assert "service_name" in gnocchi.resource_type.get("osmon_service")["attributes"]

    second = sink_factory(**options)
    closing.append(second)
    calls = count_calls(second)
    await second.start()
    assert set(calls) == {"list_archive_policies", "list_resource_types"}
    gnocchi.resource_type.delete(f"osmon_it_{unique}")


async def test_new_resources_are_created_and_measures_stored(
    sink_factory: Callable[..., GnocchiSink], closing: list[GnocchiSink], gnocchi: Any, unique: str
) -> None:
    sink = sink_factory(archive_policy="high")
    closing.append(sink)
    await sink.start()
    calls = count_calls(sink)
    vm_id = str(uuid.uuid4())
    host_id = f"it-{unique}/ctl1"
    t = now() - 30
    samples = [
        Sample(
            "memory",
            512.0 + i,
            t + i,
            unit="MB",
            resource_id=vm_id,
            resource_type="instance",
            resource_attributes={
                "display_name": f"vm-{unique}",
                "flavor_id": "m1.small",
                "host": "compute-1",
                "project_id": "p-" + unique,
                "user_id": "u-" + unique,
                "not_an_attribute": "ignored",
            },
        )
        for i in range(3)
    ] + [
        Sample(
            "osmon.host.up",
            1.0,
            t,
            resource_id=host_id,
            resource_type="osmon_host",
            resource_attributes={"host_name": "ctl1", "region": "RegionOne"},
        )
    ]
    result = await sink.write(samples)
    assert result.ok, result
    assert calls["post_measures"] == 2
    assert calls["create_resource"] == 2

    vm = gnocchi.resource.get("instance", vm_id)
    assert (vm["display_name"], vm["host"], vm["project_id"]) == (
        f"vm-{unique}",
        "compute-1",
        "p-" + unique,
    )
    values = gnocchi.metric.get_measures("memory", resource_id=vm_id, granularity=1, refresh=True)
    assert [v[2] for v in values] == [512.0, 513.0, 514.0]
    host = gnocchi.resource.get("osmon_host", host_id.replace("/", "_"))
    assert host["original_resource_id"] == host_id.replace("/", "_")
    assert host["host_name"] == "ctl1"
    up = gnocchi.metric.get_measures(
        "osmon.host.up", resource_id=host["id"], granularity=1, refresh=True
    )
    assert [v[2] for v in up] == [1.0]

    calls.clear()
    assert (await sink.write([s for s in samples if s.resource_id == vm_id])).ok
    assert dict(calls) == {"post_measures": 1}


async def test_attribute_change_is_one_patch_and_ended_at_is_set(
    sink_factory: Callable[..., GnocchiSink], closing: list[GnocchiSink], gnocchi: Any, unique: str
) -> None:
    sink = sink_factory()
    closing.append(sink)
    calls = count_calls(sink)
    vid = str(uuid.uuid4())
    t = now() - 60

    def volume(i: int, **attrs: Any) -> Sample:
        return Sample(
            "volume.size",
            10.0,
            t + i,
            unit="GB",
            resource_id=vid,
            resource_type="volume",
            resource_attributes={"display_name": f"v-{unique}", "volume_type": "ssd", **attrs},
        )

    assert (await sink.write([volume(0), volume(1)])).ok
    assert (await sink.write([volume(2)])).ok
    assert calls["update_resource"] == 0

    assert (await sink.write([volume(3, volume_type="hdd")])).ok
    assert (await sink.write([volume(4, volume_type="hdd"), volume(5, volume_type="hdd")])).ok
    assert calls["update_resource"] == 1
    assert gnocchi.resource.get("volume", vid)["volume_type"] == "hdd"

    ended = "2030-01-01T00:00:00+00:00"
    assert (await sink.write([volume(6, volume_type="hdd", ended_at=ended)])).ok
    assert calls["update_resource"] == 2
    assert gnocchi.resource.get("volume", vid)["ended_at"] == ended

    restarted = sink_factory()
    closing.append(restarted)
    restarted_calls = count_calls(restarted)
    assert (await restarted.write([volume(7, volume_type="hdd", ended_at=ended)])).ok
    assert restarted_calls["find_resources"] == 1
    assert restarted_calls["update_resource"] == 0


async def test_invalid_resource_attributes_are_permanent(
    sink_factory: Callable[..., GnocchiSink], closing: list[GnocchiSink], gnocchi: Any
) -> None:
    sink = sink_factory()
    closing.append(sink)
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    t = now() - 10
    result = await sink.write(
        [
            Sample("volume.size", 1.0, t, resource_id=good, resource_type="volume"),
            Sample(
                "volume.size",
                2.0,
                t,
                resource_id=bad,
                resource_type="volume",
                resource_attributes={"image_id": "not-a-uuid"},
            ),
        ]
    )
    assert result.transient == []
    assert [i for i, _ in result.permanent] == [1]
    assert "image_id" in result.permanent[0][1]
    assert gnocchi.resource.get("volume", good)["id"] == good
    assert gnocchi.resource.search(query={"=": {"id": bad}}) == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_gnocchi_down_is_transient(
    sink_factory: Callable[..., GnocchiSink], closing: list[GnocchiSink]
) -> None:
    sink = build(
        "gnocchi-down",
        {"endpoint": f"http://127.0.0.1:{_closed_port()}", "max_retries": 1, "retry_delay": 0.1},
        None,  # type: ignore[arg-type]
    )
    closing.append(sink)
    with pytest.raises(TransientError):
        await sink.start()
    with pytest.raises(TransientError):
        await sink.write([Sample("x", 1.0, now(), resource_id=str(uuid.uuid4()))])
    assert sink.status()["last_error"]
