"""Exchange attribution, inventory defaults and URL redaction."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from osmon.notifications.exchanges import (
    DEFAULT_EXCHANGES,
    attribute,
    exchanges_from_inventory,
    publisher_host,
    publisher_service,
)
from osmon.redact import redact_url


@pytest.mark.parametrize(
    ("publisher", "event_type", "exchange"),
    [
        ("compute.host1", "compute.instance.create.end", "nova"),
        ("nova-compute:host1", "instance.create.end", "nova"),
        ("nova-compute:host1", "volume.usage", "nova"),
        ("volume.ctl1@lvm", "volume.create.end", "cinder"),
        ("image.localhost", "image.upload", "glance"),
        ("network.ctl1", "port.create.end", "neutron"),
        ("identity.ctl1", "identity.authenticate", "keystone"),
        ("heat-engine:ctl", "orchestration.stack.create.end", "heat"),
        ("", "subnet.create.end", "neutron"),
        ("mystery.host", "mystery.thing", None),
    ],
)
def test_attribution(publisher: str, event_type: str, exchange: str | None) -> None:
    assert attribute(publisher, event_type) == exchange


def test_publisher_parts() -> None:
    assert publisher_service("nova-compute:host1") == "nova-compute"
    assert publisher_host("nova-compute:host1") == "host1"
    assert publisher_service("compute.host1.example") == "compute"
    assert publisher_host("compute.host1.example") == "host1.example"
    assert publisher_host("compute") == ""


def test_exchanges_from_inventory() -> None:
    assert exchanges_from_inventory(None) == list(DEFAULT_EXCHANGES)
    inv = SimpleNamespace(services={"nova-api": {}, "cinder-volume": {}, "memcached": {}})
    assert exchanges_from_inventory(inv) == ["cinder", "nova"]
    inv = SimpleNamespace(services=[SimpleNamespace(name="glance-api")])
    assert exchanges_from_inventory(inv) == ["glance"]
    assert exchanges_from_inventory(SimpleNamespace(services={"mariadb": {}})) == list(
        DEFAULT_EXCHANGES
    )


def test_exchanges_of_a_real_inventory() -> None:
    from osmon.inventory.derive import expand
    from osmon.inventory.loader import load

    inv = load(Path(__file__).resolve().parents[3] / "examples" / "inventory.yaml")
    expected = sorted({e.id for e in expand(inv).notification_exchanges})
    assert expected
    assert exchanges_from_inventory(inv) == expected


def test_redact_url_hides_every_password() -> None:
    url = "rabbit://osmon:s3cr%40t@rmq1:5672,osmon:s3cr%40t@rmq2:5672/openstack"
    red = redact_url(url)
    assert "s3cr" not in red
    assert red == "rabbit://osmon:***@rmq1:5672,osmon:***@rmq2:5672/openstack"
    assert redact_url("rabbit://rmq1:5672/") == "rabbit://rmq1:5672/"
