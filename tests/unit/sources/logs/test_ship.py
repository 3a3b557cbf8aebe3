"""``osmon logs ship``: the backfill loop, its resumption, and the giving up on dead sinks."""

from __future__ import annotations

from pathlib import Path

from osmon.batch import Batch
from osmon.logs.tail import WatchSpec
from osmon.records import LogRecord
from osmon.sources.logs.ship import ShipSummary, file_specs, ship
from tests.unit.fakeparser import fake_factory, to_record


class Sink:
    def __init__(self, fail: int = 0, fail_forever: bool = False) -> None:
        self.fail = fail
        self.fail_forever = fail_forever
        self.records: list[LogRecord] = []

    async def submit(self, batch: Batch) -> None:
        if self.fail_forever or self.fail > 0:
            self.fail -= 1
            batch.nack()
            return
        self.records.extend(r for r in batch.records if isinstance(r, LogRecord))
        batch.ack()


def write(path: Path, n: int) -> None:
    path.write_text("".join(f"entry {i} of {path.name}\n  detail {i}\n" for i in range(n)))


async def run(tmp: Path, sink: Sink, specs: list[WatchSpec], **kw: object) -> ShipSummary:
    return await ship(
        specs,
        sink.submit,
        registry_path=tmp / "cp.db",
        host="h",
        parser_factory=fake_factory,
        record_maker=to_record,
        batch_max_records=7,
        **kw,  # type: ignore[arg-type]
    )


async def test_ships_every_entry_and_summarises(tmp_path: Path) -> None:
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    write(a, 20)
    write(b, 5)
    sink = Sink(fail=2)
    seen: list[tuple[int, int]] = []
    summary = await run(
        tmp_path,
        sink,
        file_specs([a, b], None, "fake", None),
        on_progress=lambda d, t: seen.append((d, t)),
    )
    assert summary.complete
    assert (summary.files, summary.lines, summary.entries) == (2, 50, 25)
    assert summary.bytes == a.stat().st_size + b.stat().st_size
    assert len({r.doc_id for r in sink.records}) == 25 == len(sink.records)
    assert {r.service for r in sink.records} == {"a", "b"}
    assert seen[-1] == (summary.bytes, summary.bytes)
    assert any(line.startswith("entries:   25") for line in summary.lines_out())


async def test_second_ship_resumes_and_from_start_repeats_the_same_ids(tmp_path: Path) -> None:
    a = tmp_path / "a.log"
    write(a, 10)
    specs = file_specs([a], None, "fake", "svc")
    first = Sink()
    await run(tmp_path, first, specs)
    with a.open("a") as f:
        f.write("entry 10\n")
    again = Sink()
    summary = await run(tmp_path, again, specs)
    assert [r.doc["message"] for r in again.records] == ["entry 10"]
    assert summary.bytes == len("entry 10\n")
    replay = Sink()
    await run(tmp_path, replay, specs, from_start=True)
    assert [r.doc_id for r in replay.records] == [r.doc_id for r in first.records + again.records]


async def test_gives_up_when_the_sinks_never_accept(tmp_path: Path) -> None:
    a = tmp_path / "a.log"
    write(a, 3)
    summary = await run(
        tmp_path, Sink(fail_forever=True), file_specs([a], None, "fake", None), give_up_after=2
    )
    assert not summary.complete and "not accepted" in (summary.error or "")
    assert summary.bytes == 0
    assert "progress saved" in summary.lines_out()[-1]


def test_file_specs_escape_glob_characters_and_default_names(tmp_path: Path) -> None:
    odd = tmp_path / "nova[1].log"
    odd.write_text("x\n")
    [spec] = file_specs([odd, odd], None, None, None)
    assert spec.format == "oslo" and spec.service == "nova[1]"
    assert "[[]" in spec.pattern
