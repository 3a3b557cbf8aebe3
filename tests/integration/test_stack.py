"""Smoke tests of every real service `deploy/local-stack` runs, through the fixtures osmon's
integration tests use."""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import errno
import http.server
import json
import os
import queue
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import kombu
import pytest
from prometheus_client import CollectorRegistry, Gauge, delete_from_gateway, push_to_gateway

if TYPE_CHECKING:
    from conftest import NagiosPaths, Stack

pytestmark = pytest.mark.integration

LOCAL_STACK = Path(__file__).resolve().parents[2] / "deploy" / "local-stack"

T = TypeVar("T")
SMOKE_POLICY = "osmon-stack-smoke"


def eventually(fn: Callable[[], T | None], deadline_s: float, what: str) -> T:
    """Polls fn until it returns something other than None; fails with `what` at the deadline."""
    end = time.monotonic() + deadline_s
    while True:
        result = fn()
        if result is not None:
            return result
        if time.monotonic() > end:
            pytest.fail(f"{what}: not seen within {deadline_s}s")
        time.sleep(0.5)


def get_json(url: str, method: str = "GET") -> Any:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def prom_query(prometheus_url: str, expr: str) -> list[dict[str, Any]]:
    q = urllib.parse.urlencode({"query": expr})
    body = get_json(f"{prometheus_url}/api/v1/query?{q}")
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


# ---------------------------------------------------------------- status / secrets


def test_status_reports_every_service_up(stack: Stack) -> None:
    proc = subprocess.run(
        [str(LOCAL_STACK), "status"], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    states = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()}
    assert set(states.values()) == {"up"}
    assert {"gnocchi-api", "aodh-api", "keystone", "prometheus", "nagios"} <= states.keys()
    assert str(stack.nagios.command_file) in proc.stdout
    assert str(stack.keystone_password_file) in proc.stdout


def test_keystone_password_stays_off_argv_and_env_file(stack: Stack) -> None:
    password = stack.keystone_password
    assert len(password) >= 20
    assert stack.keystone_password_file.stat().st_mode & 0o077 == 0
    assert password not in (stack.dir / "stack.env").read_text()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes()
        except OSError:
            continue
        assert password.encode() not in argv, f"password on the argv of {cmdline.parent}"


# ---------------------------------------------------------------- RabbitMQ


def test_amqp_roundtrip_in_private_vhost(rabbit_vhost: str, rabbit_api: Callable[..., Any]) -> None:
    vhost = rabbit_vhost.rsplit("/", 1)[1]
    amqp_url = rabbit_vhost.replace("rabbit://", "amqp://", 1)
    with kombu.Connection(amqp_url, connect_timeout=5) as conn:
        conn.ensure_connection(max_retries=1)
        simple = conn.SimpleQueue("osmon-smoke")
        simple.put({"hello": vhost})
        message = simple.get(block=True, timeout=5)
        assert message.payload == {"hello": vhost}
        message.ack()

    quoted = urllib.parse.quote(vhost, safe="")
    queues = rabbit_api("GET", f"/api/queues/{quoted}")
    assert [q["name"] for q in queues] == ["osmon-smoke"]
    overview = rabbit_api("GET", "/api/overview")
    listeners = {(lst["protocol"], lst["ip_address"]) for lst in overview["listeners"]}
    assert ("amqp", "127.0.0.1") in listeners


def test_rabbit_vhost_fixture_cleans_up(rabbit_api: Callable[..., Any], rabbit_vhost: str) -> None:
    """Every vhost the fixture made in this run, but the one in use, is gone (other runs on the
    same broker have their own)."""
    from tests.integration.conftest import CREATED_VHOSTS

    vhosts = {v["name"] for v in rabbit_api("GET", "/api/vhosts")}
    in_use = rabbit_vhost.rsplit("/", 1)[-1]
    assert in_use in vhosts
    assert not (set(CREATED_VHOSTS) - {in_use}) & vhosts, vhosts


# ---------------------------------------------------------------- Gnocchi / Aodh


def ensure_smoke_policy(gnocchi_client: Any) -> None:
    from gnocchiclient import exceptions as gexc

    with contextlib.suppress(gexc.ArchivePolicyAlreadyExists):
        gnocchi_client.archive_policy.create(
            {
                "name": SMOKE_POLICY,
                "back_window": 0,
                "aggregation_methods": ["mean", "max", "last"],
                "definition": [{"granularity": "1s", "timespan": "1h"}],
            }
        )


