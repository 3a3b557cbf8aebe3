"""Three ``osmon run`` daemons share one notification stream (competing consumers on the
``osmon`` pool queue of the stack's RabbitMQ, a vhost per test), each archiving events to its
own JSON Lines file. Every published notification (told apart by its payload's instance id;
oslo gives each a message id) must be archived exactly once across the three files.

The kill -9 lands where the test holds it: the third daemon also routes events to an
Elasticsearch double that answers ``ANSWERED`` bulk requests and keeps the next one back
(``HeldEsDouble``); with one batch handled at a time, the held batch is in the daemon's JSON
Lines file but not acknowledged to RabbitMQ. The test waits until the acknowledgements of the
earlier batches have surely gone out (oslo.messaging's listener sends queued acks at least
every ``ACK_REQUEUE_EVERY_SECONDS_MAX``), then kills. RabbitMQ hands the victim's unacked
messages to the survivors: those it had prefetched but not handled are archived once, and the
held batch — exactly that set — twice. Nothing else twice, nothing lost.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from oslo_messaging._drivers.amqpdriver import ACK_REQUEUE_EVERY_SECONDS_MAX

from osmon.config import default_config_path
from osmon.notifications.replay import Notification, Publisher, replay
from tests.e2e.daemon_proc import DaemonProc
from tests.e2e.held_backend import HeldEsDouble
from tests.integration.conftest import Stack, rabbit_mgmt
from tests.integration.pipeline import instance_exists

N = 3000
BATCH = 50
ANSWERED = 2
WAIT = 180.0


def config(tmp: Path, name: str, transport_url: str, held_url: str | None = None) -> Path:
    """One daemon: notifications in batches of BATCH, one batch handled at a time (so the held
    batch is the only one written and not acknowledged), events to ``<name>.jsonl``."""
    sinks: dict[str, Any] = {"archive": {"type": "jsonl", "path": str(tmp / f"{name}.jsonl")}}
    routes = ["archive"]
    if held_url is not None:
        sinks["held"] = {"type": "elasticsearch", "hosts": [held_url], "request_timeout": 120}
        routes.append("held")
    cfg = {
        "inventory": str(Path(str(default_config_path())).with_name("local.yaml")),
        "state_dir": str(tmp / name),
        "hostname": name,
        "retry": {"attempts": 1, "initial": 0.2, "maximum": 5, "timeout": 120},
        "sinks": sinks,
        "sources": {
            "notifications": {
                "type": "notifications",
                "transport_urls": [transport_url],
                "exchanges": ["nova"],
                "topics": ["notifications"],
                "batch_size": BATCH,
                "batch_timeout": 0.2,
                "executor_threads": 1,
                "prefetch": BATCH,
            }
        },
        "routes": {"event": routes},
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def archived(path: Path) -> list[tuple[str, str]]:
    """(message id, instance id) of every event line of a daemon's archive."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)["record"]
            message_id, traits = record[2], record[3]
            out.append((message_id, traits["instance_id"]))
    return out


def wait_until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def settled(stack: Stack, vhost_url: str, files: list[Path], at_least: int) -> bool:
    """At least ``at_least`` lines archived, the pool queue empty, and nothing new for 3 s."""
    before = sum(len(archived(f)) for f in files)
    if before < at_least or not queue_drained(stack, vhost_url):
        return False
    time.sleep(3)
    return sum(len(archived(f)) for f in files) == before and queue_drained(stack, vhost_url)


def queue_drained(stack: Stack, vhost_url: str) -> bool:
    vhost = urllib.parse.quote(vhost_url.rsplit("/", 1)[1], safe="")
    q = rabbit_mgmt(stack, "GET", f"/api/queues/{vhost}/osmon")
    # the management plugin reports statistics a few seconds late: read both counters
    return q.get("messages") == 0 and q.get("messages_unacknowledged") == 0


class Fleet:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.daemons: dict[str, DaemonProc] = {}

    def start(self, name: str, cfg: Path) -> DaemonProc:
        d = DaemonProc(["-c", str(cfg), "--port", "0"], log=self.tmp / f"{name}.log")
        self.daemons[name] = d
        base = d.wait_listening()
        wait_until(
            lambda: d.status(base)["sources"]["notifications"]["listeners"] > 0,
            60,
            f"{name}'s notification listener",
        )
        return d

    def stop(self) -> None:
        for d in self.daemons.values():
            if d.proc.poll() is None:
                d.terminate(30)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    f = Fleet(tmp_path)
    yield f
    f.stop()


