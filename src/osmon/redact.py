"""Credentials out of URLs before they reach a log line, ``/status`` or generated output."""

from __future__ import annotations

import re

_PASSWORD = re.compile(r"(?P<user>(?://|,)[^:@/,]*):(?P<pw>[^@/,]*)@")


def redact_url(url: str) -> str:
    """``rabbit://user:***@h1:5672,user:***@h2:5672/vhost``: no password in logs or status."""
    return _PASSWORD.sub(lambda m: f"{m.group('user')}:***@", url)


def has_password(url: str) -> bool:
    return _PASSWORD.search(url) is not None
