"""The Ansible role deploy/ansible/roles/osmon, run for real against this machine.

ansible-core and ansible-lint come from PyPI into their own venv (``deploy/tools/ansible-venv``,
idempotent), not from the project's dev extras. The playbook runs with ``-c local -i localhost,``
into a temporary prefix: it builds nothing outside it but the wheel of this worktree, installs
osmon from that wheel into ``<prefix>/opt/osmon/venv`` and renders the files, which are then
checked. PID 1 is not systemd on the test machines, so the role leaves the service alone there
(it says so in a debug message, asserted below); enabling, starting and the reload/restart
handlers are not exercised here. No test skips: a missing tool fails.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "deploy" / "ansible"
EXAMPLE_VARS = ANSIBLE_DIR / "group_vars" / "controllers.yml"
PASSWORD = f"test-{uuid.uuid4().hex}"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A broker address that refuses connections: the deployed daemon starts without a RabbitMQ.
SECRET = f"rabbit://osmon:{PASSWORD}@127.0.0.1:{_closed_port()}/"
# The Debian interpreter, as on a real target (interpreter discovery finds a pyenv shim here).
TARGET_PYTHON = "/usr/bin/python3"


@dataclass
class Run:
    rc: int
    out: str

    def recap(self) -> dict[str, int]:
        m = re.search(r"localhost\s*:\s*(ok=.*)", self.out)
        assert m, self.out[-3000:]
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}


@pytest.fixture(scope="module")
def ansible_bin() -> Path:
    result = subprocess.run(
        [str(REPO / "deploy" / "tools" / "ansible-venv")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a clean copy of pyproject.toml, README.md and src/ (as tests/package does), so
    no build/ or egg-info appears in the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(
        REPO / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), src],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = (tmp / "dist").glob("osmon-*.whl")
    return built


def _playbook(tmp: Path, vars_files: list[Path], overrides: dict[str, object]) -> Path:
    (tmp / "overrides.yml").write_text(yaml.safe_dump(overrides))
    play = [
        {
            "name": "Deploy osmon into a temporary prefix",
            "hosts": "all",
            "gather_facts": False,
            "vars_files": [str(p) for p in vars_files] + [str(tmp / "overrides.yml")],
            "roles": [{"role": "osmon"}],
        }
    ]
    path = tmp / "playbook.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    return path


def _run(bin_dir: Path, playbook: Path) -> Run:
    env = {
        **os.environ,
        "ANSIBLE_ROLES_PATH": str(ANSIBLE_DIR / "roles"),
        "ANSIBLE_HOME": str(playbook.parent / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(playbook.parent / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
    }
    result = subprocess.run(
        [str(bin_dir / "ansible-playbook"), "-c", "local", "-i", "localhost,", str(playbook)],
        cwd=playbook.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return Run(result.returncode, result.stdout + result.stderr)


def _base_overrides(prefix: Path) -> dict[str, object]:
    return {
        "osmon_prefix": str(prefix),
        "osmon_create_user": False,
        "osmon_user": "root",
        "osmon_group": "root",
        "osmon_python": TARGET_PYTHON,
        "ansible_python_interpreter": TARGET_PYTHON,
    }


@dataclass
class Deployed:
    prefix: Path
    first: Run
    second: Run


@pytest.fixture(scope="module")
def deployed(
    ansible_bin: Path, wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    """The example group_vars of the 3-controller playbook, with the test's prefix, wheel and
    secret; run twice."""
    assert not Path("/run/systemd/system").is_dir(), "PID 1 is systemd: would manage the service"
    tmp = tmp_path_factory.mktemp("ansible")
    prefix = tmp / "prefix"
    overrides = {
        **_base_overrides(prefix),
        "osmon_wheel": str(wheel),
        "osmon_transport_url": SECRET,
        "osmon_environment": {"OSMON_ES_PASSWORD": "es-" + SECRET},
        # The example's Gnocchi sink needs a clouds.yaml this machine does not have.
        "osmon_sinks": {"prometheus": {"type": "prometheus"}},
        "osmon_routes": {"sample": ["prometheus"]},
    }
    playbook = _playbook(tmp, [EXAMPLE_VARS], overrides)
    first = _run(ansible_bin, playbook)
    assert first.rc == 0, first.out[-5000:]
    second = _run(ansible_bin, playbook)
    yield Deployed(prefix, first, second)


def test_ansible_lint_is_clean_with_the_production_profile(ansible_bin: Path) -> None:
    result = subprocess.run(
        [str(ansible_bin / "ansible-lint"), "--offline", "--profile", "production", "--nocolor"],
        cwd=ANSIBLE_DIR,
        env={**os.environ, "PATH": f"{ansible_bin}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-5000:]
    assert "Profile 'production' was required, and it passed" in out, out[-2000:]


def test_installs_osmon_and_renders_the_files(deployed: Deployed) -> None:
    p = deployed.prefix
    osmon = p / "opt/osmon/venv/bin/osmon"
    version = subprocess.run([str(osmon), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and "osmon" in version.stdout, version
    etc = p / "etc/osmon"
    cfg = yaml.safe_load((etc / "osmon.yaml").read_text())
    assert cfg["inventory"] == "inventory.yaml"
    assert cfg["state_dir"] == f"{p}/var/lib/osmon"
    assert cfg["sources"]["notifications"]["transport_url_env"] == "OSMON_TRANSPORT_URL"
    assert cfg["retry"] == {"attempts": 3, "maximum": 30}
    validate = subprocess.run(
        [str(osmon), "inventory", "validate", str(etc / "inventory.yaml")],
        capture_output=True,
        text=True,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "OK (3 hosts" in validate.stdout
    for name in ("osmon.yaml", "inventory.yaml"):
        assert stat.S_IMODE((etc / name).stat().st_mode) == 0o640


def test_secrets_only_in_the_root_only_env_file(deployed: Deployed, wheel: Path) -> None:
    p = deployed.prefix
    env = p / "etc/osmon/osmon.env"
    st = env.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0 and st.st_gid == 0
    lines = [line for line in env.read_text().splitlines() if not line.startswith("#")]
    assert lines == [f"OSMON_TRANSPORT_URL='{SECRET}'", f"OSMON_ES_PASSWORD='es-{SECRET}'"]
    assert (p / "opt/osmon" / wheel.name).is_file()  # osmon_wheel, copied from the controller
    rendered = [f for f in (p / "etc").rglob("*") if f.is_file() and f != env]
    assert len(rendered) == 4, rendered  # osmon.yaml, inventory.yaml, two units
    for f in rendered:
        assert PASSWORD not in f.read_text(), f
    assert PASSWORD not in deployed.first.out and PASSWORD not in deployed.second.out


def test_units_are_the_repository_units_and_pass_systemd_analyze(deployed: Deployed) -> None:
    """The rendered units differ from deploy/systemd/ only by the prefix and the test's user,
    and ``systemd-analyze verify`` accepts them as rendered (their ExecStart exists)."""
    units = deployed.prefix / "etc/systemd/system"
    for name in ("osmon.service", "osmon@.service"):
        text = (units / name).read_text()
        expected = (REPO / "deploy/systemd" / name).read_text()
        normalised = (
            text.replace(str(deployed.prefix), "")
            .replace("User=root\n", "User=osmon\n")
            .replace("Group=root\n", "Group=osmon\n")
        )
        assert normalised == expected, name
    analyze = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
    result = subprocess.run(
        [analyze, "verify", str(units / "osmon.service"), str(units / "osmon@test.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result


def test_service_left_alone_without_systemd_and_second_run_changes_nothing(
    deployed: Deployed,
) -> None:
    assert "systemd is not PID 1 here" in deployed.first.out
    assert deployed.first.recap()["changed"] > 0
    recap = deployed.second.recap()
    assert deployed.second.rc == 0 and recap["changed"] == 0 and recap["failed"] == 0, (
        deployed.second.out[-5000:]
    )


@pytest.mark.parametrize("secret", [None, ""], ids=["undefined", "empty"])
def test_missing_secret_fails_before_any_change_naming_it(
    ansible_bin: Path, tmp_path: Path, secret: str | None
) -> None:
    prefix = tmp_path / "prefix"
    overrides = {
        **_base_overrides(prefix),
        "osmon_package": "/nonexistent/osmon.whl",
        "osmon_inventory": {"version": 1},
    }
    if secret is not None:
        overrides["osmon_transport_url"] = secret
    run = _run(ansible_bin, _playbook(tmp_path, [], overrides))
    assert run.rc != 0
    assert "Missing secret variable(s): osmon_transport_url" in run.out, run.out[-3000:]
    assert run.recap()["changed"] == 0
    assert not prefix.exists()


def test_invalid_inventory_is_refused_and_the_installed_one_kept(
    deployed: Deployed, ansible_bin: Path, wheel: Path, tmp_path: Path
) -> None:
    """``osmon inventory validate`` runs on the rendered file before it replaces the old one."""
    inventory = deployed.prefix / "etc/osmon/inventory.yaml"
    before = inventory.read_text()
    overrides = {
        **_base_overrides(deployed.prefix),
        "osmon_wheel": str(wheel),
        "osmon_transport_url": SECRET,
        "osmon_inventory": {"version": 1, "cloud": {"name": "x"}, "hosts": {"h": {}}},
    }
    run = _run(ansible_bin, _playbook(tmp_path, [EXAMPLE_VARS], overrides))
    assert run.rc != 0
    assert "Render the inventory from osmon_inventory" in run.out
    assert "failed to validate" in run.out, run.out[-3000:]
    assert "missing required key 'address' in hosts.h" in run.out
    assert inventory.read_text() == before


def _env_file(path: Path) -> dict[str, str]:
    """NAME='value' lines, read the way systemd's EnvironmentFile= reads single quotes."""
    env = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert value.startswith("'") and value.endswith("'"), line
            env[name] = value[1:-1]
    return env


