"""HAProxy: the stats CSV, over HTTP (``…;csv``, the catalog's ``http://<host>:1936/;csv``) or
the stats socket (``show stat``; give ``url: unix:///run/haproxy/admin.sock`` — it is read
where osmon runs, so the daemon must run beside that HAProxy)::

    infrastructure:
      haproxy:
        credentials: {username: stats, password_env: OSMON_HAPROXY_STATS_PASSWORD}

Each backend server's status becomes HAProxy's own Prometheus exporter series
``haproxy_server_status{proxy,server,state}``: one series per state (DOWN, UP, MAINT, DRAIN,
NOLB), 1 on the current one. Transitional statuses count as what they still are (``UP 1/2`` is
UP, ``DOWN 1/2`` is DOWN), ``no check`` as UP (as HAProxy's exporter does; the summary says
``no check``). Per backend, ``haproxy_backend_active_servers{proxy}``; overall
``osmon_probe_haproxy_backends_down`` (threshold key ``backends_down``: backend servers DOWN,
MAINT and DRAIN excluded; the catalog warns above 0) and ``osmon_probe_response_time_seconds``.

Verdicts: a backend with servers none of which is UP → CRITICAL; otherwise OK (the
``backends_down`` threshold turns DOWN servers into WARNING). Refused, reset, no socket → as
``failures``; an HTTP error or a body that is not the stats CSV → CRITICAL.
"""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from osmon.checks.state import State
from osmon.inventory import Probe
from osmon.probes import apiclient
from osmon.probes.base import Metric, Observation, ProbeContext, ProbeFailed
from osmon.probes.credentials import login
from osmon.probes.failures import connection_failed

__all__ = ["parse_csv", "probe", "server_state"]

STATES = ("DOWN", "UP", "MAINT", "DRAIN", "NOLB")
_BACKEND, _SERVER = "1", "2"
_LISTED = 5


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    if not target.url:
        raise ProbeFailed(State.UNKNOWN, "no stats URL for this target")
    started = time.monotonic()
    if target.url.startswith("unix:"):
        text = await _socket_stats(urlsplit(target.url).path)
    else:
        resp = await apiclient.get(ctx, target, target.url, login(target))
        text = resp.body.decode("utf-8", "replace")
    elapsed = time.monotonic() - started
    rows = parse_csv(text)
    return _observation(rows, elapsed)


async def _socket_stats(path: str) -> str:
    try:
        reader, writer = await asyncio.open_unix_connection(path)
    except OSError as exc:
        raise connection_failed(exc, path) from None
    try:
        writer.write(b"show stat\n")
        await writer.drain()
        data = await reader.read(-1)  # HAProxy closes after one command (non-interactive)
    except OSError as exc:
        raise connection_failed(exc, path) from None
    finally:
        writer.close()
    return data.decode("utf-8", "replace")


def parse_csv(text: str) -> list[dict[str, str]]:
    """Rows of HAProxy's stats CSV (header ``# pxname,svname,…``) as dicts."""
    if not text.startswith("# pxname,"):
        shown = text[:60].strip()
        raise ProbeFailed(State.CRITICAL, f"not HAProxy CSV stats: {shown!r}")
    lines = [line for line in text[2:].splitlines() if line]
    # short rows give None for the missing fields: read them as empty
    return [
        {k: v or "" for k, v in row.items() if isinstance(k, str)} for row in csv.DictReader(lines)
    ]


def server_state(status: str) -> str:
    """One of STATES for a server's ``status`` field (``UP 1/2``, ``MAINT (via …)``, …)."""
    if status == "no check":
        return "UP"
    for state in STATES:
        if status.startswith(state):
            return state
    return "DOWN"


def _kind(row: dict[str, str]) -> str:
    if row.get("type"):
        return row["type"]
    return {"FRONTEND": "0", "BACKEND": _BACKEND}.get(row.get("svname") or "", _SERVER)


def _observation(rows: list[dict[str, str]], elapsed: float) -> Observation:
    metrics = [Metric("response_time", elapsed, "s", series="osmon_probe_response_time_seconds")]
    servers: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        proxy, kind = row.get("pxname", ""), _kind(row)
        if kind == _SERVER:
            status = row.get("status", "")
            state = server_state(status)
            servers.setdefault(proxy, []).append((row.get("svname", ""), state, status))
            for candidate in STATES:
                labels = {"proxy": proxy, "server": row.get("svname", ""), "state": candidate}
                value = 1.0 if candidate == state else 0.0
                metrics.append(
                    Metric("server_status", value, series="haproxy_server_status", labels=labels)
                )
        elif kind == _BACKEND and row.get("act", "").isdigit():
            metrics.append(
                Metric(
                    "backend_active_servers",
                    float(row["act"]),
                    series="haproxy_backend_active_servers",
                    labels={"proxy": proxy},
                )
            )
    down = [
        f"{p}/{name}" for p, members in servers.items() for name, s, _ in members if s == "DOWN"
    ]
    metrics.append(
        Metric("backends_down", float(len(down)), series="osmon_probe_haproxy_backends_down")
    )
    dead = [
        f"backend {proxy}: no server UP ({_states(members)})"
        for proxy, members in servers.items()
        if not any(state == "UP" for _, state, _ in members)
    ]
    if dead:
        return Observation(tuple(metrics), State.CRITICAL, _listed(dead))
    count = sum(len(m) for m in servers.values())
    summary = f"{len(servers)} backends, {count} servers"
    if down:
        summary += f", DOWN: {_listed(down, ', ')}"
    unchecked = [f"{p}/{n}" for p, m in servers.items() for n, _, raw in m if raw == "no check"]
    if unchecked:
        summary += f", no check: {_listed(unchecked, ', ')}"
    return Observation(tuple(metrics), State.OK, summary)


def _states(members: Iterable[tuple[str, str, str]]) -> str:
    return ", ".join(f"{name} {raw}" for name, _, raw in members)


def _listed(items: list[str], sep: str = "; ") -> str:
    more = len(items) - _LISTED
    return sep.join(items[:_LISTED]) + (f"{sep}and {more} more" if more > 0 else "")
