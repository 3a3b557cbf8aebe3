"""oslo.log records of several workers of one service, and a parser run with exact spans."""

from __future__ import annotations

from dataclasses import dataclass

from osmon.logs.parser import Entry, LogParser
from osmon.logs.spans import Span, SpanTracker
from osmon.logs.tail import Line


@dataclass(frozen=True)
class Record:
    """One oslo.log record as its worker writes it: a header, then traceback lines."""

    pid: int
    lines: tuple[str, ...]


def api_error(pid: int, stamp: str, n: int) -> Record:
    """nova-api (Queens+ context, global request id): an API method's traceback."""
    req = f"req-{n:08x}-1f0e-4d9c-8b7a-6f5e4d3c2b11"
    head = f"{stamp} {pid} ERROR nova.api.openstack.wsgi"
    return Record(
        pid,
        (
            f"{head} [None {req} admin-user demo-project - default default] Unexpected "
            f"exception in API method: nova.exception.InstanceNotFound: Instance {n} could "
            "not be found.",
            f"{head} Traceback (most recent call last):",
            f'{head}   File "/usr/lib/python3/dist-packages/nova/api/openstack/wsgi.py", '
            "line 658, in wrapped",
            f"{head}     return f(*args, **kwargs)",
            f'{head}   File "/usr/lib/python3/dist-packages/nova/compute/api.py", line 2630, '
            "in get",
            f"{head}     raise exception.InstanceNotFound(instance_id=instance_id)",
            f"{head} nova.exception.InstanceNotFound: Instance {n} could not be found.",
            f"{head} ",
        ),
    )


def conductor_error(pid: int, stamp: str, n: int) -> Record:
    """nova-conductor, Juno era: ``[-]`` context, TRACE-level traceback lines."""
    head = f"{stamp} {pid} TRACE nova.conductor.manager"
    return Record(
        pid,
        (
            f"{stamp} {pid} ERROR nova.conductor.manager [-] Failed to schedule instance {n}",
            f"{head} Traceback (most recent call last):",
            f'{head}   File "/usr/lib/python2.7/dist-packages/nova/conductor/manager.py", '
            "line 614, in build_instances",
            f"{head}     request_spec, filter_properties)",
            f"{head} NoValidHost: No valid host was found. There are not enough hosts available.",
            f"{head} ",
        ),
    )


def api_info(pid: int, stamp: str, n: int) -> Record:
    """nova-api (Pike context): a WSGI access line."""
    return Record(
        pid,
        (
            f"{stamp} {pid} INFO nova.osapi_compute.wsgi.server "
            f"[req-{n:08x}-5a3e-4a3b-8b7e-2c4f3d9b2e33 u1 p1 - default default] 10.0.0.15 "
            f'"GET /v2.1/servers/{n} HTTP/1.1" status: 200 len: 1893 time: 0.2391360',
        ),
    )


def stamp(i: int) -> str:
    return f"2024-05-06 10:11:{i // 1000 % 60:02d}.{i % 1000:03d}"


def as_lines(texts: list[str]) -> list[Line]:
    out: list[Line] = []
    offset = 0
    for t in texts:
        n = len(t.encode()) + 1
        out.append(Line(t, offset, offset + n))
        offset += n
    return out


def run(texts: list[str], fmt: str = "oslo") -> list[tuple[Entry, Span]]:
    """Every entry with its span, as the logs source gets them (EOF flushes)."""
    parser = LogParser(fmt)
    spans = SpanTracker()
    out: list[tuple[Entry, Span]] = []
    for line in as_lines(texts):
        entries = parser.feed(line.text, line.start)
        out += zip(entries, spans.fed(line, entries), strict=True)
    entries = parser.flush()
    out += zip(entries, spans.flushed(entries), strict=True)
    return out
