"""The webhook action URL osmon writes into its Aodh alarms, and keeping its secret out of sight.

The URL is ``<base>/v1/alarms/aodh/<token>``: the daemon's alarm receiver compares ``<token>``
(a per-cloud secret) in constant time. The token is read from an environment variable or a file,
never from the command line, and every URL shown to a person (plan output, JSON, errors) has it
replaced by ``***``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

from osmon.redact import redact_url

__all__ = ["WEBHOOK_PATH", "SecretError", "action_url", "read_secret", "redact"]

WEBHOOK_PATH = "/v1/alarms/aodh/"
"""Path prefix of the daemon's Aodh webhook; the token is the next (last) segment."""

_TOKEN = re.compile(re.escape(WEBHOOK_PATH) + r"[^/?#\s\"']+")
_MIN_LENGTH = 16


class SecretError(ValueError):
    """The webhook secret is missing, empty or too short; the message never holds it."""


def read_secret(env: str | None, file: str | Path | None) -> str:
    """The token from the variable ``env`` or the first line of ``file`` (exactly one given)."""
    if (env is None) == (file is None):
        raise SecretError("give the webhook secret through one environment variable or one file")
    if env is not None:
        value = os.environ.get(env)
        if value is None:
            raise SecretError(f"environment variable {env} (the webhook secret) is not set")
        where = f"environment variable {env}"
    else:
        try:
            lines = Path(str(file)).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SecretError(f"{file}: cannot read the webhook secret: {exc.strerror}") from None
        value = lines[0] if lines else ""
        where = str(file)
    value = value.strip()
    if len(value) < _MIN_LENGTH:
        raise SecretError(f"the webhook secret in {where} is shorter than {_MIN_LENGTH} characters")
    return value


def action_url(base: str, token: str) -> str:
    """``<base>/v1/alarms/aodh/<token>`` (the token percent-encoded)."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"webhook URL {redact_url(base)!r} is not an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise ValueError(f"webhook URL {redact_url(base)!r} must have no query or fragment")
    return base.rstrip("/") + WEBHOOK_PATH + quote(token, safe="")


def redact(text: str) -> str:
    """``text`` with every webhook token and URL password replaced by ``***``."""
    return redact_url(_TOKEN.sub(WEBHOOK_PATH + "***", text))
