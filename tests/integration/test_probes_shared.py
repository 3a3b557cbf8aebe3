"""Three ``osmon run`` daemons share 100 probe targets through tooz on the stack's Redis (a
namespace and a group of this test's own): every target is probed by exactly one daemon per
interval, and after one daemon is killed with -9 the survivors probe its targets again within
two intervals, then share exactly once again.

Each daemon archives its probe samples to its own JSON Lines file; a run of a target is its
``probe_success`` sample (timestamp = when the run started). "Exactly once per interval" is read
from the runs, not from fixed windows: for every target, consecutive runs (from any daemon) are
at least half an interval apart (no duplicate) and at most one and a half apart (no gap), and
one daemon runs it. The targets are TCP probes of the stack's Redis (in a build without the tcp
kind they are UNKNOWN "no probe for type tcp": runs all the same, which is what is counted).
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.daemon_proc import DaemonProc

INTERVAL = 5.0
HOSTS = [f"h{i:02d}" for i in range(100)]
NAMES = ("d1", "d2", "d3")

Runs = dict[str, list[tuple[float, str]]]


def write_inventory(tmp: Path) -> Path:
    lines = [
        "version: 1",
        "cloud: {name: shared}",
        f"defaults: {{interval: {INTERVAL}, timeout: 2}}",
    ]
    lines += ["hosts:", *(f"  {h}: {{address: 127.0.0.1}}" for h in HOSTS)]
    lines += ["infrastructure:", f"  redis: {{hosts: [{', '.join(HOSTS)}]}}"]
    path = tmp / "inventory.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_config(tmp: Path, name: str, inventory: Path, url: str, group: str) -> Path:
    cfg = {
        "inventory": str(inventory),
        "hostname": name,
        "state_dir": str(tmp / name),
        "sinks": {"archive": {"type": "jsonl", "path": str(tmp / f"{name}.jsonl")}},
        "sources": {"probes": {"type": "probes", "flush_interval": 0.5}},
        "routes": {"sample": ["archive"]},
        # timings go through the source to the partition; worst case after a kill -9:
        # 2 s expiry + 0.5 s poll + one interval to the target's next slot < two intervals
        "coordination": {
            "backend_url": url,
            "group": group,
            "heartbeat": "500ms",
            "membership_timeout": "2s",
            "poll": "500ms",
        },
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def runs(tmp: Path) -> Runs:
    """target → [(run time, daemon)], sorted, from every daemon's archive."""
    out: Runs = defaultdict(list)
    for name in NAMES:
        path = tmp / f"{name}.jsonl"
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            try:
                doc = json.loads(line)
            except ValueError:  # the torn last line of the daemon killed with -9
                continue
            sample = doc["record"]
            if doc["kind"] == "sample" and sample[0] == "probe_success":
                out[sample[8]["target"]].append((float(sample[2]), name))
    return {t: sorted(r) for t, r in out.items()}


def exactly_once(all_runs: Runs, start: float, end: float) -> dict[str, str]:
    """Assert every target ran once per interval in [start, end]; its one daemon per target."""
    owners: dict[str, str] = {}
    targets = {f"redis/redis@{h}" for h in HOSTS}
    assert set(all_runs) >= targets
    for target in sorted(targets):
        within = [(t, d) for t, d in all_runs[target] if start <= t <= end]
        times = [start, *(t for t, _ in within), end]
        spacing = [b - a for a, b in itertools.pairwise(times)]
        assert within, f"{target} never ran in [{start:.1f}, {end:.1f}]"
        assert min(spacing[1:-1], default=INTERVAL) >= 0.5 * INTERVAL, (target, within)
        assert max(spacing) <= 1.5 * INTERVAL, (target, within)
        daemons = {d for _, d in within}
        assert len(daemons) == 1, (target, within)
        owners[target] = daemons.pop()
    return owners


def partition(d: DaemonProc, base: str) -> dict[str, Any]:
    result: dict[str, Any] = d.status(base)["sources"]["probes"]["partition"]
    return result


def wait_until(cond: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.2)


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[dict[str, tuple[DaemonProc, str]]]:
    started: dict[str, tuple[DaemonProc, str]] = {}
    yield started
    for d, _ in started.values():
        if d.proc.poll() is None:
            d.terminate(30)


def test_three_daemons_probe_each_target_once_per_interval_and_absorb_a_kill_9(
    redis_url: str,
    daemons: dict[str, tuple[DaemonProc, str]],
    tmp_path: Path,
    record_property: Any,
) -> None:
    inventory = write_inventory(tmp_path)
    group = f"probes-{uuid.uuid4().hex[:8]}"
    for name in NAMES:
        cfg = write_config(tmp_path, name, inventory, redis_url, group)
        d = DaemonProc(["-c", str(cfg), "--port", "0"], log=tmp_path / f"{name}.log")
        daemons[name] = (d, d.wait_listening())

    def sharing(names: tuple[str, ...]) -> bool:
        parts = [partition(*daemons[n]) for n in names]
        return all(p["mode"] == "sharing" and len(p["members"]) == len(names) for p in parts)

    wait_until(lambda: sharing(NAMES), 4 * INTERVAL, "three daemons sharing")
    assert partition(*daemons["d1"])["membership_timeout"] == 2.0
    start = time.time() + INTERVAL  # runs scheduled under the old ring are done by then
    end = start + 4 * INTERVAL
    time.sleep(end + 1.0 - time.time())  # + the samples' way to the archive
    owners = exactly_once(runs(tmp_path), start, end)
    assert set(owners.values()) == set(NAMES)  # each daemon has a share

    victim, _ = daemons["d3"]
    killed_at = time.time()
    victim.kill9()
    orphans = sorted(t for t, d in owners.items() if d == "d3")
    time.sleep(killed_at + 2 * INTERVAL + 1.0 - time.time())
    after = runs(tmp_path)
    delays = []
    for target in orphans:
        taken = [t for t, d in after[target] if d != "d3" and t > killed_at]
        assert taken, f"{target} of the killed daemon not probed within two intervals"
        delays.append(taken[0] - killed_at)
        assert delays[-1] <= 2 * INTERVAL
    record_property("kill9_orphans_probed_again_after_seconds", round(max(delays), 2))
    print(f"{len(orphans)} targets of the killed daemon probed again after {max(delays):.2f}s")

    assert sharing(("d1", "d2"))
    start = killed_at + 2 * INTERVAL
    end = start + 2 * INTERVAL
    time.sleep(end + 1.0 - time.time())
    survivors = exactly_once(runs(tmp_path), start, end)
    assert set(survivors.values()) == {"d1", "d2"}
