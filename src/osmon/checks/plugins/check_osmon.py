"""check_osmon: the osmon daemon's health, or the latest result it holds for one probe target.

Without ``--target``: ``GET /status`` — CRITICAL when the daemon does not answer or its spool
fails, WARNING when a sink's last write failed after its last success, the spool dropped
records, or a source is stalled (its state is error/failed/stopped, it reports an error, it has
no listener running, or with ``--stalled N`` its last batch is older than N seconds); the spool
depth (records waiting for a sink) is judged with ``-w``/``-c``. With
``--target ID``: ``GET /v1/probes/<ID>`` — that result's state, summary and perfdata become the
plugin's own (no probing, so it is fast); ``--max-age`` turns an old result UNKNOWN.
Stdlib only, and only the cheap part of it: one HTTP/1.0 GET over a plain socket (the daemon
listens on plain HTTP; ``urllib``/``http.client`` would pull in ``ssl`` and ``email`` and triple
the start-up), ``json`` for the body.
"""

from __future__ import annotations

import argparse
import json
import socket
import time

from osmon.checks.context import Thresholds, range_argument
from osmon.checks.output import Result
from osmon.checks.runtime import CheckError, PluginParser, run
from osmon.checks.state import State, worst

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SERVICE = "OSMON"


def parser() -> PluginParser:
    p = PluginParser(SERVICE, "check_osmon", "osmon daemon health, or one probe target's result")
    p.add_argument("-H", "--hostname", default="127.0.0.1", help="daemon address")
    p.add_argument("-p", "--port", type=int, default=9790, help="daemon port (default 9790)")
    p.add_argument("--target", metavar="ID", help="probe target id, e.g. 'keystone/http@ctl1'")
    p.add_argument("--max-age", type=float, metavar="SECONDS", help="older result → UNKNOWN")
    p.add_argument(
        "--stalled",
        type=float,
        metavar="SECONDS",
        help="a source with no batch for longer → WARNING",
    )
    p.add_argument("-w", "--warning", type=range_argument, help="spool records range")
    p.add_argument("-c", "--critical", type=range_argument, help="spool records range")
    return p


def _get(args: argparse.Namespace, path: str) -> tuple[int, Any]:
    """``GET path`` from the daemon: (status, JSON body)."""
    url = f"http://{args.hostname}:{args.port}{path}"
    request = f"GET {path} HTTP/1.0\r\nHost: {args.hostname}\r\nAccept: application/json\r\n\r\n"
    # an ASCII host as bytes: a str would import the idna codec (and unicodedata) every run
    host = args.hostname.encode("ascii") if args.hostname.isascii() else args.hostname
    try:
        with socket.create_connection((host, args.port), timeout=args.timeout) as conn:
            conn.sendall(request.encode("ascii"))
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
    except TimeoutError:
        raise CheckError(args.timeout_state, f"{url}: timed out") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CheckError(State.CRITICAL, f"osmon at {url} unreachable: {reason}") from None
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if (
        len(status_line) < 2
        or not status_line[0].startswith(b"HTTP/")
        or not status_line[1].isdigit()
    ):
        raise CheckError(State.CRITICAL, f"{url}: not an HTTP response")
    status = int(status_line[1])
    try:
        return status, json.loads(body)
    except ValueError:
        raise CheckError(State.UNKNOWN, f"{url}: answered {status} with invalid JSON") from None


def _quote(target: str) -> str:
    """Percent-encode a target id for the path (``urllib.parse`` is not worth its import)."""
    safe = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return "".join(chr(b) if b in safe else f"%{b:02X}" for b in target.encode("utf-8"))


def target_result(args: argparse.Namespace) -> Result:
    status, doc = _get(args, "/v1/probes/" + _quote(args.target))
    if status == 404:
        raise CheckError(State.UNKNOWN, f"no result for target {args.target!r} in osmon")
    try:
        state = State[str(doc["state"])]
        summary, perfdata = str(doc["summary"]), str(doc.get("perfdata", ""))
        age = time.time() - float(doc["checked_at"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckError(State.UNKNOWN, f"unexpected probe document ({exc})") from None
    if args.max_age is not None and age > args.max_age:
        return Result(State.UNKNOWN, f"result is {age:.0f}s old (> {args.max_age:g}s): {summary}")
    long = (f"checked {age:.0f}s ago by {doc.get('owner') or 'osmon'}",) if args.verbose else ()
    return Result(state, summary, (perfdata,), long)


def health(args: argparse.Namespace) -> Result:
    _status, doc = _get(args, "/status")
    try:
        return judge(doc, args, time.time())
    except (AttributeError, TypeError, ValueError) as exc:
        raise CheckError(State.UNKNOWN, f"unexpected /status document ({exc})") from None


def judge(doc: Any, args: argparse.Namespace, now: float) -> Result:
    """The daemon's health from its ``/status`` document."""
    if not isinstance(doc, dict):
        raise TypeError("not a JSON object")
    states, notes, long = [State.OK], [], []
    spool = doc.get("spool") or {}
    if spool.get("error"):
        states.append(State.CRITICAL)
        notes.append(f"spool failing: {spool['error']}")
    records = float(spool.get("records") or 0)
    limits = Thresholds(args.warning, args.critical)
    if (spool_state := limits.evaluate(records)) != State.OK:
        states.append(spool_state)
        notes.append(f"spool holds {records:g} records")
    dropped = sum(int(v) for v in (spool.get("dropped") or {}).values())
    if dropped:
        states.append(State.WARNING)
        notes.append(f"spool dropped {dropped} records")
    for name, sink in sorted((doc.get("sinks") or {}).items()):
        failed_at, ok_at = sink.get("last_error_time"), sink.get("last_success")
        if failed_at is not None and (ok_at is None or failed_at > ok_at):
            states.append(State.WARNING)
            notes.append(f"sink {name} failing: {sink.get('last_error')}")
        long.append(f"sink {name}: delivered {sink.get('delivered', 0)}")
    for name, source in sorted((doc.get("sources") or {}).items()):
        if problem := _stalled(source, args.stalled, now):
            states.append(State.WARNING)
            notes.append(f"source {name}: {problem}")
    summary = "; ".join(notes) or (
        f"{len(doc.get('sinks') or {})} sinks, {len(doc.get('sources') or {})} sources, "
        f"spool {records:g} records"
    )
    perf = (
        limits.perf("spool_records", records, minimum=0),
        f"spool_dropped={dropped}c",
    )
    return Result(worst(states), summary, perf, tuple(long) if args.verbose else ())


def _stalled(source: dict[str, Any], stalled_after: float | None, now: float) -> str:
    """Why a source is not delivering, from what its status says ("" when it is fine)."""
    if source.get("state") in ("error", "failed", "stopped"):
        reason = source.get("reason") or source.get("last_error") or ""
        return f"{source['state']} {reason}".strip()
    if source.get("last_error") or source.get("error"):
        return str(source.get("last_error") or source.get("error"))
    if source.get("listeners") == 0:
        return "no listener running"
    last = source.get("last_batch_at")
    if stalled_after is not None and isinstance(last, int | float) and now - last > stalled_after:
        return f"no batch for {now - last:.0f}s"
    return ""


def check(args: argparse.Namespace) -> Result:
    return target_result(args) if args.target else health(args)


def main(argv: list[str] | None = None) -> None:
    run(parser(), check, argv)


if __name__ == "__main__":
    main()
