"""Daemon configuration errors point at the line of the offending key, not at the first key of
the same name elsewhere in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from osmon.config import ConfigError, load_config

CONFIG = """\
inventory: inventory.yaml
sinks:
  files:
    type: jsonl
    port: 1
http:
  listen: 127.0.0.1
  port: 99999
routes:
  sample: [files, nowhere]
"""


def test_errors_carry_the_line_of_the_key_itself(tmp_path: Path) -> None:
    path = tmp_path / "osmon.yaml"
    path.write_text(CONFIG)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [
        f"{path}:8: http.port: Input should be less than or equal to 65535"
    ]


def test_unknown_sink_in_a_route_points_at_its_list_item(tmp_path: Path) -> None:
    path = tmp_path / "osmon.yaml"
    path.write_text(CONFIG.replace("port: 99999", "port: 9999"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}:10: routes.sample: no sink named 'nowhere'"]


def test_duplicate_keys_and_syntax_errors_are_reported_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "osmon.yaml"
    path.write_text("inventory: a.yaml\nhttp: {port: 1}\nhttp: {port: 2}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}:3: duplicate key 'http' (first given at line 2)"]
    path.write_text("inventory: a.yaml\nhttp: [\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems[0].startswith(f"{path}:3: YAML syntax error")


def test_the_coordination_section_passes_its_other_keys_to_the_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "osmon.yaml"
    path.write_text(
        "inventory: inventory.yaml\n"
        "coordination:\n"
        "  backend_url_env: OSMON_TEST_URL\n"
        "  member_id: ctl1\n"
        "  heartbeat: 2\n"
    )
    cfg = load_config(path)
    assert cfg.coordination.group == "osmon-probes" and cfg.coordination.member_id == "ctl1"
    assert cfg.coordination.options() == {"heartbeat": 2}
    assert cfg.coordination.url() is None  # the variable is not set: no coordination
    monkeypatch.setenv("OSMON_TEST_URL", "redis://127.0.0.1:6379")
    assert cfg.coordination.url() == "redis://127.0.0.1:6379"
    assert cfg.coordination.backend_url is None


def test_without_a_coordination_section_nothing_is_shared(tmp_path: Path) -> None:
    path = tmp_path / "osmon.yaml"
    path.write_text("inventory: inventory.yaml\n")
    assert load_config(path).coordination.url() is None
    path.write_text("inventory: inventory.yaml\ncoordination:\n  group: ''\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems[0].startswith(f"{path}:3: coordination.group:")


def test_the_nagios_section(tmp_path: Path) -> None:
    path = tmp_path / "osmon.yaml"
    path.write_text("inventory: inv.yaml\nnagios: {command_file: rw/nagios.cmd, max_queue: 5}\n")
    cfg = load_config(path)
    assert cfg.nagios is not None
    assert cfg.nagios.command_file == tmp_path / "rw" / "nagios.cmd"
    assert (cfg.nagios.max_queue, cfg.nagios.enabled) == (5, True)
    path.write_text("inventory: inv.yaml\nnagios:\n  command_file: x\n  max_queue: 0\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems[0].startswith(f"{path}:4: nagios.max_queue:")
    path.write_text("inventory: inv.yaml\nnagios: {comand_file: x}\n")
    with pytest.raises(ConfigError, match=r"nagios.comand_file: Extra inputs"):
        load_config(path)
