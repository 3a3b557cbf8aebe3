"""Scale-out: daemons split the probe targets with a tooz group and its consistent hash ring.

Invariant: ``owns()`` answers from a ring built from the group's *live members* as read at the
last successful poll — never from join/leave events alone. tooz's ``Partitioner`` feeds its
ring from watchers and misses a member that joins during its own start-up, so members started
together could keep disagreeing rings (targets probed twice or never); rebuilding from
``get_members()`` on every poll closes that. When the backend cannot be reached the partition
is in *safe mode* and owns every target: a target probed twice beats a target not probed.

tooz is synchronous: its calls run in two threads of this partition (heartbeats in their own,
so a slow poll never delays a beat), never on the event loop. Every Redis call fails fast: the
socket timeouts are set, and redis-py's own retries are turned off because tooz already retries
a refused connection 15 times (with both, one call to a dead Redis blocked for ~56 s).

With ``membership_timeout`` 3 s and ``poll`` 1 s (the defaults), a member killed with -9 is
absorbed by the others within about 4 s, a member that leaves cleanly within one poll.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import os
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from pydantic import BaseModel, ConfigDict, Field, model_validator
from tooz import ToozError, coordination
from tooz.hashring import HashRing

from osmon.inventory.fields import Seconds
from osmon.redact import redact_url
from osmon.selfmetrics import shared

__all__ = ["CoordinationMetrics", "CoordinationOptions", "ToozPartition", "build_partition"]

log = logging.getLogger(__name__)

SHARING = "sharing"
SAFE = "safe"
STOPPED = "stopped"


class CoordinationOptions(BaseModel):
    """Timing of the group membership; tooz's own defaults (30 s) are far too slow for probes.

    A killed member's targets are unprobed for up to ``membership_timeout + poll`` seconds, so
    keep that under two probe intervals.
    """

    model_config = ConfigDict(extra="forbid")

    heartbeat: Seconds = Field(1.0, description="Seconds between heartbeats.")
    membership_timeout: Seconds = Field(
        3.0, description="Seconds without a heartbeat before a member is dropped."
    )
    poll: Seconds = Field(
        1.0, description="Seconds between membership reads (the ring is rebuilt then)."
    )
    timeout: Seconds = Field(2.0, description="Seconds before a backend call has failed.")
    partitions: int = Field(64, gt=0, description="Hash ring points per member (balance).")

    @model_validator(mode="after")
    def _beat_within_membership(self) -> CoordinationOptions:
        if self.heartbeat >= self.membership_timeout:
            raise ValueError("heartbeat must be shorter than membership_timeout")
        return self


class CoordinationMetrics:
    """``osmon_coordination_safe_mode`` (1 while every target is probed here) and
    ``osmon_coordination_members`` (live members in the ring; 0 in safe mode)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.safe_mode = Gauge(
            "osmon_coordination_safe_mode",
            "1 while the coordination backend is unreachable and every target is probed here",
            registry=registry,
        )
        self.members = Gauge(
            "osmon_coordination_members",
            "Live members of the probe partition group as last read",
            registry=registry,
        )


def build_partition(
    backend_url: str,
    member_id: str,
    group: str,
    options: Mapping[str, Any],
    *,
    registry: CollectorRegistry | None = None,
) -> ToozPartition:
    """A partition of the probe targets in ``group`` on the tooz backend at ``backend_url``.

    ``member_id`` (e.g. the host name) becomes the prefix of the tooz member id, which is made
    unique (pid and a random suffix): tooz keys heartbeats by member id per backend namespace, so
    two daemons with one id — or a restarted daemon before its old beat expired — would be taken
    for one member. URL query options (``?namespace=…&membership_timeout=…``) win over
    ``options``. The metrics go to ``registry`` (or ``options["registry"]``) when given.
    """
    rest = dict(options)
    registry = rest.pop("registry", None) or registry
    opts = CoordinationOptions.model_validate(rest)
    member = f"{member_id}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    metrics = shared(registry, CoordinationMetrics) if registry is not None else None
    driver_options = _driver_options(backend_url, opts)

    def connect() -> coordination.CoordinationDriver:
        return coordination.get_coordinator(backend_url, member.encode(), None, **driver_options)

    return ToozPartition(
        connect, member=member, group=group, opts=opts, metrics=metrics, backend=backend_url
    )


