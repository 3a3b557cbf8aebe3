"""A deleted resource's ``ended_at`` in the real Gnocchi: Gnocchi's rule, the sink, the daemon.

gnocchi-metricd clears ``ended_at`` when it processes a measure of the resource stamped at or
after it (Gnocchi >= 4.6 "restores" such a resource: ``gnocchi/storage/__init__.py``,
``execute_metadata_updates_if_needed``); a batch POST with ``create_metrics`` leaves the resource
alone. A delete notification's samples carry the very time they end the resource at, so the sink
puts ``ended_at`` just after the last measure it writes (``plan.END_MARGIN``).

"Processed by metricd" is read from ``GET /v1/status?details=true``: the measures of a metric are
listed there from the batch POST until metricd has processed them (and decided on ``ended_at``).
Every test uses its own resource ids, and the daemon test its own RabbitMQ vhost.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from osmon.notifications.convert import Converter
from osmon.notifications.lifecycle import mark_ended
from osmon.notifications.meters import load_definitions
from osmon.notifications.replay import Notification, Publisher, load_notifications, replay
from osmon.records import Sample
from osmon.sinks.gnocchi import build
from osmon.sinks.gnocchi.plan import END_MARGIN
from tests.e2e.daemon_proc import DaemonProc
from tests.integration.conftest import Stack
from tests.integration.pipeline import daemon_config

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "notifications" / "legacy"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def epoch(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def wait_until(cond: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_processed(gc: Any, metric_ids: Iterable[str], timeout: float = 60.0) -> None:
    """Until metricd has processed every measure posted so far to ``metric_ids``."""
    ids = set(metric_ids)
    assert ids

    def done() -> bool:
        pending = gc.status.get(details=True)["storage"]["measures_to_process"]
        return not ids & set(pending)

    wait_until(done, timeout, f"metricd to process metrics {sorted(ids)}")


def ended_at_history(gc: Any, rtype: str, rid: str) -> list[str | None]:
    return [r["ended_at"] for r in gc.resource.history(rtype, rid)]


# -- Gnocchi alone ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure_before_end", "kept"),
    [(60.0, True), (END_MARGIN, True), (0.0, False)],
    ids=["measure-a-minute-before", "measure-END_MARGIN-before", "measure-at-ended_at"],
)
def test_metricd_not_the_batch_post_clears_ended_at(
    gnocchi_client: Any, measure_before_end: float, kept: bool
) -> None:
    gc = gnocchi_client
    rid = str(uuid.uuid4())
    end = time.time() - 30
    gc.resource.create("generic", {"id": rid, "started_at": iso(end - 3600)})
    ended = gc.resource.update("generic", rid, {"ended_at": iso(end)})["ended_at"]
    assert ended is not None

    body = {
        rid: {
            "added-after-end": {
                "archive_policy_name": "low",
                "measures": [{"timestamp": iso(end - measure_before_end), "value": 1.0}],
            }
        }
    }
    gc.metric.batch_resources_metrics_measures(body, create_metrics=True)
    resource = gc.resource.get("generic", rid)
    assert resource["ended_at"] == ended, "the batch POST with create_metrics changed ended_at"
    assert set(resource["metrics"]) == {"added-after-end"}

    wait_processed(gc, resource["metrics"].values())
    if kept:
        assert gc.resource.get("generic", rid)["ended_at"] == ended
        assert ended_at_history(gc, "generic", rid) == [None, ended]
    else:
        assert gc.resource.get("generic", rid)["ended_at"] is None
        assert ended_at_history(gc, "generic", rid) == [None, ended, None]


# -- the sink -----------------------------------------------------------------------------------


def instance_samples(rid: str, ts: float) -> list[Sample]:
    attrs = {"display_name": f"ended-{rid[:8]}", "flavor_name": "m1.small"}
    return [
        Sample(
            name,
            value,
            ts,
            unit=unit,
            resource_id=rid,
            resource_type="instance",
            resource_attributes=attrs,
        )
        for name, value, unit in (("memory", 512.0, "MiB"), ("vcpus", 1.0, "vcpu"))
    ]


@pytest.mark.parametrize("born_deleted", [False, True], ids=["create-then-delete", "one-write"])
async def test_sink_ended_at_survives_metricd(
    stack: Stack, gnocchi_client: Any, born_deleted: bool
) -> None:
    gc = gnocchi_client
    sink = build("gnocchi-ended-at", {"endpoint": stack.gnocchi_url}, None)  # type: ignore[arg-type]
    rid = str(uuid.uuid4())
    created = time.time() - 30
    deleted = created + 5
    create = instance_samples(rid, created)
    delete = mark_ended(instance_samples(rid, deleted), deleted)  # as a delete notification does
    try:
        if born_deleted:
            assert (await sink.write([*create, *delete])).ok
        else:
            assert (await sink.write(create)).ok
            assert (await sink.write(delete)).ok
    finally:
        await sink.close()

    resource = gc.resource.get("instance", rid)
    wait_processed(gc, resource["metrics"].values())
    history = ended_at_history(gc, "instance", rid)
    ended = history[-1]
    assert ended is not None, f"ended_at was cleared; its history: {history}"
    assert deleted < epoch(ended) <= deleted + END_MARGIN + 1e-6


# -- the running daemon -------------------------------------------------------------------------


def for_instance(path: Path, iid: str) -> Notification:
    (note,) = load_notifications([path])
    return replace(note, payload={**note.payload, "instance_id": iid})


def sample_count(note: Notification) -> int:
    msg = {
        "event_type": note.event_type,
        "publisher_id": note.publisher_id,
        "payload": note.payload,
        "ctxt": note.ctxt,
        "metadata": {"message_id": "m1", "timestamp": "2026-11-23 10:00:00.000000"},
    }
    return len(Converter(load_definitions()).convert(msg, "info").samples)


def bound_port(d: DaemonProc) -> int:
    found = re.search(r"listening on \[\('127\.0\.0\.1', (\d+)\)", d.log())
    if d.proc.poll() is not None:
        raise AssertionError(f"osmon exited with {d.proc.returncode}: {d.log()}")
    return int(found.group(1)) if found else 0


def test_daemon_create_then_delete_keeps_ended_at(
    stack: Stack, rabbit_vhost: str, gnocchi_client: Any, tmp_path: Path
) -> None:
    gc = gnocchi_client
    iid = str(uuid.uuid4())
    create = for_instance(LEGACY / "nova-compute.instance.create.end.json", iid)
    delete = for_instance(LEGACY / "nova-compute.instance.delete.end.json", iid)
    cfg = daemon_config(tmp_path, transport_url=rabbit_vhost, gnocchi_url=stack.gnocchi_url, port=0)
    d = DaemonProc(["-c", str(cfg), "--port", "0"], log=tmp_path / "osmon.log")
    pub = Publisher(rabbit_vhost, exchange="nova", topic="notifications")
    try:
        port = wait_until(lambda: bound_port(d), 30, "osmon's listener")
        base = f"http://127.0.0.1:{port}"
        d.wait_http(base + "/healthz", timeout=30)
        wait_until(
            lambda: d.status(base)["sources"]["notifications"]["listeners"] > 0,
            30,
            "the notification listener",
        )

        def delivered() -> int:
            return int(d.status(base)["sinks"]["gnocchi"]["delivered"])

        replay([create], pub)
        wait_until(lambda: delivered() >= sample_count(create), 60, "the create samples")
        assert gc.resource.get("instance", iid)["ended_at"] is None
        replay([delete], pub)
        expected = sample_count(create) + sample_count(delete)
        wait_until(lambda: delivered() >= expected, 60, "the delete samples")

        wait_processed(gc, gc.resource.get("instance", iid)["metrics"].values())
        history = ended_at_history(gc, "instance", iid)
        assert history[-1] is not None, f"ended_at was cleared; its history: {history}"
        assert history == [None, history[-1]]
        assert d.status(base)["sinks"]["gnocchi"]["dead_lettered"] == 0
    finally:
        pub.close()
        assert d.terminate() == 0, d.log()
