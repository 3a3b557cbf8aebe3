"""The wheel as a user gets it: built, installed into a fresh venv outside the checkout, and
run from an empty directory with an empty environment (``env -i HOME=<tmp> PATH=/usr/bin:/bin``).

The wheel is built from a clean copy of ``pyproject.toml``, ``README.md`` and ``src/`` (no
``build/`` leftovers or ``*.egg-info`` can leak in); its file list is written to
``wheel-files.txt`` beside it. Every input the commands get is copied into the temporary
directory first, so nothing can be read from the checkout by accident.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DATA = ROOT / "src" / "osmon" / "data"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

NOVA_API_LOG = """\
2024-02-14 16:46:00.101 4242 INFO nova.osapi_compute.wsgi.server [None req-5f7c2e1a-3d9b-4c1e-8f2a-1b2c3d4e5f60 9c1b7a2e4d3f4a5b8c6d7e8f9a0b1c2d 4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b - default default] 10.0.0.5 "GET /v2.1/servers/detail HTTP/1.1" status: 200 len: 1843 time: 0.1234567
2024-02-14 16:46:01.202 4242 WARNING nova.api.openstack.wsgi [None req-6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d 9c1b7a2e4d3f4a5b8c6d7e8f9a0b1c2d 4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b - default default] Flavor m1.huge could not be found.
2024-02-14 16:46:02.303 4242 ERROR nova.api.openstack.wsgi [None req-7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e 9c1b7a2e4d3f4a5b8c6d7e8f9a0b1c2d 4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b - default default] Unexpected exception in API method: ValueError: boom
2024-02-14 16:46:02.303 4242 ERROR nova.api.openstack.wsgi Traceback (most recent call last):
2024-02-14 16:46:02.303 4242 ERROR nova.api.openstack.wsgi   File "/usr/lib/python3/dist-packages/nova/api/openstack/wsgi.py", line 658, in wrapped
2024-02-14 16:46:02.303 4242 ERROR nova.api.openstack.wsgi     return f(*args, **kwargs)
2024-02-14 16:46:02.303 4242 ERROR nova.api.openstack.wsgi ValueError: boom
2024-02-14 16:46:03.404 4242 INFO nova.api.openstack.requestlog [req-8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e1f - - - - -] 10.0.0.6 "POST /v2.1/servers" status: 202 len: 512 microversion: 2.79 time: 0.456789
"""  # noqa: E501 (real oslo.log lines of nova-api, a traceback included)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    build_log: Path
    names: list[str]
    listing: Path
    venv: Path
    work: Path
    home: Path

    @property
    def osmon(self) -> str:
        return str(self.venv / "bin" / "osmon")

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.work,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "PATH": "/usr/bin:/bin"}

    def site_file(self, relative: str) -> Path:
        (found,) = self.venv.glob(f"lib/python3*/site-packages/osmon/{relative}")
        return found


def _check(cmd: list[str], cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(cmd)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    top = tmp_path_factory.mktemp("wheel")
    source = top / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=junk)
    dist = top / "dist"
    build = _check(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(dist), "."], source
    )
    (top / "build.log").write_text(build)
    (wheel,) = dist.glob("osmon-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = sorted(zf.namelist())
    listing = top / "wheel-files.txt"
    listing.write_text("".join(f"{n}\n" for n in names))
    venv = top / "venv"
    # A venv of its own, filled by this interpreter's pip (no pip bootstrap in it: faster).
    _check([sys.executable, "-m", "venv", "--without-pip", str(venv)], top)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    _check([*pip, "install", "-q", str(wheel)], top)
    work, home = top / "work", top / "home"
    work.mkdir()
    home.mkdir()
    yield Installed(wheel, top / "build.log", names, listing, venv, work, home)
    # pytest keeps the last temporary directories: keep the wheel, its file list and the logs.
    shutil.rmtree(venv)
    shutil.rmtree(source)


def test_the_installed_package_is_the_wheel(installed: Installed) -> None:
    done = installed.run(
        str(installed.venv / "bin" / "python"), "-c", "import osmon; print(osmon.__file__)"
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(installed.venv), done.stdout


def test_wheel_files(installed: Installed) -> None:
    see = f"(file list: {installed.listing})"
    names = set(installed.names)
    data = {
        f"osmon/data/{p.relative_to(SOURCE_DATA).as_posix()}"
        for p in SOURCE_DATA.rglob("*")
        if p.is_file()
    }
    required = {
        "osmon/py.typed",
        "osmon/data/default.yaml",
        "osmon/data/local.yaml",
        "osmon/data/meters.yaml",
        "osmon/data/patterns/osmon-openstack",
    }
    assert required <= names, f"missing from the wheel: {sorted(required - names)} {see}"
    assert data <= names, f"data files missing from the wheel: {sorted(data - names)} {see}"
    modules = {
        f"osmon/{p.relative_to(ROOT / 'src' / 'osmon').as_posix()}"
        for p in (ROOT / "src" / "osmon").rglob("*.py")
    }
    assert modules == {n for n in names if n.endswith(".py")}, see
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"osmon", f"osmon-{VERSION}.dist-info"}, f"{tops} {see}"
    leftovers = [n for n in names if "__pycache__" in n or n.endswith((".pyc", "~")) or "/." in n]
    assert not leftovers, f"{leftovers} {see}"


def test_the_build_is_free_of_deprecations(installed: Installed) -> None:
    build = installed.build_log.read_text()
    assert "eprecat" not in build, f"see {installed.build_log}"


def test_version(installed: Installed) -> None:
    done = installed.run(installed.osmon, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"osmon, version {VERSION}"


def test_nagios_plugins_are_console_scripts(installed: Installed) -> None:
    from osmon.checks.plugins import PLUGINS

    for name in PLUGINS:
        done = installed.run(str(installed.venv / "bin" / name), "--version")
        assert (done.returncode, done.stdout.split(" ")[0], done.stderr) == (3, name, ""), done
    done = installed.run(str(installed.venv / "bin" / "check_osmon"), "-p", "1")
    assert done.returncode == 2 and done.stdout.startswith("OSMON CRITICAL - "), done


@pytest.mark.parametrize("name", ["inventory.yaml", "local.yaml"])
def test_inventory_validate_examples(installed: Installed, name: str) -> None:
    target = installed.work / name
    shutil.copyfile(ROOT / "examples" / name, target)  # follows examples/local.yaml's link
    done = installed.run(installed.osmon, "inventory", "validate", name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{name}: OK ("), done.stdout
    assert " hosts, " in done.stdout and done.stderr == ""


def test_logs_parse(installed: Installed) -> None:
    (installed.work / "nova-api.log").write_text(NOVA_API_LOG)
    done = installed.run(installed.osmon, "logs", "parse", "nova-api.log")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # every line parsed: no _grokparsefailure report
    docs = [json.loads(line) for line in done.stdout.splitlines()]
    assert [d["log"]["level"] for d in docs] == ["INFO", "WARNING", "ERROR", "INFO"]
    assert {d["service"]["name"] for d in docs} == {"nova-api"}
    assert docs[0]["http"]["response"]["status_code"] == 200
    assert docs[0]["url"]["path"] == "/v2.1/servers/detail"
    assert docs[1]["openstack"]["request_id"] == "req-6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d"
    assert docs[2]["error"]["type"] == "ValueError"
    assert docs[2]["error"]["stack_trace"].startswith("Traceback (most recent call last):")
    assert docs[3]["openstack"]["microversion"] == "2.79"


def test_notifications_convert(installed: Installed) -> None:
    name = "cinder-volume.create.end.json"
    shutil.copyfile(
        ROOT / "tests" / "fixtures" / "notifications" / "legacy" / name, installed.work / name
    )
    done = installed.run(installed.osmon, "notifications", "convert", name)
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    out = json.loads(line)
    assert out["exchange"] == "cinder"
    assert out["event"][0] == "volume.create.end"
    sample = out["samples"][0]
    assert sample[:2] == ["volume.size", 10.0]
    assert sample[3:5] == ["GiB", "gauge"]  # Ceilometer's unit


def test_logs_ship_into_a_jsonl_sink(installed: Installed) -> None:
    (installed.work / "nova-api.log").write_text(NOVA_API_LOG)
    shutil.copyfile(ROOT / "examples" / "local.yaml", installed.work / "ship-inventory.yaml")
    (installed.work / "ship.yaml").write_text(
        "inventory: ship-inventory.yaml\nstate_dir: ship-state\nhostname: localhost\n"
        "sinks: {archive: {type: jsonl, path: archive.jsonl}}\nroutes: {log: [archive]}\n"
    )
    done = installed.run(
        installed.osmon, "logs", "ship", "-c", "ship.yaml", "--no-progress", "nova-api.log"
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"entries:\s+4\n", done.stdout), done.stdout
    assert re.search(r"unparsed:\s+0\n", done.stdout), done.stdout
    lines = (installed.work / "ship-state" / "archive.jsonl").read_text().splitlines()
    docs = [json.loads(line)["record"][0] for line in lines]
    assert [d["log"]["level"] for d in docs] == ["INFO", "WARNING", "ERROR", "INFO"]


def test_notifications_check_shipped_meters(installed: Installed) -> None:
    done = installed.run(installed.osmon, "notifications", "check")
    assert done.returncode == 0, done.stderr
    meters, events = done.stdout.strip().split(", ")
    assert meters.endswith(" meter definitions OK") and int(meters.split()[0]) > 0, done.stdout
    assert events.endswith(" event definitions OK") and int(events.split()[0]) > 0, done.stdout


def test_generators_match_the_checked_in_output(installed: Installed) -> None:
    """The wheel's generators write, byte for byte, what the repository carries."""
    examples = installed.work / "examples"
    examples.mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "examples" / "inventory.yaml", examples / "inventory.yaml")
    inventory = "examples/inventory.yaml"
    for args in (["logstash", "-o", "logstash/pipelines"], ["kibana", "-o", "kibana/osmon.ndjson"]):
        done = installed.run(installed.osmon, "generate", args[0], "-i", inventory, *args[1:])
        assert done.returncode == 0, done.stderr
    for folder in ("logstash/pipelines", "kibana"):
        expected = {
            p.relative_to(ROOT / folder).as_posix(): p.read_bytes()
            for p in (ROOT / folder).rglob("*")
            if p.is_file()
        }
        written = {
            p.relative_to(installed.work / folder).as_posix(): p.read_bytes()
            for p in (installed.work / folder).rglob("*")
            if p.is_file()
        }
        assert written.keys() == expected.keys(), folder
        assert [n for n in written if written[n] != expected[n]] == [], folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _metrics(port: int, proc: subprocess.Popen[str], log: Path) -> str:
    """GET /metrics once the listener answers (or fail with the daemon's log)."""
    for _ in range(600):
        if proc.poll() is not None:
            pytest.fail(f"osmon run exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                return str(r.read().decode())
        except OSError:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.1)  # a pause that ends early if the daemon exits
    pytest.fail(f"osmon run never served /metrics on {port}:\n{log.read_text()}")


