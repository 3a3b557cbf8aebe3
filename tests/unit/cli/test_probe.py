"""``osmon probe`` through click's runner, with fake probe kinds: JSON shape, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from osmon import components
from osmon.cli.probe import probe

FAKES = "tests.unit.sources.probes.fakeprobes"
BAD = Path(__file__).resolve().parents[1] / "fixtures" / "inventory" / "bad_range.yaml"
INVENTORY = """\
version: 1
cloud: {name: test}
defaults: {timeout: 2}
hosts:
  h1: {address: 127.0.0.1}
services:
  keystone: {hosts: [h1]}
infrastructure:
  redis: {hosts: [h1]}
"""


@pytest.fixture
def inv(tmp_path: Path) -> str:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    return str(path)


def _kinds(monkeypatch: pytest.MonkeyPatch, **by_type: str) -> None:
    for type_name, fn in by_type.items():
        monkeypatch.setitem(components.PROBES, type_name, f"{FAKES}:{fn}")


def test_json_is_one_object_per_target_and_exit_0_when_all_ok(
    inv: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _kinds(monkeypatch, http="ok", tcp="ok")
    result = CliRunner().invoke(probe, ["-i", inv, "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [r["target"] for r in body] == ["keystone/api@h1", "redis/redis@h1"]
    first = body[0]
    assert set(first) == {
        "target",
        "kind",
        "state",
        "summary",
        "duration_seconds",
        "checked_at",
        "metrics",
    }
    assert (first["kind"], first["state"], first["summary"]) == ("http", "OK", "HTTP 200")
    assert isinstance(first["duration_seconds"], float)
    assert first["metrics"][0] == {
        "name": "response_time",
        "series": "osmon_probe_response_time",
        "value": 0.5,
        "unit": "s",
        "labels": {},
    }
    assert {m["series"] for m in first["metrics"]} >= {"probe_success", "probe_duration_seconds"}


@pytest.mark.parametrize(
    ("http", "tcp", "code"),
    [("slow", "ok", 1), ("ok", "refused", 2), ("slow", "refused", 2)],
)
def test_exit_code_is_the_worst_state(
    inv: str, monkeypatch: pytest.MonkeyPatch, http: str, tcp: str, code: int
) -> None:
    _kinds(monkeypatch, http=http, tcp=tcp)
    result = CliRunner().invoke(probe, ["-i", inv, "--format", "json"])
    assert result.exit_code == code, result.output


def test_a_kind_without_a_module_is_unknown_exit_3(
    inv: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _kinds(monkeypatch, http="ok")
    monkeypatch.setitem(components.PROBES, "tcp", "osmon.probes.not_written_tcp:probe")
    result = CliRunner().invoke(probe, ["-i", inv, "--format", "json"])
    assert result.exit_code == 3
    states = {r["target"]: (r["state"], r["summary"]) for r in json.loads(result.stdout)}
    assert states["redis/redis@h1"] == ("UNKNOWN", "no probe for type tcp")
    assert states["keystone/api@h1"][0] == "OK"


def test_target_globs_select(inv: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _kinds(monkeypatch, http="ok", tcp="refused")
    result = CliRunner().invoke(probe, ["-i", inv, "--format", "json", "--target", "keystone/*"])
    assert result.exit_code == 0
    assert [r["target"] for r in json.loads(result.stdout)] == ["keystone/api@h1"]
    none = CliRunner().invoke(probe, ["-i", inv, "--target", "nova*"])
    assert (none.exit_code, none.stderr) == (3, "no probe target matches\n")


def test_table(inv: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _kinds(monkeypatch, http="ok", tcp="refused")
    result = CliRunner().invoke(probe, ["-i", inv])
    assert result.exit_code == 2
    assert "redis/redis@h1" in result.stdout and "CRITICAL" in result.stdout
    assert "1 OK, 0 WARNING, 1 CRITICAL, 0 UNKNOWN" in result.stdout


def test_a_bad_inventory_prints_file_line_problems_and_exits_3(tmp_path: Path) -> None:
    result = CliRunner().invoke(probe, ["-i", str(BAD)])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(f"{BAD}:9: ")
    missing = CliRunner().invoke(probe, ["-i", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 3 and "cannot read" in missing.stderr
    for r in (result, missing):
        assert "Traceback" not in r.output
