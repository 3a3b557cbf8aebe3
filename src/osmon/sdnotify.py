"""Service state notifications to systemd (``Type=notify``): ready, reloading, stopping.

The sd_notify protocol is one datagram of ``KEY=VALUE`` lines sent to the AF_UNIX socket named
by ``$NOTIFY_SOCKET`` (a leading ``@`` names a socket in Linux's abstract namespace). It is a few
lines of socket code, so it is written here with the standard library rather than taken from the
PyPI ``sdnotify`` package, which is unmaintained.

Every call is a no-op when ``$NOTIFY_SOCKET`` is unset (not started by systemd) and never
raises: a notification that cannot be sent is logged at debug level, and systemd then applies
its own start or reload timeout.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)

ENV = "NOTIFY_SOCKET"


def _address(value: str) -> str | None:
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None


def notify(*fields: str) -> bool:
    """Send ``fields`` (``KEY=VALUE`` strings) in one datagram; True when it was sent."""
    value = os.environ.get(ENV)
    if not value:
        return False
    address = _address(value)
    if address is None:
        log.debug("%s=%r: not an AF_UNIX socket path, notification skipped", ENV, value)
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto("\n".join(fields).encode(), address)
    except (OSError, UnicodeError) as exc:
        log.debug("sd_notify to %s failed: %s", value, exc)
        return False
    return True


def ready(status: str | None = None) -> bool:
    """Startup or reload finished; ``status`` is shown by ``systemctl status``."""
    return notify("READY=1", *([f"STATUS={status}"] if status else []))


def reloading() -> bool:
    """A reload starts; systemd expects READY=1 when it is over."""
    usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify("RELOADING=1", f"MONOTONIC_USEC={usec}")


def stopping() -> bool:
    """Shutdown started (systemd then waits for the exit, up to TimeoutStopSec)."""
    return notify("STOPPING=1")
