"""kill -9 during ``osmon logs ship``: after a restart no entry is lost and no document is
duplicated (every re-sent entry carries the id it had the first time).

The ship runs as a real subprocess with the real parser, the daemon configuration loader, the
router and the Elasticsearch sink, against a backend the test holds (``HeldEsDouble``): it
accepts a set number of bulk requests, stores the next one and keeps its answer back, and the
ship is killed right then. So the kill lands at the same point every run: the entries of the
accepted batches are checkpointed, the held batch is written at the backend but not
acknowledged, and it is the only one the resumed ship sends again (``create`` with the same ids:
409, one copy kept).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from osmon.logs.parser import LogParser
from tests.e2e.held_backend import HeldEsDouble

HOST = "node1"


def make_log(path: Path, entries: int) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for i in range(entries):
            ts = f"2024-05-01 12:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000:03d}"
            if i % 50 == 7:
                head = f"{ts} 1234 ERROR nova.compute.manager"
                f.write(f"{head} [req-{i} - - - - -] failure {i}\n")
                f.write(f"{head} Traceback (most recent call last):\n")
                f.write(f'{head}   File "manager.py", line {i}, in run\n')
                f.write(f"{head} ValueError: bad value {i}\n")
            elif i % 97 == 3:
                f.write(f"not an oslo line {i} \xe9\n")
            else:
                f.write(
                    f"{ts} 1234 INFO nova.api.openstack.wsgi [req-{i} - - - - -] "
                    f'10.0.0.{i % 250} "GET /v2.1/servers/{i} HTTP/1.1" status: 200 len: {i}\n'
                )


def expected_offsets(path: Path) -> dict[int, str]:
    parser = LogParser("oslo", host=HOST, path=str(path))
    out: dict[int, str] = {}
    offset = 0
    with path.open("rb") as f:
        for raw in f:
            for e in parser.feed(raw.rstrip(b"\n").decode("utf-8", "replace"), offset):
                out[e.offset] = e.doc["message"]
            offset += len(raw)
    for e in parser.flush():
        out[e.offset] = e.doc["message"]
    return out


def write_config(tmp: Path, es_url: str) -> Path:
    (tmp / "inventory.yaml").write_text(
        "cloud: {name: test}\nhosts: {node1: {address: 127.0.0.1}}\n"
    )
    cfg = tmp / "osmon.yaml"
    cfg.write_text(
        "inventory: inventory.yaml\n"
        "state_dir: state\n"
        f"hostname: {HOST}\n"
        "sinks:\n"
        f"  es: {{type: elasticsearch, hosts: ['{es_url}']}}\n"
        "routes:\n"
        "  log: [es]\n"
    )
    return cfg


def ship(cfg: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "osmon",
            "logs",
            "ship",
            str(log),
            "-c",
            str(cfg),
            "--no-progress",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_kill_9_while_shipping_loses_nothing_and_duplicates_no_document(tmp_path: Path) -> None:
    log = tmp_path / "nova-api.log"
    make_log(log, 20_000)
    expected = expected_offsets(log)
    answered = 5
    backend = HeldEsDouble(answer=answered)
    backend.start()
    try:
        cfg = write_config(tmp_path, backend.url)
        proc = ship(cfg, log)
        try:
            assert backend.held.wait(120), "no bulk request held"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            _, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err.decode()
        first = backend.bulk_ids()
        assert len(first) == answered + 1
        held = set(first[-1])
        accepted = {i for ids in first[:-1] for i in ids}
        assert held and not held & accepted

        backend.release()
        resumed = ship(cfg, log)
        out, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, err.decode()
        assert b"entries:" in out

        receipts = backend.receipts()
        offsets = {int(doc_id.rsplit("-", 1)[1]): doc_id for doc_id in receipts}
        assert len(offsets) == len(receipts), "one id per entry offset"
        assert set(offsets) == set(expected), "every entry of the file, and nothing else"
        stored = backend.docs("logs-*")
        assert {offset: stored[i]["message"] for offset, i in offsets.items()} == expected
        again = {i for i, n in receipts.items() if n > 1}
        assert again == held, "exactly the batch held at the kill is sent again"
        assert max(receipts.values()) == 2
        assert not accepted & {i for ids in backend.bulk_ids()[answered + 1 :] for i in ids}

        replay = ship(cfg, log, "--from-start")
        _, err = replay.communicate(timeout=300)
        assert replay.returncode == 0, err.decode()
        assert backend.docs("logs-*") == stored, "a full replay adds or changes no document"
        assert not backend.internal_errors, backend.internal_errors[0]
    finally:
        backend.release()
        backend.stop()
