"""Batch records per second, this tree against another checkout of the package, interleaved.

Each round runs one fresh interpreter per side (``PYTHONPATH`` set to that
side's ``python/`` folder; the other side's compiled extension must be in its
package, e.g. a copy of this tree's ``_rust.abi3.so``), so a load that comes
and goes on a shared machine hits both sides alike. Workloads, 1,000 records
of 10 masks each (``cli.bench.synthetic_records``):

- ``truncated``: every answer cut 200 characters short, inside its last mask
  (what a ``MAX_TOKENS`` stop gives): all of them go to the general parser;
- ``plain``: the answers as the model writes them (the fast lane).

Run, for the state of ``main`` against this tree::

    git archive main python | tar -x -C /tmp/before
    cp python/gemini_vision/_rust.abi3.so /tmp/before/python/gemini_vision/
    .venv/bin/python benches/batch_before_after.py /tmp/before/python --rounds 3

``GEMINI_VISION_BACKEND=numpy`` in the environment runs both sides on the fallback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter: argv = workload, threads ("all" or a count).
CHILD = """
import sys, time
from gemini_vision import batch
from gemini_vision.cli.bench import synthetic_records
records = synthetic_records(1000)
if sys.argv[1] == "truncated":
    records = [dict(r, text=r["text"][: len(r["text"]) - 200]) for r in records]
threads = None if sys.argv[2] == "all" else int(sys.argv[2])
batch.process(records[:50], threads=threads)  # warm up
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    batch.process(records, threads=threads)
    best = min(best, time.perf_counter() - start)
print(len(records) / best)
"""


def records_per_second(package: str, workload: str, threads: str) -> float:
    env = dict(os.environ, PYTHONPATH=package)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, workload, threads],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="the other checkout's python/ folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workloads", nargs="*", default=["truncated", "plain"])
    args = parser.parse_args()
    after = str(ROOT / "python")
    print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"backend: {os.environ.get('GEMINI_VISION_BACKEND', 'rust')}; best of {args.rounds}")
    for workload in args.workloads:
        for threads in ("1", "all"):
            before, now = [], []
            for _ in range(args.rounds):
                before.append(records_per_second(args.before, workload, threads))
                now.append(records_per_second(after, workload, threads))
            print(
                f"  {workload:10} threads={threads:3}  before {max(before):6.0f} records/s  "
                f"after {max(now):6.0f} records/s  after/before {max(now) / max(before):.2f}"
            )
    print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
