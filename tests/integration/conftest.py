"""Fixtures for tests against the real services of `deploy/local-stack`.

The stack is checked (and `deploy/local-stack up` run when something is down) once per session,
before the first test, so a cold install does not count against a test's timeout. A service that
is still unreachable afterwards makes every test that uses `stack` fail, never skip.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCAL_STACK = REPO / "deploy" / "local-stack"
STACK_DIR = Path(os.environ.get("OSMON_STACK_DIR", "/var/tmp/osmon-stack"))
UP_TIMEOUT_S = 1800
PROBE_TIMEOUT_S = 3.0

# Aodh runs with auth_mode=noauth: identity comes from the X-Project-Id/X-User-Id/X-Roles headers.
AODH_PROJECT_ID = "0000000000000000000000000000a0d1"
AODH_USER_ID = "0000000000000000000000000000a0d2"

_INTEGRATION_DIR = Path(__file__).resolve().parent
_STACK_KEY = pytest.StashKey["Stack | str"]()


@dataclass(frozen=True, slots=True)
class NagiosPaths:
    main_cfg: Path
    objects_dir: Path
    command_file: Path
    status_file: Path
    log_file: Path
    pid_file: Path
    binary: Path

    def reload(self) -> None:
        """Make Nagios re-read its configuration (objects written into objects_dir)."""
        os.kill(int(self.pid_file.read_text().strip()), signal.SIGHUP)


@dataclass(frozen=True, slots=True)
class Stack:
    dir: Path
    logs_dir: Path
    postgres_url: str
    redis_url: str
    rabbit_url: str
    rabbit_mgmt_url: str
    gnocchi_url: str
    gnocchi_user: str
    aodh_url: str
    keystone_url: str
    keystone_admin_user: str
    keystone_admin_project: str
    keystone_user_domain_id: str
    keystone_project_domain_id: str
    keystone_region: str
    keystone_password_file: Path
    prometheus_url: str
    prometheus_rules_dir: Path
    prometheus_targets_dir: Path
    pushgateway_url: str
    osmon_exporter_addr: str
    nagios: NagiosPaths

    @property
    def keystone_password(self) -> str:
        return self.keystone_password_file.read_text().strip()


def parse_stack_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def stack_from_env(env: dict[str, str]) -> Stack:
    try:
        return Stack(
            dir=Path(env["OSMON_STACK_DIR"]),
            logs_dir=Path(env["OSMON_STACK_LOGS"]),
            postgres_url=env["POSTGRES_URL"],
            redis_url=env["REDIS_URL"],
            rabbit_url=env["RABBIT_URL"],
            rabbit_mgmt_url=env["RABBIT_MGMT_URL"],
            gnocchi_url=env["GNOCCHI_URL"],
            gnocchi_user=env["GNOCCHI_USER"],
            aodh_url=env["AODH_URL"],
            keystone_url=env["KEYSTONE_URL"],
            keystone_admin_user=env["KEYSTONE_ADMIN_USER"],
            keystone_admin_project=env["KEYSTONE_ADMIN_PROJECT"],
            keystone_user_domain_id=env["KEYSTONE_USER_DOMAIN_ID"],
            keystone_project_domain_id=env["KEYSTONE_PROJECT_DOMAIN_ID"],
            keystone_region=env["KEYSTONE_REGION"],
            keystone_password_file=Path(env["KEYSTONE_PASSWORD_FILE"]),
            prometheus_url=env["PROMETHEUS_URL"],
            prometheus_rules_dir=Path(env["PROMETHEUS_RULES_DIR"]),
            prometheus_targets_dir=Path(env["PROMETHEUS_TARGETS_DIR"]),
            pushgateway_url=env["PUSHGATEWAY_URL"],
            osmon_exporter_addr=env["OSMON_EXPORTER_ADDR"],
            nagios=NagiosPaths(
                main_cfg=Path(env["NAGIOS_MAIN_CFG"]),
                objects_dir=Path(env["NAGIOS_OBJECTS_DIR"]),
                command_file=Path(env["NAGIOS_COMMAND_FILE"]),
                status_file=Path(env["NAGIOS_STATUS_FILE"]),
                log_file=Path(env["NAGIOS_LOG_FILE"]),
                pid_file=Path(env["NAGIOS_PID_FILE"]),
                binary=Path(env["NAGIOS_BIN"]),
            ),
        )
    except KeyError as e:
        raise ValueError(f"stack.env lacks {e.args[0]}") from e


def http_status(url: str, user: str | None = None, password: str = "") -> int | str:
    """HTTP status of a GET, or the reason it failed; never waits longer than PROBE_TIMEOUT_S."""
    req = urllib.request.Request(url)
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=PROBE_TIMEOUT_S) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, ValueError) as e:
        return f"{type(e).__name__}: {e}"


def tcp_reachable(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=PROBE_TIMEOUT_S
        ):
            return True
    except OSError:
        return False


def down_services(stack: Stack) -> list[str]:
    """Every service that fails its probe, with the reason."""
    problems: list[str] = []
    for name, url in [
        ("postgresql", stack.postgres_url),
        ("redis", stack.redis_url),
        ("rabbitmq", stack.rabbit_url),
    ]:
        if not tcp_reachable(url):
            problems.append(f"{name}: nothing listens at {url}")
    for name, url, user in [
        ("rabbitmq-management", f"{stack.rabbit_mgmt_url}/api/overview", "guest"),
        ("gnocchi", f"{stack.gnocchi_url}/", None),
        ("aodh", f"{stack.aodh_url}/", None),
        ("keystone", stack.keystone_url, None),
        ("prometheus", f"{stack.prometheus_url}/-/ready", None),
        ("pushgateway", f"{stack.pushgateway_url}/-/ready", None),
    ]:
        status = http_status(url, user, "guest" if user else "")
        if not (isinstance(status, int) and 200 <= status < 400):
            problems.append(f"{name}: GET {url} -> {status}")
    if not stack.nagios.command_file.is_fifo():
        problems.append(f"nagios: no command pipe at {stack.nagios.command_file}")
    if not stack.keystone_password_file.is_file():
        problems.append(f"keystone: no password file at {stack.keystone_password_file}")
    return problems


def _load() -> tuple[Stack | None, list[str]]:
    env_file = STACK_DIR / "stack.env"
    if not env_file.is_file():
        return None, [f"{env_file} does not exist"]
    try:
        stack = stack_from_env(parse_stack_env(env_file))
    except ValueError as e:
        return None, [f"{env_file}: {e}"]
    return stack, down_services(stack)


def ensure_stack() -> Stack | str:
    """The running stack, or why it is not usable (after one `deploy/local-stack up`)."""
    stack, problems = _load()
    if stack is not None and not problems:
        return stack
    try:
        proc = subprocess.run(
            [str(LOCAL_STACK), "up"],
            capture_output=True,
            text=True,
            timeout=UP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"`{LOCAL_STACK} up` did not finish in {UP_TIMEOUT_S}s; was: {'; '.join(problems)}"
    stack, problems = _load()
    if stack is not None and not problems:
        return stack
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
    return (
        f"local stack not usable after `{LOCAL_STACK} up` (rc={proc.returncode}):\n  "
        + "\n  ".join(problems)
        + f"\nlogs: {STACK_DIR / 'logs'}\n--- output tail ---\n{tail}"
    )


def _is_integration(item: pytest.Item) -> bool:
    return _INTEGRATION_DIR in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_integration(item):
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Bring the stack up before the first test: outside any test's timeout."""
    if session.config.option.collectonly or not any(map(_is_integration, session.items)):
        return
    session.config.stash[_STACK_KEY] = ensure_stack()


