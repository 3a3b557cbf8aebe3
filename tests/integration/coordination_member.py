"""One probe-partition member in its own process, for the kill -9 tests and the bench.

usage: python -m tests.integration.coordination_member URL GROUP MEMBER_ID OUT TARGETS POLL

After every poll it writes ``{"member", "mode", "members", "owned": [target indexes]}`` to OUT
(atomic rename), so the parent can tell when it took part in a converged ring. It never leaves
the group by itself: the test kills it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def target_ids(n: int) -> list[str]:
    return [f"svc{i % 37}/http@host{i:04d}" for i in range(n)]


async def main(url: str, group: str, member: str, out: Path, n: int, poll: float) -> None:
    from osmon.probes.coordination import build_partition

    ids = target_ids(n)
    part = build_partition(url, member, group, {"poll": poll})
    await part.start()
    while True:
        await part.poll()
        status = part.status()
        tmp = out.with_suffix(".tmp")
        owned = [i for i, t in enumerate(ids) if part.owns(t)]
        tmp.write_text(json.dumps({**status, "owned": owned, "pid": os.getpid()}))
        os.replace(tmp, out)
        await asyncio.sleep(poll)


if __name__ == "__main__":
    url, group, member, out, n, poll = sys.argv[1:7]
    asyncio.run(main(url, group, member, Path(out), int(n), float(poll)))
