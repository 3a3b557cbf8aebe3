"""Start and stop ``osmon run`` as a real subprocess for end-to-end tests."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

OSMON = [sys.executable, "-m", "osmon"]
_LISTENING = re.compile(r"listening on \[\('([^']+)', (\d+)\)")


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


class DaemonProc:
    def __init__(
        self,
        args: list[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        log: Path | None = None,
    ) -> None:
        self.log_path = log
        out = log.open("ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [*OSMON, "run", *args],
            env={**os.environ, **(env or {})},
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def wait_http(self, url: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"osmon exited early with {self.proc.returncode}: {self.log()}"
                )
            try:
                status, _, _ = http_get(url, timeout=1.0)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{url} not served within {timeout}s: {self.log()}")

    def wait_listening(self, timeout: float = 30.0) -> str:
        """The base URL the daemon logged (``listening on [(host, port)]``), for ``--port 0``."""
        assert self.log_path is not None, "start the daemon with a log file to read its port"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _LISTENING.search(self.log_path.read_text(errors="replace"))
            if found:
                return f"http://{found[1]}:{found[2]}"
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"osmon exited early with {self.proc.returncode}: {self.log()}"
                )
            time.sleep(0.1)
        raise AssertionError(f"osmon logged no listening address within {timeout}s: {self.log()}")

    def status(self, base: str) -> dict[str, Any]:
        _, body, _ = http_get(base + "/status")
        result: dict[str, Any] = json.loads(body)
        return result

    def log(self) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(errors="replace")[-4000:]
        return ""

    def terminate(self, timeout: float = 10.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait(5)
