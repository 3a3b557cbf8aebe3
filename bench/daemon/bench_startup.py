"""Seconds from ``osmon run`` to a served /metrics, and from SIGTERM to exit, against a bare
Python HTTP server started and stopped the same way in the same run.

The daemon runs on a free port with either a minimal configuration (Prometheus sink only, no
source, no backend: interpreter start, imports, config and inventory loading, spool opening and
the listener) or the embedded default (``osmon run`` with no -c: also the notifications and logs
sources and the Gnocchi sink, which reach the local stack when it runs). The baseline is
``python -c`` with ``http.server`` answering /metrics: the interpreter and a socket, nothing of
osmon. Runs alternate between the two; best of R each.
Usage: python bench/daemon/bench_startup.py [--repeat R] [--config minimal|embedded]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from osmon.config import default_config_path

BASELINE = r"""
import signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"up 1\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

server = HTTPServer(("127.0.0.1", 0), H)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
print(f"listening on [('127.0.0.1', {server.server_address[1]})]", file=sys.stderr, flush=True)
server.serve_forever()
"""

LISTENING = re.compile(r"listening on \[\('([^']+)', (\d+)\)")


def served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def measure(argv: list[str], log: Path, env: dict[str, str]) -> tuple[float, float]:
    """(seconds until /metrics answers 200, seconds from SIGTERM to exit)."""
    with log.open("wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            url = None
            while url is None or not served(url):
                if proc.poll() is not None:
                    raise SystemExit(f"{argv} exited: {log.read_text()[-2000:]}")
                found = url or LISTENING.search(log.read_text(errors="replace"))
                if isinstance(found, re.Match):
                    url = f"http://{found[1]}:{found[2]}/metrics"
                time.sleep(0.005)
            up = time.perf_counter() - t0
            t1 = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            if proc.wait(30) != 0:
                raise SystemExit(f"{argv} exited with {proc.returncode}")
            return up, time.perf_counter() - t1
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--config", choices=["minimal", "embedded"], default="minimal")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cfg = tmp / "osmon.yaml"
        cfg.write_text(
            yaml.safe_dump(
                {
                    "inventory": str(Path(str(default_config_path())).with_name("local.yaml")),
                    "state_dir": str(tmp / "state"),
                    "http": {"listen": "127.0.0.1", "port": 0},
                    "sinks": {"prom": {"type": "prometheus"}},
                    "routes": {"sample": ["prom"]},
                }
            )
        )
        osmon = [sys.executable, "-m", "osmon", "run"]
        osmon += ["-c", str(cfg)] if args.config == "minimal" else ["--port", "0"]
        bare = [sys.executable, "-c", BASELINE]
        env = {**os.environ, "HOME": str(tmp)}  # the embedded default's state dir
        runs: dict[str, list[tuple[float, float]]] = {"osmon": [], "bare": []}
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            runs["osmon"].append(measure(osmon, tmp / "osmon.log", env))
            runs["bare"].append(measure(bare, tmp / "bare.log", env))
    o_up, b_up = min(u for u, _ in runs["osmon"]), min(u for u, _ in runs["bare"])
    o_stop, b_stop = min(s for _, s in runs["osmon"]), min(s for _, s in runs["bare"])
    print(f"{args.config} config, best of {args.repeat}")
    print("                 start → /metrics 200   SIGTERM → exit")
    print(f"osmon            {o_up:8.3f} s            {o_stop:8.3f} s")
    print(f"bare http.server {b_up:8.3f} s            {b_stop:8.3f} s")
    print(f"ratio osmon/bare {o_up / b_up:8.1f}x            {o_stop / b_stop:8.1f}x")


if __name__ == "__main__":
    main()
