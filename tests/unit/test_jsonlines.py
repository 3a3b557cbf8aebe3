"""The one JSON Lines writer: whole lines, a torn tail cut before the first append."""

from __future__ import annotations

from pathlib import Path

from osmon.deadletter import DeadLetters
from osmon.jsonlines import JsonlFile
from osmon.records import Sample


def test_a_torn_last_line_is_cut_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "f.jsonl"
    path.parent.mkdir()
    path.write_bytes(b'{"a": 1}\n{"b": ')
    f = JsonlFile(path)
    assert f.append([{"c": 2}, {"d": [3]}]) == 2
    assert f.read() == [{"a": 1}, {"c": 2}, {"d": [3]}]
    assert f.append([]) == 0


def test_a_file_that_is_only_a_fragment_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"never finished"')
    JsonlFile(path, fsync=True).append([1])
    assert path.read_bytes() == b"1\n"


def test_dead_letters_share_the_writer(tmp_path: Path) -> None:
    dl = DeadLetters(tmp_path / "dl")
    dl.path("gnocchi").parent.mkdir()
    dl.path("gnocchi").write_bytes(b'{"torn')
    sample = Sample(name="cpu", value=1.0, timestamp=0.0, unit="ns")
    assert dl.write("gnocchi", [(sample, "refused")]) == 1
    [row] = dl.read("gnocchi")
    assert row["reason"] == "refused" and row["sink"] == "gnocchi" and dl.counts == {"gnocchi": 1}