def test_gnocchi_batch_measures_roundtrip(stack: Stack, gnocchi_client: Any) -> None:
    ensure_smoke_policy(gnocchi_client)
    rid = str(uuid.uuid4())
    gnocchi_client.resource.create("generic", {"id": rid})
    try:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        points = [10.0, 20.0, 30.0]
        gnocchi_client.metric.batch_resources_metrics_measures(
            {
                rid: {
                    "smoke.value": {
                        "archive_policy_name": SMOKE_POLICY,
                        "unit": "%",
                        "measures": [
                            {
                                "timestamp": (now - dt.timedelta(seconds=3 - i)).isoformat(),
                                "value": v,
                            }
                            for i, v in enumerate(points)
                        ],
                    }
                }
            },
            create_metrics=True,
        )
        measures = gnocchi_client.metric.get_measures(
            "smoke.value", resource_id=rid, granularity=1, refresh=True
        )
        assert [m[2] for m in measures] == points
    finally:
        gnocchi_client.resource.delete(rid)


def test_gnocchi_refuses_anonymous_writes(stack: Stack) -> None:
    req = urllib.request.Request(
        f"{stack.gnocchi_url}/v1/resource/generic",
        data=json.dumps({"id": str(uuid.uuid4())}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    err.value.close()
    assert err.value.code == 401


def test_gnocchi_not_stalled_by_client_that_never_reads(stack: Stack, gnocchi_client: Any) -> None:
    """A client leaving a response unread must not stall or reset other clients' requests."""
    url = urllib.parse.urlsplit(stack.gnocchi_url)
    body = b'{"id": "x"}'
    request = (
        b"POST /v1/resource/generic HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    for _ in range(3):
        gnocchi_client.archive_policy.list()
        rude = [socket.create_connection((url.hostname, url.port), timeout=5) for _ in range(2)]
        try:
            for sock in rude:
                sock.sendall(request)
            time.sleep(0.3)
            # A stalled worker answers only at gunicorn's --timeout (120 s): a bounded wait
            # catches that without making the answer's speed an assertion (bench/ measures).
            pool = concurrent.futures.ThreadPoolExecutor(1)
            try:
                assert pool.submit(gnocchi_client.archive_policy.list).result(timeout=30)
            finally:
                pool.shutdown(wait=False)
        finally:
            for sock in rude:
                sock.close()


def test_gnocchi_metricd_processes_without_refresh(gnocchi_client: Any) -> None:
    ensure_smoke_policy(gnocchi_client)
    rid = str(uuid.uuid4())
    gnocchi_client.resource.create("generic", {"id": rid})
    try:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        gnocchi_client.metric.batch_resources_metrics_measures(
            {
                rid: {
                    "smoke.metricd": {
                        "archive_policy_name": SMOKE_POLICY,
                        "measures": [{"timestamp": now.isoformat(), "value": 4.2}],
                    }
                }
            },
            create_metrics=True,
        )

        def processed() -> list[Any] | None:
            got = gnocchi_client.metric.get_measures("smoke.metricd", resource_id=rid)
            return list(got) or None

        measures = eventually(processed, 30, "metricd processing the measure")
        assert measures[-1][2] == 4.2
    finally:
        gnocchi_client.resource.delete(rid)


def test_aodh_alarm_create_list_delete(aodh_client: Any, gnocchi_client: Any) -> None:
    from aodhclient import exceptions as aexc

    ensure_smoke_policy(gnocchi_client)
    rid = str(uuid.uuid4())
    gnocchi_client.resource.create("generic", {"id": rid})
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    gnocchi_client.metric.batch_resources_metrics_measures(
        {
            rid: {
                "cpu_util": {
                    "archive_policy_name": SMOKE_POLICY,
                    "measures": [{"timestamp": now.isoformat(), "value": 95.0}],
                }
            }
        },
        create_metrics=True,
    )
    name = f"osmon-smoke-{rid[:8]}"
    try:
        alarm = aodh_client.alarm.create(
            {
                "name": name,
                "type": "gnocchi_resources_threshold",
                "severity": "critical",
                "alarm_actions": ["log://"],
                "gnocchi_resources_threshold_rule": {
                    "metric": "cpu_util",
                    "resource_id": rid,
                    "resource_type": "generic",
                    "aggregation_method": "mean",
                    "granularity": 1,
                    "evaluation_periods": 1,
                    "threshold": 50.0,
                    "comparison_operator": "gt",
                },
            }
        )
        assert alarm["state"] == "insufficient data"
        assert name in {a["name"] for a in aodh_client.alarm.list()}
        aodh_client.alarm.delete(alarm["alarm_id"])
        assert name not in {a["name"] for a in aodh_client.alarm.list()}
        with pytest.raises(aexc.NotFound):
            aodh_client.alarm.get(alarm["alarm_id"])
    finally:
        gnocchi_client.resource.delete(rid)


# ---------------------------------------------------------------- Keystone


def test_keystone_token_and_catalog(stack: Stack, keystone_session: Any) -> None:
    token = keystone_session.get_token()
    assert token and len(token) > 20
    assert keystone_session.get_project_id()
    endpoint = keystone_session.get_endpoint(
        service_type="identity", interface="public", region_name=stack.keystone_region
    )
    assert endpoint.rstrip("/") == stack.keystone_url.rstrip("/")
    catalog = keystone_session.auth.get_access(keystone_session).service_catalog.catalog
    assert "identity" in {entry["type"] for entry in catalog}


def test_keystone_rejects_wrong_password(stack: Stack) -> None:
    from keystoneauth1 import exceptions as ksexc
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    auth = v3.Password(
        auth_url=stack.keystone_url,
        username=stack.keystone_admin_user,
        password=stack.keystone_password + "x",
        project_name=stack.keystone_admin_project,
        user_domain_id="default",
        project_domain_id="default",
    )
    with pytest.raises(ksexc.Unauthorized):
        ks_session.Session(auth=auth, timeout=10).get_token()


# ---------------------------------------------------------------- Prometheus / Pushgateway


def test_prometheus_scrapes_itself_and_knows_osmon_target(prometheus_url: str) -> None:
    def up_series() -> dict[str, str] | None:
        series = {r["metric"]["job"]: r["value"][1] for r in prom_query(prometheus_url, "up")}
        return series if {"prometheus", "osmon", "pushgateway"} <= series.keys() else None

    series = eventually(up_series, 20, "up{} for jobs prometheus, osmon, pushgateway")
    assert series["prometheus"] == "1"
    assert series["pushgateway"] == "1"
    targets = get_json(f"{prometheus_url}/api/v1/targets")["data"]["activeTargets"]
    assert "127.0.0.1:9790" in {
        t["labels"]["instance"] for t in targets if t["labels"]["job"] == "osmon"
    }


def test_prometheus_rule_file_reload(stack: Stack, prometheus_url: str) -> None:
    group = f"osmon_smoke_{uuid.uuid4().hex[:8]}"
    rule_file = stack.prometheus_rules_dir / f"{group}.yml"
    rule_file.write_text(
        f"groups:\n  - name: {group}\n    rules:\n"
        f"      - record: {group}:constant\n        expr: vector(7)\n"
    )
    try:
        get_json(f"{prometheus_url}/-/reload", method="POST")
        groups = get_json(f"{prometheus_url}/api/v1/rules")["data"]["groups"]
        assert group in {g["name"] for g in groups}

        def recorded() -> list[dict[str, Any]] | None:
            return prom_query(prometheus_url, f"{group}:constant") or None

        assert eventually(recorded, 20, f"{group}:constant")[0]["value"][1] == "7"
    finally:
        rule_file.unlink()
        get_json(f"{prometheus_url}/-/reload", method="POST")
    groups = get_json(f"{prometheus_url}/api/v1/rules")["data"]["groups"]
    assert group not in {g["name"] for g in groups}


def test_pushgateway_push_reaches_prometheus(pushgateway_url: str, prometheus_url: str) -> None:
    job = f"osmon_smoke_{uuid.uuid4().hex[:8]}"
    registry = CollectorRegistry()
    Gauge("osmon_smoke_last_success", "smoke", registry=registry).set(1234)
    gateway = pushgateway_url.removeprefix("http://")
    push_to_gateway(gateway, job=job, registry=registry, grouping_key={"instance": "ctl-1"})
    try:
        with urllib.request.urlopen(f"{pushgateway_url}/metrics", timeout=10) as resp:
            exposed = resp.read().decode()
        assert f'osmon_smoke_last_success{{instance="ctl-1",job="{job}"}} 1234' in exposed

        def scraped() -> list[dict[str, Any]] | None:
            return prom_query(prometheus_url, f'osmon_smoke_last_success{{job="{job}"}}') or None

        result = eventually(scraped, 20, "pushed metric in Prometheus")
        assert result[0]["metric"]["instance"] == "ctl-1"
        assert result[0]["value"][1] == "1234"
    finally:
        delete_from_gateway(gateway, job=job, grouping_key={"instance": "ctl-1"})


# ---------------------------------------------------------------- Nagios


def test_nagios_config_verifies(nagios: NagiosPaths) -> None:
    proc = subprocess.run(
        [str(nagios.binary), "-v", str(nagios.main_cfg)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout
    assert "Total Errors:   0" in proc.stdout
    assert nagios.objects_dir.is_dir()


def parse_status_dat(path: Path) -> list[tuple[str, dict[str, str]]]:
    blocks: list[tuple[str, dict[str, str]]] = []
    current: dict[str, str] | None = None
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if line.endswith("{"):
            current = {}
            blocks.append((line[:-1].strip(), current))
        elif line == "}":
            current = None
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[key] = value
    return blocks


def send_nagios_command(command_file: Path, command: str) -> None:
    """Writes one external command; a pipe nobody reads fails at once instead of blocking."""
    try:
        fd = os.open(command_file, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ENXIO:
            pytest.fail(f"Nagios is not reading its command file {command_file}")
        raise
    try:
        os.write(fd, f"[{int(time.time())}] {command}\n".encode())
    finally:
        os.close(fd)


def test_nagios_passive_result_reaches_status_dat(nagios: NagiosPaths) -> None:
    token = uuid.uuid4().hex[:12]
    send_nagios_command(
        nagios.command_file,
        f"PROCESS_SERVICE_CHECK_RESULT;osmon-stack;passive-smoke;1;WARNING - smoke {token} | x=1",
    )

    def service_status() -> dict[str, str] | None:
        for kind, block in parse_status_dat(nagios.status_file):
            if (
                kind == "servicestatus"
                and block.get("host_name") == "osmon-stack"
                and block.get("service_description") == "passive-smoke"
                and token in block.get("plugin_output", "")
            ):
                return block
        return None

    block = eventually(service_status, 20, f"passive result {token} in {nagios.status_file}")
    assert block["current_state"] == "1"
    assert block["performance_data"] == "x=1"


def test_aodh_evaluator_and_notifier_fire_webhook(aodh_client: Any, gnocchi_client: Any) -> None:
    """Evaluator reads Gnocchi, hands the transition to the notifier over RabbitMQ, which POSTs."""
    from gnocchiclient import exceptions as gexc

    received: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.put((self.path, json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}"

    policy = f"{SMOKE_POLICY}-60s"
    with contextlib.suppress(gexc.ArchivePolicyAlreadyExists):
        gnocchi_client.archive_policy.create(
            {
                "name": policy,
                "aggregation_methods": ["mean"],
                "definition": [{"granularity": "60s", "timespan": "1d"}],
            }
        )
    rid = str(uuid.uuid4())
    gnocchi_client.resource.create("generic", {"id": rid})
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    gnocchi_client.metric.batch_resources_metrics_measures(
        {
            rid: {
                "cpu_util": {
                    "archive_policy_name": policy,
                    "measures": [{"timestamp": now.isoformat(), "value": 95.0}],
                }
            }
        },
        create_metrics=True,
    )
    assert gnocchi_client.metric.get_measures("cpu_util", resource_id=rid, refresh=True)
    alarm = aodh_client.alarm.create(
        {
            "name": f"osmon-smoke-fire-{rid[:8]}",
            "type": "gnocchi_resources_threshold",
            "alarm_actions": [f"{hook}/alarm"],
            "gnocchi_resources_threshold_rule": {
                "metric": "cpu_util",
                "resource_id": rid,
                "resource_type": "generic",
                "aggregation_method": "mean",
                "granularity": 60,
                "evaluation_periods": 1,
                "threshold": 50.0,
                "comparison_operator": "gt",
            },
        }
    )
    try:
        path, payload = received.get(timeout=45)
        assert path == "/alarm"
        assert payload["alarm_id"] == alarm["alarm_id"]
        assert payload["current"] == "alarm"
        assert aodh_client.alarm.get(alarm["alarm_id"])["state"] == "alarm"
    finally:
        server.shutdown()
        aodh_client.alarm.delete(alarm["alarm_id"])
        gnocchi_client.resource.delete(rid)