def test_run_serves_metrics_and_stops_on_sigterm(installed: Installed) -> None:
    port = _free_port()
    log = installed.work / "run.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [installed.osmon, "run", "--port", str(port)],
            cwd=installed.work,
            env=installed.env(),
            stdout=err,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        body = _metrics(port, proc, log)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert code == 0, text
    assert f'osmon_build_info{{version="{VERSION}"}} 1.0' in body, body[:2000]
    assert "# TYPE osmon_source_records" in body, body[:2000]
    # The embedded default's sources started from packaged data (the logs source compiles the
    # shipped patterns; the notifications source loads the shipped meters).
    assert "source logs failed" not in text and "PackagedDataError" not in text, text
    assert (installed.home / ".local" / "state" / "osmon").is_dir(), text


def test_a_file_missing_from_the_installation_is_one_line(installed: Installed) -> None:
    (installed.work / "nova-api.log").write_text(NOVA_API_LOG)
    pattern = installed.site_file("data/patterns/osmon-openstack")
    hidden = pattern.with_name(".hidden")
    pattern.rename(hidden)
    try:
        done = installed.run(installed.osmon, "logs", "parse", "nova-api.log")
    finally:
        hidden.rename(pattern)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert "osmon/data/patterns/osmon-openstack is missing" in line, line
    assert str(pattern) in line, line


def test_nagios_status_reads_a_status_file(installed: Installed) -> None:
    """pynag (an sdist) installs with the wheel and reads Nagios 4's format."""
    status = installed.work / "status.dat"
    status.write_text(
        "info {\n\tversion=4.4.6\n\t}\n"
        "servicestatus {\n\thost_name=ctl1\n\tservice_description=nova-api api\n"
        "\thas_been_checked=1\n\tcurrent_state=2\n\tplugin_output=refused\n\t}\n"
    )
    done = installed.run(installed.osmon, "nagios", "status", "--status-file", str(status),
                         "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert (row["host"], row["service"], row["state"]) == ("ctl1", "nova-api api", "CRITICAL")
    done = installed.run(installed.osmon, "nagios", "status", "--status-file", "nowhere.dat")
    assert done.returncode == 1 and done.stderr.strip().endswith("nowhere.dat: does not exist")
