"""One thread against all threads on the batch path, this tree against another checkout.

On a machine that other work shares, a run of all threads is slowed whenever
that work takes a core, and the ratio to one thread says more about the
neighbour than about the code. Here each timed run counts the CPU time every
process of the machine used meanwhile (``/proc/stat``): a run during which
other processes used more than 2% of its wall time is thrown away, and runs
are repeated until each side has ``--want`` clean ones (or ``--budget``
seconds pass). Each side runs in its own fresh interpreter (``PYTHONPATH`` set
to its ``python/`` folder, whose package holds its compiled extension), the
sides in turn. Reported per side: the best clean time per mask for one thread
and for all threads (CPU time in brackets), their ratio, and how many runs it took.

Run, for the state of ``main`` against this tree (Linux only), with ``before/``
a scratch folder of your choice holding ``main``'s ``python/`` folder and,
inside its package, ``main``'s compiled extension (``_rust.abi3.so``, built
from that checkout)::

    git archive main python | tar -x -C before
    .venv/bin/python benches/batch_threads.py before/python --workload real-style
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter: argv = workload, records, clean runs wanted, budget (s).
CHILD = """
import os, sys, time
from gemini_vision import batch
from gemini_vision.cli.bench import real_style_records, synthetic_records
workload, count, want, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
records = (real_style_records if workload == "real-style" else synthetic_records)(count)
batch.process(records[:200], threads=1)  # warm up
batch.process(records[:200])

def busy():  # CPU seconds every process of the machine used so far
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")

clean = {1: [], None: []}
end, runs = time.time() + budget, 0
while time.time() < end and min(map(len, clean.values())) < want:
    for threads in (1, None):
        wall, cpu, machine = time.perf_counter(), time.process_time(), busy()
        batch.process(records, threads=threads)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        runs += 1
        if busy() - machine - cpu < 0.02 * wall + 0.02:  # ticks are 10 ms
            clean[threads].append((wall, cpu))
masks = count * 10 / 1e6
one, all_ = min(clean[1], default=None), min(clean[None], default=None)
print(*(f"{t[0] / masks:.2f} {t[1] / masks:.2f}" if t else "nan nan" for t in (one, all_)), runs)
"""


def measure(package: str, workload: str, count: int, want: int, budget: float) -> str:
    env = dict(os.environ, PYTHONPATH=package)
    args = [workload, str(count), str(want), str(budget)]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, check=True
    )
    one, one_cpu, all_, all_cpu, runs = done.stdout.split()
    ratio = float(one) / float(all_)
    return (
        f"1 thread {one} us/mask (cpu {one_cpu}), all threads {all_} us/mask (cpu {all_cpu}), "
        f"ratio {ratio:.3f}, {runs} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="the other checkout's python/ folder")
    parser.add_argument("--workload", default="real-style", choices=["real-style", "64x64"])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--want", type=int, default=5, help="clean runs per side and setting")
    parser.add_argument("--budget", type=float, default=300, help="seconds per side at most")
    parser.add_argument("--repeat", type=int, default=1, help="before/after pairs")
    args = parser.parse_args()
    print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    for _ in range(args.repeat):
        for name, package in (("before", args.before), ("after", str(ROOT / "python"))):
            result = measure(package, args.workload, args.records, args.want, args.budget)
            print(f"  {args.workload:10} {name:6} {result}")
    print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
