"""Log parsing throughput: file -> bulk NDJSON bytes, on one core.

Three pipelines over the same generated mixed OpenStack log, in the same run:

* osmon: ``LogParser("oslo")`` (multiline assembly, ECS documents) + bulk action/document lines;
* pygrok: the same patterns (field names flattened, as pygrok needs), one match per line plus
  the DEBUG-suffix and access sub-patterns, the same nesting, timestamps and serializer;
* bare re: ``re.match`` of the one precompiled oslo line regex, nothing else (the ceiling).

Usage: python bench/logs/bench.py [--lines N] [--repeat R] [--json stdlib|orjson]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import lines as generate_lines

from osmon.grok import default_library
from osmon.logs.parser import LogParser
from osmon.logs.timestamps import Clock

Dumps = Callable[[Any], bytes]


def serializer(name: str) -> Dumps:
    if name == "orjson":
        import orjson

        return orjson.dumps
    enc = json.JSONEncoder(separators=(",", ":"), check_circular=False)
    return lambda doc: enc.encode(doc).encode()


def run_osmon(path: Path, dumps: Dumps) -> tuple[int, int]:
    parser = LogParser("oslo", host="ctl1", service="nova", path=str(path))
    out: list[bytes] = []
    n = offset = 0
    feed = parser.feed
    with path.open("rb") as f:
        for raw in f:
            n += 1
            for e in feed(raw[:-1].decode("utf-8", "replace"), offset):
                out.append(b'{"create":{"_id":"ctl1-%d"}}\n%b\n' % (e.offset, dumps(e.doc)))
            offset += len(raw)
    for e in parser.flush():
        out.append(b'{"create":{"_id":"ctl1-%d"}}\n%b\n' % (e.offset, dumps(e.doc)))
    return n, len(b"".join(out))


def pygrok_patterns() -> dict[str, str]:
    """osmon's definitions rewritten for pygrok: flat \\w+ field names, Python regex flavour."""
    lib = default_library()
    sem = re.compile(r"%\{(\w+):([^}:]+)(:\w+)?\}")

    def flat(m: re.Match[str]) -> str:
        name = m.group(2).replace("[@metadata]", "[meta]").strip("[]").replace("][", "__")
        return "%{" + m.group(1) + ":" + name + (m.group(3) or "") + "}"

    out = {}
    for name in lib.names():
        text = sem.sub(flat, lib.definition(name).regex)
        text = text.replace(r"\h", "[0-9A-Fa-f]").replace(r"\z", r"\Z").replace("(?m)", "(?s)")
        out[name] = text
    return out


def run_pygrok(path: Path, dumps: Dumps) -> tuple[int, int]:
    from pygrok import Grok

    pats = pygrok_patterns()
    line_g = Grok("%{OSLO_LINE}", custom_patterns=pats)
    debug_g = Grok("%{OSLO_DEBUG_MESSAGE}", custom_patterns=pats)
    access_g = Grok("%{OSLO_WSGI_ACCESS}", custom_patterns=pats)
    clock = Clock("UTC")

    def nest(flat: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
        for key, value in flat.items():
            if value is None:
                continue
            *parents, leaf = key.split("__")
            node = doc
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = value
        return doc

    out: list[bytes] = []
    n = offset = 0
    with path.open("rb") as f:
        for raw in f:
            n += 1
            line = raw[:-1].decode("utf-8", "replace")
            flat = line_g.match(line)
            if flat is None:
                doc: dict[str, Any] = {"message": line, "tags": ["_grokparsefailure"]}
            else:
                doc = nest(flat, {})
                meta = doc.pop("meta", {})
                doc["@timestamp"] = clock.naive19(meta.get("timestamp", ""))
                msg = doc.get("message", "")
                if doc["log"]["level"] == "DEBUG":
                    sub = debug_g.match(msg)
                    if sub:
                        nest(sub, doc)
                if msg[:1].isdigit() and '"' in msg:
                    sub = access_g.match(msg)
                    if sub:
                        nest(sub, doc)
                        doc.pop("meta", None)
            doc["event"] = {"original": line}
            doc["host"] = {"name": "ctl1"}
            doc["service"] = {"name": "nova"}
            out.append(b'{"create":{"_id":"ctl1-%d"}}\n%b\n' % (offset, dumps(doc)))
            offset += len(raw)
    return n, len(b"".join(out))


def run_bare(path: Path, dumps: Dumps) -> tuple[int, int]:
    match = default_library().compile("%{OSLO_LINE}").regex.match
    n = hits = 0
    with path.open("rb") as f:
        for raw in f:
            n += 1
            if match(raw[:-1].decode("utf-8", "replace")):
                hits += 1
    return n, hits


def best_rate(
    fn: Callable[[Path, Dumps], tuple[int, int]], path: Path, dumps: Dumps, repeat: int
) -> float:
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        n, _ = fn(path, dumps)
        best = max(best, n / (time.perf_counter() - t))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", choices=["stdlib", "orjson", "auto"], default="auto")
    ap.add_argument("--skip-pygrok", action="store_true")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    json_name = args.json
    if json_name == "auto":
        try:
            import orjson  # noqa: F401

            json_name = "orjson"
        except ImportError:
            json_name = "stdlib"
    dumps = serializer(json_name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mixed-openstack.log"
        with path.open("w", encoding="utf-8") as f:
            for line in generate_lines(args.lines):
                f.write(line + "\n")
        size = path.stat().st_size
        n, nbytes = run_osmon(path, dumps)
        print(f"input: {n} lines, {size / 1e6:.1f} MB; bulk NDJSON out: {nbytes / 1e6:.1f} MB")
        print(f"serializer: {json_name}; one core; best of {args.repeat}")
        rates = {"osmon": best_rate(run_osmon, path, dumps, args.repeat)}
        if not args.skip_pygrok:
            rates["pygrok"] = best_rate(run_pygrok, path, dumps, args.repeat)
        rates["bare re.match"] = best_rate(run_bare, path, dumps, args.repeat)
    for name, rate in rates.items():
        print(f"{name:>14}: {rate:>10,.0f} lines/s")
    if "pygrok" in rates:
        print(f"osmon / pygrok: {rates['osmon'] / rates['pygrok']:.2f}x")
    print(f"osmon / bare re.match: {rates['osmon'] / rates['bare re.match']:.2f}x")


if __name__ == "__main__":
    main()