def test_the_deployed_daemon_runs_from_the_rendered_files(
    deployed: Deployed, tmp_path: Path
) -> None:
    """What ExecStart runs, with osmon.env as the environment: READY=1 on NOTIFY_SOCKET, the
    secret redacted in /status and absent from /metrics and the log, exit 0 on SIGTERM."""
    p = deployed.prefix
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
        **_env_file(p / "etc/osmon/osmon.env"),
    }
    cmd = [str(p / "opt/osmon/venv/bin/osmon"), "run", "-c", str(p / "etc/osmon/osmon.yaml")]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(env["NOTIFY_SOCKET"])
        sock.settimeout(30)
        log = tmp_path / "osmon.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*cmd, "--port", "0"], env=env, cwd="/", stdout=out, stderr=subprocess.STDOUT
            )
        try:
            try:
                ready = dict(f.split("=", 1) for f in sock.recv(4096).decode().split("\n"))
            except TimeoutError:
                raise AssertionError(f"no READY=1: {log.read_text()}") from None
            assert ready["READY"] == "1"
            base = "http://" + ready["STATUS"].removeprefix("listening on ").split()[0]
            status = _get(base + "/status")
            assert "rabbit://osmon:***@127.0.0.1:" in status
            assert PASSWORD not in status and PASSWORD not in _get(base + "/metrics")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    assert PASSWORD not in log.read_text()
    assert "Traceback" not in log.read_text()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        body: bytes = resp.read()
        return body.decode()
