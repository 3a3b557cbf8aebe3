"""check_osmon's judgement of the daemon's ``/status`` (the HTTP side is in the conformance and
integration tests)."""

from __future__ import annotations

from typing import Any

import pytest

from osmon.checks.plugins.check_osmon import judge, parser
from osmon.checks.state import State

NOW = 1_000_000.0


def status(**parts: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "spool": {"records": 0, "dropped": {}, "error": None},
        "sinks": {"prom": {"last_success": NOW - 1, "last_error": None, "last_error_time": None}},
        "sources": {"probes": {"targets": 3}},
    }
    doc.update(parts)
    return doc


def verdict(doc: dict[str, Any], *argv: str) -> tuple[State, str, tuple[str, ...]]:
    result = judge(doc, parser().parse_args(list(argv)), NOW)
    return result.state, result.summary, result.perfdata


def test_healthy() -> None:
    assert verdict(status()) == (
        State.OK,
        "1 sinks, 1 sources, spool 0 records",
        ("spool_records=0;;;0", "spool_dropped=0c"),
    )


def test_spool_failing_is_critical_and_depth_follows_the_ranges() -> None:
    spool = {"records": 5000, "dropped": {"full_oldest": 7}, "error": "disk full"}
    state, summary, perf = verdict(status(spool=spool), "-w", "1000", "-c", "10000")
    assert state == State.CRITICAL
    assert summary == "spool failing: disk full; spool holds 5000 records; spool dropped 7 records"
    assert perf == ("spool_records=5000;1000;10000;0", "spool_dropped=7c")


def test_a_sink_failing_since_its_last_success() -> None:
    sinks = {"es": {"last_success": NOW - 60, "last_error": "503", "last_error_time": NOW - 5}}
    assert verdict(status(sinks=sinks))[:2] == (State.WARNING, "sink es failing: 503")
    sinks["es"]["last_success"] = NOW
    assert verdict(status(sinks=sinks))[0] == State.OK


@pytest.mark.parametrize(
    ("source", "argv", "note"),
    [
        ({"state": "error", "reason": "journalctl exited 1"}, [], "error journalctl exited 1"),
        ({"last_error": "file vanished"}, [], "file vanished"),
        ({"listeners": 0, "topics": ["notifications"]}, [], "no listener running"),
        ({"listeners": 1, "last_batch_at": NOW - 900}, ["--stalled", "600"], "no batch for 900s"),
    ],
)
def test_stalled_sources(source: dict[str, Any], argv: list[str], note: str) -> None:
    state, summary, _ = verdict(status(sources={"s": source}), *argv)
    assert (state, summary) == (State.WARNING, f"source s: {note}")


def test_a_recent_batch_is_not_stalled() -> None:
    source = {"listeners": 2, "last_batch_at": NOW - 30}
    assert verdict(status(sources={"s": source}), "--stalled", "600")[0] == State.OK
