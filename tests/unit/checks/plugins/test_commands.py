"""``COMMANDS``: every command line names a plugin, and the plugin's parser accepts it once
Nagios has put the macros in (the generator writes these lines as they are)."""

from __future__ import annotations

import importlib
import re
import shlex

import pytest

from osmon.checks.plugins import COMMANDS, PLUGINS

SAMPLE_ARGS = {
    "check_osmon": ["127.0.0.1", "keystone/api@ctl1"],
    "check_osmon_health": ["127.0.0.1", "-c 100000"],
    "check_openstack_api": ["https://cloud.example.org:5000/v3", "-e 200,300 --tls-warning 30:"],
    "check_openstack_services": ["prod-admin", "nova", "--binary nova-compute"],
    "check_rabbitmq": ["15672", "osmon", "/etc/osmon/rabbit.password", "-w 0:1000"],
    "check_galera": ["3306", "/etc/osmon/galera.cnf", "-c 2:"],
    "check_memcached": ["11211", ""],
    "check_haproxy": ["1936", "-c 1"],
    "check_gnocchi_backlog": ["http://ctl1:8041", "-w 1000"],
}


def expand(line: str, args: list[str]) -> list[str]:
    line = line.replace("$USER1$", "/usr/lib/nagios/plugins")
    line = line.replace("$HOSTADDRESS$", "10.0.0.11")
    line = re.sub(r"\$ARG(\d+)\$", lambda m: args[int(m[1]) - 1], line)
    return shlex.split(line)


def test_every_plugin_has_a_command() -> None:
    used = {shlex.split(line)[0].rpartition("/")[2] for line in COMMANDS.values()}
    assert used == set(PLUGINS)
    assert set(SAMPLE_ARGS) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_plugin_accepts_its_command_line(name: str) -> None:
    argv = expand(COMMANDS[name], SAMPLE_ARGS[name])
    assert argv[0].startswith("/usr/lib/nagios/plugins/check_")
    module = importlib.import_module(f"osmon.checks.plugins.{argv[0].rpartition('/')[2]}")
    args = module.parser().parse_args(argv[1:])
    assert args.timeout > 0
    assert not re.search(r"\$(ARG|USER)\d+\$", " ".join(argv))
