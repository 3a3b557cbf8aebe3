"""Log timestamps as ISO 8601 with an offset, without a datetime per line.

Every format writes its time differently and most write no zone (oslo.log, MariaDB, Apache's
error log), so the inventory's timezone applies. Parsing is done once per distinct second: the
text without its fraction is the cache key, the cached value the ISO prefix and the offset, and
the fraction is spliced back in. A line that names an impossible date gets ``None``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS: Final = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_FRACTION = re.compile(r"[.,]([0-9]+)")
_SHAPES: Final = (
    # 2024-05-01 10:00:00 / 2024-05-01T10:00:00+02:00 / 2017-05-01  9:05:03
    re.compile(
        r"(?P<Y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})[T ] *(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})"
        r":(?P<S>[0-9]{2}) *(?P<z>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?",
        re.ASCII,
    ),
    # 170501  9:05:03 (MySQL/MariaDB YYMMDD)
    re.compile(
        r"(?P<y>[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2}) +(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})"
        r":(?P<S>[0-9]{2})",
        re.ASCII,
    ),
    # 01/May/2024:10:00:00 +0000 (Apache access) and 01/May/2024 10:00:00 (eventlet)
    re.compile(
        r"(?P<d>[0-9]{1,2})/(?P<b>[A-Za-z]{3})/(?P<Y>[0-9]{4})[: ](?P<H>[0-9]{2}):(?P<M>[0-9]{2})"
        r":(?P<S>[0-9]{2})(?: (?P<z>[+-][0-9]{4}))?",
        re.ASCII,
    ),
    # 1-May-2024::10:00:00 (RabbitMQ < 3.7)
    re.compile(
        r"(?P<d>[0-9]{1,2})-(?P<b>[A-Za-z]{3})-(?P<Y>[0-9]{4})::(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})"
        r":(?P<S>[0-9]{2})",
        re.ASCII,
    ),
    # Wed May  1 10:00:00 2024 (Apache error log, uwsgi)
    re.compile(
        r"(?:[A-Za-z]{3,9} )?(?P<b>[A-Za-z]{3})[a-z]* +(?P<d>[0-9]{1,2}) (?P<H>[0-9]{1,2})"
        r":(?P<M>[0-9]{2}):(?P<S>[0-9]{2}) (?P<Y>[0-9]{4})",
        re.ASCII,
    ),
    # 23 Nov 2026 21:00:00 (Redis 3+) and 23 Nov 21:00:00 (Redis 2: no year)
    re.compile(
        r"(?P<d>[0-9]{1,2}) (?P<b>[A-Za-z]{3}) (?:(?P<Y>[0-9]{4}) )?"
        r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2}):(?P<S>[0-9]{2})",
        re.ASCII,
    ),
    # May  1 10:00:00 (syslog: no year)
    re.compile(
        r"(?P<b>[A-Za-z]{3})[a-z]* +(?P<d>[0-9]{1,2}) (?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})"
        r":(?P<S>[0-9]{2})",
        re.ASCII,
    ),
)
_CACHE_MAX = 4096


def zone(name: str) -> tzinfo:
    """The tzinfo for an IANA name; ValueError with a readable message when unknown."""
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


class Clock:
    """Converts the timestamps of one log stream; not thread-safe (one per parser)."""

    __slots__ = ("_cache", "_now", "_tz")

    def __init__(self, timezone: str = "UTC") -> None:
        self._tz = zone(timezone)
        self._cache: dict[str, tuple[str, str] | None] = {}
        self._now = datetime.now

    @property
    def seconds(self) -> dict[str, tuple[str, str] | None]:
        """The per-second cache (text without fraction -> ISO prefix, offset) for inlining
        ``naive19``'s hit path; a miss (no key, or ``None``) goes through ``naive19``."""
        return self._cache

    def naive19(self, raw: str) -> str | None:
        """``YYYY-MM-DD HH:MM:SS[.fff]`` (oslo.log): the fast path, no regex."""
        try:
            base = self._cache[raw[:19]]
        except KeyError:
            base = self._resolve(raw[:19])
        if base is None:
            return None
        frac = raw[19:]
        return f"{base[0]}{frac}{base[1]}" if frac[:1] == "." else self.parse(raw)

    def parse(self, raw: str) -> str | None:
        """Any timestamp shape the formats produce; the fraction is kept as written."""
        m = _FRACTION.search(raw)
        if m is None:
            key, frac = raw, ""
        else:
            key, frac = raw[: m.start()] + raw[m.end() :], "." + m.group(1)
        try:
            base = self._cache[key]
        except KeyError:
            base = self._resolve(key)
        return None if base is None else f"{base[0]}{frac}{base[1]}"

    def _resolve(self, key: str) -> tuple[str, str] | None:
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        value = self._compute(key.strip())
        self._cache[key] = value
        return value

    def _compute(self, text: str) -> tuple[str, str] | None:
        for shape in _SHAPES:
            m = shape.fullmatch(text)
            if m is not None:
                break
        else:
            return None
        g = m.groupdict()
        try:
            month = int(g["m"]) if g.get("m") else _MONTHS[g["b"][:3].lower()]
            day, hour, minute, second = int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"])
            if g.get("Y"):
                year = int(g["Y"])
            elif g.get("y"):
                year = 2000 + int(g["y"])
            else:
                now = self._now(self._tz)
                year = now.year - 1 if month > now.month + 1 else now.year
            if second == 60:
                second = 59
            local = datetime(year, month, day, hour, minute, second)
        except (KeyError, ValueError):
            return None
        z = g.get("z")
        if z:
            if z == "Z":
                offset = "+00:00"
            else:
                digits = z[1:].replace(":", "")
                if len(digits) == 2:
                    digits += "00"
                if int(digits[:2]) > 23 or int(digits[2:]) > 59:
                    return None
                offset = f"{z[0]}{digits[:2]}:{digits[2:]}"
        else:
            offset = _offset(local.replace(tzinfo=self._tz).utcoffset())
        return local.strftime("%Y-%m-%dT%H:%M:%S"), offset


def epoch_iso(raw: str) -> str | None:
    """Seconds since the epoch (Nagios) as ISO 8601 in UTC; ``None`` when out of range."""
    try:
        return datetime.fromtimestamp(int(raw), UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def now_iso() -> str:
    """The current time, for records that carry none of their own."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")
