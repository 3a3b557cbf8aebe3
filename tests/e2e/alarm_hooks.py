"""Alarm webhook test helpers: Aodh-shaped bodies, POSTing them, a hook to forward to."""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

SECRET = "e2e-alarm-secret-0123456789"


def aodh_body(name: str, current: str = "alarm", severity: str = "critical") -> dict[str, Any]:
    return {
        "alarm_name": name,
        "alarm_id": "11111111-2222-4333-8444-555555555555",
        "severity": severity,
        "previous": "insufficient data",
        "current": current,
        "reason": "Transition to alarm due to 1 samples outside threshold, most recent: 95.0",
        "reason_data": {"type": "threshold", "disposition": "outside", "count": 1},
    }


def post(url: str, body: Any, timeout: float = 5.0) -> int:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class Hook:
    """An HTTP hook on a fixed port that records the JSON bodies POSTed to it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[dict[str, Any]] = []
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(n)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def wait_until(cond: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = cond()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
