"""``_bulk`` delivery: byte-bounded chunks, per-item outcomes, retries with backoff, 413 splits.

Written here rather than with ``helpers.async_streaming_bulk`` because the helpers retry only
429 (not 5xx items or dropped connections), report retried items out of order with no way back
to the batch position, cannot split on 413, and call the typed ``bulk`` API that sends the
client's own ``compatible-with`` media types (wrong for an 8.x server under a 9.x client).

Outcome per item: 2xx → created; 409 on ``create`` → duplicate of a replay, counted as success;
429/5xx/404 → retried, then transient; other 4xx (mapping clashes) → permanent with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from osmon.retry import RetryPolicy
from osmon.sinks.elasticsearch.client import Backend, BackendUnavailable, describe_error

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Action:
    """Position of the record in the batch and its two NDJSON lines (newline-terminated)."""

    position: int
    payload: bytes


@dataclass(slots=True)
class BulkReport:
    created: int = 0
    duplicates: int = 0
    transient: list[int] = field(default_factory=list)
    permanent: list[tuple[int, str]] = field(default_factory=list)
    requests: int = 0
    answered: int = 0
    retries: int = 0
    splits: int = 0
    bytes_sent: int = 0
    last_error: str = ""


def chunks(actions: Sequence[Action], max_bytes: int) -> Iterator[list[Action]]:
    """Consecutive runs of actions whose payloads sum to at most ``max_bytes``.

    An action larger than the bound travels alone (the server decides, 413 → permanent).
    """
    current: list[Action] = []
    size = 0
    for action in actions:
        n = len(action.payload)
        if current and size + n > max_bytes:
            yield current
            current, size = [], 0
        current.append(action)
        size += n
    if current:
        yield current


@dataclass(slots=True)
class _Verdict:
    retry: list[Action] = field(default_factory=list)
    reason: str = ""
    split: bool = False


async def deliver(
    backend: Backend, actions: Sequence[Action], max_bytes: int, policy: RetryPolicy
) -> BulkReport:
    report = BulkReport()
    for chunk in chunks(actions, max_bytes):
        await _deliver_chunk(backend, chunk, policy, report)
    return report


async def _deliver_chunk(
    backend: Backend, chunk: list[Action], policy: RetryPolicy, report: BulkReport
) -> None:
    work: deque[list[Action]] = deque([chunk])
    while work:
        pending = work.popleft()
        attempt = 0
        while pending:
            verdict = await _attempt(backend, pending, report)
            if verdict.split:
                if len(pending) == 1:
                    report.permanent.append(
                        (pending[0].position, "document larger than the server accepts (413)")
                    )
                else:
                    mid = len(pending) // 2
                    work.appendleft(pending[mid:])
                    work.appendleft(pending[:mid])
                    report.splits += 1
                break
            pending = verdict.retry
            if not pending:
                break
            report.last_error = verdict.reason
            attempt += 1
            if policy.gives_up(attempt):
                report.transient.extend(a.position for a in pending)
                log.warning(
                    "bulk: giving up on %d item(s) after %d tries: %s",
                    len(pending),
                    attempt,
                    verdict.reason,
                )
                break
            report.retries += 1
            delay = policy.delay(attempt)
            log.debug("bulk: retrying %d item(s) in %.3fs: %s", len(pending), delay, verdict.reason)
            await asyncio.sleep(delay)


async def _attempt(backend: Backend, pending: list[Action], report: BulkReport) -> _Verdict:
    body = b"".join(a.payload for a in pending)
    report.requests += 1
    report.bytes_sent += len(body)
    try:
        reply = await backend.request("POST", "/_bulk", body, ndjson=True)
    except BackendUnavailable as exc:
        return _Verdict(retry=pending, reason=f"no answer: {exc}")
    if reply.status == 413:
        return _Verdict(split=True)
    if reply.status == 429 or reply.status >= 500 or reply.status in (401, 403, 408):
        return _Verdict(retry=pending, reason=f"HTTP {reply.status}: {describe_error(reply.body)}")
    items = reply.body.get("items") if isinstance(reply.body, dict) else None
    if reply.status >= 300 or not isinstance(items, list):
        reason = f"bulk request refused: HTTP {reply.status}: {describe_error(reply.body)}"
        report.permanent.extend((a.position, reason) for a in pending)
        return _Verdict()
    if len(items) != len(pending):
        return _Verdict(retry=pending, reason=f"{len(items)} results for {len(pending)} items")
    report.answered += 1
    verdict = _Verdict()
    for action, item in zip(pending, items, strict=True):
        ((_op, result),) = item.items()
        status = int(result.get("status", 0))
        if 200 <= status < 300:
            report.created += 1
        elif status == 409:
            report.duplicates += 1
        elif status in (404, 429) or status >= 500:
            verdict.retry.append(action)
            verdict.reason = f"item {status}: {describe_error(result.get('error'))}"
        else:
            report.permanent.append((action.position, describe_error(result.get("error"))))
    return verdict
