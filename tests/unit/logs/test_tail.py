from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osmon.logs.checkpoint import CheckpointRegistry
from osmon.logs.fingerprint import FINGERPRINT_BYTES, doc_id, fingerprint
from osmon.logs.tail import Line, ReadFrom, TailedFile, Tailer, WatchSpec


def open_file(path: Path, max_line: int = 1 << 20) -> TailedFile:
    fd = os.open(path, os.O_RDONLY)
    st = os.fstat(fd)
    return TailedFile(
        (st.st_dev, st.st_ino), str(path), WatchSpec(str(path), "x"), fd, 0, b"", 1, 0.0, max_line
    )


def test_lines_carry_exact_byte_offsets(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"one\ntwo\r\n\nthree\n")
    f = open_file(p)
    assert f.read(1 << 20, 1.0) == [
        Line("one", 0, 4),
        Line("two", 4, 9),
        Line("", 9, 10),
        Line("three", 10, 16),
    ]
    assert f.at_eof and not f.partial


def test_partial_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"one\ntw")
    f = open_file(p)
    assert [ln.text for ln in f.read(1 << 20, 1.0)] == ["one"]
    assert f.partial
    with p.open("ab") as w:
        w.write(b"o\n")
    assert f.read(1 << 20, 2.0) == [Line("two", 4, 8)]
    assert not f.partial


def test_partial_line_is_taken_when_the_file_goes_quiet(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"one\ntail")
    f = open_file(p)
    f.read(1 << 20, 1.0)
    assert f.take_partial() == Line("tail", 4, 8)
    assert f.take_partial() is None


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"ok \xff\xfe bad\nnext\n")
    f = open_file(p)
    lines = f.read(1 << 20, 1.0)
    assert lines[0].text == "ok \ufffd\ufffd bad"
    assert lines[1] == Line("next", 10, 15)


def test_over_long_line_is_cut_and_flagged(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    long = b"x" * 300
    p.write_bytes(long + b"\nshort\n")
    f = open_file(p, max_line=100)
    lines = f.read(1 << 20, 1.0)
    assert lines[0] == Line("x" * 100, 0, 301, truncated=True)
    assert lines[1] == Line("short", 301, 307)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.binary(max_size=400).map(lambda b: b.replace(b"\r", b"")),
    cuts=st.lists(st.integers(0, 400), max_size=6),
)
def test_any_split_of_appends_gives_the_same_lines(
    tmp_path: Path, content: bytes, cuts: list[int]
) -> None:
    p = tmp_path / "fuzz.log"
    p.write_bytes(b"")
    f = open_file(p, max_line=50)
    got: list[Line] = []
    prev = 0
    for cut in [*sorted(c for c in cuts if c <= len(content)), len(content)]:
        with p.open("ab") as w:
            w.write(content[prev:cut])
        prev = cut
        got += f.read(1 << 20, 1.0)
    tail = f.take_partial()
    if tail is not None:
        got.append(tail)
    os.close(f.fd)
    pieces = content.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    assert [ln.text for ln in got] == [pc[:50].decode("utf-8", "replace") for pc in pieces]
    starts = [0]
    for ln in got:
        assert ln.start == starts[-1]
        assert content[ln.start : ln.end].rstrip(b"\n").startswith(content[ln.start : ln.start])
        starts.append(ln.end)
    assert starts[-1] == len(content)


def test_head_tracks_the_first_bytes_read(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    data = b"".join(b"line %04d padding padding padding\n" % i for i in range(100))
    p.write_bytes(data)
    f = open_file(p)
    f.read(1 << 20, 1.0)
    assert f.head == data[:FINGERPRINT_BYTES]
    cp = f.checkpoint(2000)
    assert (cp.offset, cp.head_len, cp.fingerprint) == (2000, 1024, fingerprint(data))
    f.rewind(10)
    assert f.head == data[:10]
    assert f.checkpoint(10).fingerprint == fingerprint(data[:10])


def test_doc_ids_depend_on_host_content_and_offset() -> None:
    a = doc_id("h1", b"first line\n", 0)
    assert a == doc_id("h1", b"first line\n", 0)
    assert a.endswith("-0")
    assert a != doc_id("h2", b"first line\n", 0)
    assert a != doc_id("h1", b"other line\n", 0)
    assert doc_id("h1", b"x" * 2000, 5) == doc_id("h1", b"x" * 1024 + b"y", 5)


def test_one_file_matched_by_two_globs_is_followed_once(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("x\n")
    t = Tailer(
        [WatchSpec(str(tmp_path / "*.log"), "oslo", "one"), WatchSpec(str(tmp_path / "a.*"), "x")],
        None,
        "logs",
    )
    opened = t.scan()
    assert len(opened) == 1 and opened[0].spec.service == "one"
    assert t.scan() == []
    t.close()


def test_a_hard_link_under_another_name_is_the_same_file(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("x\n")
    os.link(tmp_path / "a.log", tmp_path / "b.log")
    t = Tailer([WatchSpec(str(tmp_path / "*.log"), "oslo")], None, "logs")
    assert len(t.scan()) == 1
    t.close()


def test_read_from_end_applies_only_to_the_first_scan(tmp_path: Path) -> None:
    (tmp_path / "old.log").write_text("old\n")
    t = Tailer([WatchSpec(str(tmp_path / "*.log"), "oslo")], None, "logs", read_from=ReadFrom.END)
    [old] = t.scan()
    assert old.pos == 4
    (tmp_path / "new.log").write_text("new\n")
    [new] = t.scan()
    assert new.pos == 0
    t.close()


def test_directories_and_unreadable_paths_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "dir.log").mkdir()
    t = Tailer([WatchSpec(str(tmp_path / "*.log"), "oslo")], None, "logs")
    assert t.scan() == []
    t.close()


def test_checkpoint_resumes_only_the_same_content(tmp_path: Path) -> None:
    reg = CheckpointRegistry(tmp_path / "cp.db")
    p = tmp_path / "a.log"
    p.write_bytes(b"alpha\nbeta\n")
    spec = WatchSpec(str(p), "oslo")
    t = Tailer([spec], reg, "logs")
    [f] = t.scan()
    f.read(1 << 20, 1.0)
    reg.commit("logs", [f.checkpoint(6)])
    t.close()

    t = Tailer([spec], reg, "logs")
    assert t.scan()[0].pos == 6
    t.close()

    p.write_bytes(b"ALPHA\nbeta\n")
    t = Tailer([spec], reg, "logs")
    assert t.scan()[0].pos == 0, "same inode, other content: read again from 0"
    t.close()

    t = Tailer([spec], reg, "logs", ignore_checkpoints=True)
    assert t.scan()[0].pos == 0
    t.close()
    reg.close()


def test_changed_detects_truncation_and_replaced_content(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(b"first line here\nsecond\n")
    f = open_file(p)
    f.read(1 << 20, 1.0)
    assert f.changed() is None
    p.write_bytes(b"short\n")
    assert "truncated" in (f.changed() or "")
    f.rewind(0)
    f.head = b""
    f.read(1 << 20, 1.0)
    with p.open("r+b") as w:
        w.write(b"SHORT\n and more content than before\n")
    assert "fingerprint" in (f.changed() or "")
