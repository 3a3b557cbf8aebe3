"""``osmon alarms``: the failures that happen before Aodh is asked, each one line, exit 1."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from osmon.cli.alarms import alarms

GOOD = "cloud: {name: c}\nhosts:\n  ctl1: {address: 10.0.0.1, roles: [controller]}\n"
NOAUTH = ["--noauth", "--aodh-url", "http://127.0.0.1:9", "--project-id", "p", "--user-id", "u"]


def run(tmp_path: Path, text: str, *args: str, env: dict[str, str] | None = None) -> object:
    path = tmp_path / "inv.yaml"
    path.write_text(text)
    return CliRunner().invoke(alarms, ["plan", "-i", str(path), *args], env=env or {})


def test_inventory_problems_are_file_line(tmp_path: Path) -> None:
    bad = (
        GOOD
        + "alarms:\n  - {name: a, metric: m, comparison: gt, threshold: 1,\n     granularity: 7s}\n"
    )
    result = run(tmp_path, bad, *NOAUTH)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"{tmp_path / 'inv.yaml'}:6: alarms[0].granularity: granularity 7s is kept by no archive"
    )


def test_noauth_needs_its_identity(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD, "--noauth")
    assert (result.exit_code, result.stderr) == (
        1,
        "osmon alarms: --noauth needs --aodh-url, --project-id and --user-id\n",
    )


def test_a_webhook_needs_its_secret(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD, *NOAUTH, "--webhook-url", "http://h:9790")
    assert result.exit_code == 1
    assert result.stderr == (
        "osmon alarms: environment variable OSMON_WEBHOOK_SECRET (the webhook secret) is not set\n"
    )
    short = run(
        tmp_path,
        GOOD,
        *NOAUTH,
        "--webhook-url",
        "http://h:9790",
        env={"OSMON_WEBHOOK_SECRET": "x1"},
    )
    assert "shorter than 16 characters" in short.stderr and "x1" not in short.stderr


def test_without_auth_or_noauth_it_says_so(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD)
    assert result.exit_code == 1
    assert result.stderr == (
        "osmon alarms: the inventory has no 'auth': give it one, or use --noauth\n"
    )
