"""The logs source end to end over real files: rotation, checkpoints, ack/nack, framing.

A fake clock drives the idle timers, so no test waits or measures time.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osmon.batch import Batch
from osmon.logs.checkpoint import CheckpointRegistry, FileCheckpoint
from osmon.logs.tail import ReadFrom, WatchSpec
from osmon.records import LogRecord
from osmon.sources.logs import LogsOptions, LogsSource
from tests.unit.fakeparser import fake_factory, single_factory, to_record


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A source with a scripted router: ``accept`` decides ack or nack of the next batches."""

    def __init__(self, tmp: Path, *patterns: str, parser: Any = fake_factory, **opts: Any) -> None:
        self.tmp = tmp
        self.clock = Clock()
        defaults: dict[str, Any] = {
            "rotate_wait": 1.0,
            "flush_after": 2.0,
            "partial_line_after": 10.0,
            "scan_interval": 1.0,
            "batch_max_records": 1000,
        }
        self.options = LogsOptions.model_validate({**defaults, **opts})
        self.specs = [WatchSpec(str(tmp / p), "fake", "svc") for p in patterns or ("*.log",)]
        self.parser = parser
        self.accept = True
        self.acked: list[LogRecord] = []
        self.nacked: list[LogRecord] = []
        self.batches = 0
        self.src = self._new_source()

    def _new_source(self, **kw: Any) -> LogsSource:
        return LogsSource(
            "logs",
            self.specs,
            self.tmp / "state" / "checkpoints.db",
            host="node1",
            parser_factory=self.parser,
            record_maker=to_record,
            options=self.options,
            clock=self.clock,
            **kw,
        )

    async def submit(self, batch: Batch) -> None:
        self.batches += 1
        recs = [r for r in batch.records if isinstance(r, LogRecord)]
        if self.accept:
            self.acked.extend(recs)
            batch.ack()
        else:
            self.nacked.extend(recs)
            batch.nack()

    async def start(self) -> None:
        await self.src.open()

    async def settle(self, *, advance: float = 0.0) -> None:
        """Poll until nothing moves, then let ``advance`` seconds pass and poll again."""
        for _ in range(3):
            for _ in range(50):
                if not await self.src.poll_once(self.submit):
                    break
            self.clock.now += advance or 0.5
            advance = 0.0
        for _ in range(50):
            if not await self.src.poll_once(self.submit):
                break

    async def next_batch(self) -> None:
        """Poll until one more batch was submitted."""
        seen = self.batches
        for _ in range(50):
            await self.src.poll_once(self.submit)
            if self.batches > seen:
                return
        raise AssertionError("no batch was submitted")

    async def restart(self, **kw: Any) -> None:
        await self.src.close()
        self.src = self._new_source(**kw)
        await self.src.open()

    def messages(self) -> list[str]:
        return [str(r.doc["message"]) for r in self.acked]

    def checkpoints(self) -> list[FileCheckpoint]:
        reg = CheckpointRegistry(self.tmp / "state" / "checkpoints.db")
        try:
            return reg.files("logs")
        finally:
            reg.close()


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def lines(prefix: str, a: int, b: int) -> str:
    return "".join(f"{prefix} {i}\n" for i in range(a, b))


def assert_no_duplicate_ids(records: list[LogRecord]) -> None:
    dup = [k for k, n in Counter(r.doc_id for r in records).items() if n > 1]
    assert not dup, dup