def _driver_options(url: str, opts: CoordinationOptions) -> dict[str, str]:
    """tooz driver options from ours, unless the URL's query string gives them."""
    given = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    ours = {
        "timeout": str(math.ceil(opts.timeout)),  # the Redis driver wants an int here
        "socket_timeout": str(opts.timeout),
        "socket_connect_timeout": str(opts.timeout),
        "membership_timeout": str(opts.membership_timeout),
    }
    return {k: v for k, v in ours.items() if k not in given}


def _fail_fast(driver: coordination.CoordinationDriver) -> None:
    """Turn redis-py's retries off for the Redis driver (tooz retries on its own)."""
    make = getattr(driver, "_make_client", None)
    if make is None:
        return
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    def make_client(*args: Any, **kwargs: Any) -> Any:
        client = make(*args, **kwargs)
        client.set_retry(Retry(NoBackoff(), 0))
        return client

    driver._make_client = make_client  # type: ignore[attr-defined]


class ToozPartition:
    """One daemon's share of the probe targets; the ``Partition`` the scheduler asks.

    ```yaml
    coordination:
      backend_url: redis://127.0.0.1:6379/?namespace=osmon   # etcd3+http://, memcached://
      group: osmon-probes
      heartbeat: 1s
      membership_timeout: 3s
      poll: 1s
    ```
    """

    def __init__(
        self,
        connect: Callable[[], coordination.CoordinationDriver],
        *,
        member: str,
        group: str,
        opts: CoordinationOptions,
        metrics: CoordinationMetrics | None = None,
        backend: str = "",
    ) -> None:
        self._connect = connect
        self._coord: coordination.CoordinationDriver | None = None
        self.member = member
        self._member = member.encode()
        self.group = group
        self._group = group.encode()
        self._opts = opts
        self._metrics = metrics
        self._backend = redact_url(backend)
        self._ring: HashRing | None = None
        self._members: frozenset[bytes] = frozenset()
        self._mode = SAFE
        self._poll_thread = concurrent.futures.ThreadPoolExecutor(1, "osmon-coord-poll")
        self._beat_thread = concurrent.futures.ThreadPoolExecutor(1, "osmon-coord-beat")
        self._busy: asyncio.Future[Any] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.last_error: str | None = None
        self.last_poll_at: float | None = None
        self.safe_since: float | None = time.time()
        self.ring_changes = 0
        self._publish()

    # ---- Partition protocol ----------------------------------------------------------------
    async def start(self) -> None:
        """Join (or start in safe mode with the reason), then beat and poll in the background."""
        await self.poll()
        self._tasks = [
            asyncio.create_task(self._every(self._opts.poll, self.poll), name="osmon-coord-poll"),
            asyncio.create_task(
                self._every(self._opts.heartbeat, self._heartbeat), name="osmon-coord-beat"
            ),
        ]

    def owns(self, target_id: str) -> bool:
        """Whether this daemon probes ``target_id`` now: always in safe mode, never stopped."""
        if self._mode == STOPPED:
            return False
        ring = self._ring
        if self._mode == SAFE or ring is None:
            return True
        return self._member in ring.get_nodes(target_id.encode())

    async def stop(self) -> None:
        """Leave the group (the others take over at their next poll) and drop the connection."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._mode = STOPPED
        self._publish()
        try:
            async with asyncio.timeout(self._opts.timeout * 2):
                await asyncio.get_running_loop().run_in_executor(self._poll_thread, self._leave)
        except Exception as exc:  # leaving is best effort: the beat expires anyway
            log.warning("coordination: leaving %s failed: %s", self.group, _reason(exc))
        self._poll_thread.shutdown(wait=False)
        self._beat_thread.shutdown(wait=False)

    def status(self) -> dict[str, Any]:
        return {
            "backend": self._backend,
            "group": self.group,
            "member": self.member,
            "mode": self._mode,
            "safe_mode": self._mode == SAFE,
            "members": sorted(m.decode(errors="replace") for m in self._members),
            "membership_timeout": self._opts.membership_timeout,
            "poll": self._opts.poll,
            "ring_changes": self.ring_changes,
            "last_poll_at": self.last_poll_at,
            "last_error": self.last_error,
            "safe_since": self.safe_since,
        }

    # ---- membership ------------------------------------------------------------------------
    async def poll(self) -> None:
        """Read the live members and rebuild the ring; safe mode when the backend fails."""
        if self._mode == STOPPED:
            return
        if self._busy is not None and not self._busy.done():
            return  # the previous read is still stuck on the backend: stay as we are
        loop = asyncio.get_running_loop()
        self._busy = loop.run_in_executor(self._poll_thread, self._read_members)
        self._busy.add_done_callback(_retrieve)
        try:
            async with asyncio.timeout(self._opts.timeout * 3):
                members = await asyncio.shield(self._busy)
        except Exception as exc:  # the loop must go on whatever the backend does
            self._enter_safe(_reason(exc))
            return
        self.last_poll_at = time.time()
        self._share(members)

    def _read_members(self) -> frozenset[bytes]:
        coord = self._coord
        if coord is None:
            coord = self._coord = self._connect()
            _fail_fast(coord)
        if not coord.is_started:  # first poll, or the backend was down at the first ones
            coord.start(start_heart=False)
        limit = self._opts.timeout * 2
        try:
            members = set(coord.get_members(self._group).get(timeout=limit))
        except coordination.GroupNotCreated:
            with contextlib.suppress(coordination.GroupAlreadyExist):
                coord.create_group(self._group).get(timeout=limit)
            members = set()
        if self._member not in members:  # first poll, or dropped after a stall or a restart
            with contextlib.suppress(coordination.MemberAlreadyExist):
                coord.join_group(self._group, {"weight": 1}).get(timeout=limit)
            members.add(self._member)
        return frozenset(members)

    def _share(self, members: frozenset[bytes]) -> None:
        if self._mode == STOPPED:
            return
        if members != self._members or self._ring is None:
            self._ring = HashRing(members, partitions=self._opts.partitions)
            self._members = members
            self.ring_changes += 1
            log.info("coordination: %d member(s) in %s", len(members), self.group)
        if self._mode == SAFE:
            if self.last_error is None:
                log.info("coordination: joined %s as %s", self.group, self.member)
            else:
                log.warning("coordination: %s reachable again, sharing targets", self._backend)
            self.safe_since = None
        self._mode = SHARING
        self.last_error = None
        self._publish()

    def _enter_safe(self, reason: str) -> None:
        if self._mode == STOPPED:
            return
        self.last_error = reason
        if self._mode != SAFE:
            log.warning(
                "coordination: %s unreachable (%s): safe mode, probing every target",
                self._backend,
                reason,
            )
            self._mode = SAFE
            self.safe_since = time.time()
        self._members = frozenset()
        self._publish()

    async def _heartbeat(self) -> None:
        coord = self._coord
        if coord is None or not coord.is_started:
            return
        try:
            async with asyncio.timeout(self._opts.timeout * 3):
                await asyncio.get_running_loop().run_in_executor(self._beat_thread, coord.heartbeat)
        except Exception as exc:  # the poll decides about safe mode; a lost beat only shows
            self.last_error = f"heartbeat: {_reason(exc)}"

    def _leave(self) -> None:
        coord, self._coord = self._coord, None
        if coord is None or not coord.is_started:
            return
        with contextlib.suppress(ToozError):
            coord.leave_group(self._group).get(timeout=self._opts.timeout)
        with contextlib.suppress(ToozError):  # not empty, or gone: not ours to clean either way
            coord.delete_group(self._group).get(timeout=self._opts.timeout)
        coord.stop()

    async def _every(self, seconds: float, step: Callable[[], Any]) -> None:
        while True:
            await asyncio.sleep(seconds)
            await step()

    def _publish(self) -> None:
        if self._metrics is not None:
            self._metrics.safe_mode.set(1 if self._mode == SAFE else 0)
            self._metrics.members.set(len(self._members))


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a late read's failure as seen (the poll that gave up on it reported it)."""
    if not future.cancelled():
        future.exception()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
