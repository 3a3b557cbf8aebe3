"""The plugins against the local stack's real services, each run as Nagios runs it.

Every output also passes the guidelines' format check. States come from the stack's known
shape: one Galera node, one HAProxy backend server down, three Nova services up, a Cinder stub
with one volume service down and disabled.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack, rabbit_mgmt
from tests.integration.probes.infra import Infra, infra
from tests.unit.checks.plugins.guidelines import Run, assert_guideline_output, run_plugin

__all__ = ["infra"]


def state(run: Run, service: str) -> str:
    return assert_guideline_output(run, service)


def perf(run: Run) -> dict[str, str]:
    _, _, data = run.first.partition(" | ")
    return dict(item.split("=", 1) for item in data.split(" ") if item)


def test_memcached(infra: Infra) -> None:
    run = run_plugin("check_memcached", "-P", str(infra.memcached_port))
    assert state(run, "MEMCACHED") == "OK" and run.first.startswith("MEMCACHED OK - memcached ")
    assert {"connections", "uptime", "limit_bytes"} <= set(perf(run))
    run = run_plugin("check_memcached", "-P", str(infra.memcached_port), "-c", "@1:")
    assert state(run, "MEMCACHED") == "CRITICAL" and "connections" in run.first
    assert perf(run)["connections"].endswith(";;@1:")


def test_haproxy_backend_server_down(infra: Infra) -> None:
    port = infra.haproxy_stats_url.split("/")[2].rpartition(":")[2]
    run = run_plugin("check_haproxy", "-P", port)
    assert state(run, "HAPROXY") == "WARNING" and "DOWN: be_stack/down" in run.first, run
    assert perf(run)["backends_down"] == "1;0"
    assert state(run_plugin("check_haproxy", "-P", port, "-w", "1"), "HAPROXY") == "OK"
    run = run_plugin("check_haproxy", "-P", port, "-c", "0")
    assert state(run, "HAPROXY") == "CRITICAL"
    sock = run_plugin("check_haproxy", "--url", f"unix://{infra.haproxy_socket}", "-w", "1")
    assert state(sock, "HAPROXY") == "OK", sock


def test_galera(infra: Infra) -> None:
    port = str(infra.galera_port)
    run = run_plugin("check_galera", "-P", port, "--option-file", str(infra.galera_option_file))
    assert state(run, "GALERA") == "OK" and "Synced, Primary, cluster size 1" in run.first, run
    assert perf(run)["cluster_size"] == "1"
    password = infra.galera_password_file.read_text().strip()
    env = {"OSMON_GALERA_PASSWORD": password}
    run = run_plugin("check_galera", "-P", port, "-u", infra.galera_user, "-c", "3:", env=env)
    assert state(run, "GALERA") == "CRITICAL" and "cluster_size 1 outside 3:" in run.first
    assert perf(run)["cluster_size"] == "1;;3:"
    env = {"OSMON_GALERA_PASSWORD": "wrong"}
    run = run_plugin("check_galera", "-P", port, "-u", infra.galera_user, env=env)
    assert state(run, "GALERA") == "UNKNOWN", run


def until(done: Callable[[Run], bool], plugin: str, *args: str, env: dict[str, str]) -> Run:
    """Run again until ``done`` (RabbitMQ's statistics trail a new queue by a few seconds)."""
    for _ in range(60):
        run = run_plugin(plugin, *args, env=env)
        if done(run):
            break
        time.sleep(0.5)
    return run


def test_rabbitmq_queues(stack: Stack, rabbit_vhost: str) -> None:
    vhost = rabbit_vhost.rpartition("/")[2]
    quoted = urllib.parse.quote(vhost, safe="")
    rabbit_mgmt(stack, "PUT", f"/api/queues/{quoted}/plugin-q", {"durable": False})
    env = {"OSMON_RABBITMQ_PASSWORD": "guest"}
    port = stack.rabbit_mgmt_url.rpartition(":")[2]
    args = ["-P", port, "--vhost", vhost, "--queues", "plugin-.*"]
    run = until(lambda r: r.code != 3, "check_rabbitmq", *args, "-w", "0:10", env=env)
    assert state(run, "RABBITMQ") == "OK", run
    assert any(k.startswith("queue_messages[") for k in perf(run)), run.first
    body = {
        "properties": {},
        "routing_key": "plugin-q",
        "payload": "x",
        "payload_encoding": "string",
    }
    for _ in range(3):
        rabbit_mgmt(stack, "POST", f"/api/exchanges/{quoted}/amq.default/publish", body)

    run = until(lambda r: "no consumer" in r.first, "check_rabbitmq", *args, env=env)
    assert state(run, "RABBITMQ") == "CRITICAL" and "no consumer" in run.first, run
    assert state(run_plugin("check_rabbitmq", *args, env={}), "RABBITMQ") == "UNKNOWN"


def test_gnocchi_backlog(stack: Stack) -> None:
    env = {"OS_AUTH_URL": "", "OS_CLOUD": ""}
    run = run_plugin("check_gnocchi_backlog", "--url", stack.gnocchi_url, env=env)
    assert state(run, "GNOCCHI") == "OK" and "measures waiting" in run.first, run
    assert perf(run)["measures_waiting"].endswith(";10000;100000")
    run = run_plugin("check_gnocchi_backlog", "--url", stack.gnocchi_url, "-w", "@0:", env=env)
    assert state(run, "GNOCCHI") == "WARNING", run
    # Keystone in the environment, Gnocchi in basic mode (as the stack runs it): --auth basic
    keystone = keystone_env(stack)
    run = run_plugin("check_gnocchi_backlog", "--url", stack.gnocchi_url, env=keystone)
    assert state(run, "GNOCCHI") == "UNKNOWN" and "refused the request (401)" in run.first
    run = run_plugin(
        "check_gnocchi_backlog", "--url", stack.gnocchi_url, "--auth", "basic", env=keystone
    )
    assert state(run, "GNOCCHI") == "OK", run


def keystone_env(stack: Stack, password: str | None = None) -> dict[str, str]:
    return {
        "OS_CLOUD": "",
        "OS_AUTH_URL": stack.keystone_url,
        "OS_USERNAME": stack.keystone_admin_user,
        "OS_PROJECT_NAME": stack.keystone_admin_project,
        "OS_PASSWORD": password if password is not None else stack.keystone_password,
    }


def test_openstack_services_nova_and_cinder(stack: Stack, tmp_path: Path) -> None:
    env = keystone_env(stack)
    cache = ["--token-cache", str(tmp_path)]
    run = run_plugin("check_openstack_services", *cache, "-v", env=env)
    assert state(run, "OPENSTACK_SERVICES") == "OK", run
    assert run.first.startswith("OPENSTACK_SERVICES OK - nova: 3 up, 0 down, 0 disabled")
    assert perf(run) == {"up": "3;;;0", "down": "0;;0;0", "disabled": "0;0;;0"}
    assert len(run.stdout.splitlines()) == 4  # -v: one line per service
    run = run_plugin("check_openstack_services", *cache, "--binary", "nova-compute", env=env)
    assert "nova: 1 up" in run.first
    run = run_plugin("check_openstack_services", *cache, "--host", "nowhere", env=env)
    assert state(run, "OPENSTACK_SERVICES") == "CRITICAL" and "no nova service" in run.first
    run = run_plugin("check_openstack_services", *cache, "-s", "cinder", env=env)
    assert state(run, "OPENSTACK_SERVICES") == "CRITICAL" and "1 down, 1 disabled" in run.first
    run = run_plugin("check_openstack_services", *cache, "-s", "cinder", "-c", "1", env=env)
    assert state(run, "OPENSTACK_SERVICES") == "WARNING" and "disabled: " in run.first


def test_openstack_services_token_cache(stack: Stack, tmp_path: Path) -> None:
    """The second run authenticates with the cached token: a wrong password does not matter
    while it lasts; without the cache the same password is refused."""
    cache = ["--token-cache", str(tmp_path)]
    assert run_plugin("check_openstack_services", *cache, env=keystone_env(stack)).code == 0
    (token_file,) = tmp_path.iterdir()
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert stack.keystone_password not in token_file.read_text()
    wrong = keystone_env(stack, "wrong")
    assert run_plugin("check_openstack_services", *cache, env=wrong).code == 0
    run = run_plugin("check_openstack_services", "--token-cache", str(tmp_path / "new"), env=wrong)
    assert state(run, "OPENSTACK_SERVICES") == "UNKNOWN"
    assert "Keystone: the credentials were refused (401)" in run.first


def test_openstack_api(stack: Stack) -> None:
    run = run_plugin("check_openstack_api", "-u", stack.keystone_url)
    assert state(run, "OPENSTACK_API") == "OK" and "HTTP 200" in run.first, run
    assert "response_time" in perf(run)
    run = run_plugin("check_openstack_api", "-u", stack.keystone_url, "-r", "no-such-text")
    assert state(run, "OPENSTACK_API") == "CRITICAL" and "body does not match" in run.first
    run = run_plugin("check_openstack_api", "-u", stack.keystone_url, "-e", "300")
    assert state(run, "OPENSTACK_API") == "CRITICAL" and "expected 300" in run.first


def test_openstack_api_with_a_keystone_token(stack: Stack, tmp_path: Path) -> None:
    """Nova's os-services needs a token: 401 without, 200 with; the token is cached."""
    nova = stack.keystone_url.replace(":5000/v3", ":8774/v2.1/os-services")
    run = run_plugin("check_openstack_api", "-u", nova)
    assert state(run, "OPENSTACK_API") == "CRITICAL" and "HTTP 401" in run.first, run
    args = ["-u", nova, "--keystone", "--token-cache", str(tmp_path)]
    run = run_plugin("check_openstack_api", *args, env=keystone_env(stack))
    assert state(run, "OPENSTACK_API") == "OK" and "HTTP 200" in run.first, run
    run = run_plugin("check_openstack_api", *args, env=keystone_env(stack, "wrong"))
    assert state(run, "OPENSTACK_API") == "OK", run  # the cached token
    run = run_plugin(
        "check_openstack_api",
        "-u",
        nova,
        "--keystone",
        "--token-cache",
        str(tmp_path / "new"),
        env=keystone_env(stack, "wrong"),
    )
    assert state(run, "OPENSTACK_API") == "UNKNOWN"
    assert "Keystone: the credentials were refused (401)" in run.first


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A local HTTPS server with a self-signed certificate for localhost, valid 5 days."""
    import http.server
    import ssl
    import subprocess
    import threading

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "5",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], cert
    server.shutdown()


def test_openstack_api_tls(tls_server: tuple[int, Path]) -> None:
    port, cert = tls_server
    url = f"https://localhost:{port}/"
    run = run_plugin("check_openstack_api", "-u", url)
    assert state(run, "OPENSTACK_API") == "CRITICAL" and "not trusted" in run.first, run
    days = ["--tls-warning", "30:", "--tls-critical", "7:"]
    run = run_plugin("check_openstack_api", "-u", url, "--ca-file", str(cert), *days)
    assert state(run, "OPENSTACK_API") == "CRITICAL" and "days_left" in run.first, run
    assert perf(run)["days_left"].endswith(";30:;7:")
    run = run_plugin("check_openstack_api", "-u", url, "-k", "--tls-warning", "3:")
    assert state(run, "OPENSTACK_API") == "OK", run


def _probe_doc(base: str, target: str) -> dict[str, Any] | None:
    from tests.e2e.daemon_proc import http_get

    status, body, _ = http_get(base + "/v1/probes/" + urllib.parse.quote(target, safe=""))
    return json.loads(body) if status == 200 else None


def test_check_osmon_against_a_running_daemon(infra: Infra, tmp_path: Path) -> None:
    import yaml

    from tests.e2e.daemon_proc import DaemonProc

    inv = tmp_path / "inventory.yaml"
    inv.write_text(
        "version: 1\ncloud: {name: plugins}\ndefaults: {interval: 1, timeout: 5}\n"
        "hosts: {localhost: {address: 127.0.0.1, roles: [controller]}}\n"
        f"infrastructure: {{memcached: {{endpoint: {{port: {infra.memcached_port}}}}}}}\n"
    )
    cfg = tmp_path / "osmon.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "inventory": str(inv),
                "hostname": "localhost",
                "state_dir": str(tmp_path / "state"),
                "http": {"listen": "127.0.0.1", "port": 0},
                "sinks": {"prom": {"type": "prometheus"}},
                "sources": {"probes": {"type": "probes", "flush_interval": 0.5}},
                "routes": {"sample": ["prom"]},
            }
        )
    )
    target = "memcached/memcached@localhost"
    daemon = DaemonProc(["-c", str(cfg)], log=tmp_path / "osmon.log")
    try:
        base = daemon.wait_listening()
        port = base.rpartition(":")[2]
        doc = None
        for _ in range(300):
            doc = _probe_doc(base, target)
            if doc is not None:
                break
            time.sleep(0.1)
        assert doc is not None, daemon.log()
        # the plugin's line is the daemon's result, when no probe ran in between
        for _ in range(20):
            before = _probe_doc(base, target)
            run = run_plugin("check_osmon", "-p", port, "--target", target)
            after = _probe_doc(base, target)
            if before is not None and after is not None and before == after:
                break
        assert before is not None and before == after, (before, after)
        assert state(run, "OSMON") == before["state"]
        assert run.first == (
            f"OSMON {before['state']} - {before['summary']} | {before['perfdata']}"
        ), (run, before)
        run = run_plugin("check_osmon", "-p", port, "--target", "nova-api/api@nowhere")
        assert state(run, "OSMON") == "UNKNOWN" and "no result for target" in run.first
        run = run_plugin("check_osmon", "-p", port, "--target", target, "--max-age", "0.001")
        assert state(run, "OSMON") == "UNKNOWN" and "old" in run.first
        run = run_plugin("check_osmon", "-p", port)
        assert state(run, "OSMON") == "OK" and "1 sinks" in run.first, run
        assert perf(run)["spool_records"] == "0;;;0"
        run = run_plugin("check_osmon", "-p", port, "-c", "@0")
        assert state(run, "OSMON") == "CRITICAL" and "spool holds 0 records" in run.first
    finally:
        daemon.terminate()
