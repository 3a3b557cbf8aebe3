"""clouds.yaml (+ secure.yaml) read into a keystoneauth plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from osmon.clouds import CloudConfigError, auth_plugin, load_cloud

CLOUDS = """
clouds:
  ctl:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: osmon
      project_name: service
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
    cacert: /etc/ssl/ca.pem
  broken:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      usernme: typo
"""


def write_clouds(tmp_path: Path, secure: str | None = None) -> Path:
    path = tmp_path / "clouds.yaml"
    path.write_text(CLOUDS)
    if secure is not None:
        (tmp_path / "secure.yaml").write_text(secure)
    return path


def test_cloud_is_read_and_merged_with_secure_yaml(tmp_path: Path) -> None:
    path = write_clouds(tmp_path, "clouds:\n  ctl:\n    auth:\n      password: s3cret\n")
    cloud = load_cloud("ctl", [tmp_path / "absent.yaml", path])
    assert cloud.auth["password"] == "s3cret"
    assert cloud.auth["username"] == "osmon"
    assert (cloud.region_name, cloud.interface, cloud.cacert) == (
        "RegionOne",
        "internal",
        "/etc/ssl/ca.pem",
    )
    plugin: Any = auth_plugin(cloud)
    assert plugin.auth_url == "http://127.0.0.1:5000/v3"


def test_cloud_errors_are_clear(tmp_path: Path) -> None:
    path = write_clouds(tmp_path)
    with pytest.raises(CloudConfigError, match=r"no cloud named 'nope'.*broken, ctl"):
        load_cloud("nope", [path])
    with pytest.raises(CloudConfigError, match=r"usernme"):
        auth_plugin(load_cloud("broken", [path]))
    with pytest.raises(CloudConfigError, match=r"no clouds\.yaml found"):
        load_cloud("ctl", [tmp_path / "absent.yaml"])
    (tmp_path / "bad.yaml").write_text("clouds: [1, 2")
    with pytest.raises(CloudConfigError, match=r"bad\.yaml"):
        load_cloud("ctl", [tmp_path / "bad.yaml"])
