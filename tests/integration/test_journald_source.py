"""The journald source against a real, private systemd-journald (``journal.PrivateJournald``).

Entries are written the ways services write them (native protocol, ``systemd-cat``'s stdout
stream, ``logger``'s syslog socket) and read back by the source through the real ``journalctl``
(option ``directory``). What is compared is the journal itself: the source must hand over every
entry journalctl lists, in order, once, with the fields journald recorded.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from osmon.batch import Batch
from osmon.logs.checkpoint import CheckpointRegistry
from osmon.records import LogRecord
from osmon.sources.journald import JournaldOptions, JournaldSource
from tests.integration import journal as journal_module
from tests.integration.journal import JournaldError, PrivateJournald

pytestmark = pytest.mark.integration

WAIT_S = 30


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[PrivateJournald]:
    """A journald of this test's own; fails (never skips) when it cannot start."""
    j = PrivateJournald(tmp_path / "journal")
    try:
        j.start()
    except Exception as exc:
        pytest.fail(f"private systemd-journald did not start: {exc}", pytrace=False)
    try:
        yield j
    finally:
        j.stop()


class Router:
    """Accepts (or refuses) whole batches, and remembers what it saw."""

    def __init__(self) -> None:
        self.accept = True
        self.acked: list[LogRecord] = []
        self.nacked: list[LogRecord] = []

    async def submit(self, batch: Batch) -> None:
        recs = [r for r in batch.records if isinstance(r, LogRecord)]
        if self.accept:
            self.acked.extend(recs)
            batch.ack()
        else:
            self.nacked.extend(recs)
            batch.nack()


def source(tmp: Path, journal: PrivateJournald, **opts: Any) -> JournaldSource:
    o = JournaldOptions.model_validate(
        {
            "directory": str(journal.directory),
            "retry_interval": 0.2,
            "batch_max_wait": 0.05,
            **opts,
        }
    )
    return JournaldSource("journald", o, tmp / "state" / "checkpoints.db", "node1")


async def until(what: str, cond: Callable[[], bool]) -> None:
    async def poll() -> None:
        while not cond():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), WAIT_S)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {WAIT_S}s") from None


async def run_until(
    src: JournaldSource, router: Router, what: str, cond: Callable[[], bool]
) -> None:
    task = asyncio.create_task(src.run(router.submit))
    try:
        await until(what, cond)
    finally:
        await src.stop()
        await asyncio.wait_for(task, WAIT_S)


def cursors(records: list[LogRecord]) -> list[str]:
    return [r.doc["journald"]["cursor"] for r in records]


def journal_cursors(journal: PrivateJournald) -> list[str]:
    return [e["__CURSOR"] for e in journal.entries()]


async def test_entries_of_each_transport_become_log_records(
    tmp_path: Path, journal: PrivateJournald
) -> None:
    journal.send("native entry", SYSLOG_IDENTIFIER="neutron-server", PRIORITY="3")
    journal.send(b"line one\nline two \xff", SYSLOG_IDENTIFIER="nova-compute", PRIORITY="7")
    cat_pid = journal.cat("Started nova-api.\n", "nova-api", "warning")
    logger_pid = journal.logger("disk full", "cinder-volume", "daemon.err")
    journal.wait_for(1, SYSLOG_IDENTIFIER="cinder-volume")
    entries = journal.entries()

    router = Router()
    src = source(tmp_path, journal)  # read_from: boot, the default
    await run_until(src, router, "every entry acked", lambda: len(router.acked) == len(entries))

    assert cursors(router.acked) == [e["__CURSOR"] for e in entries]
    docs = {r.doc["log"].get("logger"): r for r in router.acked}
    native = docs["neutron-server"].doc
    assert native["message"] == "native entry"
    assert native["log"]["level"] == "error"
    assert native["log"]["syslog"]["severity"] == {"code": 3, "name": "error"}
    assert native["process"]["pid"] == os.getpid()
    assert native["journald"]["transport"] == "journal"
    assert native["service"]["name"] == "neutron-server"
    assert native["host"]["name"] == "node1"
    assert docs["neutron-server"].service == "neutron-server"

    multi = docs["nova-compute"].doc
    assert multi["message"] == "line one\nline two \ufffd"
    assert multi["log"]["level"] == "debug"

    cat = docs["nova-api"].doc
    assert (cat["message"], cat["log"]["level"]) == ("Started nova-api.", "warning")
    assert cat["process"]["pid"] == cat_pid
    assert cat["journald"]["transport"] == "stdout"

    syslog = docs["cinder-volume"].doc
    assert syslog["message"] == "disk full"
    assert syslog["log"]["syslog"]["severity"]["code"] == 3
    assert syslog["log"]["syslog"]["facility"]["code"] == 3  # daemon
    assert syslog["process"]["pid"] == logger_pid
    assert syslog["journald"]["transport"] == "syslog"

    for rec, entry in zip(router.acked, entries, strict=True):
        micros = int(entry["__REALTIME_TIMESTAMP"])
        when = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(
            microsecond=micros % 1_000_000
        )
        assert rec.doc["@timestamp"] == when.isoformat().replace("+00:00", "Z")
        assert rec.doc["journald"]["boot_id"] == entry["_BOOT_ID"]
    assert len({r.doc_id for r in router.acked}) == len(entries)
    assert src.status()["state"] == "following" and src.invalid == 0


