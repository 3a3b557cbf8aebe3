"""``osmon inventory validate|show`` through click's runner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from osmon.cli.inventory import inventory

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = str(ROOT / "examples" / "inventory.yaml")
BAD = Path(__file__).resolve().parents[1] / "fixtures" / "inventory" / "undefined_refs.yaml"


def test_validate_ok() -> None:
    result = CliRunner().invoke(inventory, ["validate", EXAMPLE])
    assert result.exit_code == 0
    assert result.stdout == f"{EXAMPLE}: OK (5 hosts, 25 services)\n"
    assert result.stderr == ""


def test_validate_reports_problems_on_stderr_one_per_line() -> None:
    result = CliRunner().invoke(inventory, ["validate", str(BAD)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{BAD}:6: undefined contact 'opz' (did you mean 'ops'?)",
        f"{BAD}:12: undefined host 'ctl9' (did you mean 'ctl1'?)",
        f"{BAD}:14: undefined role 'computes' (no host has it) (did you mean 'compute'?)",
    ]
    assert "Traceback" not in result.output


def test_validate_missing_file_and_garbage(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(inventory, ["validate", str(missing)])
    assert (result.exit_code, result.stderr) == (
        1,
        f"{missing}:1: cannot read: No such file or directory\n",
    )
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(b"\xff\xfe\x00\x00cloud: [\x00")
    result = runner.invoke(inventory, ["validate", str(garbage)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{garbage}:1: ")
    assert "Traceback" not in result.output
    directory = runner.invoke(inventory, ["validate", str(tmp_path)])
    assert directory.exit_code == 1
    assert directory.stderr == f"{tmp_path}:1: cannot read: Is a directory\n"


def test_show_json_is_the_expansion() -> None:
    result = CliRunner().invoke(inventory, ["show", EXAMPLE, "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["counts"]["probes"] == len(document["probes"]) == 170
    assert document["cloud"] == "prod-east"
    assert {
        "probes",
        "log_sources",
        "alarms",
        "nagios_hosts",
        "nagios_services",
        "notification_exchanges",
    } <= set(document)


def test_show_table_lists_every_section() -> None:
    local = str(ROOT / "examples" / "local.yaml")
    result = CliRunner().invoke(inventory, ["show", local], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for title in ("Probes", "Log sources", "Alarms", "Nagios services", "Notification exchanges"):
        assert title in result.stdout
    assert "rabbitmq/amqp@localhost" in result.stdout
    assert result.stdout.rstrip().endswith(
        "19 probes, 8 log_sources, 9 alarms, 1 nagios_hosts, 19 nagios_services, "
        "2 notification_exchanges"
    )


def test_show_invalid_inventory_exits_1() -> None:
    result = CliRunner().invoke(inventory, ["show", str(BAD)])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 3
    assert "Traceback" not in result.output
