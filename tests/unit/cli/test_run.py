"""``osmon run`` start-up errors are one line and exit 1, never a traceback.

Run as a subprocess: a daemon that did start would end with ``os._exit``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

INVENTORY = "version: 1\ncloud: {name: t}\nhosts: {ctl1: {address: 127.0.0.1}}\n"


def _run(tmp_path: Path, sink: str) -> tuple[int, str]:
    (tmp_path / "inv.yaml").write_text(INVENTORY)
    cfg = tmp_path / "osmon.yaml"
    routes = "routes: {sample: [s], log: [s]}\n"
    cfg.write_text(f"inventory: inv.yaml\nstate_dir: state\nsinks:\n  s: {sink}\n{routes}")
    proc = subprocess.run(
        [sys.executable, "-m", "osmon", "run", "-c", str(cfg), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_a_missing_clouds_yaml_entry_is_one_line(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "{type: gnocchi, auth: keystone, cloud: nowhere}")
    assert code == 1, out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1
    assert "no clouds.yaml found" in out


def test_a_missing_secret_variable_is_one_line(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "{type: elasticsearch, username: u, password_env: OSMON_UNSET_PW}")
    assert code == 1, out
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1
    assert "OSMON_UNSET_PW" in out
