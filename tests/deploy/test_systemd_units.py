"""The systemd units in deploy/systemd/, checked by systemd's own ``systemd-analyze``.

``verify`` works without systemd as PID 1, but it refuses a unit whose ExecStart binary does not
exist, so each unit is verified as a copy whose ``/opt/osmon/venv/bin/osmon`` is replaced by the
``osmon`` console script of the venv running the tests (the only change). A missing
``systemd-analyze`` fails the tests: they never skip.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
INSTALLED_OSMON = "/opt/osmon/venv/bin/osmon"


def _analyze() -> str:
    exe = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
    assert Path(exe).exists(), "systemd-analyze not found (apt-get install systemd)"
    return exe


def _copy(unit: str, dest: Path) -> Path:
    osmon = Path(sys.executable).with_name("osmon")
    assert osmon.is_file(), f"{osmon}: the test venv has no osmon console script"
    text = (UNITS / unit).read_text()
    assert text.count(INSTALLED_OSMON) == 1, f"{unit}: ExecStart must run {INSTALLED_OSMON}"
    dest.mkdir(exist_ok=True)
    path = dest / unit
    path.write_text(text.replace(INSTALLED_OSMON, str(osmon)))
    return path


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_analyze(), "verify", str(path)], capture_output=True, text=True, timeout=60
    )


def _directives(unit: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (UNITS / unit).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


@pytest.mark.parametrize("unit", ["osmon.service", "osmon@.service", "osmon@ctl1.service"])
def test_systemd_analyze_verify_is_clean(unit: str, tmp_path: Path) -> None:
    """Exit 0 *and* no output: verify only warns (exit 0) about unknown keys or bad values."""
    template = unit.split("@")[0] + "@.service" if "@" in unit else unit
    copy = _copy(template, tmp_path)
    result = _verify(copy.with_name(unit))
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result


def test_verify_would_catch_a_typo(tmp_path: Path) -> None:
    """The check above has teeth: a misspelt directive is reported."""
    copy = _copy("osmon.service", tmp_path)
    copy.write_text(copy.read_text().replace("ProtectHome=", "ProtectHomes="))
    result = _verify(copy)
    assert "Unknown key 'ProtectHomes'" in result.stderr, result


@pytest.mark.parametrize("unit", ["osmon.service", "osmon@.service"])
def test_hardening_and_notify_settings(unit: str, tmp_path: Path) -> None:
    d = _directives(unit)
    expected = {
        "Type": ["notify"],
        "ExecReload": ["/bin/kill -HUP $MAINPID"],
        "User": ["osmon"],
        "NoNewPrivileges": ["yes"],
        "CapabilityBoundingSet": [""],
        "AmbientCapabilities": [""],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "SupplementaryGroups": ["adm systemd-journal"],
        "RestrictAddressFamilies": ["AF_UNIX AF_INET AF_INET6"],
        "SystemCallFilter": ["@system-service"],
        "TimeoutStopSec": ["15"],
        "Restart": ["on-failure"],
    }
    for key, value in expected.items():
        assert d.get(key) == value, (unit, key, d.get(key))
    assert d["EnvironmentFile"][0] == "/etc/osmon/osmon.env"
    state = d["StateDirectory"][0]
    assert d["ReadWritePaths"] == [f"/var/lib/{state}"]
    # systemd's own exposure score (0 = locked down, 10 = unprotected); 2.0 or less is "OK".
    copy = _copy(unit, tmp_path)
    result = subprocess.run(
        [_analyze(), "security", "--offline=true", "--threshold=20", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "Overall exposure level" in result.stdout
