"""The memcached probe against the stack's memcached 1.6 (8 MB, so evictions are cheap to
cause) and against local servers that are not memcached."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from osmon.checks.state import State
from tests.integration.probes.infra import HEAD, Infra, free_port, infra, run_one, series

__all__ = ["infra"]

ID = "memcached/memcached@local"


def inventory(port: int, thresholds: str = "") -> str:
    extra = f", thresholds: {thresholds}" if thresholds else ""
    return HEAD + f"infrastructure:\n  memcached: {{endpoint: {{port: {port}}}{extra}}}\n"


async def _command(port: int, payload: bytes, until: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    data = await reader.readuntil(until)
    writer.close()
    return data


async def test_stats_ok_and_hit_ratio(infra: Infra) -> None:
    port = infra.memcached_port
    key = f"osmon-{uuid.uuid4().hex}"
    await _command(port, f"set {key} 0 60 2\r\nhi\r\n".encode(), b"STORED\r\n")
    await _command(port, f"get {key}\r\nget {key}-missing\r\n".encode(), b"END\r\nEND\r\n")
    result = await run_one(inventory(port), ID)
    assert result.state == State.OK, result.summary
    assert result.summary.startswith("memcached 1.6")
    ratio = series(result, "osmon_probe_memcached_hit_ratio")
    assert ratio is not None and 0.0 < ratio < 1.0
    assert f"hit ratio {ratio:.3f}" in result.summary
    connections = series(result, "memcached_current_connections")
    assert connections is not None and connections >= 1
    assert series(result, "memcached_limit_bytes") == 8 * 1024 * 1024
    assert series(result, "memcached_uptime_seconds") is not None


async def test_eviction_counter_moves(infra: Infra) -> None:
    port = infra.memcached_port
    before = await run_one(inventory(port), ID)
    evicted = series(before, "memcached_items_evicted_total")
    assert evicted is not None
    value = b"x" * 200_000
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for i in range(120):  # 24 MB into 8 MB
        writer.write(b"set osmon-evict-%d 0 60 %d\r\n%s\r\n" % (i, len(value), value))
        await writer.drain()
        assert await reader.readuntil(b"\r\n") == b"STORED\r\n"
    writer.close()
    after = await run_one(inventory(port), ID)
    grown = series(after, "memcached_items_evicted_total")
    assert grown is not None and grown > evicted
    assert f"{grown:g} evictions" in after.summary
    # a threshold on the counter, as an operator would set one
    warned = await run_one(inventory(port, '{evictions: {warning: "0:0"}}'), ID)
    assert warned.state == State.WARNING and "evictions" in warned.summary


@pytest.fixture
async def fake() -> AsyncIterator[dict[str, int]]:
    """Local servers that are not memcached: one answers ERROR, one talks HTTP, one resets."""

    async def error(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"ERROR\r\n")
        await writer.drain()
        await reader.read()
        writer.close()

    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        writer.close()

    async def half(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"STAT pid 1\r\nSTAT uptime 5\r\n")
        writer.close()

    servers = {
        name: await asyncio.start_server(handler, "127.0.0.1", 0)
        for name, handler in (("error", error), ("http", http), ("half", half))
    }
    yield {name: s.sockets[0].getsockname()[1] for name, s in servers.items()}
    for s in servers.values():
        s.close()


async def test_not_memcached_and_refused(fake: dict[str, int]) -> None:
    result = await run_one(inventory(fake["error"]), ID)
    assert (result.state, result.summary) == (
        State.CRITICAL,
        f"not a memcached stats reply from 127.0.0.1:{fake['error']}: 'ERROR'",
    )
    result = await run_one(inventory(fake["http"]), ID)
    assert result.state == State.CRITICAL
    assert result.summary.endswith(": 'HTTP/1.1 400 Bad Request'")
    result = await run_one(inventory(fake["half"]), ID)
    assert result.state == State.CRITICAL
    assert result.summary == f"127.0.0.1:{fake['half']} closed the connection before END"
    result = await run_one(inventory(free_port()), ID)
    assert (result.state, result.summary) == (State.CRITICAL, "connection refused")
