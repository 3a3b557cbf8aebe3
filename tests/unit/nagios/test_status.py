"""Reading Nagios 4's status.dat (through pynag) and ``osmon nagios status``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from osmon.cli import main
from osmon.nagios.status import StatusFileError, read_status

STATUS = """\
########################################
#          NAGIOS STATUS FILE
########################################
info {
\tcreated=1796147017
\tversion=4.4.6
\t}

programstatus {
\tnagios_pid=1
\t}

hoststatus {
\thost_name=ctl1
\thas_been_checked=1
\tcurrent_state=1
\tstate_type=1
\tplugin_output=DOWN - gone
\tperformance_data=
\tlast_check=1796147017
\tactive_checks_enabled=0
\t}

hoststatus {
\thost_name=ctl2
\thas_been_checked=0
\tcurrent_state=0
\tstate_type=1
\tplugin_output=
\tlast_check=0
\tactive_checks_enabled=1
\t}

servicestatus {
\thost_name=ctl1
\tservice_description=nova-api api
\thas_been_checked=1
\tcurrent_state=2
\tstate_type=0
\tplugin_output=connection refused
\tlong_plugin_output=line two\\nline three
\tperformance_data=success=0 duration=0.001s
\tlast_check=1796147018
\tactive_checks_enabled=0
\t}
"""


def _file(tmp_path: Path, text: str = STATUS) -> Path:
    path = tmp_path / "status.dat"
    path.write_text(text)
    return path


def test_hosts_then_their_services(tmp_path: Path) -> None:
    rows = read_status(_file(tmp_path))
    assert [(r.host, r.service, r.state) for r in rows] == [
        ("ctl1", None, "DOWN"),
        ("ctl1", "nova-api api", "CRITICAL"),
        ("ctl2", None, "PENDING"),
    ]
    svc = rows[1]
    assert svc.state_type == "SOFT" and svc.passive and svc.last_check == 1796147018.0
    assert svc.output == "connection refused" and svc.perfdata == "success=0 duration=0.001s"
    assert [r.host for r in read_status(_file(tmp_path), ("ctl2",))] == ["ctl2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("garbage\n", "status.dat:1: could not parse line: garbage"),
        ("hoststatus {\n\thost_name=x\n\t}\n", "not a Nagios status file"),
        ("}\n", "not a Nagios status file"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(StatusFileError, match=message):
        read_status(_file(tmp_path, text))


def test_cli_json_and_table(tmp_path: Path) -> None:
    path = str(_file(tmp_path))
    out = CliRunner().invoke(main, ["nagios", "status", "--status-file", path, "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc[1]["service"] == "nova-api api" and doc[1]["state"] == "CRITICAL"
    wide = CliRunner(env={"COLUMNS": "200"})
    table = wide.invoke(main, ["nagios", "status", "--status-file", path, "--host", "ctl1"])
    assert table.exit_code == 0 and "connection refused" in table.output
    assert "ctl2" not in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status-file", "/nonexistent/status.dat"], "/nonexistent/status.dat: does not exist"),
        (["--status-file", "{tmp}"], "is not a file"),
        (["--status-file", "{file}", "--host", "nope"], "no host nope"),
    ],
)
def test_cli_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    file = _file(tmp_path)
    argv = [a.format(tmp=tmp_path, file=file) for a in args]
    out = CliRunner().invoke(main, ["nagios", "status", *argv])
    assert out.exit_code == 1
    assert message in out.output and len(out.output.strip().splitlines()) == 1
    assert "Traceback" not in out.output