async def test_cursor_checkpoint_survives_a_restart_without_loss_or_duplicate(
    tmp_path: Path, journal: PrivateJournald
) -> None:
    for i in range(3):
        journal.send(f"before {i}", SYSLOG_IDENTIFIER="osmon-test")
    journal.wait_for(3, SYSLOG_IDENTIFIER="osmon-test")
    first_run = journal_cursors(journal)
    r1 = Router()
    await run_until(
        source(tmp_path, journal, read_from="beginning"),
        r1,
        "first run acked",
        lambda: len(r1.acked) == len(first_run),
    )
    assert cursors(r1.acked) == first_run
    registry = CheckpointRegistry(tmp_path / "state" / "checkpoints.db")
    try:
        assert registry.cursor("journald") == first_run[-1]
    finally:
        registry.close()

    for i in range(3):
        journal.send(f"while stopped {i}", SYSLOG_IDENTIFIER="osmon-test")
    journal.wait_for(6, SYSLOG_IDENTIFIER="osmon-test")
    r2 = Router()
    src2 = source(tmp_path, journal, read_from="beginning")
    task = asyncio.create_task(src2.run(r2.submit))
    try:
        await until("entries written while stopped", lambda: len(r2.acked) == 3)
        for i in range(3):
            journal.send(f"while following {i}", SYSLOG_IDENTIFIER="osmon-test")
        everything = [e["__CURSOR"] for e in journal.wait_for(9, SYSLOG_IDENTIFIER="osmon-test")]
        await until(
            "entries written while following", lambda: cursors(r2.acked)[-1:] == everything[-1:]
        )
    finally:
        await src2.stop()
        await asyncio.wait_for(task, WAIT_S)
    assert cursors(r1.acked) + cursors(r2.acked) == journal_cursors(journal)
    assert [r.doc["message"] for r in r2.acked] == [
        *(f"while stopped {i}" for i in range(3)),
        *(f"while following {i}" for i in range(3)),
    ]


async def test_nacked_batches_are_read_again_from_the_stored_cursor(
    tmp_path: Path, journal: PrivateJournald
) -> None:
    for i in range(5):
        journal.send(f"entry {i}", SYSLOG_IDENTIFIER="osmon-test")
    journal.wait_for(5, SYSLOG_IDENTIFIER="osmon-test")
    expected = journal_cursors(journal)
    router = Router()
    router.accept = False
    src = source(tmp_path, journal, read_from="beginning")
    task = asyncio.create_task(src.run(router.submit))
    try:
        await until("two refusals", lambda: src.starts >= 2 and len(router.nacked) >= 2)
        router.accept = True
        await until("acked after the refusals", lambda: len(router.acked) == len(expected))
    finally:
        await src.stop()
        await asyncio.wait_for(task, WAIT_S)
    assert cursors(router.acked) == expected
    assert cursors(router.nacked)[0] == expected[0], "each start reads from the stored cursor"


async def test_journalctl_dying_is_reported_and_reading_resumes_after_the_cursor(
    tmp_path: Path, journal: PrivateJournald
) -> None:
    journal.send("before the kill", SYSLOG_IDENTIFIER="osmon-test")
    journal.wait_for(1, SYSLOG_IDENTIFIER="osmon-test")
    before = journal_cursors(journal)
    router = Router()
    src = source(tmp_path, journal, read_from="beginning")
    task = asyncio.create_task(src.run(router.submit))
    try:
        await until("first entries acked", lambda: len(router.acked) == len(before))
        os.kill(_journalctl_pid(journal), signal.SIGKILL)
        await until("the exit reported", lambda: src.status()["last_error"] is not None)
        journal.send("after the kill", SYSLOG_IDENTIFIER="osmon-test")
        journal.wait_for(2, SYSLOG_IDENTIFIER="osmon-test")
        await until("read again after a restart", lambda: len(router.acked) == len(before) + 1)
    finally:
        await src.stop()
        await asyncio.wait_for(task, WAIT_S)
    assert "journalctl exited with -9" in src.status()["last_error"]
    assert src.starts == 2
    assert cursors(router.acked) == journal_cursors(journal)


async def test_a_directory_without_journal_files_is_a_status_not_a_crash(tmp_path: Path) -> None:
    empty = tmp_path / "no-journal"
    empty.mkdir()
    router = Router()
    opts = JournaldOptions(directory=empty, retry_interval=0.2)
    src = JournaldSource("journald", opts, tmp_path / "checkpoints.db", "node1")
    await run_until(src, router, "unavailable", lambda: src.state == "unavailable")
    assert src.status()["reason"] == f"no journal files were found in {empty}"
    assert router.acked == []


def _journalctl_pid(journal: PrivateJournald) -> int:
    """The ``journalctl --follow`` this process started on the private journal."""
    want = f"--directory={journal.directory}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and want in argv and b"--follow" in argv:
            return int(proc.name)
    raise AssertionError("no journalctl --follow running on the private journal")


def test_the_private_journald_fails_loudly_when_it_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fixture's contract: no journald means an error (the fixture turns it into a
    failure), never a silently empty journal."""
    monkeypatch.setattr(journal_module, "JOURNALD", tmp_path / "no-such-systemd-journald")
    with pytest.raises(JournaldError, match="not found"):
        PrivateJournald(tmp_path / "journal").start()
