"""Private Galera nodes (MariaDB 10.11 + galera-4) for tests: own datadir, socket and ports,
under /var/tmp (mariadbd drops to user mysql, which cannot reach pytest's 0700 tmp dirs)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.probes.infra import free_port

START_S = 90.0

CNF = """\
[mysqld]
user=mysql
datadir={dir}/data
socket={dir}/mysqld.sock
pid-file={dir}/mysqld.pid
log-error={dir}/error.log
port={port}
bind-address=127.0.0.1
skip-name-resolve
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=32M
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_name=osmon_test
wsrep_cluster_address=gcomm://{peers}
wsrep_node_name={name}
wsrep_node_incoming_address=127.0.0.1:{port}
wsrep_node_address=127.0.0.1:{gcomm}
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:{gcomm};ist.recv_addr=127.0.0.1:{ist};gcache.size=8M;evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.inactive_check_period=PT0.5S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:{sst}
"""


@dataclass
class Node:
    name: str
    dir: Path
    port: int = field(default_factory=free_port)
    gcomm: int = field(default_factory=free_port)
    ist: int = field(default_factory=free_port)
    sst: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def configure(self, peers: str) -> None:
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        (self.dir / "my.cnf").write_text(
            CNF.format(
                dir=self.dir, name=self.name, port=self.port, gcomm=self.gcomm, ist=self.ist,
                sst=self.sst, peers=peers,
            )
        )  # fmt: skip
        for path in (self.dir, self.dir / "data"):
            shutil.chown(path, "mysql", "mysql")

    def install(self) -> None:
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", "--user=mysql", f"--datadir={self.dir}/data",
             "--skip-test-db", "--auth-root-authentication-method=socket"],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip

    def start(self, *extra: str) -> None:
        self.proc = subprocess.Popen(
            ["/usr/sbin/mariadbd", f"--defaults-file={self.dir}/my.cnf", *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def sql(self, statement: str) -> str:
        proc = subprocess.run(
            ["mariadb", "--no-defaults", "-S", str(self.dir / "mysqld.sock"), "-uroot", "-N", "-B"],
            input=statement,
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return proc.stdout.strip()

    def status(self, name: str) -> str:
        try:
            return self.sql(f"SHOW GLOBAL STATUS LIKE '{name}'").split("\t")[-1]
        except subprocess.SubprocessError:
            return ""

    def wait_synced(self) -> None:
        deadline = time.monotonic() + START_S
        while self.status("wsrep_local_state_comment") != "Synced":
            assert self.proc is not None and self.proc.poll() is None, self.log()
            assert time.monotonic() < deadline, f"{self.name} not Synced: {self.log()}"
            time.sleep(0.3)

    def log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(60)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(60)


def new_dir(prefix: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp"))
    d.chmod(0o755)
    return d