async def test_follows_new_lines_and_checkpoints_on_ack(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(lines("a", 0, 3))
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    await h.settle()
    append(log, lines("a", 3, 5))
    await h.settle()
    assert h.messages() == [f"a {i}" for i in range(5)]
    assert all(r.service == "svc" for r in h.acked)
    [cp] = h.checkpoints()
    assert cp.offset == log.stat().st_size and cp.path == str(log)
    assert_no_duplicate_ids(h.acked)
    await h.src.close()


async def test_nack_reads_the_same_lines_again_and_keeps_the_checkpoint(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(lines("a", 0, 4))
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    h.accept = False
    await h.next_batch()
    assert [r.doc["message"] for r in h.nacked] == [f"a {i}" for i in range(4)]
    assert h.checkpoints() == []
    await h.next_batch()
    assert len(h.nacked) == 8 and h.acked == []
    h.accept = True
    await h.settle()
    assert h.messages() == [f"a {i}" for i in range(4)]
    assert [r.doc_id for r in h.acked] == [r.doc_id for r in h.nacked[:4]]
    assert h.checkpoints()[0].offset == log.stat().st_size
    await h.src.close()


async def test_multiline_entry_in_progress_keeps_the_checkpoint_before_it(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("E1\n trace 1\nE2\n trace 2\n")
    h = Harness(tmp_path)
    await h.start()
    await h.next_batch()
    assert h.messages() == ["E1\n trace 1"]
    assert h.checkpoints()[0].offset == len("E1\n trace 1\n"), "E2 is still being assembled"
    await h.restart()
    await h.settle(advance=5)
    assert h.messages() == ["E1\n trace 1", "E2\n trace 2"]
    assert h.checkpoints()[0].offset == log.stat().st_size
    assert_no_duplicate_ids(h.acked)
    await h.src.close()


async def test_idle_multiline_entry_is_flushed_after_the_timeout(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("E1\n trace\n")
    h = Harness(tmp_path, flush_after=30.0)
    await h.start()
    await h.settle(advance=1)
    assert h.acked == []
    await h.settle(advance=60)
    assert h.messages() == ["E1\n trace"]
    await h.src.close()


async def test_restart_without_ack_loses_nothing(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(lines("a", 0, 10))
    h = Harness(tmp_path, parser=single_factory, batch_max_records=4)
    await h.start()
    await h.next_batch()
    assert len(h.acked) == 4
    await h.restart()
    await h.settle()
    assert h.messages() == [f"a {i}" for i in range(10)]
    assert_no_duplicate_ids(h.acked)
    await h.src.close()


async def test_partial_last_line_waits_then_is_emitted_when_idle(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("done\nhalf")
    h = Harness(tmp_path, parser=single_factory, partial_line_after=10.0)
    await h.start()
    await h.settle(advance=1)
    assert h.messages() == ["done"]
    append(log, " line\n")
    await h.settle(advance=1)
    assert h.messages() == ["done", "half line"]
    append(log, "no newline")
    await h.settle(advance=1)
    assert h.messages() == ["done", "half line"]
    await h.settle(advance=20)
    assert h.messages() == ["done", "half line", "no newline"]
    await h.src.close()


async def test_bad_utf8_and_long_lines_keep_offsets_exact(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"bad \xff\xfe\xfd bytes\n" + b"y" * 500 + b"\nafter\n")
    h = Harness(tmp_path, parser=single_factory, max_line_bytes=100)
    await h.start()
    await h.settle()
    msgs = h.messages()
    assert msgs[0] == "bad \ufffd\ufffd\ufffd bytes"
    assert msgs[1] == "y" * 100 and h.acked[1].doc["log"]["flags"] == ["truncated"]
    assert msgs[2] == "after"
    assert [r.doc_id.rsplit("-", 1)[1] for r in h.acked] == ["0", "14", "515"]
    assert h.checkpoints()[0].offset == log.stat().st_size
    assert h.src.stats.truncated == 1
    await h.src.close()


async def test_bad_utf8_inside_a_multiline_entry_does_not_move_the_checkpoint_too_far(
    tmp_path: Path,
) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"E1\n \xff\xff\xff\xff\xff\xff\nE2\n")
    h = Harness(tmp_path)
    await h.start()
    await h.next_batch()
    assert len(h.acked) == 1
    assert h.checkpoints()[0].offset == len(b"E1\n \xff\xff\xff\xff\xff\xff\n")
    await h.src.close()


async def test_rename_and_create_rotation(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(lines("old", 0, 3))
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    await h.settle()
    writer = log.open("a", encoding="utf-8")
    writer.write(lines("old", 3, 4))
    writer.flush()
    os.rename(log, tmp_path / "a.log.1")
    writer.write(lines("old", 4, 5))
    writer.close()
    log.write_text(lines("new", 0, 2))
    await h.settle(advance=5)
    assert sorted(h.messages()) == sorted([f"old {i}" for i in range(5)] + ["new 0", "new 1"])
    assert_no_duplicate_ids(h.acked)
    assert [w.file.path for w in h.src._work.values()] == [str(log)]
    offsets = {c.inode: c.offset for c in h.checkpoints()}
    for p in (log, tmp_path / "a.log.1"):
        assert offsets[p.stat().st_ino] == p.stat().st_size
    await h.src.close()


async def test_copytruncate_rotation(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(lines("before truncation", 0, 5))
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    await h.settle()
    shutil.copy(log, tmp_path / "a.log.1")
    with log.open("r+") as f:
        f.truncate(0)
    append(log, "fresh 0\n")
    await h.settle()
    append(log, "fresh 1\n")
    await h.settle()
    assert h.messages()[5:] == ["fresh 0", "fresh 1"]
    assert_no_duplicate_ids(h.acked)
    assert h.checkpoints()[0].offset == log.stat().st_size
    await h.src.close()


async def test_truncation_then_regrowth_past_the_offset_is_caught_by_the_fingerprint(
    tmp_path: Path,
) -> None:
    log = tmp_path / "a.log"
    log.write_text(lines("a", 0, 2))
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    await h.settle()
    with log.open("w") as f:
        f.write(lines("rewritten and much longer than before", 0, 3))
    await h.settle()
    assert h.messages() == ["a 0", "a 1"] + [
        f"rewritten and much longer than before {i}" for i in range(3)
    ]
    assert_no_duplicate_ids(h.acked)
    await h.src.close()


async def test_truncated_to_empty_then_written_later(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(lines("a", 0, 3))
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    await h.settle()
    log.write_text("")
    await h.settle()
    append(log, "b 0\n")
    await h.settle()
    assert h.messages() == ["a 0", "a 1", "a 2", "b 0"]
    assert h.checkpoints()[0].offset == 4
    await h.src.close()


async def test_deleted_file_is_finished_then_forgotten(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(lines("a", 0, 2))
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    await h.settle()
    writer = log.open("a", encoding="utf-8")
    os.unlink(log)
    writer.write("a 2\n")
    writer.close()
    await h.settle(advance=5)
    assert h.messages() == ["a 0", "a 1", "a 2"]
    assert h.src._work == {}
    assert h.checkpoints() == []
    await h.src.close()


async def test_file_appearing_later_is_read_from_its_start(tmp_path: Path) -> None:
    h = Harness(tmp_path, parser=single_factory, read_from=ReadFrom.END)
    (tmp_path / "early.log").write_text("skipped\n")
    await h.start()
    await h.settle()
    assert h.acked == []
    (tmp_path / "late.log").write_text("late 0\nlate 1\n")
    await h.settle(advance=2)
    assert h.messages() == ["late 0", "late 1"]
    await h.src.close()


async def test_inode_reuse_is_detected_by_the_fingerprint(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(lines("new content", 0, 3))
    st = log.stat()
    reg = CheckpointRegistry(tmp_path / "state" / "checkpoints.db")
    reg.commit("logs", [FileCheckpoint(st.st_dev, st.st_ino, "0" * 32, 10, str(log), 20)])
    reg.close()
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    await h.settle()
    assert h.messages() == [f"new content {i}" for i in range(3)]
    await h.src.close()


async def test_ids_are_stable_across_runs_and_follow_the_content(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(lines("x", 0, 3))
    (tmp_path / "b.log").write_text(lines("y", 0, 3))
    (tmp_path / "copy.log").write_text(lines("x", 0, 3))
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    await h.settle()
    first = [r.doc_id for r in h.acked]
    assert len(first) == 9
    assert len(set(first)) == 6, "a byte-identical copy (copytruncate's .1) maps to the same ids"
    h.acked.clear()
    await h.restart(ignore_checkpoints=True)
    await h.settle()
    assert [r.doc_id for r in h.acked] == first
    await h.src.close()


async def test_unparsed_entries_are_counted(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("ok\nBAD line\nok\n")
    h = Harness(tmp_path, parser=single_factory)
    await h.start()
    await h.settle()
    assert h.src.stats.unparsed == 1 and h.src.stats.entries == 3
    status = h.src.status()
    assert status["stats"]["lines"] == 3 and status["files"][0]["committed"] == 15
    await h.src.close()


async def test_finite_run_stops_at_the_end_of_the_files(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("E1\n more\nE2\nno newline")
    h = Harness(tmp_path)
    h.src = h._new_source(follow=False)
    await h.src.run(h.submit)
    assert h.messages() == ["E1\n more", "E2", "no newline"]


OSLO = (
    "2024-05-01 12:00:00.123 1234 INFO nova.api.openstack.wsgi [req-1 - - - - -] GET / 200\n"
    "2024-05-01 12:00:01.456 1234 ERROR nova.compute.manager [req-2 - - - - -] Boom\n"
    "2024-05-01 12:00:01.456 1234 ERROR nova.compute.manager Traceback (most recent call last):\n"
    "2024-05-01 12:00:01.456 1234 ERROR nova.compute.manager ValueError: caf\xe9\n"
)


def real_parser(spec: WatchSpec, path: str) -> Any:
    from osmon.logs.parser import LogParser

    return LogParser(spec.format, service=spec.service, host="node1", path=path)


async def test_real_oslo_parser_checkpoints_before_the_traceback_in_progress(
    tmp_path: Path,
) -> None:
    log = tmp_path / "nova-compute.log"
    log.write_text(OSLO, encoding="utf-8")
    h = Harness(tmp_path, parser=real_parser, flush_after=30.0)
    h.specs = [WatchSpec(str(log), "oslo", "nova-compute")]
    h.src = h._new_source()
    await h.start()
    await h.next_batch()
    assert [r.doc["message"] for r in h.acked] == ["GET / 200"]
    first_line = len(OSLO.splitlines(keepends=True)[0].encode())
    assert h.checkpoints()[0].offset == first_line
    await h.restart()
    await h.settle(advance=60)
    assert [r.doc["message"] for r in h.acked] == ["GET / 200", "Boom"]
    assert "ValueError" in h.acked[1].doc["error"]["stack_trace"]
    assert h.acked[1].doc_id.endswith(f"-{first_line}")
    assert h.checkpoints()[0].offset == log.stat().st_size
    await h.src.close()


async def test_build_follows_the_inventory_files_of_this_host(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry

    from osmon.components import Context
    from osmon.inventory import load_text
    from osmon.sources.logs import build

    inv = load_text(
        "cloud: {name: c, log_timezone: Europe/Paris}\n"
        "hosts: {ctl1: {address: 10.0.0.1}, ctl2: {address: 10.0.0.2}}\n"
        "services:\n"
        "  nova-api: {hosts: [ctl1]}\n"
        "  glance-api: {hosts: [ctl2]}\n"
    )
    ctx = Context(inv, tmp_path, CollectorRegistry(), extra={"hostname": "ctl1.example.org"})
    src = build("logs", {}, ctx)
    assert [(s.pattern, s.format, s.service) for s in src.specs] == [
        ("/var/log/nova/nova-api.log", "oslo", "nova-api")
    ]
    assert src.registry_path == tmp_path / "checkpoints.db"
    explicit = build("logs", {"files": [{"path": "/x/*.log", "service": "x"}]}, ctx)
    assert [s.pattern for s in explicit.specs] == ["/x/*.log"]


def expected_entries(content: bytes) -> dict[int, str]:
    """The fake parser's entries, computed independently of the tailer."""
    out: dict[int, list[str]] = {}
    last: int | None = None
    offset = 0
    pieces = content.split(b"\n")
    for i, raw in enumerate(pieces):
        if i == len(pieces) - 1 and raw == b"":
            break
        text = raw.removesuffix(b"\r").decode("utf-8", "replace")
        if text.startswith(" ") and last is not None:
            out[last].append(text)
        else:
            out[offset] = [text]
            last = offset
        offset += len(raw) + 1
    return {k: "\n".join(v) for k, v in out.items()}


line_text = st.one_of(
    st.text(alphabet="abc xyz", max_size=12),
    st.just(" continuation"),
    st.binary(max_size=6).map(lambda b: b.replace(b"\n", b"").decode("latin-1")),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    texts=st.lists(line_text, min_size=1, max_size=25),
    bad=st.booleans(),
    script=st.lists(st.tuples(st.integers(1, 60), st.sampled_from(["ack", "nack", "restart"]))),
)
async def test_any_mix_of_nacks_restarts_and_splits_delivers_each_entry_once_by_id(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str], bad: bool, script: list[Any]
) -> None:
    tmp = tmp_path_factory.mktemp("fuzz")
    content = "\n".join(texts).encode("utf-8") + b"\n"
    if bad:
        content = content.replace(b"a", b"\xff", 1)
    log = tmp / "a.log"
    log.write_bytes(b"")
    h = Harness(tmp, flush_after=1000.0, partial_line_after=1000.0, batch_max_records=3)
    await h.start()
    written = 0
    for size, action in script:
        with log.open("ab") as f:
            f.write(content[written : written + size])
        written = min(len(content), written + size)
        if action == "restart":
            await h.restart()
        h.accept = action != "nack"
        for _ in range(3):
            await h.src.poll_once(h.submit)
    with log.open("ab") as f:
        f.write(content[written:])
    h.accept = True
    await h.settle(advance=2000)
    await h.src.close()

    want = expected_entries(content)
    got: dict[str, str] = {}
    for r in h.acked:
        assert got.setdefault(r.doc_id, r.doc["message"]) == r.doc["message"], r.doc_id
    assert {int(k.rsplit("-", 1)[1]): v for k, v in got.items()} == want
    assert h.checkpoints()[0].offset == len(content)


async def test_run_follows_rotation_through_the_router_until_stopped(tmp_path: Path) -> None:
    import asyncio

    from prometheus_client import CollectorRegistry

    from osmon.deadletter import DeadLetters
    from osmon.records import Kind
    from osmon.retry import RetryPolicy
    from osmon.router import Router
    from osmon.selfmetrics import SelfMetrics
    from osmon.spool import Spool
    from tests.unit.fakesinks import ScriptedSink

    sink = ScriptedSink("archive")
    sink.script = ["down", "down", "down"]
    router = Router(
        {Kind.LOG: [sink]},  # type: ignore[list-item]
        Spool(tmp_path / "spool.db"),
        DeadLetters(tmp_path / "dl"),
        SelfMetrics(CollectorRegistry()),
        RetryPolicy(attempts=2, initial=0.001, maximum=0.01, timeout=5),
    )
    await router.start()
    log = tmp_path / "a.log"
    log.write_text(lines("old", 0, 50))
    opts = LogsOptions(poll_interval=0.01, scan_interval=0.02, rotate_wait=0.05)
    src = LogsSource(
        "logs",
        [WatchSpec(str(tmp_path / "*.log"), "fake", "svc")],
        tmp_path / "checkpoints.db",
        host="node1",
        parser_factory=single_factory,
        record_maker=to_record,
        options=opts,
    )
    task = asyncio.create_task(src.run(router.submit))

    async def received(n: int) -> None:
        while len({r.doc_id for r in sink.received if isinstance(r, LogRecord)}) < n:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(received(50), 30)
    os.rename(log, tmp_path / "a.log.1")
    log.write_text(lines("new", 0, 10))
    await asyncio.wait_for(received(60), 30)
    await asyncio.wait_for(until_released(src), 30)
    await src.stop()
    await asyncio.wait_for(task, 30)
    await router.stop()
    router.spool.close()
    messages = sorted({str(r.doc["message"]) for r in sink.received if isinstance(r, LogRecord)})
    assert messages == sorted([f"old {i}" for i in range(50)] + [f"new {i}" for i in range(10)])
    assert src.status()["stats"]["entries"] == 60


async def until_released(src: LogsSource) -> None:
    import asyncio

    while len(src.status()["files"]) != 1:
        await asyncio.sleep(0.01)


def test_options_reject_unknown_formats_and_keys(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown log format 'nope'"):
        LogsOptions.model_validate({"files": [{"path": "/x", "format": "nope"}]})
    with pytest.raises(ValidationError, match="extra"):
        LogsOptions.model_validate({"poll": 1})


async def test_every_inventory_format_is_parsed_as_declared(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry

    from osmon.components import Context
    from osmon.inventory import load_text
    from osmon.inventory.catalog import LOG_FORMATS
    from osmon.sources.logs import build, known_format

    assert all(known_format(f) for f in LOG_FORMATS)

    inv = load_text(
        "cloud: {name: c}\nhosts: {ctl1: {address: 10.0.0.1}}\n"
        "infrastructure:\n  memcached: {hosts: [ctl1]}\n"
    )
    ctx = Context(inv, tmp_path, CollectorRegistry(), extra={"hostname": "ctl1"})
    src = build("logs", {}, ctx)
    assert [(s.pattern, s.format) for s in src.specs] == [("/var/log/memcached.log", "plain")]
