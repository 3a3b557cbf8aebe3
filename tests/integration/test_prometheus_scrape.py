"""The local stack's real Prometheus scrapes a running osmon.

The daemon listens on a port the kernel picks; the test hands it to Prometheus through the
stack's file_sd directory (``targets/*.json`` of the ``osmon`` job) and asks Prometheus' HTTP API
for the daemon's series under that instance label, so what is proven is the whole path: osmon's
exposition, parsed and stored by a real Prometheus.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

import osmon
from osmon.config import default_config_path
from tests.e2e.daemon_proc import DaemonProc

if TYPE_CHECKING:
    from conftest import Stack

pytestmark = pytest.mark.integration

LOCAL_STACK = Path(__file__).resolve().parents[2] / "deploy" / "local-stack"

# Target files are read on change (inotify) and every refresh_interval (5 s); the scrape manager
# applies discovery updates at most every 5 s; the job scrapes every second.
DEADLINE_S = 60


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    body = get_json(f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def wait_for(what: str, check: Any) -> Any:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"{what}: not seen within {DEADLINE_S}s", pytrace=False)


def osmon_targets(prometheus: str) -> set[str]:
    targets = get_json(f"{prometheus}/api/v1/targets")["data"]["activeTargets"]
    return {t["labels"]["instance"] for t in targets if t["labels"]["job"] == "osmon"}


def test_prometheus_scrapes_a_running_osmon(stack: Stack, tmp_path: Path) -> None:
    prometheus = stack.prometheus_url
    loaded = get_json(f"{prometheus}/api/v1/status/config")["data"]["yaml"]
    assert str(stack.prometheus_targets_dir) in loaded, (
        "the running Prometheus has no file_sd job for osmon yet: `deploy/local-stack up` "
        "reloads it with the current prometheus.yml"
    )
    cfg = tmp_path / "osmon.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "inventory": str(Path(str(default_config_path())).with_name("local.yaml")),
                "state_dir": str(tmp_path / "state"),
                "http": {"listen": "127.0.0.1", "port": 0},
                "sinks": {"prom": {"type": "prometheus"}},
                "routes": {"sample": ["prom"]},
            }
        )
    )
    target = stack.prometheus_targets_dir / f"osmon-test-{uuid.uuid4().hex[:12]}.json"
    d = DaemonProc(["-c", str(cfg)], log=tmp_path / "osmon.log")
    try:
        instance = d.wait_listening().removeprefix("http://")
        pending = target.with_suffix(".tmp")  # not *.json: Prometheus never sees a partial file
        pending.write_text(json.dumps([{"targets": [instance], "labels": {"test": target.stem}}]))
        pending.rename(target)

        selector = f'{{job="osmon", instance="{instance}", test="{target.stem}"}}'
        build = wait_for(
            f"osmon_build_info{selector} in Prometheus",
            lambda: query(prometheus, f"osmon_build_info{selector}"),
        )
        assert [s["metric"]["version"] for s in build] == [osmon.__version__]
        assert build[0]["value"][1] == "1"
        up = query(prometheus, f"up{selector}")
        assert [s["value"][1] for s in up] == ["1"]
    finally:
        target.unlink(missing_ok=True)
        assert d.terminate() == 0
    wait_for(
        f"{instance} gone from Prometheus' osmon targets after its file was removed",
        lambda: instance not in osmon_targets(prometheus),
    )


def test_local_stack_up_reloads_a_changed_prometheus_config_once(stack: Stack) -> None:
    """`up` applies a prometheus.yml newer than the running server's last load, and only then."""
    config = stack.prometheus_targets_dir.parent / "prometheus.yml"
    config.touch()
    runs = [
        subprocess.run(
            [str(LOCAL_STACK), "up"], capture_output=True, text=True, timeout=1800, check=False
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr
    assert ["prometheus: reloading" in r.stderr for r in runs] == [True, False]
    loaded = get_json(f"{stack.prometheus_url}/api/v1/status/config")["data"]["yaml"]
    assert str(stack.prometheus_targets_dir) in loaded
