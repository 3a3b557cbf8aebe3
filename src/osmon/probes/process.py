"""Process probe: how many processes of a service run on this node (psutil).

Only meaningful on the node the target names: the daemon runs ``process`` targets of its own
host only. The count (``process_count``, ``osmon_probe_process_count``) is the verdict's input;
the catalog's default threshold ``critical: "1:"`` makes none CRITICAL.

Matching rule — a process counts for a name N (any of ``target.processes``) when

- its name is N (psutil's name: the executable's, not cut at 15 characters), or
- one of the first four words of its command line, reduced to a stem, is N. The words are the
  argv, or the words of a title rewritten with setproctitle; the stem of a word is its last
  path component with brackets, anything from the first ``:``, a ``.py``/``.ini``/``.wsgi``
  extension and a ``-uwsgi``/``_wsgi`` suffix removed.

So ``nova-api`` matches ``python3 /usr/bin/nova-api``, ``uwsgi_python3 --ini
/etc/nova/nova-api-uwsgi.ini``, the title ``nova-api: master process [...]``, and keystone
matches ``gunicorn: worker [keystone_wsgi:application]``; ``nova-api-metadata`` does not match
``nova-api``. Like ``pgrep -f``, a command that names the service early (``journalctl -u
nova-api``) counts too. Zombies and osmon itself never count.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

import psutil

from osmon.checks.state import State
from osmon.probes.base import Metric, Observation, ProbeContext, ProbeFailed

if TYPE_CHECKING:
    from osmon.inventory import Probe

__all__ = ["count", "matches", "probe", "stem"]

WORDS = 4
_EXTENSION = re.compile(r"\.(?:py|ini|wsgi)$")
_WSGI_SUFFIX = re.compile(r"[-_]u?wsgi$")


async def probe(target: Probe, ctx: ProbeContext) -> Observation:
    if not target.processes:
        raise ProbeFailed(State.UNKNOWN, "no process names to look for")
    found = await asyncio.to_thread(count, target.processes)
    names = ", ".join(target.processes)
    summary = f"{found} process{'' if found == 1 else 'es'} ({names})"
    metric = Metric("process_count", float(found), series="osmon_probe_process_count")
    return Observation((metric,), State.OK, summary)


def count(names: Collection[str]) -> int:
    """Running processes on this node that match one of ``names``."""
    wanted = frozenset(names)
    me = os.getpid()
    found = 0
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        info = proc.info
        if proc.pid == me or info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if matches(wanted, info["name"], info["cmdline"]):
            found += 1
    return found


def matches(wanted: Collection[str], name: str | None, cmdline: Iterable[str] | None) -> bool:
    """The matching rule above (``cmdline`` is None when access to it was denied)."""
    if name in wanted:
        return True
    words = " ".join(cmdline or ()).split()[:WORDS]
    return any(stem(word) in wanted for word in words)


def stem(word: str) -> str:
    """``/etc/nova/nova-api-uwsgi.ini`` → ``nova-api``; ``[keystone_wsgi:app]`` → ``keystone``."""
    word = word.strip("[]()").rpartition("/")[2].partition(":")[0]
    return _WSGI_SUFFIX.sub("", _EXTENSION.sub("", word))
