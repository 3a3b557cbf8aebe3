"""The gnocchiclient facade: errors sorted into transient and refused; connect()."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gnocchiclient import exceptions as g_exc

from osmon.sinks.base import TransientError
from osmon.sinks.gnocchi import GnocchiOptions, connect
from osmon.sinks.gnocchi.api import GnocchiRefused, _sorted_error
from tests.unit.test_clouds import write_clouds


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (g_exc.BadRequest(code=400, message={"cause": "Unknown resources"}), GnocchiRefused),
        (g_exc.ClientException(code=404, message="nope"), GnocchiRefused),
        (g_exc.ClientException(code=409, message="exists"), GnocchiRefused),
        (g_exc.ClientException(code=401, message="who"), TransientError),
        (g_exc.ClientException(code=429, message="slow down"), TransientError),
        (g_exc.ClientException(code=503, message="busy"), TransientError),
        (g_exc.ConnectionFailure(message="refused"), TransientError),
        (ConnectionResetError("reset"), TransientError),
    ],
)
def test_errors_are_sorted(error: Exception, kind: type[Exception]) -> None:
    assert isinstance(_sorted_error(error), kind)


def test_refused_exposes_cause_and_detail() -> None:
    e = GnocchiRefused(400, {"cause": "Unknown resources", "detail": [{"resource_id": "x"}]})
    assert e.cause == "Unknown resources"
    assert e.detail == [{"resource_id": "x"}]
    assert GnocchiRefused(400, "plain").cause is None


async def test_connect_builds_basic_and_keystone_clients(tmp_path: Path) -> None:
    basic = connect(GnocchiOptions.model_validate({"endpoint": "http://127.0.0.1:8041/"}))
    client: Any = basic._client
    assert client.api.get_endpoint() == "http://127.0.0.1:8041"
    assert client.api.session.verify is True
    assert client.api.connect_retries == 2
    await basic.close()

    path = write_clouds(tmp_path, "clouds:\n  ctl:\n    auth:\n      password: s3cret\n")
    ks = connect(
        GnocchiOptions.model_validate(
            {"auth": "keystone", "cloud": "ctl", "clouds_file": str(path), "timeout": 5}
        )
    )
    client = ks._client
    assert client.api.region_name == "RegionOne"
    assert client.api.interface == "internal"
    assert client.api.session.verify == "/etc/ssl/ca.pem"
    assert client.api.session.timeout == 5
    await ks.close()
