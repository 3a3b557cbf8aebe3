"""sd_notify datagrams, received on real AF_UNIX sockets (path and abstract namespace)."""

from __future__ import annotations

import ast
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from osmon import sdnotify


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[socket.socket]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify"))
        sock.settimeout(5)
        yield sock


def test_unset_socket_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.ready() is False
    assert sdnotify.stopping() is False


def test_ready_with_status_to_a_path_socket(
    receiver: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", receiver.getsockname())
    assert sdnotify.ready("listening on 127.0.0.1:9790") is True
    assert receiver.recv(4096) == b"READY=1\nSTATUS=listening on 127.0.0.1:9790"
    assert sdnotify.stopping() is True
    assert receiver.recv(4096) == b"STOPPING=1"


def test_reloading_carries_the_monotonic_clock_to_an_abstract_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = f"osmon-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        assert sdnotify.reloading() is True
        after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        first, second = sock.recv(4096).decode().split("\n")
    assert first == "RELOADING=1"
    key, _, usec = second.partition("=")
    assert key == "MONOTONIC_USEC" and before <= int(usec) <= after


@pytest.mark.parametrize("value", ["relative/path", "/nonexistent/osmon-notify", "@"])
def test_unreachable_socket_never_raises(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", value)
    assert sdnotify.ready() is False
    assert sdnotify.reloading() is False


def test_imports_only_the_standard_library() -> None:
    """Kept a leaf so that anything (a Nagios plugin, a tool) can import it cheaply."""
    tree = ast.parse(Path(sdnotify.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert {n.split(".")[0] for n in names} <= set(sys.stdlib_module_names) | {"__future__"}
