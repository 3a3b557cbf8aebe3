"""Cold-start wall time of osmon's Nagios plugins against ``python -c pass`` and Debian's C
``check_http``, in the same run.

``python bench/plugins/bench_plugins.py [--runs N]``

Starts a local HTTP endpoint (a Keystone-like version document) and ``osmon run`` on a free
port whose inventory probes it, waits for the daemon's first probe result, then times fresh
processes, interleaved round by round so that machine load hits every command alike:
``python -c pass`` (the plugins' interpreter), ``check_osmon --target <id>`` (reads the
daemon's latest result), ``check_openstack_api -u <endpoint>`` (runs osmon's http probe) and
``/usr/lib/nagios/plugins/check_http`` on the same endpoint. Prints the medians and the ratios;
the issue's goal is ``check_osmon`` ≤ 2.5x ``python -c pass``.

osmon's modules are byte-compiled first and the children run without
``PYTHONDONTWRITEBYTECODE``: an installed wheel has its ``.pyc`` files, and compiling the
plugin's modules on every run would be measured otherwise (it doubles ``check_osmon``).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BIN = Path(sys.executable).parent
C_CHECK_HTTP = Path("/usr/lib/nagios/plugins/check_http")
DOC = json.dumps({"version": {"id": "v3.14", "status": "stable"}}).encode()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(DOC)))
        self.end_headers()
        self.wfile.write(DOC)

    def log_message(self, *args: object) -> None:
        pass


def _daemon(tmp: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    inv = tmp / "inventory.yaml"
    inv.write_text(
        "version: 1\ncloud: {name: bench}\ndefaults: {interval: 5, timeout: 2}\n"
        "hosts: {localhost: {address: 127.0.0.1, roles: [controller]}}\n"
        f"services: {{keystone: {{hosts: [localhost], endpoint: {{port: {port}}}}}}}\n"
    )
    cfg = tmp / "osmon.yaml"
    cfg.write_text(
        json.dumps(
            {
                "inventory": str(inv),
                "hostname": "localhost",
                "state_dir": str(tmp / "state"),
                "http": {"listen": "127.0.0.1", "port": 0},
                "sinks": {"prom": {"type": "prometheus"}},
                "sources": {"probes": {"type": "probes", "flush_interval": 1}},
                "routes": {"sample": ["prom"]},
            }
        )
    )
    log = tmp / "osmon.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "osmon", "run", "-c", str(cfg)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "listening on [('" in text:
            host_port = text.split("listening on [('", 1)[1].split(")")[0]
            _host, _, daemon_port = host_port.partition("', ")
            return proc, daemon_port
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"osmon run did not start: {log.read_text(errors='replace')[-2000:]}")


def _first_target(daemon_port: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{daemon_port}/v1/probes") as resp:
            found = json.loads(resp.read())
        if found:
            return str(found[0]["target"])
        time.sleep(0.2)
    raise SystemExit("the daemon holds no probe result after 60 s")


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(cmd: list[str]) -> tuple[float, int, list[str]]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=ENV)
    return time.perf_counter() - started, proc.returncode, proc.stdout.splitlines()[0:1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="runs per command (default 60)")
    args = parser.parse_args()
    if not C_CHECK_HTTP.exists():
        raise SystemExit(f"{C_CHECK_HTTP} missing: deploy/local-stack up installs it")
    import osmon

    compileall.compile_dir(Path(osmon.__file__).parent, quiet=1)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    tmp = Path(tempfile.mkdtemp(prefix="bench-plugins-"))
    proc, daemon_port = _daemon(tmp, port)
    try:
        target = _first_target(daemon_port)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "check_osmon --target": [
                str(BIN / "check_osmon"),
                "-p",
                daemon_port,
                "--target",
                target,
            ],
            "check_openstack_api": [
                str(BIN / "check_openstack_api"),
                "-u",
                f"http://127.0.0.1:{port}/v3",
            ],
            "C check_http": [str(C_CHECK_HTTP), "-H", "127.0.0.1", "-p", str(port), "-u", "/v3"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        outputs: dict[str, str] = {}
        names = list(commands)
        for i in range(args.runs):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                seconds, code, first = _time(commands[name])
                times[name].append(seconds)
                outputs[name] = f"exit {code}: {first[0] if first else ''}"
        base = statistics.median(times["python -c pass"])
        c_http = statistics.median(times["C check_http"])
        print(
            f"target {target!r}; {args.runs} runs each, interleaved; {os.cpu_count()} CPUs, "
            f"load {os.getloadavg()[0]:.2f}"
        )
        print(f"{'command':24} {'median ms':>10} {'vs python':>10} {'vs check_http':>14}")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:24} {median * 1000:10.1f} {median / base:9.2f}x {median / c_http:13.2f}x")
        for name, out in outputs.items():
            print(f"  {name}: {out}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
