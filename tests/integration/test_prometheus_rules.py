"""Real Prometheus servers load what ``osmon generate prometheus`` writes.

The stack's shared Prometheus gets the generated rule files in its rules directory under names
of this run, is reloaded (``POST /-/reload``), and must list every generated group with every
rule ``health: ok`` once evaluated; the files are then removed and the server reloaded again.
A private Prometheus on a free port runs the generated ``prometheus.yml`` itself, to prove
the scrape config and its file_sd targets load (the shared server's config is never changed).
"""

from __future__ import annotations

import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from osmon.generate.output import write_tree
from osmon.generate.prometheus import generate_prometheus
from osmon.inventory import expand, load
from tests.integration.pipeline import free_port
from tests.integration.test_prometheus_scrape import get_json, wait_for

if TYPE_CHECKING:
    from conftest import Stack

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.yaml"


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return generate_prometheus(expand(load(EXAMPLE)))


def _reload(prometheus: str) -> None:
    request = urllib.request.Request(f"{prometheus}/-/reload", method="POST")
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.status == 200


def _groups(prometheus: str, paths: set[str]) -> list[dict[str, Any]]:
    body = get_json(f"{prometheus}/api/v1/rules")
    assert body["status"] == "success", body
    return [g for g in body["data"]["groups"] if g["file"] in paths]


def _expected(files: dict[str, str]) -> dict[str, int]:
    """Generated group name → number of rules, over the rule files."""
    return {
        g["name"]: len(g["rules"])
        for rel, text in files.items()
        if rel.startswith("rules/")
        for g in yaml.safe_load(text)["groups"]
    }


def _all_ok(groups: list[dict[str, Any]]) -> bool:
    return all(r["health"] == "ok" for g in groups for r in g["rules"])


def test_the_stack_prometheus_loads_the_generated_rules(
    stack: Stack, files: dict[str, str]
) -> None:
    prometheus = stack.prometheus_url
    run = uuid.uuid4().hex[:12]
    written = {
        stack.prometheus_rules_dir / f"osmon-generated-{run}-{Path(rel).name}": text
        for rel, text in files.items()
        if rel.startswith("rules/")
    }
    paths = {str(p) for p in written}
    expected = _expected(files)
    try:
        for path, text in written.items():
            pending = path.with_suffix(".tmp")  # never a half-written *.yml
            pending.write_text(text)
            pending.rename(path)
        _reload(prometheus)
        groups = wait_for(
            "the generated groups, every rule evaluated and healthy",
            lambda: (
                (g := _groups(prometheus, paths)) and len(g) == len(expected) and _all_ok(g) and g
            ),
        )
        assert {g["name"]: len(g["rules"]) for g in groups} == expected
        bad = [
            (r["name"], r.get("lastError"))
            for g in groups
            for r in g["rules"]
            if r["health"] != "ok"
        ]
        assert bad == []
        alerts = {r["name"] for g in groups for r in g["rules"] if r["type"] == "alerting"}
        assert {"OsmonSpoolDropping", "ProbeFailing", "OpenstackNovaAgentDown"} <= alerts
        assert {"OpenstackApi5xxRate", "ProbeCertificateExpiring", "NovaApiSlow"} <= alerts
    finally:
        for path in written:
            path.unlink(missing_ok=True)
        _reload(prometheus)
    assert _groups(prometheus, paths) == []


@pytest.fixture
def private_prometheus(tmp_path: Path, files: dict[str, str]) -> Iterator[str]:
    config = tmp_path / "config"
    write_tree(config, files)
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config / 'prometheus.yml'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"private Prometheus ready on {url}", lambda: _ready(url, proc))
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _ready(url: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        pytest.fail(f"prometheus exited with {proc.returncode}", pytrace=False)
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def test_a_prometheus_runs_the_generated_config(private_prometheus: str) -> None:
    url = private_prometheus
    targets = wait_for(
        "the osmon targets from targets/osmon.yml",
        lambda: (
            (
                t := [
                    x["labels"]
                    for x in get_json(f"{url}/api/v1/targets")["data"]["activeTargets"]
                    if x["labels"]["job"] == "osmon"
                ]
            )
            and len(t) == 5
            and t
        ),
    )
    hosts = {t["osmon_host"]: t["instance"] for t in targets}
    assert hosts == {
        "cmp1": "10.20.1.21:9790",
        "cmp2": "10.20.1.22:9790",
        "ctl1": "10.20.0.11:9790",
        "ctl2": "10.20.0.12:9790",
        "ctl3": "10.20.0.13:9790",
    }
    assert {t["osmon_cloud"] for t in targets} == {"prod-east"}
    groups = get_json(f"{url}/api/v1/rules")["data"]["groups"]
    assert sorted(g["name"] for g in groups) == [
        "osmon.agents",
        "osmon.alarms",
        "osmon.logs",
        "osmon.probes",
        "osmon.self",
    ]
