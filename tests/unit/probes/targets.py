"""Probe targets for tests: the inventory's ``Probe`` with test defaults."""

from __future__ import annotations

from typing import Any

from osmon.inventory import Probe


def target(target_id: str = "svc/api@h1", **fields: Any) -> Probe:
    service, _, rest = target_id.partition("/")
    name, _, host = rest.partition("@")
    values: dict[str, Any] = {
        "id": target_id,
        "service": service,
        "service_type": service,
        "name": name,
        "type": "http",
        "host": host or None,
        "address": "127.0.0.1",
        "port": 1,
        "url": None,
        "interval": 60.0,
        "timeout": 1.0,
        "expected_status": (200,),
        "tls_verify": True,
        "ca_file": None,
        "server_name": None,
        "thresholds": {},
        "contacts": (),
    }
    values.update(fields)
    return Probe(**values)
