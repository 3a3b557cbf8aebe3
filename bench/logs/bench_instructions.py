"""Instructions per log line, this checkout against a git revision, counted by callgrind.

Wall-clock figures on a shared VM swing by 10-20% from run to run (bench/README.md), too much to
see a 2% change. Callgrind counts instructions, which repeat for the same code and input
(``PYTHONHASHSEED=0``; a rerun moves by well under 1%), so both trees are measured in the same
run and compared. Per line = (two passes - one pass) / lines: start-up, imports and pattern
compilation cancel out. Instructions are not seconds (cache misses and the garbage collector's
pointer chasing cost more than they count), so read this beside ``bench_tail.py``, not instead.

* parse: ``bench_tail.run_parse`` (``for line in file`` + ``LogParser.feed``);
* tail: ``bench_tail.run_tail`` (``LogsSource.poll_once``, records, batches, checkpoints).

Usage: python bench/logs/bench_instructions.py [--base REV] [--lines N] [--path parse|tail|both]
Needs valgrind and git. The base tree is a ``git archive`` copy in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import lines as generate_lines

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PYTHON = (sys.executable, "-c")
WORKER = """
import sys, tempfile
from pathlib import Path
sys.path.insert(0, {bench!r})
import bench_tail
run = bench_tail.run_parse if {path!r} == "parse" else bench_tail.run_tail
with tempfile.TemporaryDirectory() as tmp:
    for _ in range({passes}):
        run(Path({log!r}), Path(tmp))
"""


def collected(src: Path, path: str, passes: int, log: Path) -> int:
    code = WORKER.format(bench=str(HERE), path=path, passes=passes, log=str(log))
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", *PYTHON, code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"Collected : ([\d,]+)", run.stderr)
    if found is None:
        raise SystemExit(f"no callgrind total in:\n{run.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_line(src: Path, path: str, log: Path, n: int) -> float:
    with ThreadPoolExecutor(2) as pool:  # the two passes at once: one per core
        one, two = pool.map(lambda k: collected(src, path, k, log), (1, 2))
    return (two - one) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--base", default="HEAD", help="git revision to compare with (HEAD)")
    ap.add_argument("--lines", type=int, default=20_000)
    ap.add_argument("--path", choices=("parse", "tail", "both"), default="both")
    args = ap.parse_args()
    paths = ("parse", "tail") if args.path == "both" else (args.path,)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.base, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        log = Path(tmp) / "mixed-openstack.log"
        with log.open("w", encoding="utf-8") as f:
            n = 0
            for line in generate_lines(args.lines):
                f.write(line + "\n")
                n += 1
        print(f"input: {n} lines; instructions per line (callgrind); base {args.base}")
        for path in paths:
            before = per_line(base / "src", path, log, n)
            after = per_line(ROOT / "src", path, log, n)
            ratio = after / before
            print(f"{path:>6}: base {before:>9,.0f}  checkout {after:>9,.0f}  ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
