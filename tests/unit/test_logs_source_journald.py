"""journald: JSON → ECS mapping, and the source against a fake ``journalctl`` on PATH."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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


FAKE = r"""#!{python}
import json, os, sys, time
args = sys.argv[1:]
if "--follow" not in args:
    if os.environ.get("FAKE_JOURNAL_MISSING"):
        print("No journal files were found.", file=sys.stderr)
    sys.exit(0)
with open(os.environ["FAKE_JOURNAL_ARGS"], "a") as f:
    f.write(json.dumps(args) + "\n")
after = next((a.split("=", 1)[1] for a in args if a.startswith("--after-cursor=")), None)
entries = [json.loads(l) for l in open(os.environ["FAKE_JOURNAL_ENTRIES"])]
if after is not None:
    idx = [e["__CURSOR"] for e in entries].index(after)
    entries = entries[idx + 1:]
for e in entries:
    print(json.dumps(e))
print("not json")
sys.stdout.flush()
if os.environ.get("FAKE_JOURNAL_EXIT"):
    print("Failed to follow: boom", file=sys.stderr)
    sys.exit(1)
time.sleep(600)
"""


@pytest.fixture
def fake_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "journalctl"
    exe.write_text(FAKE.replace("{python}", sys.executable))
    exe.chmod(0o755)
    entries = tmp_path / "entries.jsonl"
    with entries.open("w") as f:
        for i in range(5):
            msg: Any = f"line {i}" if i != 2 else list(b"bytes \xff")
            f.write(json.dumps({**ENTRY, "__CURSOR": f"c{i}", "MESSAGE": msg}) + "\n")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_JOURNAL_ARGS", str(tmp_path / "args.jsonl"))
    monkeypatch.setenv("FAKE_JOURNAL_ENTRIES", str(entries))
    return tmp_path


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


def calls(tmp: Path) -> list[list[str]]:
    return [json.loads(line) for line in (tmp / "args.jsonl").read_text().splitlines()]


async def test_follows_the_journal_and_resumes_after_the_stored_cursor(fake_journal: Path) -> None:
    router = Router()
    src = source(fake_journal, units=["nova-api.service"])
    await run_until(src, router, lambda: len(router.acked) == 5)
    assert [r.doc["message"] for r in router.acked][:3] == ["line 0", "line 1", "bytes \ufffd"]
    assert src.status()["state"] == "following" and src.invalid >= 1
    first = calls(fake_journal)[0]
    assert "--boot" in first and "--unit=nova-api.service" in first and "--follow" in first

    with (fake_journal / "entries.jsonl").open("a") as f:
        f.write(json.dumps({**ENTRY, "__CURSOR": "c5", "MESSAGE": "new"}) + "\n")
    router2 = Router()
    src2 = source(fake_journal)
    await run_until(src2, router2, lambda: len(router2.acked) >= 1)
    assert [r.doc["message"] for r in router2.acked] == ["new"]
    assert "--after-cursor=c4" in calls(fake_journal)[-1]


async def test_nack_reads_again_from_the_stored_cursor(fake_journal: Path) -> None:
    router = Router()
    router.accept = False
    src = source(fake_journal)
    task = asyncio.create_task(src.run(router.submit))
    await asyncio.wait_for(until(lambda: len(router.nacked) >= 10), 30)
    router.accept = True
    await asyncio.wait_for(until(lambda: len(router.acked) >= 5), 30)
    await src.stop()
    await asyncio.wait_for(task, 30)
    assert [r.doc_id for r in router.acked] == [r.doc_id for r in router.nacked[:5]]
    assert len(calls(fake_journal)) >= 2


async def test_exit_of_journalctl_is_reported_and_retried(
    fake_journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_JOURNAL_EXIT", "1")
    router = Router()
    src = source(fake_journal)
    await run_until(src, router, lambda: src.starts >= 2)
    assert "Failed to follow: boom" in (src.status()["last_error"] or "")
    ids = [r.doc_id for r in router.acked]
    assert len(ids) == len(set(ids)) == 5, "the retry resumes after the acked cursor"


async def test_no_journal_is_a_status_not_a_crash(
    fake_journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_JOURNAL_MISSING", "1")
    router = Router()
    src = source(fake_journal)
    await run_until(src, router, lambda: src.state == "unavailable")
    assert "no journal files" in (src.status()["reason"] or "")
    assert router.acked == [] and not (fake_journal / "args.jsonl").exists()


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
