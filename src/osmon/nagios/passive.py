"""Passive check results to Nagios through its external command file (a FIFO).

``service_result``/``host_result`` format the line at once and queue it; they never block the
event loop. One writer thread owns the FIFO: it opens it with ``O_NONBLOCK`` (``ENXIO``: no
Nagios reading, ``ENOENT``: no pipe yet; both retried every ``retry_interval``), writes whole
lines packed into writes of at most ``PIPE_BUF`` bytes (atomic, so never interleaved with another
writer), waits for room on ``EAGAIN`` and watches the pipe for its reader going away (``POLLERR``
on the write end, ``EPIPE``), which is how a Nagios stop, crash or restart shows.

Invariant: a result is dropped only when the queue holds ``max_queue`` lines (the oldest goes,
counted ``dropped``) or when ``stop`` runs out of time; while Nagios is down, results wait. A line
written shortly before Nagios went away may still have been in its pipe or in its command worker,
unprocessed and lost with it: lines written in the ``replay_seconds`` before the reader was seen
gone are queued again (counted ``resent``). Results are delivered at least once, in order, with
their original timestamps, so a repeated one changes nothing in Nagios.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import select
import stat
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from osmon.nagios.commands import (
    PIPE_BUF,
    InvalidResult,
    host_check_result,
    service_check_result,
)
from osmon.selfmetrics import shared

__all__ = ["PassiveFeed"]

log = logging.getLogger(__name__)

_NAGIOS_AWAY = {errno.ENXIO, errno.ENOENT}  # not running, or not started yet: logged at INFO


class PassiveMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.results = Counter(
            "osmon_nagios_passive_results",
            "Passive results by outcome: sent, resent (after Nagios went away), dropped "
            "(queue full or shutdown), invalid (refused names or codes)",
            ["outcome"],
            registry=registry,
        )
        self.pending = Gauge(
            "osmon_nagios_passive_pending", "Passive results waiting for Nagios", registry=registry
        )
        self.connected = Gauge(
            "osmon_nagios_command_file_open",
            "1 while the Nagios command file is open with a reader",
            registry=registry,
        )


class PassiveFeed:
    """Queue and writer of passive results. Enabled in the daemon by::

    nagios: {command_file: /var/lib/nagios4/rw/nagios.cmd, max_queue: 10000}

    >>> feed = PassiveFeed(Path("/var/lib/nagios4/rw/nagios.cmd"))
    >>> await feed.start()
    >>> feed.service_result("ctl1", "nova-api api", 0, "HTTP 200 in 0.012 s", "time=0.012s")
    >>> await feed.stop()
    """

    def __init__(
        self,
        command_file: Path,
        *,
        max_queue: int = 10000,
        registry: CollectorRegistry | None = None,
        retry_interval: float = 0.5,
        replay_seconds: float = 10.0,
        stop_timeout: float = 2.0,
    ) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.command_file = Path(command_file)
        self.max_queue = max_queue
        self.retry_interval = retry_interval
        self.replay_seconds = replay_seconds
        self.stop_timeout = stop_timeout
        self.metrics = shared(registry or CollectorRegistry(), PassiveMetrics)
        self._lock = threading.Lock()
        self._queue: deque[bytes] = deque()
        self._written: deque[tuple[float, bytes]] = deque()  # for the replay after a loss
        self._counts = {"sent": 0, "resent": 0, "dropped": 0, "invalid": 0}
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._fd: int | None = None
        self._poller = select.poll()
        self._poller.register(self._wake_r, select.POLLIN)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._closed = False  # stopped: the wake pipe is closed, results are dropped
        self._deadline = 0.0
        self.last_error: str | None = None
        self.last_sent_at: float | None = None
        self.connects = 0

    # ---------------------------------------------------------------- the producer side

    async def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="nagios-passive", daemon=True)
            self._thread.start()

    def service_result(
        self,
        host: str,
        service: str,
        state: int,
        output: str,
        perfdata: str = "",
        timestamp: float | None = None,
    ) -> None:
        """Queue one service result (state 0..3); never blocks. Refused names are counted."""
        try:
            line = service_check_result(host, service, state, output, perfdata, timestamp)
        except InvalidResult as exc:
            self._invalid(exc)
            return
        self._put(line)

    def host_result(
        self,
        host: str,
        state: int,
        output: str,
        perfdata: str = "",
        timestamp: float | None = None,
    ) -> None:
        """Queue one host result (0 UP, 1 DOWN, 2 UNREACHABLE); never blocks."""
        try:
            line = host_check_result(host, state, output, perfdata, timestamp)
        except InvalidResult as exc:
            self._invalid(exc)
            return
        self._put(line)

    async def stop(self) -> None:
        """Write what can be written within ``stop_timeout``; count the rest as dropped."""
        thread = self._thread
        if thread is None:
            return
        with self._lock:
            self._stopping = True
            self._deadline = time.monotonic() + self.stop_timeout
        self._wake()
        await asyncio.to_thread(thread.join, self.stop_timeout + 1.0)
        self._thread = None
        with self._lock:
            left = len(self._queue)
            self._queue.clear()
        if left:
            self._count("dropped", left)
            log.warning("nagios: %d passive results not delivered at shutdown", left)
        self.metrics.pending.set(0)
        self._closed = True
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def status(self) -> dict[str, Any]:
        with self._lock:
            pending = len(self._queue)
            counts = dict(self._counts)
        return {
            "command_file": str(self.command_file),
            "connected": self._fd is not None,
            "pending": pending,
            "max_queue": self.max_queue,
            **counts,
            "connects": self.connects,
            "last_sent_at": self.last_sent_at,
            "last_error": self.last_error,
        }

    def _put(self, line: bytes) -> None:
        if self._closed:
            self._count("dropped", 1)
            return
        dropped = 0
        with self._lock:
            self._queue.append(line)
            while len(self._queue) > self.max_queue:
                self._queue.popleft()
                dropped += 1
            pending = len(self._queue)
        if dropped:
            self._count("dropped", dropped)
        self.metrics.pending.set(pending)
        if pending == 1:  # with lines pending, the writer polls for room or retries by itself
            self._wake()

    def _invalid(self, exc: InvalidResult) -> None:
        self._count("invalid", 1)
        self.last_error = str(exc)
        log.warning("nagios: passive result refused: %s", exc)

    def _count(self, outcome: str, n: int) -> None:
        with self._lock:
            self._counts[outcome] += n
        self.metrics.results.labels(outcome).inc(n)

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"\0")  # a full wake pipe means the writer is awake already

    # ---------------------------------------------------------------- the writer thread

    def _run(self) -> None:
        poller = self._poller
        while True:
            with self._lock:
                stopping, pending = self._stopping, bool(self._queue)
            if stopping and (not pending or time.monotonic() >= self._deadline):
                break
            if self._fd is None and pending and not self._open():
                self._sleep(poller, self.retry_interval)
                continue
            timeout: float | None = None  # idle: until a result comes or the reader goes
            if stopping:
                timeout = max(0.0, self._deadline - time.monotonic())
            if self._fd is not None:
                poller.register(self._fd, select.POLLOUT if pending else 0)
            events = dict(poller.poll(None if timeout is None else timeout * 1000))
            self._drain_wake()
            if self._fd is None:
                continue
            ev = events.get(self._fd, 0)
            if ev & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                self._lost("Nagios closed the command file")
            elif ev & select.POLLOUT:
                self._write_some()
        self._close()

    def _sleep(self, poller: select.poll, seconds: float) -> None:
        poller.poll(seconds * 1000)
        self._drain_wake()

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(self._wake_r, 4096):
                pass

    def _open(self) -> bool:
        try:
            fd = os.open(self.command_file, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            self._error(f"cannot open {self.command_file}: {exc.strerror or exc}", exc)
            return False
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.close(fd)
            self._error(f"{self.command_file} is not a FIFO (is it Nagios's command_file?)", None)
            return False
        self._fd = fd
        self.connects += 1
        self.metrics.connected.set(1)
        if self.last_error is not None:
            log.info("nagios: command file %s open again", self.command_file)
        self.last_error = None
        return True

    def _error(self, message: str, exc: OSError | None) -> None:
        if message != self.last_error:
            quiet = exc is not None and exc.errno in _NAGIOS_AWAY
            (log.info if quiet else log.warning)("nagios: %s; results wait", message)
        self.last_error = message

    def _write_some(self) -> None:
        assert self._fd is not None
        with self._lock:
            batch: list[bytes] = []
            size = 0
            while self._queue and size + len(self._queue[0]) <= PIPE_BUF:
                line = self._queue.popleft()
                batch.append(line)
                size += len(line)
        if not batch:
            return
        try:
            os.write(self._fd, b"".join(batch))  # <= PIPE_BUF: all of it or nothing
        except BlockingIOError:
            self._requeue(batch)  # the pipe is full: wait for POLLOUT
            return
        except OSError as exc:
            self._requeue(batch)
            self._lost(f"writing to {self.command_file}: {exc.strerror or exc}")
            return
        now = time.monotonic()
        self.last_sent_at = time.time()
        with self._lock:
            self._written.extend((now, line) for line in batch)
            horizon = now - self.replay_seconds
            while self._written and (
                self._written[0][0] < horizon or len(self._written) > self.max_queue
            ):
                self._written.popleft()
            pending = len(self._queue)
        self._count("sent", len(batch))
        self.metrics.pending.set(pending)

    def _requeue(self, lines: list[bytes]) -> None:
        with self._lock:
            self._queue.extendleft(reversed(lines))

    def _lost(self, reason: str) -> None:
        """The reader went away: close, and queue again what it may not have processed."""
        self._close()
        horizon = time.monotonic() - self.replay_seconds
        with self._lock:
            replay = [line for at, line in self._written if at >= horizon]
            self._written.clear()
            self._queue.extendleft(reversed(replay))
            dropped = 0
            while len(self._queue) > self.max_queue:
                self._queue.popleft()
                dropped += 1
        if replay:
            self._count("resent", len(replay))
        if dropped:
            self._count("dropped", dropped)
        self._error(f"{reason}; {len(replay)} recent results queued again", None)

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(KeyError):
                self._poller.unregister(self._fd)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
            self.metrics.connected.set(0)
