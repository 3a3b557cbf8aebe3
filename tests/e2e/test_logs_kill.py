"""kill -9 during ``osmon logs ship``: after a restart no entry is lost and no document is
duplicated (every re-sent entry carries the id it had the first time).

The ship runs as a real subprocess with the real parser, the daemon configuration loader, the
router and the JSONL sink (which fsyncs each batch before acknowledging it). The JSONL file is an
append-only log, so a batch written but not yet checkpointed when the process dies appears twice
in it; an id-keyed backend (Elasticsearch ``create``) keeps one copy, and the test checks exactly
that: the distinct ids are the file's entries, and every repeat is the same document.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from osmon.logs.parser import LogParser

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


def write_config(tmp: Path) -> Path:
    (tmp / "inventory.yaml").write_text(
        "cloud: {name: test}\nhosts: {node1: {address: 127.0.0.1}}\n"
    )
    cfg = tmp / "osmon.yaml"
    cfg.write_text(
        "inventory: inventory.yaml\n"
        "state_dir: state\n"
        f"hostname: {HOST}\n"
        "sinks:\n"
        "  archive: {type: jsonl, path: archive.jsonl}\n"
        "routes:\n"
        "  log: [archive]\n"
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


def archived(tmp: Path) -> list[list[Any]]:
    path = tmp / "state" / "archive.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line)["record"])
        except ValueError:
            break
    return out


def test_kill_9_while_shipping_loses_nothing_and_duplicates_no_document(tmp_path: Path) -> None:
    log = tmp_path / "nova-api.log"
    make_log(log, 60_000)
    expected = expected_offsets(log)
    cfg = write_config(tmp_path)

    proc = ship(cfg, log)
    deadline = time.monotonic() + 120
    while len(archived(tmp_path)) < 5000 and proc.poll() is None:
        assert time.monotonic() < deadline, "ship made no progress"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "ship finished before it could be killed"
    before = len(archived(tmp_path))
    assert 0 < before < len(expected)

    resumed = ship(cfg, log)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()
    assert b"entries:" in out

    records = archived(tmp_path)
    by_id: dict[str, list[list[Any]]] = defaultdict(list)
    for rec in records:
        by_id[rec[1]].append(rec)
    offsets = {int(doc_id.rsplit("-", 1)[1]): doc_id for doc_id in by_id}
    assert len(offsets) == len(by_id), "one id per entry offset"
    assert set(offsets) == set(expected), "every entry of the file, and nothing else"
    for offset, doc_id in offsets.items():
        copies = by_id[doc_id]
        assert {c[0]["message"] for c in copies} == {expected[offset]}
    resent = len(records) - len(by_id)
    assert resent <= 1000, f"only the batch in flight at the kill is sent again ({resent})"

    again = ship(cfg, log, "--from-start")
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()
    assert {rec[1] for rec in archived(tmp_path)} == set(by_id), "a full replay adds no new id"
