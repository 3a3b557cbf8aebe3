"""The latest-state store: round trip across a restart, atomic replacement, tolerant reading."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from osmon.checks.latest import FORMAT_VERSION, CheckState, LatestState, read_states
from osmon.checks.state import State


def _state(target: str, state: State = State.OK, **extra: object) -> CheckState:
    return CheckState(
        target=target,
        kind="http",
        state=state,
        summary=f"{state.name} summary",
        checked_at=1_700_000_000.5,
        duration=0.012,
        metrics=(
            {
                "name": "response_time",
                "series": "osmon_probe_response_time",
                "value": 0.01,
                "unit": "s",
                "labels": {},
            },
        ),
        perfdata="response_time=0.01s;1;5",
        owner="ctl1",
        **extra,  # type: ignore[arg-type]
    )


def test_states_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "latest-state.json"
    first = LatestState(path)
    first.put(_state("keystone/api@ctl1"))
    first.put(_state("nova-api/api@ctl2", State.CRITICAL))
    assert first.dirty
    first.flush()
    assert not first.dirty
    second = LatestState(path)  # the restarted daemon
    assert second.all() == first.all()
    assert second.get("nova-api/api@ctl2") == _state("nova-api/api@ctl2", State.CRITICAL)
    assert not second.dirty
    assert list(tmp_path.joinpath("state").iterdir()) == [path]  # no temp file left


def test_the_file_is_json_a_plugin_reads_with_the_stdlib(tmp_path: Path) -> None:
    path = tmp_path / "latest-state.json"
    store = LatestState(path)
    store.put(_state("keystone/api@ctl1", State.WARNING))
    store.flush()
    doc = json.loads(path.read_text())
    assert doc["version"] == FORMAT_VERSION
    assert doc["states"] == [
        {
            "target": "keystone/api@ctl1",
            "kind": "http",
            "state": "WARNING",
            "summary": "WARNING summary",
            "checked_at": 1_700_000_000.5,
            "duration_seconds": 0.012,
            "metrics": [
                {
                    "name": "response_time",
                    "series": "osmon_probe_response_time",
                    "value": 0.01,
                    "unit": "s",
                    "labels": {},
                }
            ],
            "perfdata": "response_time=0.01s;1;5",
            "owner": "ctl1",
        }
    ]
    assert read_states(path) == {"keystone/api@ctl1": _state("keystone/api@ctl1", State.WARNING)}


def test_an_older_format_or_garbage_is_ignored_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "latest-state.json"
    path.write_text(json.dumps({"version": 1, "states": [{"check": "x", "target": "y"}]}))
    assert LatestState(path).all() == []
    path.write_text("{not json")
    store = LatestState(path)
    assert store.all() == []
    store.put(_state("a/b@c"))
    store.flush()
    assert [s.target for s in LatestState(path).all()] == ["a/b@c"]


def test_retain_forgets_targets_gone_from_the_inventory_and_counts_cover_every_state() -> None:
    store = LatestState()
    store.put(_state("a/api@h1"))
    store.put(_state("b/api@h1", State.CRITICAL))
    store.put(_state("c/api@h1", State.UNKNOWN))
    store.flush()  # no path: nothing to write
    assert store.retain(["a/api@h1", "c/api@h1", "new/api@h1"]) == 1
    assert [s.target for s in store.all()] == ["a/api@h1", "c/api@h1"]
    assert store.counts() == {"OK": 1, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 1}


def test_a_flush_in_a_thread_while_results_arrive_writes_a_whole_document(tmp_path: Path) -> None:
    path = tmp_path / "latest-state.json"
    store = LatestState(path)
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            store.put(_state(f"s{i % 500}/api@h1"))
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        for _ in range(20):
            store.flush()
            assert len(read_states(path)) <= 500
    finally:
        stop.set()
        t.join()
