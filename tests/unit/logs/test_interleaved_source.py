"""The logs source with the real tailer and oslo parser over interleaved workers: a restart in
the middle of their tracebacks loses nothing and repeats nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osmon.logs.tail import WatchSpec
from tests.unit.logs.interleave import Record, api_error, api_info, conductor_error, stamp
from tests.unit.sources.logs.test_source import Harness, real_parser


def workers() -> tuple[list[Record], str]:
    """Three nova-api workers: two tracebacks and access lines, interleaved line by line."""
    records = [
        api_error(4101, stamp(1), 1),
        api_error(4102, stamp(2), 2),
        api_info(4103, stamp(3), 3),
        conductor_error(4103, stamp(4), 4),
        api_info(4102, stamp(5), 5),
        api_error(4101, stamp(6), 6),
        api_info(4103, stamp(7), 7),
    ]
    queues = {r.pid: [] for r in records}  # type: dict[int, list[str]]
    for r in records:
        queues[r.pid] += r.lines
    texts: list[str] = []
    while any(queues.values()):
        for q in queues.values():
            if q:
                texts.append(q.pop(0))
    return records, "".join(f"{t}\n" for t in texts)


def harness(tmp: Path, log: Path) -> Harness:
    h = Harness(tmp, parser=real_parser, flush_after=1000.0, partial_line_after=1000.0)
    h.specs = [WatchSpec(str(log), "oslo", "nova-api")]
    h.src = h._new_source()
    return h


async def deliver(tmp: Path, cuts: list[int]) -> tuple[list[Record], Harness, Path]:
    """Write the file in pieces ending at the ``cuts`` (fractions of 1000), restarting the
    source after each piece, then let it finish."""
    records, text = workers()
    data = text.encode()
    log = tmp / "nova-api.log"
    log.write_bytes(b"")
    h = harness(tmp, log)
    await h.start()
    written = 0
    for cut in sorted(cuts):
        upto = len(data) * cut // 1000
        with log.open("ab") as f:
            f.write(data[written:upto])
        written = max(written, upto)
        for _ in range(5):
            await h.src.poll_once(h.submit)
        await h.restart()
    with log.open("ab") as f:
        f.write(data[written:])
    await h.settle(advance=2000)
    await h.src.close()
    return records, h, log


def assert_each_record_once(records: list[Record], h: Harness, log: Path) -> None:
    got = Counter(str(r.doc["event"]["original"]) for r in h.acked)
    assert got == Counter("\n".join(r.lines) for r in records)
    assert len({r.doc_id for r in h.acked}) == len(h.acked)
    assert h.checkpoints()[0].offset == log.stat().st_size


async def test_restart_in_the_middle_of_interleaved_tracebacks(tmp_path: Path) -> None:
    records, h, log = await deliver(tmp_path, [300, 620])
    assert_each_record_once(records, h, log)
    traces = [r for r in h.acked if "error" in r.doc]
    assert [r.doc["process"]["pid"] for r in traces] == [4101, 4102, 4103, 4101]
    assert all(r.doc["error"]["stack_trace"].startswith("Traceback") for r in traces)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cuts=st.lists(st.integers(0, 1000), max_size=4))
async def test_restarts_anywhere_deliver_each_record_once(
    tmp_path_factory: pytest.TempPathFactory, cuts: list[int]
) -> None:
    tmp = tmp_path_factory.mktemp("interleaved")
    records, h, log = await deliver(tmp, cuts)
    assert_each_record_once(records, h, log)