def publish_in_background(url: str, notes: list[Notification]) -> threading.Thread:
    errors: list[BaseException] = []

    def run() -> None:
        pub = Publisher(url, exchange="nova", topic="notifications")
        try:
            replay(notes, pub)
        except BaseException as exc:
            errors.append(exc)
        finally:
            pub.close()

    thread = threading.Thread(target=run, name="publisher", daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def test_three_daemons_archive_every_notification_exactly_once(
    stack: Stack, rabbit_vhost: str, fleet: Fleet, tmp_path: Path
) -> None:
    for name in ("d1", "d2", "d3"):
        fleet.start(name, config(tmp_path, name, rabbit_vhost))
    notes, expected = instance_exists(N, uuid.uuid4().hex)
    publisher = publish_in_background(rabbit_vhost, notes)
    publisher.join(WAIT)
    assert not publisher.is_alive() and not publisher.errors  # type: ignore[attr-defined]

    files = [tmp_path / f"{n}.jsonl" for n in ("d1", "d2", "d3")]
    wait_until(lambda: settled(stack, rabbit_vhost, files, N), WAIT, f"{N} archived events")
    per_daemon = [archived(f) for f in files]
    everything = [row for rows in per_daemon for row in rows]
    by_message = Counter(mid for mid, _ in everything)
    assert [m for m, c in by_message.items() if c > 1] == []
    assert Counter(iid for _, iid in everything) == Counter(expected.keys())  # each once, none lost
    assert all(per_daemon), [len(rows) for rows in per_daemon]  # all three took a share
    print("archived per daemon:", [len(rows) for rows in per_daemon])


def test_kill_9_mid_stream_duplicates_only_the_unacknowledged_batch(
    stack: Stack, rabbit_vhost: str, fleet: Fleet, tmp_path: Path
) -> None:
    held = HeldEsDouble(answer=ANSWERED)
    held.start()
    try:
        fleet.start("d1", config(tmp_path, "d1", rabbit_vhost))
        fleet.start("d2", config(tmp_path, "d2", rabbit_vhost))
        victim = fleet.start("d3", config(tmp_path, "d3", rabbit_vhost, held.url))
        notes, expected = instance_exists(N, uuid.uuid4().hex)
        publisher = publish_in_background(rabbit_vhost, notes)

        assert held.held.wait(WAIT), "the third daemon never sent a bulk request to hold"
        bulks = held.bulk_requests()
        assert len(bulks) == ANSWERED + 1
        held_ids = {json.loads(line)["event"]["id"] for line in bulks[-1].body.splitlines()[1::2]}
        assert held_ids
        victim_file = tmp_path / "d3.jsonl"
        time.sleep(ACK_REQUEUE_EVERY_SECONDS_MAX + 1)  # the earlier batches' acks are out
        wait_until(
            lambda: held_ids <= {mid for mid, _ in archived(victim_file)},
            60,
            "the held batch in the victim's archive",
        )
        victim.kill9()

        publisher.join(WAIT)
        assert not publisher.is_alive() and not publisher.errors  # type: ignore[attr-defined]
        files = {n: tmp_path / f"{n}.jsonl" for n in ("d1", "d2", "d3")}
        wait_until(
            lambda: settled(stack, rabbit_vhost, list(files.values()), N + len(held_ids)),
            WAIT,
            "every notification archived after the kill",
        )
    finally:
        held.release()
        held.stop()

    rows = {n: archived(f) for n, f in files.items()}
    print("archived per daemon:", {n: len(r) for n, r in rows.items()}, "held:", len(held_ids))
    everything = [row for r in rows.values() for row in r]
    assert set(iid for _, iid in everything) == set(expected)  # none lost
    by_message = Counter(mid for mid, _ in everything)
    twice = {mid for mid, c in by_message.items() if c > 1}
    assert twice == held_ids  # duplicates: exactly the victim's unacknowledged batch
    assert max(by_message.values()) == 2
    victim_ids = Counter(mid for mid, _ in rows["d3"])
    survivor_ids = Counter(mid for n in ("d1", "d2") for mid, _ in rows[n])
    assert max(victim_ids.values()) == 1 and max(survivor_ids.values()) == 1
    assert twice <= set(victim_ids) and twice <= set(survivor_ids)
    # the victim's acknowledged batches went nowhere else
    assert set(victim_ids) - held_ids and not (set(victim_ids) - held_ids) & set(survivor_ids)
