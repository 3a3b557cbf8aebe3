"""A private systemd-journald for tests: its own sockets and journal files under a temporary
directory, the machine's journal untouched.

journald only knows fixed paths (sockets in /run/systemd/journal/, files in /run/log/journal/ or
/var/log/journal/, settings in /etc/systemd/journald.conf). So it runs in a mount namespace of
its own (``unshare --mount``) where /run, /etc/systemd and /var/log/journal are private and its
socket and file directories are bind mounts of ``base/run`` and ``base/files``: the test reaches
its sockets and reads its files from outside, and tools that only know the fixed paths
(``systemd-cat``) reach it when started inside the namespace (``nsenter``). This works without
systemd as PID 1 (COMPONENTS.md §13); it needs root, for the mounts.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

JOURNALD = Path("/lib/systemd/systemd-journald")

# Volatile storage in the private /run/log/journal; no kernel messages, nothing forwarded: the
# journal holds what the test wrote plus journald's own start-up lines.
CONF = """[Journal]
Storage=volatile
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
"""

START = r"""
set -eu
base=$1
mount -t tmpfs -o mode=0755 osmon-journal /run
mkdir -p /run/systemd/journal /run/log/journal
mount --bind "$base/run" /run/systemd/journal
mount --bind "$base/files" /run/log/journal
mount -t tmpfs -o mode=0755 osmon-journal /etc/systemd
cp "$base/journald.conf" /etc/systemd/journald.conf
if [ -d /var/log/journal ]; then mount -t tmpfs osmon-journal /var/log/journal; fi
exec "$2"
"""


class JournaldError(RuntimeError):
    pass


class PrivateJournald:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def directory(self) -> Path:
        """The journal files (for ``journalctl --directory``)."""
        return self.base / "files"

    @property
    def native_socket(self) -> Path:
        return self.base / "run" / "socket"

    @property
    def syslog_socket(self) -> Path:
        return self.base / "run" / "dev-log"

    @property
    def log(self) -> Path:
        return self.base / "journald.log"

    def start(self, timeout: float = 15.0) -> PrivateJournald:
        if os.geteuid() != 0:
            raise JournaldError("a private journald needs root (mount namespace, bind mounts)")
        if not JOURNALD.exists():
            raise JournaldError(f"{JOURNALD} not found (apt-get install systemd)")
        for sub in ("run", "files"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (self.base / "journald.conf").write_text(CONF)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    START,
                    "start",
                    str(self.base),
                    str(JOURNALD),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise JournaldError(
                    f"journald exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                )
            if self.native_socket.exists() and any(self.directory.glob("*/system.journal")):
                return self
            time.sleep(0.05)
        self.stop()
        raise JournaldError(f"journald not ready within {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    # -- writing -------------------------------------------------------------------------------

    def send(self, message: str | bytes, **fields: str | bytes) -> None:
        """One entry over the native protocol (what sd_journal_send does); _PID is this process."""
        body = b"".join(_field(k, v) for k, v in {"MESSAGE": message, **fields}.items())
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(body, str(self.native_socket))

    def cat(self, text: str, identifier: str, priority: str) -> int:
        """Lines through ``systemd-cat`` (the stdout stream transport); returns its pid."""
        assert self.proc is not None
        proc = subprocess.Popen(
            [
                "nsenter",
                f"--mount=/proc/{self.proc.pid}/ns/mnt",
                "systemd-cat",
                "-t",
                identifier,
                "-p",
                priority,
            ],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _, err = proc.communicate(text.encode(), timeout=30)
        if proc.returncode:
            raise JournaldError(f"systemd-cat exited with {proc.returncode}: {err.decode()}")
        return proc.pid

    def logger(self, message: str, tag: str, priority: str) -> int:
        """One syslog message through ``logger`` (the syslog transport); returns its pid."""
        proc = subprocess.Popen(
            ["logger", "--socket", str(self.syslog_socket), "-t", tag, "-p", priority, message],
            stderr=subprocess.PIPE,
        )
        _, err = proc.communicate(timeout=30)
        if proc.returncode:
            raise JournaldError(f"logger exited with {proc.returncode}: {err.decode()}")
        return proc.pid

    # -- reading -------------------------------------------------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        """Every entry of the journal, as ``journalctl -o json`` gives it."""
        out = subprocess.run(
            ["journalctl", f"--directory={self.directory}", "-o", "json", "--all", "--no-pager"],
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
        return [json.loads(line) for line in out.splitlines()]

    def wait_for(self, count: int, timeout: float = 15.0, **match: str) -> list[dict[str, Any]]:
        """The entries whose fields equal ``match``, once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.entries() if all(e.get(k) == v for k, v in match.items())]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} entries {match} in the journal")
            time.sleep(0.05)


def _field(key: str, value: str | bytes) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    if b"\n" in data:
        return key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
    return key.encode() + b"=" + data + b"\n"
