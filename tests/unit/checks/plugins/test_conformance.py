"""Every plugin, run as Nagios runs it (a subprocess), against the guidelines: exit codes,
one status line, ``--help``/``--version`` → 3, bad arguments and ranges → UNKNOWN with the
usage line, ``-t`` against a server that never answers → ``--timeout-state`` (UNKNOWN by
default), a refused connection → CRITICAL, and never a traceback.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.unit.checks.plugins.guidelines import PLUGINS, assert_guideline_output, run_plugin

SERVICES = {
    "check_galera": "GALERA",
    "check_gnocchi_backlog": "GNOCCHI",
    "check_haproxy": "HAPROXY",
    "check_memcached": "MEMCACHED",
    "check_openstack_api": "OPENSTACK_API",
    "check_openstack_services": "OPENSTACK_SERVICES",
    "check_osmon": "OSMON",
    "check_rabbitmq": "RABBITMQ",
}
KEYSTONE_ENV = {
    "OS_USERNAME": "admin",
    "OS_PASSWORD": "never-sent",
    "OS_PROJECT_NAME": "admin",
    "OS_CLOUD": "",
}


def at(plugin: str, port: int) -> tuple[list[str], dict[str, str]]:
    """Arguments (and environment) pointing ``plugin`` at 127.0.0.1:``port``."""
    url = f"http://127.0.0.1:{port}"
    return {
        "check_galera": (["-P", str(port)], {}),
        "check_gnocchi_backlog": (["--url", url], {"OS_AUTH_URL": ""}),
        "check_haproxy": (["-P", str(port)], {}),
        "check_memcached": (["-P", str(port)], {}),
        "check_openstack_api": (["-u", url + "/v3"], {}),
        "check_openstack_services": ([], {**KEYSTONE_ENV, "OS_AUTH_URL": url + "/v3"}),
        "check_osmon": (["-p", str(port)], {}),
        "check_rabbitmq": (["-P", str(port)], {}),
    }[plugin]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield s.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_plugin_is_tested() -> None:
    assert set(SERVICES) == set(PLUGINS)


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_prints_usage_and_exits_3(plugin: str, flag: str) -> None:
    run = run_plugin(plugin, flag)
    assert run.code == 3 and run.stdout.startswith(f"usage: {plugin}"), run
    for option in ("-t", "--timeout", "-v", "-V", "-h"):
        assert option in run.stdout
    assert run.stderr == ""


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_prints_one_line_and_exits_3(plugin: str, flag: str) -> None:
    run = run_plugin(plugin, flag)
    assert run.code == 3 and run.stdout.startswith(f"{plugin} osmon-plugins "), run
    assert len(run.stdout.splitlines()) == 1 and run.stderr == ""


BAD_ARGUMENTS = [
    (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["-t", "0"], "must be above 0"),
    (["-t", "soon"], "not a number"),
    (["--timeout-state", "MAYBE"], "not a state"),
    (["-t", "5:MAYBE"], "not a state"),
    (["-w", "5:1"], "start 5 > end 1"),
    (["-c", "x"], "'x' is not a number"),
    (["-w"], "expected one argument"),
]


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize(("args", "message"), BAD_ARGUMENTS)
def test_bad_arguments_are_unknown_with_usage(plugin: str, args: list[str], message: str) -> None:
    if plugin == "check_openstack_services" and args[0] in ("-w", "-c"):
        args = ["--warn-disabled" if args[0] == "-w" else "--critical-down", *args[1:]]
    run = run_plugin(plugin, *args)
    assert assert_guideline_output(run, SERVICES[plugin]) == "UNKNOWN"
    assert "invalid arguments" in run.first and message in run.first, run.first
    assert run.stdout.splitlines()[1].startswith(f"usage: {plugin}"), run.stdout


@pytest.mark.parametrize("plugin", PLUGINS)
def test_timeout_against_a_silent_server(plugin: str, silent_port: int) -> None:
    args, env = at(plugin, silent_port)
    run = run_plugin(plugin, *args, "-t", "1", env=env)
    state = assert_guideline_output(run, SERVICES[plugin])
    assert state == "UNKNOWN" and "timed out after 1s" in run.first, run
    run = run_plugin(plugin, *args, "-t", "1", "--timeout-state", "critical", env=env)
    assert assert_guideline_output(run, SERVICES[plugin]) == "CRITICAL", run
    run = run_plugin(plugin, *args, "-t", "1:warning", env=env)  # the C plugins' form
    assert assert_guideline_output(run, SERVICES[plugin]) == "WARNING", run


@pytest.mark.parametrize("plugin", PLUGINS)
def test_refused_connection(plugin: str, closed_port: int) -> None:
    args, env = at(plugin, closed_port)
    run = run_plugin(plugin, *args, env=env)
    state = assert_guideline_output(run, SERVICES[plugin])
    if plugin == "check_openstack_services":  # no token: osmon's side cannot tell
        assert state == "UNKNOWN" and "Keystone: unreachable" in run.first, run
    else:
        assert state == "CRITICAL" and "refused" in run.first, run


class _Garbage(BaseHTTPRequestHandler):
    """Answers every request 200 with a body that is neither JSON nor CSV."""

    def do_GET(self) -> None:
        body = b"<html>not json {"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def garbage_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


BAD_BODY = {
    "check_osmon": ("UNKNOWN", "answered 200 with invalid JSON"),
    "check_gnocchi_backlog": ("CRITICAL", "gnocchi API: body is not JSON"),
    "check_rabbitmq": ("CRITICAL", "garbage JSON from "),
    "check_haproxy": ("CRITICAL", "not HAProxy CSV stats"),
    "check_memcached": ("CRITICAL", "not a memcached stats reply"),
    "check_openstack_services": ("UNKNOWN", "Keystone: InvalidResponse"),
}


@pytest.mark.parametrize("plugin", sorted(BAD_BODY))
def test_a_body_that_is_not_the_api_s(plugin: str, garbage_port: int) -> None:
    args, env = at(plugin, garbage_port)
    run = run_plugin(plugin, *args, env=env)
    assert (assert_guideline_output(run, SERVICES[plugin]), BAD_BODY[plugin][1] in run.first) == (
        BAD_BODY[plugin][0],
        True,
    ), run.first
    if plugin == "check_osmon":
        run = run_plugin(plugin, *args, "--target", "a/b@c", env=env)
        assert assert_guideline_output(run) == "UNKNOWN" and "invalid JSON" in run.first


TLS_TO_PLAIN = {
    "check_gnocchi_backlog": (["--url"], "CRITICAL", "TLS handshake failed"),
    "check_rabbitmq": (["-S", "-P"], "CRITICAL", "TLS handshake failed"),
    "check_openstack_services": ([], "UNKNOWN", "Keystone: SSLError"),
}


@pytest.mark.parametrize("plugin", sorted(TLS_TO_PLAIN))
def test_tls_to_a_plain_http_server(plugin: str, garbage_port: int) -> None:
    flags, expected, message = TLS_TO_PLAIN[plugin]
    env = {"OS_AUTH_URL": ""}
    if plugin == "check_gnocchi_backlog":
        args = [*flags, f"https://127.0.0.1:{garbage_port}"]
    elif plugin == "check_rabbitmq":
        args = [*flags, str(garbage_port)]
    else:
        args, env = [], {**KEYSTONE_ENV, "OS_AUTH_URL": f"https://127.0.0.1:{garbage_port}/v3"}
    run = run_plugin(plugin, *args, env=env)
    assert assert_guideline_output(run, SERVICES[plugin]) == expected and message in run.first, run


@pytest.mark.parametrize("plugin", ["check_memcached", "check_haproxy", "check_osmon"])
def test_an_unresolvable_host(plugin: str) -> None:
    run = run_plugin(plugin, "-H", "no-such-host.invalid")
    assert assert_guideline_output(run, SERVICES[plugin]) == "CRITICAL"
    assert "Name or service not known" in run.first or "resolution" in run.first, run
