"""The process probe against real processes this test starts, named the ways services run."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from osmon.checks.state import State
from osmon.inventory import Threshold
from osmon.probes import ProbeContext
from osmon.probes.process import count, matches, probe, stem
from osmon.probes.runner import run_probe
from tests.unit.probes.conftest import target

SLEEPER = "import sys, time; sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(300)"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("/usr/bin/nova-api", "nova-api"),
        ("/etc/nova/nova-api-uwsgi.ini", "nova-api"),
        ("nova-api.py", "nova-api"),
        ("[keystone_wsgi:application]", "keystone"),
        ("gnocchi-metricd:", "gnocchi-metricd"),
        ("[/opt/venv/bin/aodh-evaluator", "aodh-evaluator"),
        ("--config-file=/etc/nova/nova.conf", "nova.conf"),
        ("python3", "python3"),
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("name", "cmdline", "counted"),
    [
        ("nova-api", ["/usr/bin/python3", "/usr/bin/nova-api"], True),
        ("python3", ["/usr/bin/python3", "/usr/bin/nova-api", "--config-file", "x"], True),
        ("uwsgi", ["/usr/bin/uwsgi_python3", "--ini", "/etc/nova/nova-api-uwsgi.ini"], True),
        ("nova-api: maste", ["nova-api: master process [/usr/bin/nova-api]", "", ""], True),
        ("python3", ["/usr/bin/python3", "/usr/bin/nova-api-metadata"], False),
        ("python3", ["/usr/bin/python3", "-m", "http.server", "--", "/srv/nova-api"], False),
        ("vim", None, False),  # cmdline not readable
    ],
)
def test_matching_rule(name: str, cmdline: list[str] | None, counted: bool) -> None:
    assert matches({"nova-api"}, name, cmdline) is counted


class Processes:
    """Children started with a chosen argv or name; all killed at teardown."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.children: list[subprocess.Popen[bytes]] = []

    def start(self, argv0: str, *args: str, script: bool = False) -> subprocess.Popen[bytes]:
        """``exec -a argv0 python3 <args>`` running a sleeper: argv is what ``ps`` shows."""
        if script:
            args = (*args[:-1], self._script(args[-1]))
        python = [sys.executable, *args] if args else [sys.executable, "-c", SLEEPER]
        shell = 'exec -a "$0" "$@"'
        child = subprocess.Popen(
            ["bash", "-c", shell, argv0, *python],
            stdin=subprocess.PIPE if "-" in args else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )
        if child.stdin is not None:
            child.stdin.write(SLEEPER.encode())
            child.stdin.close()
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        self.children.append(child)
        return child

    def _script(self, name: str) -> str:
        path = self.tmp / name
        path.write_text(SLEEPER)
        return str(path)

    def stop(self) -> None:
        for child in self.children:
            child.kill()
            child.wait()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    yield started
    started.stop()


async def test_counts_real_processes_however_they_are_named(
    processes: Processes, ctx: ProbeContext
) -> None:
    name = f"osmon-test-{uuid.uuid4().hex[:8]}"
    # argv[0] is the name (exec -a, as a supervisor may start it)
    processes.start(name)
    processes.start(f"/usr/bin/{name}")
    # an interpreter running the service's script, as `python3 /usr/bin/nova-api` runs
    processes.start("python3", "-u", name, script=True)
    # uwsgi with the service's ini file: `uwsgi_python3 - --ini /etc/<svc>/<svc>-uwsgi.ini`
    processes.start("/usr/bin/uwsgi_python3", "-", "--ini", f"/etc/osmon/{name}-uwsgi.ini")
    # not it: a longer name, and the name too late in the command line
    processes.start(f"{name}-metadata")
    processes.start("python3", "-c", SLEEPER, "--name", name)

    assert count([name]) == 4
    t = target("process", processes=(name,), thresholds={"process_count": Threshold(None, "1:")})
    result = await run_probe(t, probe, ctx)
    assert (result.state, result.summary) == (State.OK, f"4 processes ({name})")
    assert {m.series_name: m.value for m in result.metrics}["osmon_probe_process_count"] == 4.0


async def test_none_running_is_critical_by_the_catalog_threshold(
    processes: Processes, ctx: ProbeContext
) -> None:
    name = f"osmon-test-{uuid.uuid4().hex[:8]}"
    child = processes.start(name)
    t = target("process", processes=(name,), thresholds={"process_count": Threshold(None, "1:")})
    assert (await run_probe(t, probe, ctx)).summary == f"1 process ({name})"
    child.kill()
    child.wait()
    result = await run_probe(t, probe, ctx)
    assert (result.state, result.summary) == (
        State.CRITICAL,
        f"0 processes ({name}); process_count 0 outside 1: (CRITICAL)",
    )


def test_zombies_do_not_count(processes: Processes) -> None:
    name = f"osmon-z{uuid.uuid4().hex[:6]}"  # comm: at most 15 characters
    rename = f"open('/proc/self/comm', 'w').write('{name}')"
    alive = subprocess.Popen([sys.executable, "-c", f"{rename}; {SLEEPER}"], stdout=subprocess.PIPE)
    processes.children.append(alive)
    assert alive.stdout is not None and alive.stdout.readline() == b"ready\n"
    zombie = subprocess.Popen([sys.executable, "-c", rename])
    processes.children.append(zombie)
    stat = Path(f"/proc/{zombie.pid}/stat")
    deadline = time.monotonic() + 30  # a bounded wait, not a timing assertion
    while not stat.read_text().split(") ")[1].startswith("Z"):  # a zombie until reaped in stop()
        assert time.monotonic() < deadline, "the child did not exit"
        time.sleep(0.01)
    assert count([name]) == 1


async def test_nothing_to_look_for_is_unknown(ctx: ProbeContext) -> None:
    result = await run_probe(target("process"), probe, ctx)
    assert (result.state, result.summary) == (State.UNKNOWN, "no process names to look for")
