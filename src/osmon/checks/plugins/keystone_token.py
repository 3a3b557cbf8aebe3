"""A Keystone token kept in a file between plugin runs, so a check does not authenticate on
every run (Nagios runs it every few minutes; a token lives an hour).

The file (mode 0600, in a 0700 directory) holds keystoneauth1's auth state: the token and its
catalog, never the password. A missing, unreadable or expired state just means one new
authentication; the new state is written back atomically after the run. The session is osmon's
``KeystoneSession``, so the plugin authenticates exactly as the daemon's probes do.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_CACHE", "load", "save"]

DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "osmon"
"""Directory of the token files (one per Keystone URL, user and project)."""


def cache_file(directory: Path, auth: Any) -> Path:
    import hashlib

    key = "|".join(str(x) for x in (auth.cloud, auth.auth_url, auth.username, auth.project_name))
    return directory / f"keystone-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def load(ctx: Any, path: Path) -> Any:
    """Put a ``KeystoneSession`` in ``ctx`` whose auth plugin starts from the cached state;
    its keystoneauth1 session is returned. Credentials that cannot even be read (no password
    variable, no such cloud) are UNKNOWN, as the probes report them."""
    from osmon.checks.runtime import CheckError
    from osmon.checks.state import State
    from osmon.probes.keystone_session import RESOURCE, KeystoneSession, describe

    state = None
    with contextlib.suppress(OSError, ValueError):
        state = path.read_text(encoding="utf-8")
    session = KeystoneSession(ctx.auth)
    try:
        ksa = session.start(state)
    except Exception as exc:  # a clouds.yaml or variable problem, or keystoneauth's
        raise CheckError(State.UNKNOWN, f"Keystone: {describe(exc)}") from None
    ctx.resources[RESOURCE] = session
    ctx.closers.append(session.close)
    return ksa


def save(ksa: Any, path: Path) -> None:
    """Write the session's auth state (0600) when it has a token; errors are not the check's."""
    state = ksa.auth.get_auth_state()
    if not state:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".token-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(state)
        os.replace(tmp, path)
