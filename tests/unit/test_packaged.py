"""Packaged data (``osmon/data``): one source of truth, and a broken installation is one line.

A missing or unreadable file is simulated by pointing ``osmon.packaged`` at a copy of the data
folder with that file removed or replaced, then running the real commands.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from osmon import packaged
from osmon.cli import main
from osmon.config import default_config_path, load_config
from osmon.grok import PATTERN_FILES, default_library, packaged_definitions
from osmon.notifications.meters import load_definitions
from osmon.packaged import PackagedDataError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "osmon" / "data"
OSLO_LINE = "2024-02-14 16:46:00.101 4242 INFO nova.api.openstack [-] fine\n"


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the packaged data that ``osmon.packaged`` reads instead of the real one."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)

    def data() -> Traversable:
        return copy

    monkeypatch.setattr(packaged, "_data", data)
    default_library.cache_clear()
    yield copy
    default_library.cache_clear()


def _one_line_error(result: Result, name: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert f"osmon/data/{name} is missing" in lines[0], lines[0]
    assert "Traceback" not in result.output


def test_the_packaged_files_are_read_from_the_package() -> None:
    assert "metric:" in packaged.read_text("meters.yaml")
    assert default_config_path() == packaged.path("default.yaml") == DATA / "default.yaml"
    assert load_config().inventory == DATA / "local.yaml"
    assert len(load_definitions()) > 0
    assert "OSLO_LINE" in packaged_definitions()


def test_missing_file_names_it(data_copy: Path) -> None:
    (data_copy / "meters.yaml").unlink()
    with pytest.raises(PackagedDataError, match=r"osmon/data/meters\.yaml is missing"):
        packaged.read_text("meters.yaml")
    with pytest.raises(PackagedDataError, match=r"osmon/data/meters\.yaml is missing"):
        packaged.path("meters.yaml")


def test_unreadable_file_names_it(data_copy: Path) -> None:
    (data_copy / "patterns" / "osmon-base").write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(PackagedDataError, match=r"osmon/data/patterns/osmon-base is unreadable"):
        packaged_definitions()
    (data_copy / "meters.yaml").unlink()
    (data_copy / "meters.yaml").mkdir()
    with pytest.raises(PackagedDataError, match=r"osmon/data/meters\.yaml is unreadable"):
        packaged.read_text("meters.yaml")
    with pytest.raises(PackagedDataError, match=r"osmon/data/meters\.yaml is not a regular file"):
        packaged.path("meters.yaml")


def test_logs_parse_without_a_pattern_file_is_one_line(data_copy: Path, tmp_path: Path) -> None:
    (data_copy / "patterns" / "osmon-openstack").unlink()
    log = tmp_path / "nova-api.log"
    log.write_text(OSLO_LINE)
    result = CliRunner().invoke(main, ["logs", "parse", str(log)])
    _one_line_error(result, "patterns/osmon-openstack")


def test_notifications_check_without_meters_is_one_line(data_copy: Path) -> None:
    (data_copy / "meters.yaml").unlink()
    _one_line_error(CliRunner().invoke(main, ["notifications", "check"]), "meters.yaml")


@pytest.mark.parametrize("name", ["default.yaml", "local.yaml", "patterns/osmon-base"])
def test_run_without_a_packaged_file_stops_at_once(data_copy: Path, name: str) -> None:
    (data_copy / name).unlink()
    _one_line_error(CliRunner().invoke(main, ["run", "--port", "0"]), name)


def test_every_shipped_pattern_file_is_named() -> None:
    assert sorted(p.name for p in (DATA / "patterns").iterdir()) == sorted(PATTERN_FILES)


def test_logstash_patterns_are_a_copy_of_the_packaged_ones() -> None:
    """``src/osmon/data/patterns`` is the source; Logstash deployments take the repository copy."""
    copy = ROOT / "logstash" / "patterns"
    refresh = "edit src/osmon/data/patterns, then: make patterns"
    assert sorted(p.name for p in copy.iterdir()) == sorted(PATTERN_FILES), refresh
    for name in PATTERN_FILES:
        assert (copy / name).read_bytes() == (DATA / "patterns" / name).read_bytes(), (
            f"logstash/patterns/{name} differs from the packaged file; {refresh}"
        )


def test_the_example_local_inventory_is_the_packaged_one() -> None:
    """``examples/local.yaml`` is shown to users; the packaged copy is what ``osmon run`` loads."""
    example = (ROOT / "examples" / "local.yaml").read_bytes()
    assert example == (DATA / "local.yaml").read_bytes(), (
        "examples/local.yaml differs from src/osmon/data/local.yaml; edit that one, then copy it"
    )
