"""The real ``promtool`` accepts the generated configuration and passes the rules' unit tests.

promtool comes with the local stack's Prometheus (``deploy/local-stack``); without it these
tests fail, never skip. Each run copies the output into a temporary directory, so the relative
``rule_files`` and ``file_sd`` paths resolve there.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from osmon.generate.output import write_tree
from osmon.generate.prometheus import generate_prometheus
from osmon.inventory import expand, load

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "inventory.yaml"
UNIT_TESTS = Path(__file__).resolve().parent / "promtool"
INVENTORIES = {"osmon_test.yml": EXAMPLE, "alarms_test.yml": UNIT_TESTS / "alarms_inventory.yaml"}
"""The inventory each unit-test file's rules are generated from."""


def _promtool(*args: str, cwd: Path) -> str:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is not installed: run `deploy/local-stack up`", pytrace=False)
    done = subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
    return output


def _generate(root: Path, inventory: Path) -> Path:
    write_tree(root, generate_prometheus(expand(load(inventory))))
    return root


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory.mktemp("prometheus"), EXAMPLE)


def test_promtool_check_config(out: Path) -> None:
    output = _promtool("check", "config", "prometheus.yml", cwd=out)
    assert "SUCCESS: 2 rule files found" in output


def test_promtool_check_rules(out: Path) -> None:
    output = _promtool("check", "rules", "rules/osmon.yml", "rules/alarms.yml", cwd=out)
    assert output.count("SUCCESS") == 2


@pytest.mark.parametrize("name", sorted(p.name for p in UNIT_TESTS.glob("*_test.yml")))
def test_promtool_unit_tests(tmp_path: Path, name: str) -> None:
    root = _generate(tmp_path, INVENTORIES[name])
    shutil.copy(UNIT_TESTS / name, root / name)
    assert "SUCCESS" in _promtool("test", "rules", name, cwd=root)


def test_promtool_unit_tests_can_fail(out: Path, tmp_path: Path) -> None:
    """A wrong expectation is reported as a failure (the test above is not vacuous)."""
    text = (UNIT_TESTS / "osmon_test.yml").read_text()
    (out / "wrong_test.yml").write_text(text.replace("dropped 250 records", "dropped 7 records"))
    binary = shutil.which("promtool") or "promtool"
    done = subprocess.run(
        [binary, "test", "rules", "wrong_test.yml"], cwd=out, capture_output=True, text=True
    )
    assert done.returncode == 1 and "dropped 7 records" in done.stdout + done.stderr
