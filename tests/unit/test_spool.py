from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osmon.records import Event, LogRecord, Sample
from osmon.spool import DropPolicy, Spool, SpoolFull


def samples(n: int, start: int = 0) -> list[Sample]:
    return [Sample("m", float(i), 1.0 + i, resource_id=f"r{i}") for i in range(start, start + n)]


def test_put_peek_delete_roundtrip_every_kind(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s.db")
    ev = [Event("compute.instance.create.end", 2.0, "m1", {"a": 1}, {"raw": [1, 2]})]
    lg = [LogRecord({"message": "x", "log": {"level": "INFO"}}, "id1", "nova")]
    sp.put("a", samples(3))
    sp.put("a", ev)
    sp.put("b", lg)
    assert sp.depth() == 5 and sp.depth("a") == 4 and sp.chunks("a") == 2
    c1 = sp.peek("a")[0]
    assert c1.records == samples(3)
    sp.delete(c1.id)
    c2 = sp.peek("a")[0]
    assert c2.records == ev
    assert sp.peek("b")[0].records == lg
    sp.close()


def test_survives_reopen(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s.db")
    sp.put("a", samples(10))
    sp.close()
    sp2 = Spool(tmp_path / "s.db")
    assert sp2.depth() == 10 and sp2.bytes > 0
    assert sp2.peek("a")[0].records == samples(10)


def test_wal_mode(tmp_path: Path) -> None:
    Spool(tmp_path / "s.db").close()
    mode = sqlite3.connect(tmp_path / "s.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_drop_oldest_counts(tmp_path: Path) -> None:
    one = len(__import__("msgpack").packb([s.to_wire() for s in samples(100)]))
    sp = Spool(tmp_path / "s.db", max_bytes=one * 3 + one // 2)
    for i in range(5):
        sp.put("a", samples(100, i * 100))
    assert sp.depth() == 300
    assert sp.dropped == {"full_oldest": 200}
    assert sp.peek("a")[0].records[0].value == 200.0


def test_drop_newest_and_block(tmp_path: Path) -> None:
    one = len(__import__("msgpack").packb([s.to_wire() for s in samples(100)]))
    sp = Spool(tmp_path / "n.db", max_bytes=one + one // 2, policy=DropPolicy.DROP_NEWEST)
    sp.put("a", samples(100))
    out = sp.put("a", samples(100, 100))
    assert out.dropped == 100 and sp.depth() == 100
    assert sp.peek("a")[0].records[0].value == 0.0
    sb = Spool(tmp_path / "b.db", max_bytes=one + one // 2, policy=DropPolicy.BLOCK)
    sb.put("a", samples(100))
    with pytest.raises(SpoolFull) as ei:
        sb.put("a", samples(100))
    assert ei.value.reason == "blocked"


def test_replace_keeps_position(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s.db")
    sp.put("a", samples(5))
    sp.put("a", samples(5, 5))
    first = sp.peek("a")[0]
    sp.replace(first.id, first.records[3:])
    assert sp.depth("a") == 7
    assert [r.value for r in sp.peek("a")[0].records] == [3.0, 4.0]


def test_unwritable_spool_raises_disk_full(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "s.db")
    sp._db.execute("PRAGMA max_page_count = 1")  # simulate ENOSPC: SQLITE_FULL
    big = [Sample("m" * 100, 1.0, 1.0, resource_id="x" * 5000)]
    with pytest.raises(SpoolFull) as ei:
        sp.put("a", big)
    assert ei.value.reason == "disk_full"
    assert sp.depth() == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(1, 20)), max_size=30))
def test_fifo_per_sink(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int]]
) -> None:
    sp = Spool(tmp_path_factory.mktemp("fifo") / "s.db")
    expected: dict[str, list[float]] = {"a": [], "b": []}
    counter = 0
    for sink, n in ops:
        recs = samples(n, counter)
        counter += n
        sp.put(sink, recs)
        expected[sink].extend(r.value for r in recs)
    for sink in ("a", "b"):
        got: list[float] = []
        while chunks := sp.peek(sink):
            got.extend(r.value for r in chunks[0].records)  # type: ignore[union-attr]
            sp.delete(chunks[0].id)
        assert got == expected[sink]
    assert sp.depth() == 0 and sp.bytes == 0
