"""memcached: the text protocol's ``stats`` over an asyncio stream.

Metrics take memcached_exporter's names: ``memcached_items_evicted_total`` (a counter; threshold
key ``evictions``), ``memcached_current_connections`` (``connections``),
``memcached_uptime_seconds`` (``uptime``; a low value means a restart), ``memcached_current_bytes``
and ``memcached_limit_bytes``; osmon's own: ``osmon_probe_memcached_hit_ratio`` (``hit_ratio``,
get_hits / (get_hits + get_misses); absent while there has been no get, never NaN) and
``osmon_probe_response_time_seconds``.

Verdicts: OK with the figures when ``stats`` answers; CRITICAL for refused, reset, a reply that
is not a stats listing (``ERROR``, another protocol, garbage) or a connection closed before
``END``.
"""

from __future__ import annotations

import asyncio
import time

from osmon.checks.state import State
from osmon.inventory import Probe
from osmon.probes.base import Metric, Observation, ProbeContext, ProbeFailed
from osmon.probes.failures import connection_failed

__all__ = ["parse_stats", "probe"]

_DEFAULT_PORT = 11211
_MAX_LINES = 1000
_SERIES = {
    "evictions": "memcached_items_evicted_total",
    "curr_connections": "memcached_current_connections",
    "uptime": "memcached_uptime_seconds",
    "bytes": "memcached_current_bytes",
    "limit_maxbytes": "memcached_limit_bytes",
}
_NAMES = {"curr_connections": "connections", "limit_maxbytes": "limit_bytes"}
_UNITS = {"uptime": "s", "bytes": "B", "limit_maxbytes": "B"}


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    host, port = target.address or "127.0.0.1", target.port or _DEFAULT_PORT
    where = f"{host}:{port}"
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        raise connection_failed(exc, where) from None
    try:
        writer.write(b"stats\r\n")
        await writer.drain()
        stats = await _read_stats(reader, where)
        writer.write(b"quit\r\n")
    except OSError as exc:
        raise connection_failed(exc, where) from None
    finally:
        writer.close()
    elapsed = time.monotonic() - started
    return _observation(stats, elapsed)


async def _read_stats(reader: asyncio.StreamReader, where: str) -> dict[str, str]:
    lines: list[bytes] = []
    for _ in range(_MAX_LINES):
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            raise ProbeFailed(State.CRITICAL, f"{where} closed the connection before END") from None
        except asyncio.LimitOverrunError:
            raise ProbeFailed(State.CRITICAL, f"not a memcached stats reply from {where}") from None
        if line.rstrip(b"\r\n") == b"END":
            return parse_stats(lines, where)
        lines.append(line)
        if not line.startswith(b"STAT "):  # ERROR, another protocol: no END will come
            parse_stats(lines, where)
    raise ProbeFailed(State.CRITICAL, f"no END after {_MAX_LINES} lines from {where}")


def parse_stats(lines: list[bytes], where: str) -> dict[str, str]:
    """``STAT name value`` lines to a dict; anything else is a CRITICAL ``ProbeFailed``."""
    stats: dict[str, str] = {}
    for raw in lines:
        parts = raw.decode("ascii", "replace").rstrip("\r\n").split(" ", 2)
        if len(parts) != 3 or parts[0] != "STAT":
            shown = raw[:60].decode("ascii", "replace").strip()
            raise ProbeFailed(
                State.CRITICAL, f"not a memcached stats reply from {where}: {shown!r}"
            )
        stats[parts[1]] = parts[2]
    if not stats:
        raise ProbeFailed(State.CRITICAL, f"empty stats reply from {where}")
    return stats


def _observation(stats: dict[str, str], elapsed: float) -> Observation:
    metrics = [Metric("response_time", elapsed, "s", series="osmon_probe_response_time_seconds")]
    for key, series in _SERIES.items():
        value = _int(stats.get(key))
        if value is not None:
            name = _NAMES.get(key, key)
            metrics.append(Metric(name, float(value), _UNITS.get(key, ""), series=series))
    hits, misses = _int(stats.get("get_hits")), _int(stats.get("get_misses"))
    ratio: float | None = None
    if hits is not None and misses is not None and hits + misses > 0:
        ratio = hits / (hits + misses)
        metrics.append(Metric("hit_ratio", ratio, series="osmon_probe_memcached_hit_ratio"))
    parts = [f"memcached {stats.get('version', '?')}"]
    for key, label in (("uptime", "up {}s"), ("curr_connections", "{} connections")):
        if key in stats:
            parts.append(label.format(stats[key]))
    parts.append(f"hit ratio {ratio:.3f}" if ratio is not None else "hit ratio n/a (no gets)")
    parts.append(f"{stats.get('evictions', '?')} evictions")
    return Observation(tuple(metrics), State.OK, ", ".join(parts))


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
