"""Alarm effects without HTTP: Nagios states, the feed's failures, reload, the Event's shape."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from osmon.alarms.effects import AlarmEffects, AlarmMetrics, AodhNotification, NagiosTarget
from osmon.checks.state import State
from osmon.inventory import load_text

INVENTORY = """
cloud: {name: prod}
hosts: {ctl1: {address: 10.0.0.11}}
alarms:
  - {name: cpu-high, metric: cpu, comparison: gt, threshold: 90}
"""


def note(current: str = "alarm", severity: str | None = "critical", **kw: Any) -> AodhNotification:
    return AodhNotification.model_validate(
        {
            "alarm_name": "osmon-prod-cpu-high",
            "alarm_id": "id-1",
            "severity": severity,
            "previous": None,
            "current": current,
            "reason": "why",
            "reason_data": {},
            **kw,
        }
    )


class Feed:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.results: list[tuple[str, str, int, str]] = []

    def service_result(self, host: str, service: str, state: int, output: str) -> None:
        if self.fail:
            raise OSError("command pipe gone")
        self.results.append((host, service, state, output))


class AsyncFeed(Feed):
    async def service_result(self, host: str, service: str, state: int, output: str) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        super().service_result(host, service, state, output)


def effects(
    feed: Any, target: NagiosTarget | None = None, inventory: str = INVENTORY
) -> AlarmEffects:
    return AlarmEffects(
        AlarmMetrics(CollectorRegistry()),
        load_text(inventory, "inv.yaml"),
        10,
        target or NagiosTarget(None, "alarm: {alarm}"),
        {"nagios": feed},
    )


@pytest.mark.parametrize(
    ("current", "severity", "state"),
    [
        ("ok", "critical", State.OK),
        ("alarm", "critical", State.CRITICAL),
        ("alarm", "moderate", State.WARNING),
        ("alarm", "low", State.WARNING),
        ("alarm", None, State.WARNING),
        ("insufficient data", "critical", State.UNKNOWN),
    ],
)
async def test_nagios_state_per_transition(
    current: str, severity: str | None, state: State
) -> None:
    feed = Feed()
    await effects(feed).to_nagios(note(current, severity))
    [(host, service, got, output)] = feed.results
    assert (host, service, got) == ("prod", "alarm: cpu-high", state)
    assert output == f"{state.name} - {current}: why"


async def test_async_feed_host_override_and_disabled() -> None:
    feed = AsyncFeed()
    await effects(feed, NagiosTarget("cloud-alarms", "{alarm}")).to_nagios(note())
    assert feed.results[0][:2] == ("cloud-alarms", "cpu-high")
    off = Feed()
    await effects(off, NagiosTarget(None, "x", enabled=False)).to_nagios(note())
    assert off.results == []


async def test_a_failing_feed_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    await effects(Feed(fail=True)).to_nagios(note())
    assert "Nagios result not written: command pipe gone" in caplog.text


async def test_no_feed_or_unknown_alarm_sends_nothing() -> None:
    await effects(None).to_nagios(note())
    feed = Feed()
    await effects(feed).to_nagios(note(alarm_name="not-ours"))
    assert feed.results == []


def test_reload_follows_the_inventory() -> None:
    e = effects(None)
    assert set(e.known) == {"osmon-prod-cpu-high"}
    e.reload(load_text(INVENTORY.replace("cpu-high", "mem-high"), "inv.yaml"))
    assert set(e.known) == {"osmon-prod-mem-high"}


def test_event_carries_the_inventory_mapping_and_aodh_body() -> None:
    inventory = INVENTORY.replace(
        "alarms:\n  - {name: cpu-high, metric: cpu, comparison: gt, threshold: 90}\n",
        "services:\n  nova-api:\n    hosts: [ctl1]\n    alarms:\n"
        "      - {name: cpu-high, metric: cpu, comparison: gt, threshold: 90}\n",
    )
    event = effects(None, inventory=inventory).apply(note(), 12.5, "")
    assert event.timestamp == 12.5 and event.message_id  # a fresh id when Aodh sent none
    assert event.traits["service"] == "nova-api"
    assert event.traits["previous"] == ""
    assert event.raw["alarm_name"] == "osmon-prod-cpu-high"
