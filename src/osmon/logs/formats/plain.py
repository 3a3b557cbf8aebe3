"""Logs with no structure the parser relies on: each line is one record, read time as its time."""

from __future__ import annotations

from osmon.logs.formats.base import LineFormat, Pending
from osmon.logs.timestamps import now_iso


class PlainFormat(LineFormat):
    """Blank lines are skipped (as every format skips them); nothing is tagged."""

    name = "plain"
    multiline = False
    auto = False

    def begin(self, line: str) -> Pending | None:
        if not line or line.isspace():
            return None
        return Pending(self, {"@timestamp": now_iso(), "message": line}, line)
