"""`deploy/local-stack` runs the private Galera, memcached and HAProxy the infrastructure probes
are tested against; `status` lists them and their secrets stay in root-only files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.integration.conftest import LOCAL_STACK, STACK_DIR
from tests.integration.probes.infra import Infra, infra

__all__ = ["infra"]


def test_status_lists_the_private_instances(infra: Infra) -> None:
    proc = subprocess.run(
        [str(LOCAL_STACK), "status"], capture_output=True, text=True, timeout=120, check=False
    )
    states = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines() if line}
    assert {k: states.get(k) for k in ("galera", "memcached", "haproxy")} == {
        "galera": "up",
        "memcached": "up",
        "haproxy": "up",
    }, proc.stdout
    assert f"127.0.0.1:{infra.galera_port}" in proc.stdout
    assert infra.haproxy_stats_url in proc.stdout


def test_galera_is_not_the_machine_mariadb(infra: Infra) -> None:
    assert infra.galera_port != 3306
    assert infra.galera_socket.is_socket() and str(infra.galera_socket).startswith(str(STACK_DIR))


def test_galera_login_stays_in_root_only_files(infra: Infra) -> None:
    password = infra.galera_password_file.read_text().strip()
    assert len(password) >= 20
    for path in (infra.galera_password_file, infra.galera_option_file):
        assert path.stat().st_mode & 0o077 == 0, path
    assert password in infra.galera_option_file.read_text()
    assert password not in (STACK_DIR / "stack.env").read_text()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes()
        except OSError:
            continue
        assert password.encode() not in argv, f"password on the argv of {cmdline.parent}"
