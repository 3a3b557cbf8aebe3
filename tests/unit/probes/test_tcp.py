"""The tcp probe: connect time, and why a connection could not be opened."""

from __future__ import annotations

import pytest

from osmon.checks.state import State
from osmon.probes import ProbeContext
from osmon.probes.runner import run_probe
from osmon.probes.tcp import probe
from tests.fleet import Fleet
from tests.unit.probes.conftest import target


@pytest.mark.parametrize("site", ["plain", "silent"])  # a TCP probe sends nothing, expects nothing
async def test_connect_time(fleet: Fleet, ctx: ProbeContext, site: str) -> None:
    result = await run_probe(target("tcp", fleet.url(site=site)), probe, ctx)
    assert result.state == State.OK
    assert result.summary.startswith(f"connected to port {fleet.ports[site]} in ")
    found = {m.series_name: m for m in result.metrics}
    assert found["osmon_probe_response_time_seconds"].name == "response_time"
    assert found["probe_success"].value == 1.0


@pytest.mark.parametrize(
    ("site", "summary"),
    [("refused", "connection refused"), ("full", "timed out after 0.5s")],
)
async def test_failures(fleet: Fleet, ctx: ProbeContext, site: str, summary: str) -> None:
    result = await run_probe(target("tcp", fleet.url(site=site), timeout=0.5), probe, ctx)
    assert (result.state, result.summary) == (State.CRITICAL, summary)


async def test_dns_failure(ctx: ProbeContext) -> None:
    result = await run_probe(target("tcp", "http://nothing.invalid:22/"), probe, ctx)
    assert result.state == State.CRITICAL
    assert result.summary.startswith("DNS lookup failed for nothing.invalid: ")


async def test_no_port_is_unknown(ctx: ProbeContext) -> None:
    result = await run_probe(target("tcp"), probe, ctx)
    assert (result.state, result.summary) == (State.UNKNOWN, "no address and port to connect to")
