"""journald: JSON → ECS mapping and the journalctl arguments. The source itself is tested
against a real, private systemd-journald in tests/integration/test_journald_source.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from osmon.batch import Batch
from osmon.logs.journald import field_text, journal_doc, journal_record
from osmon.records import LogRecord
from osmon.sources.journald import JournaldOptions, JournaldSource

ENTRY: dict[str, Any] = {
    "__CURSOR": "s=1;i=1",
    "__REALTIME_TIMESTAMP": "1700000000123456",
    "MESSAGE": "Started nova-api.",
    "PRIORITY": "3",
    "SYSLOG_FACILITY": "3",
    "SYSLOG_IDENTIFIER": "nova-api",
    "_PID": "4242",
    "_COMM": "nova-api",
    "_SYSTEMD_UNIT": "nova-api.service",
    "_HOSTNAME": "ctl1",
    "_TRANSPORT": "stdout",
}


def test_entry_maps_to_ecs() -> None:
    doc = journal_doc(ENTRY, "ctl1.example", "nova-api")
    assert doc["@timestamp"] == "2023-11-14T22:13:20.123456Z"
    assert doc["message"] == "Started nova-api."
    assert doc["log"]["level"] == "error"
    assert doc["log"]["syslog"]["severity"] == {"code": 3, "name": "error"}
    assert doc["process"] == {"pid": 4242, "name": "nova-api"}
    assert doc["systemd"]["unit"] == "nova-api.service"
    assert doc["host"] == {"name": "ctl1.example", "hostname": "ctl1"}
    assert doc["journald"]["cursor"] == "s=1;i=1"
    assert doc["service"]["name"] == "nova-api"


def test_message_as_byte_array_null_and_repeated_fields() -> None:
    raw = [*"caf\u00e9 \n".encode(), 0xFF]
    assert field_text(raw) == "caf\u00e9 \n\ufffd"
    doc = journal_doc({**ENTRY, "MESSAGE": None, "PRIORITY": "9", "_PID": "x"}, "h", "s")
    assert doc["message"] == "" and "level" not in doc["log"] and "pid" not in doc["process"]
    assert field_text(["first", "second"]) == "first"
    assert field_text([]) is None


def test_record_id_follows_host_and_cursor_and_service_from_units() -> None:
    rec, cursor = journal_record(ENTRY, "h1", {"nova-api.service": "nova"})
    assert cursor == "s=1;i=1" and rec.service == "nova"
    assert rec.doc_id == journal_record(ENTRY, "h1", {})[0].doc_id
    assert rec.doc_id != journal_record(ENTRY, "h2", {})[0].doc_id
    assert journal_record({**ENTRY, "_SYSTEMD_UNIT": None}, "h", {})[0].service == "nova-api"


class Router:
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


def source(tmp: Path, **opts: Any) -> JournaldSource:
    o = JournaldOptions.model_validate({"retry_interval": 0.05, "batch_max_wait": 0.05, **opts})
    return JournaldSource("journald", o, tmp / "state" / "checkpoints.db", "node1")


async def until(cond: Callable[[], bool]) -> None:
    while not cond():
        await asyncio.sleep(0.01)


async def run_until(src: JournaldSource, router: Router, cond: Callable[[], bool]) -> None:
    task = asyncio.create_task(src.run(router.submit))
    try:
        await asyncio.wait_for(until(cond), 30)
    finally:
        await src.stop()
        await asyncio.wait_for(task, 30)


async def test_missing_journalctl_is_a_status_not_a_crash(tmp_path: Path) -> None:
    router = Router()
    src = source(tmp_path, journalctl="osmon-no-such-journalctl")
    await run_until(src, router, lambda: src.state == "unavailable")
    assert "not found" in (src.status()["reason"] or "")


def test_read_from_and_units_give_the_journalctl_arguments(tmp_path: Path) -> None:
    assert "--lines=0" in source(tmp_path, read_from="end").argv("j", None)
    args = source(tmp_path, read_from="beginning").argv("j", None)
    assert "--no-tail" in args and "--boot" not in args
    assert source(tmp_path).argv("j", "c9")[-2:] == ["--after-cursor=c9", "--no-tail"]
    assert source(tmp_path, directory=tmp_path).argv("j", None)[:2] == [
        "j",
        f"--directory={tmp_path}",
    ]
    assert not any(a.startswith("--directory") for a in source(tmp_path).argv("j", None))
    assert "--unit=nova-api.service" in source(tmp_path, units=["nova-api.service"]).argv("j", None)
