"""The runner: time limit, exceptions → states, thresholds, the shared blackbox metrics."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from osmon.checks.state import State, worst
from osmon.inventory import Probe, Threshold
from osmon.probes import Metric, Observation, ProbeContext, ProbeFailed
from osmon.probes.runner import evaluate, run_probe

TARGET = Probe(
    id="nova-api/version@ctl1",
    service="nova-api",
    service_type="compute",
    name="version",
    type="http",
    host="ctl1",
    address="127.0.0.1",
    port=8774,
    url=None,
    interval=30.0,
    timeout=0.2,
    expected_status=(200,),
    tls_verify=True,
    ca_file=None,
    server_name=None,
    thresholds={"response_time": Threshold("1", "5")},
    contacts=(),
)
CTX = ProbeContext(hostname="ctl1")


def _returning(obs: Observation):  # type: ignore[no-untyped-def]
    async def probe(target: Probe, ctx: ProbeContext) -> Observation:
        return obs

    return probe


async def test_ok_within_thresholds_carries_blackbox_metrics() -> None:
    result = await run_probe(
        TARGET, _returning(Observation((Metric("response_time", 0.5, "s"),))), CTX
    )
    assert result.state == State.OK and result.summary == "OK"
    series = {m.series_name: m.value for m in result.metrics}
    assert series["probe_success"] == 1.0 and "probe_duration_seconds" in series
    assert series["osmon_probe_response_time"] == 0.5
    assert result.to_json()["state"] == "OK" and result.to_json()["target"] == TARGET.id


@pytest.mark.parametrize(
    ("value", "state"), [(0.9, State.OK), (2.0, State.WARNING), (6.0, State.CRITICAL)]
)
async def test_thresholds_set_the_state(value: float, state: State) -> None:
    obs = Observation((Metric("response_time", value, "s"),))
    result = await run_probe(TARGET, _returning(obs), CTX)
    assert result.state == state
    assert ("outside" in result.summary) == (state != State.OK)
    # a threshold breach is not a probe failure: blackbox's probe_success stays 1
    assert {m.series_name: m.value for m in result.metrics}["probe_success"] == 1.0


async def test_timeout_is_critical_and_a_bug_is_unknown() -> None:
    async def slow(target: Probe, ctx: ProbeContext) -> Observation:
        await asyncio.sleep(5)
        return Observation()

    async def broken(target: Probe, ctx: ProbeContext) -> Observation:
        raise KeyError("version")

    timed_out = await run_probe(TARGET, slow, CTX)
    assert timed_out.state == State.CRITICAL and timed_out.summary == "timed out after 0.2s"
    bug = await run_probe(TARGET, broken, CTX)
    assert bug.state == State.UNKNOWN and "KeyError" in bug.summary
    assert {m.series_name: m.value for m in bug.metrics}["probe_success"] == 0.0


async def test_a_probe_failure_keeps_its_state_and_summary() -> None:
    async def refused(target: Probe, ctx: ProbeContext) -> Observation:
        raise ProbeFailed(State.CRITICAL, "connection refused")

    result = await run_probe(dataclasses.replace(TARGET, thresholds={}), refused, CTX)
    assert (result.state, result.summary) == (State.CRITICAL, "connection refused")


def test_evaluate_ignores_unparsable_ranges_and_worst_ranks_unknown_highest() -> None:
    state, notes = evaluate([Metric("x", 1.0)], {"x": Threshold("bogus", None)})
    assert (state, notes) == (State.OK, [])
    assert worst([State.CRITICAL, State.UNKNOWN, State.OK]) == State.UNKNOWN
    assert worst([]) == State.OK
