"""A private Nagios 4 for one test: its own config, command file and status.dat.

The stack's Nagios (deploy/local-stack) is shared by other tests and never stopped or
reconfigured here. This one runs in the foreground (``nagios4 main.cfg``, no ``-d``) as a child
of the test, so the test can stop, ``kill -9`` and start it again. Its directory is under
/var/tmp (world-traversable: Nagios drops to the ``nagios`` user); the state Nagios writes is
owned by that user. Objects are passive hosts and services, written by the test.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from osmon.nagios.status import ObjectStatus, StatusFileError, read_status

NAGIOS_BIN = "/usr/sbin/nagios4"
START_TIMEOUT_S = 30.0

MAIN_CFG = """\
log_file={d}/var/nagios.log
cfg_file={d}/etc/objects.cfg
object_cache_file={d}/var/objects.cache
precached_object_file={d}/var/objects.precache
status_file={d}/var/status.dat
status_update_interval=1
state_retention_file={d}/var/retention.dat
retain_state_information={retain}
retention_update_interval=60
temp_file={d}/var/nagios.tmp
temp_path={d}/var
lock_file={d}/var/nagios.lock
check_result_path={d}/spool/checkresults
check_result_reaper_frequency=1
command_file={d}/var/nagios.cmd
check_external_commands=1
query_socket={d}/var/nagios.qh
nagios_user=nagios
nagios_group=nagios
log_passive_checks=1
log_external_commands=1
use_syslog=0
log_rotation_method=n
enable_notifications=0
interval_length=1
check_for_updates=0
bare_update_check=1
"""

BASE_OBJECTS = """\
define timeperiod {
    timeperiod_name  always
    alias            always
    sunday           00:00-24:00
    monday           00:00-24:00
    tuesday          00:00-24:00
    wednesday        00:00-24:00
    thursday         00:00-24:00
    friday           00:00-24:00
    saturday         00:00-24:00
}
define command {
    command_name  noop
    command_line  /bin/true
}
define contact {
    contact_name                   nobody
    host_notifications_enabled     0
    service_notifications_enabled  0
    host_notification_period       always
    service_notification_period    always
    host_notification_options      n
    service_notification_options   n
    host_notification_commands     noop
    service_notification_commands  noop
}
"""

HOST = """\
define host {{
    host_name              {name}
    address                {address}
    check_command          noop
    active_checks_enabled  0
    passive_checks_enabled 1
    max_check_attempts     1
    check_period           always
    contacts               nobody
    notification_period    always
}}
"""

SERVICE = """\
define service {{
    host_name              {host}
    service_description    {description}
    check_command          noop
    active_checks_enabled  0
    passive_checks_enabled 1
    max_check_attempts     1
    check_interval         60
    retry_interval         60
    check_period           always
    contacts               nobody
    notification_period    always
}}
"""


class PrivateNagios:
    def __init__(
        self,
        hosts: Iterable[tuple[str, str]] = (),
        services: Iterable[tuple[str, str]] = (),
        retain: bool = False,
        generated: Mapping[str, str] | None = None,
    ) -> None:
        """Passive ``hosts`` (name, address) and ``services`` (host, description), or the files
        of ``osmon generate nagios`` (relative path → text) as the whole object configuration."""
        self.dir = Path(tempfile.mkdtemp(prefix="osmon-nagios-", dir="/var/tmp"))
        self.dir.chmod(0o755)
        for sub in ("etc", "var", "spool/checkresults"):
            (self.dir / sub).mkdir(parents=True)
        user = pwd.getpwnam("nagios")
        for sub in ("var", "spool", "spool/checkresults"):
            os.chown(self.dir / sub, user.pw_uid, user.pw_gid)
        self.main_cfg = self.dir / "etc" / "nagios.cfg"
        self.generated = generated is not None
        main = MAIN_CFG.format(d=self.dir, retain=int(retain))
        if generated is None:
            objects = [BASE_OBJECTS]
            objects += [HOST.format(name=n, address=a) for n, a in hosts]
            objects += [SERVICE.format(host=h, description=s) for h, s in services]
            (self.dir / "etc" / "objects.cfg").write_text("".join(objects))
        else:
            gen = self.dir / "etc" / "generated"
            for rel, text in generated.items():
                (gen / rel).parent.mkdir(parents=True, exist_ok=True)
                (gen / rel).write_text(text)
            main = main.replace(
                f"cfg_file={self.dir}/etc/objects.cfg\n",
                f"cfg_dir={gen}/objects\nresource_file={gen}/resource.cfg\n",
            )
        self.main_cfg.write_text(main)
        self.command_file = self.dir / "var" / "nagios.cmd"
        self.status_file = self.dir / "var" / "status.dat"
        self.log_file = self.dir / "var" / "nagios.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def verify(self) -> str:
        out = subprocess.run(
            [NAGIOS_BIN, "-v", str(self.main_cfg)], capture_output=True, text=True, check=False
        )
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    def start(self) -> None:
        """Start Nagios and wait until it reads its command file and wrote status.dat."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        before = self._mtime()
        self.proc = subprocess.Popen(
            [NAGIOS_BIN, str(self.main_cfg)],
            stdout=(self.dir / "stdout.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"nagios4 exited with {self.proc.returncode}: {self.tail()}")
            if self.command_file.is_fifo() and self._mtime() > before and self._worker_up():
                return
            time.sleep(0.1)
        raise AssertionError(f"private Nagios not ready in {START_TIMEOUT_S}s: {self.tail()}")

    def _worker_up(self) -> bool:
        """Nagios logs the command file worker's start; before it, nobody reads the pipe."""
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        return text.count("Successfully launched command file worker") >= self.starts

    def _mtime(self) -> float:
        try:
            return self.status_file.stat().st_mtime
        except OSError:
            return 0.0

    def stop(self) -> None:
        """SIGTERM, as a restart by the operator or systemd does."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self._reap_group()

    def kill9(self) -> None:
        """SIGKILL the main process only: its workers notice and exit on their own."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reap_group()

    def _reap_group(self) -> None:
        """Wait for the workers (same session) to exit, then kill any left over."""
        if self.proc is None:
            return
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def states(self) -> dict[tuple[str, str | None], ObjectStatus]:
        try:
            rows = read_status(self.status_file)
        except StatusFileError:
            return {}  # being replaced, or not written yet
        return {(r.host, r.service): r for r in rows}

    def received(self) -> list[str]:
        """The passive results Nagios processed (its log's ``EXTERNAL COMMAND`` lines)."""
        mark = "EXTERNAL COMMAND: "
        return [line.split(mark, 1)[1] for line in self.log().splitlines() if mark in line]

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def tail(self) -> str:
        return "\n".join(self.log().splitlines()[-20:])

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
