"""A probe's login, read when the probe runs: the inventory says where the password is.

A variable that is not set or a file that cannot be read makes the probe UNKNOWN with the
reason: osmon, not the target, is misconfigured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from osmon.checks.state import State
from osmon.inventory import Probe
from osmon.probes.base import ProbeFailed

__all__ = ["Login", "login"]


@dataclass(frozen=True, slots=True)
class Login:
    username: str | None
    password: str | None
    option_file: str | None = None


def login(target: Probe) -> Login | None:
    """The target's login, or None when the inventory gives none."""
    creds = target.credentials
    if creds is None:
        return None
    password: str | None = None
    if creds.password_env is not None:
        password = os.environ.get(creds.password_env)
        if password is None:
            raise ProbeFailed(State.UNKNOWN, f"password variable {creds.password_env} is not set")
    elif creds.password_file is not None:
        try:
            text = Path(creds.password_file).read_text()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ProbeFailed(
                State.UNKNOWN, f"cannot read password file {creds.password_file}: {reason}"
            ) from None
        password = text.splitlines()[0] if text else ""
    if creds.option_file is not None and not os.access(creds.option_file, os.R_OK):
        # PyMySQL would skip it silently and log in as nobody
        raise ProbeFailed(State.UNKNOWN, f"cannot read option file {creds.option_file}")
    return Login(creds.username, password, creds.option_file)
