"""Probe results → passive results under the inventory's passive service names."""

from __future__ import annotations

from typing import Any

from osmon.checks.latest import CheckState
from osmon.checks.state import State
from osmon.nagios import ProbeForwarder
from tests.unit.sources.probes.conftest import INVENTORY, inventory


class FakeFeed:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def service_result(self, *args: Any) -> None:
        self.sent.append(args)


def _state(target: str, state: State = State.OK) -> CheckState:
    return CheckState(target, "http", state, "HTTP 200", 1234.5, perfdata="time=1s")


def test_results_go_to_the_passive_service_of_their_target() -> None:
    feed = FakeFeed()
    fwd = ProbeForwarder(feed, inventory())  # type: ignore[arg-type]
    assert len(fwd) == 3
    fwd(_state("keystone/api@h2", State.CRITICAL))
    fwd(_state("nowhere/x@h1"))  # no passive service: nothing sent
    assert feed.sent == [("h2", "keystone api", 2, "HTTP 200", "time=1s", 1234.5)]


def test_follow_takes_the_reloaded_inventory() -> None:
    feed = FakeFeed()
    fwd = ProbeForwarder(feed, inventory())  # type: ignore[arg-type]
    fwd.follow(inventory(INVENTORY.replace("hosts: [h1, h2]", "hosts: [h1]")))
    fwd(_state("keystone/api@h2"))
    fwd(_state("keystone/api@h1"))
    assert [s[:2] for s in feed.sent] == [("h1", "keystone api")]
