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
