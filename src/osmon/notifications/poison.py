"""Dead-letter file for notifications that can never be converted.

JSON Lines with the reason, the priority and the whole message as received, so an operator can
read it with ``jq`` and re-publish it with ``osmon notifications replay`` once fixed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from osmon.jsonlines import JsonlFile

MAX_RAW_BODY = 8 * 1024 * 1024


class PoisonFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = JsonlFile(path, default=repr, ensure_ascii=False)
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def write(
        self, message: Any, *, priority: str, reason: str, detail: str, attempts: int = 1
    ) -> None:
        record = {
            "time": time.time(),
            "reason": reason,
            "detail": detail,
            "priority": priority,
            "attempts": attempts,
            "message": message,
        }
        self._file.append([record])
        with self._lock:
            self.counts[reason] = self.counts.get(reason, 0) + 1

    def read(self) -> list[dict[str, Any]]:
        return self._file.read()


# oslo.messaging logs under "oslo.messaging.*" (older releases: the module name)
_RABBIT_LOGGERS = ("oslo.messaging._drivers.impl_rabbit", "oslo_messaging._drivers.impl_rabbit")
_FAILED = "Failed to process message"


def _raw_body(tb: TracebackType | None) -> str | None:
    """The AMQP body oslo.messaging could not decode, from its callback's frame (best effort)."""
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "_callback":
            body = getattr(frame.f_locals.get("message"), "body", None)
            if isinstance(body, bytes | bytearray):
                return bytes(body[:MAX_RAW_BODY]).decode("utf-8", "replace")
            if isinstance(body, str):
                return body[:MAX_RAW_BODY]
            return None
        tb = tb.tb_next
    return None


class UndecodableHandler(logging.Handler):
    """Sees the messages oslo.messaging rejects before any endpoint (a body that is not JSON).

    The rabbit driver logs ``Failed to process message ... skipping it.`` and rejects such a
    message without requeue; this handler turns that log record into a dead letter and a count.
    """

    def __init__(self, on_undecodable: Callable[[str | None, str], None]) -> None:
        super().__init__(level=logging.ERROR)
        self._on = on_undecodable

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith(_FAILED):
            return
        exc = record.exc_info[1] if record.exc_info else None
        tb = record.exc_info[2] if record.exc_info else None
        try:
            self._on(_raw_body(tb), f"{type(exc).__name__}: {exc}" if exc else "undecodable")
        except Exception:
            self.handleError(record)

    def install(self) -> None:
        for name in _RABBIT_LOGGERS:
            logging.getLogger(name).addHandler(self)

    def uninstall(self) -> None:
        for name in _RABBIT_LOGGERS:
            logging.getLogger(name).removeHandler(self)