@pytest.fixture(scope="session")
def stack(pytestconfig: pytest.Config) -> Stack:
    result = pytestconfig.stash.get(_STACK_KEY, None)
    if result is None:
        result = ensure_stack()
        pytestconfig.stash[_STACK_KEY] = result
    if isinstance(result, str):
        pytest.fail(result, pytrace=False)
    return result


def rabbit_mgmt(stack: Stack, method: str, path: str, body: Any = None) -> Any:
    """One call to the RabbitMQ management HTTP API as guest; JSON in and out."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{stack.rabbit_mgmt_url}{path}", data=data, method=method)
    req.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


@pytest.fixture(scope="session")
def rabbit_api(stack: Stack) -> Callable[..., Any]:
    """rabbit_api(method, path, body=None): the management HTTP API as guest, JSON in and out."""

    def call(method: str, path: str, body: Any = None) -> Any:
        return rabbit_mgmt(stack, method, path, body)

    return call


CREATED_VHOSTS: list[str] = []
"""Vhosts ``rabbit_vhost`` made in this run (other runs on the same broker make their own)."""


@pytest.fixture
def rabbit_vhost(stack: Stack) -> Iterator[str]:
    """A fresh RabbitMQ vhost with full guest permissions; yields its transport URL."""
    vhost = f"osmon-test-{uuid.uuid4().hex[:12]}"
    CREATED_VHOSTS.append(vhost)
    quoted = urllib.parse.quote(vhost, safe="")
    rabbit_mgmt(stack, "PUT", f"/api/vhosts/{quoted}", {})
    try:
        rabbit_mgmt(
            stack,
            "PUT",
            f"/api/permissions/{quoted}/guest",
            {"configure": ".*", "write": ".*", "read": ".*"},
        )
        yield f"{stack.rabbit_url.rstrip('/')}/{vhost}"
    finally:
        rabbit_mgmt(stack, "DELETE", f"/api/vhosts/{quoted}")


@pytest.fixture
def redis_url(stack: Stack) -> Iterator[str]:
    """The stack's Redis with a namespace of this test's own (tooz keys beats per namespace)."""
    import redis

    namespace = f"osmon-test-{uuid.uuid4().hex[:12]}"
    base = stack.redis_url.split("?")[0]
    yield f"{base}?namespace={namespace}"
    client = redis.Redis.from_url(base)
    keys = list(client.scan_iter(match=f"{namespace}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session")
def gnocchi_session(stack: Stack) -> Any:
    """keystoneauth1 Session authenticating to Gnocchi with HTTP Basic as admin."""
    from gnocchiclient import auth as gnocchi_auth
    from keystoneauth1 import session as ks_session

    plugin = gnocchi_auth.GnocchiBasicPlugin(user=stack.gnocchi_user, endpoint=stack.gnocchi_url)
    return ks_session.Session(auth=plugin, timeout=30)


@pytest.fixture(scope="session")
def gnocchi_client(gnocchi_session: Any) -> Any:
    from gnocchiclient.v1 import client as gnocchi_v1

    return gnocchi_v1.Client(session=gnocchi_session)


@pytest.fixture(scope="session")
def aodh_client(stack: Stack) -> Any:
    """aodhclient v2 (noauth) as an admin of AODH_PROJECT_ID."""
    from aodhclient import client as aodh
    from aodhclient import noauth
    from keystoneauth1 import session as ks_session

    plugin = noauth.AodhNoAuthPlugin(
        user_id=AODH_USER_ID, project_id=AODH_PROJECT_ID, roles="admin", endpoint=stack.aodh_url
    )
    return aodh.Client("2", session=ks_session.Session(auth=plugin, timeout=30))


@pytest.fixture(scope="session")
def keystone_session(stack: Stack) -> Any:
    """keystoneauth1 Session with password auth as the bootstrap admin (project admin)."""
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3

    auth = v3.Password(
        auth_url=stack.keystone_url,
        username=stack.keystone_admin_user,
        password=stack.keystone_password,
        project_name=stack.keystone_admin_project,
        user_domain_id=stack.keystone_user_domain_id,
        project_domain_id=stack.keystone_project_domain_id,
    )
    return ks_session.Session(auth=auth, timeout=30)


@pytest.fixture(scope="session")
def prometheus_url(stack: Stack) -> str:
    return stack.prometheus_url


@pytest.fixture(scope="session")
def pushgateway_url(stack: Stack) -> str:
    return stack.pushgateway_url


@pytest.fixture(scope="session")
def nagios(stack: Stack) -> NagiosPaths:
    return stack.nagios
