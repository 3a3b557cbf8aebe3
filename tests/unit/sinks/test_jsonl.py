from __future__ import annotations

import json
from pathlib import Path

from prometheus_client import CollectorRegistry

from osmon.components import Context
from osmon.records import Event, Sample
from osmon.sinks.jsonl import build


def make(tmp: Path) -> object:
    ctx = Context(inventory=None, state_dir=tmp, registry=CollectorRegistry())  # type: ignore[arg-type]
    return build("arch", {"path": "out/a.jsonl"}, ctx)


async def test_appends_every_record_kind(tmp_path: Path) -> None:
    s = make(tmp_path)
    await s.start()  # type: ignore[attr-defined]
    res = await s.write([Sample("m", 1.0, 2.0), Event("x", 1.0, "id")])  # type: ignore[attr-defined]
    assert res.ok
    lines = [json.loads(x) for x in (tmp_path / "out/a.jsonl").read_text().splitlines()]
    assert [x["kind"] for x in lines] == ["sample", "event"]


async def test_torn_tail_from_a_crash_is_cut_on_start(tmp_path: Path) -> None:
    p = tmp_path / "out/a.jsonl"
    p.parent.mkdir(parents=True)
    p.write_text('{"kind": "sample", "record": []}\n{"kind": "sam')
    s = make(tmp_path)
    await s.start()  # type: ignore[attr-defined]
    await s.write([Sample("m", 1.0, 2.0)])  # type: ignore[attr-defined]
    lines = p.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(x) for x in lines)
